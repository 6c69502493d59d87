/**
 * One rolling deploy under load, on a real server: the old app's clients run
 * while the expand migration is applied with drizzle-orm's migrator, the new
 * app's clients start once it is in, the old ones stop, the contract
 * migration goes in, and the new ones go on. Every query is timed; every
 * acknowledged write is checked afterwards; the RLS policy's rows are
 * compared through the old name and the new one.
 */
import { Pool } from 'pg';
import { drizzle } from 'drizzle-orm/node-postgres';
import { quoteIdent, quoteQualified } from '../../src/sql/identifiers';
import {
  applyMigrations,
  applyRollback,
  exec,
  lostWrites,
  MIGRATION_ATTEMPTS,
  rowsAs,
  rowsAsSuperuser,
  withDatabase,
  type MigrationOutcome,
} from './loadDatabase';
import { MIXES, type AppSchema, type Write } from './loadMix';
import type { LoadProject } from './loadProject';

export { prepareTemplate } from './loadDatabase';
export type { MigrationOutcome } from './loadDatabase';

/**
 * `deploy`: the rolling deploy (old app, expand, old + new, contract, new).
 * `rollback`: the deploy is called off: the old app alone runs through the
 * expand migration and then its rollback, as a user runs it (`psql -1 -f`).
 */
export type Scenario = 'deploy' | 'rollback';

export interface LoadTiming {
  /** Clients per app. */
  clients: number;
  /** Old app alone before the migration, both apps after it (rollback: the old one), new app alone after the contract (rollback: old). */
  beforeMs: number;
  overlapMs: number;
  afterMs: number;
}

type App = 'old' | 'new';
/** `contract`: the contract migration, or the rollback in that scenario. */
type Phase = 'before' | 'expand' | 'overlap' | 'contract' | 'after';
const PHASES: Phase[] = ['before', 'expand', 'overlap', 'contract', 'after'];

interface QueryRecord {
  app: App;
  label: string;
  start: number;
  end: number;
  error?: string;
}

export interface LoadRunResult {
  project: string;
  compat: boolean;
  queries: Record<App, { ok: number; failed: number }>;
  /** Distinct failures (`query: message`), per app, with how often they happened. */
  failures: Record<App, Record<string, number>>;
  /** Successful queries per second in each phase. */
  qps: Record<Phase, number>;
  /** The longest query among those in flight while a migration held or waited for its locks. */
  longestWaitMs: number;
  expand: MigrationOutcome;
  contract: MigrationOutcome | undefined;
  rollback: MigrationOutcome | undefined;
  /** Acknowledged writes not found afterwards (`table key: expected, found`). */
  missingWrites: string[];
  writesChecked: number;
  rls: RlsOutcome;
}

/** What the policy's role sees, by key, through each name; an error when a name cannot be read. */
export interface RlsOutcome {
  expected: string[];
  tableBefore: string[] | string;
  oldNameAfter: string[] | string;
  newNameAfter: string[] | string;
  withoutUser: string[] | string;
}

function loadSchema(modules: string[]): AppSchema {
  return Object.assign({}, ...modules.map((m) => require(m) as AppSchema));
}

export async function loadRun(
  serverUrl: string,
  project: LoadProject,
  template: string,
  run: string,
  timing: LoadTiming,
  scenario: Scenario = 'deploy',
): Promise<LoadRunResult> {
  const database = `run_${run}`.replace(/[^a-z0-9_]/gi, '_').toLowerCase();
  await exec(serverUrl, [`DROP DATABASE IF EXISTS ${quoteIdent(database)}`, `CREATE DATABASE ${quoteIdent(database)} TEMPLATE ${quoteIdent(template)}`]);
  const url = withDatabase(serverUrl, database);
  const mix = MIXES[project.name];
  const records: QueryRecord[] = [];
  const writes = new Map<string, Write>();
  const marks: Partial<Record<Phase | 'end', number>> = {};
  const pools: Pool[] = [];
  let ending = false;

  const oldSchema = loadSchema(project.oldApp);
  const newSchema = loadSchema(project.newApp);
  const { table, ownerColumn } = project.rls;
  const owner = (
    await rowsAsSuperuser(url, `SELECT ${quoteIdent(ownerColumn)}::text AS id FROM ${quoteQualified(project.from, table)} GROUP BY 1 ORDER BY count(*) DESC LIMIT 1`)
  )[0]!;
  const expected = await rowsAsSuperuser(
    url,
    `SELECT id::text AS id FROM ${quoteQualified(project.from, table)} WHERE ${quoteIdent(ownerColumn)} = '${owner.replace(/'/g, "''")}' ORDER BY id`,
  );
  const tableBefore = await rowsAs(url, project, quoteIdent(table), owner);

  /** Starts `count` clients of one app; resolves once they have stopped after `stop()`. */
  const startClients = async (app: App, schema: AppSchema) => {
    const pool = new Pool({ connectionString: url, max: timing.clients });
    pools.push(pool);
    // An idle connection's error reaches the pool, not a query: counted as a failure while the run goes
    // on. Once the pool is ending, `end()` has resolved before the sockets closed, and the database's
    // DROP ... WITH (FORCE) may terminate them (57P01): that is the teardown, not the move.
    pool.on('error', (error) => {
      if (!ending) records.push({ app, label: 'idle connection', start: performance.now(), end: performance.now(), error: error.message });
    });
    const db = drizzle(pool, { schema: { ...schema, ...mix.relations(schema) } });
    let stopped = false;
    const users = await db
      .insert(schema.users)
      .values(Array.from({ length: timing.clients }, (_, i) => ({ email: `${app}-${i}-${run}@load.test` })))
      .returning({ id: schema.users.id });
    const loops = users.map(async ({ id: userId }: { id: string }, i: number) => {
      const client = `${app}${i}`;
      const memo = new Map<string, string>();
      const timed = async (label: string, query: () => Promise<unknown>) => {
        const record: QueryRecord = { app, label, start: performance.now(), end: 0 };
        records.push(record);
        try {
          return await query();
        } catch (error) {
          const cause = (error as { cause?: Error }).cause ?? (error as Error);
          record.error = cause.message;
          throw error;
        } finally {
          record.end = performance.now();
        }
      };
      const write = (w: Write) => writes.set(`${w.table}\u0000${w.key}\u0000${w.column}`, w);
      for (let iteration = 0; !stopped; iteration++) {
        try {
          await mix.iteration({ db, schema, userId, client, iteration, timed, write, memo });
        } catch {
          // Counted by `timed`; a failed request ends, the next one starts.
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      }
    });
    return async () => {
      stopped = true;
      await Promise.all(loops);
    };
  };
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  let expand: MigrationOutcome;
  let contract: MigrationOutcome | undefined;
  let rollback: MigrationOutcome | undefined;
  let oldNameAfter: string[] | string;
  let newNameAfter: string[] | string;
  let withoutUser: string[] | string;
  try {
    marks.before = performance.now();
    const stopOld = await startClients('old', oldSchema);
    await sleep(timing.beforeMs);
    marks.expand = performance.now();
    expand = await applyMigrations(url, project.expand, MIGRATION_ATTEMPTS);
    marks.overlap = performance.now();
    // The new app is deployed once its migration is in, instance by instance: both run.
    const stopNew = scenario === 'deploy' ? await startClients('new', newSchema) : async () => undefined;
    await sleep(timing.overlapMs);
    oldNameAfter = await rowsAs(url, project, quoteIdent(table), owner);
    newNameAfter = await rowsAs(url, project, quoteQualified(project.to, table), owner);
    withoutUser = await rowsAs(url, project, quoteIdent(table), undefined);
    if (scenario === 'deploy') await stopOld();
    marks.contract = performance.now();
    if (scenario === 'rollback') rollback = await applyRollback(url, project.rollback, MIGRATION_ATTEMPTS);
    else if (project.contract) contract = await applyMigrations(url, project.contract, MIGRATION_ATTEMPTS);
    marks.after = performance.now();
    await sleep(timing.afterMs);
    await stopNew();
    if (scenario === 'rollback') await stopOld();
    marks.end = performance.now();
  } finally {
    ending = true;
    await Promise.all(pools.map((p) => p.end()));
  }

  const missingWrites = await lostWrites(url, project.from, project.to, [...writes.values()]);
  await exec(serverUrl, [`DROP DATABASE IF EXISTS ${quoteIdent(database)} WITH (FORCE)`]);

  const queries = { old: { ok: 0, failed: 0 }, new: { ok: 0, failed: 0 } };
  const failures: LoadRunResult['failures'] = { old: {}, new: {} };
  for (const r of records) {
    if (r.error === undefined) queries[r.app].ok++;
    else {
      queries[r.app].failed++;
      const kind = `${r.label}: ${r.error}`;
      failures[r.app][kind] = (failures[r.app][kind] ?? 0) + 1;
    }
  }
  const qps = {} as Record<Phase, number>;
  PHASES.forEach((phase, i) => {
    const from = marks[phase]!;
    const to = marks[PHASES[i + 1] ?? 'end']!;
    const done = records.filter((r) => r.error === undefined && r.end >= from && r.end < to).length;
    qps[phase] = to > from ? Math.round((done / (to - from)) * 1000) : 0;
  });
  const windows: Array<[number, number]> = [
    [marks.expand!, marks.overlap!],
    [marks.contract!, marks.after!],
  ];
  const longestWaitMs = Math.round(
    Math.max(0, ...records.filter((r) => windows.some(([from, to]) => r.start < to && r.end > from)).map((r) => r.end - r.start)),
  );
  return {
    project: project.name,
    compat: project.settings.compat,
    queries,
    failures,
    qps,
    longestWaitMs,
    expand: expand!,
    contract,
    rollback,
    missingWrites,
    writesChecked: writes.size,
    rls: { expected, tableBefore, oldNameAfter: oldNameAfter!, newNameAfter: newNameAfter!, withoutUser: withoutUser! },
  };
}
