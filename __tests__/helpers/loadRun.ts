/**
 * One rolling deploy under load, on a real server: the old app's clients run
 * while the expand migration is applied with drizzle-orm's migrator, the new
 * app's clients start once it is in, the old ones stop, the contract
 * migration goes in, and the new ones go on. Every query is timed; every
 * acknowledged write is checked afterwards; the RLS policy's rows are
 * compared through the old name and the new one.
 */
import { readFileSync } from 'node:fs';
import { readMigrationsState } from '../../src/generate/migrationsFolder';
import { quoteIdent, quoteQualified } from '../../src/sql/identifiers';
import { planSeed } from '../../src/verify/seedRows';
import { MIXES, type AppSchema, type Write } from './loadMix';
import type { LoadProject } from './loadProject';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Pool, Client } = require('pg') as typeof import('pg');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { drizzle } = require('drizzle-orm/node-postgres') as typeof import('drizzle-orm/node-postgres');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { migrate } = require('drizzle-orm/node-postgres/migrator') as typeof import('drizzle-orm/node-postgres/migrator');

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

export interface MigrationOutcome {
  ms: number;
  attempts: number;
  /** Why an attempt failed (lock timeout, deadlock): it is run again, as the README says it can be. */
  errors: string[];
  ok: boolean;
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

/** The database URL `url` with another database name. */
function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

async function exec(url: string, statements: string[]): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    for (const sql of statements) await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * A database as production has it before the move: the baseline migrations,
 * generated rows, and one owner with several rows for the policy to show.
 * Runs copy it (CREATE DATABASE ... TEMPLATE), which takes milliseconds.
 */
export async function prepareTemplate(serverUrl: string, project: LoadProject, rows: number): Promise<string> {
  const name = `template_${project.name.replace(/-/g, '_')}`;
  await exec(serverUrl, [
    `DO $$ BEGIN CREATE ROLE ${quoteIdent(project.rls.role)}; EXCEPTION WHEN duplicate_object THEN NULL; END $$`,
    `DROP DATABASE IF EXISTS ${quoteIdent(name)}`,
    `CREATE DATABASE ${quoteIdent(name)}`,
  ]);
  const url = withDatabase(serverUrl, name);
  const orm = drizzle(url);
  try {
    await migrate(orm, { migrationsFolder: project.baseline });
  } finally {
    await orm.$client.end();
  }
  const seed = planSeed(readMigrationsState(project.baseline, project.baseline).head!.snapshot, rows);
  const { table, ownerColumn } = project.rls;
  const qualified = quoteQualified(project.from, table);
  await exec(url, [
    ...[...seed.inserts, ...seed.updates],
    // Half the rows to one owner: the role acting for it must see exactly those.
    `UPDATE ${qualified} SET ${quoteIdent(ownerColumn)} = (SELECT min(${quoteIdent(ownerColumn)}::text)::uuid FROM ${qualified}) WHERE ctid IN (SELECT ctid FROM ${qualified} ORDER BY id LIMIT ${Math.ceil(rows / 2)})`,
  ]);
  return name;
}

/** The rows (ids) the policy's role sees through `relation`, acting for `owner` (none: no user set). */
async function rowsAs(url: string, project: LoadProject, relation: string, owner: string | undefined): Promise<string[] | string> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SET LOCAL ROLE ${quoteIdent(project.rls.role)}`);
    if (owner) await client.query(`SELECT set_config('app.user_id', $1, true)`, [owner]);
    const result = await client.query<{ id: string }>(`SELECT id::text AS id FROM ${relation} ORDER BY id`);
    return result.rows.map((r) => r.id);
  } catch (error) {
    return (error as Error).message;
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
    await client.end();
  }
}

function loadSchema(modules: string[]): AppSchema {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return Object.assign({}, ...modules.map((m) => require(m) as AppSchema));
}

async function applyMigrations(url: string, folder: string, retries: number): Promise<MigrationOutcome> {
  const errors: string[] = [];
  const start = performance.now();
  for (let attempt = 1; attempt <= retries; attempt++) {
    const orm = drizzle(url);
    try {
      await migrate(orm, { migrationsFolder: folder });
      return { ms: performance.now() - start, attempts: attempt, errors, ok: true };
    } catch (error) {
      const cause = (error as { cause?: Error }).cause ?? (error as Error);
      errors.push(cause.message);
    } finally {
      await orm.$client.end();
    }
  }
  return { ms: performance.now() - start, attempts: retries, errors, ok: false };
}

/** A rollback file as `psql -1 -f` runs it: one transaction; run again while it times out on its locks. */
async function applyRollback(url: string, file: string, retries: number): Promise<MigrationOutcome> {
  const sql = readFileSync(file, 'utf8');
  const errors: string[] = [];
  const start = performance.now();
  for (let attempt = 1; attempt <= retries; attempt++) {
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      await client.query('BEGIN');
      await client.query(sql);
      await client.query('COMMIT');
      return { ms: performance.now() - start, attempts: attempt, errors, ok: true };
    } catch (error) {
      errors.push((error as Error).message);
      await client.query('ROLLBACK').catch(() => undefined);
    } finally {
      await client.end();
    }
  }
  return { ms: performance.now() - start, attempts: retries, errors, ok: false };
}

/** How many times a migration that timed out on its locks is run (a user would run it again; the count is reported). */
const MIGRATION_ATTEMPTS = 10;

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
  const pools: InstanceType<typeof Pool>[] = [];

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
    await Promise.all(pools.map((p) => p.end()));
  }

  const missingWrites = await missing(url, project.from, project.to, [...writes.values()]);
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

async function rowsAsSuperuser(url: string, sql: string): Promise<string[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<{ id: string }>(sql)).rows.map((r) => r.id);
  } finally {
    await client.end();
  }
}

/** The acknowledged writes whose row is not as written, read from the tables where they now live. */
async function missing(url: string, from: string, to: string, writes: Write[]): Promise<string[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  const lost: string[] = [];
  try {
    const groups = new Map<string, Write[]>();
    for (const w of writes) groups.set(`${w.table}.${w.keyColumn}.${w.column}`, [...(groups.get(`${w.table}.${w.keyColumn}.${w.column}`) ?? []), w]);
    for (const group of groups.values()) {
      const { table, keyColumn, column } = group[0]!;
      // Where the row lives now: the moved table, or the old one when the move never went in (or the table stays).
      const moved = (await client.query<{ at: string | null }>('SELECT to_regclass($1)::text AS at', [quoteQualified(to, table)])).rows[0]?.at;
      const schemaName = moved ? to : from;
      const result = await client.query<{ key: string; value: string | null }>(
        `SELECT ${quoteIdent(keyColumn)}::text AS key, ${quoteIdent(column)}::text AS value FROM ${quoteQualified(schemaName, table)} WHERE ${quoteIdent(keyColumn)}::text = ANY($1)`,
        [group.map((w) => String(w.key))],
      );
      const found = new Map(result.rows.map((r) => [r.key, r.value]));
      for (const w of group) {
        const expectedValue = w.value === null ? undefined : String(w.value);
        const actual = found.has(String(w.key)) ? (found.get(String(w.key)) ?? 'NULL') : undefined;
        if (actual !== expectedValue) lost.push(`${schemaName}.${table} ${w.key}: ${column} expected ${expectedValue ?? '(deleted)'}, found ${actual ?? '(no row)'}`);
      }
    }
  } finally {
    await client.end();
  }
  return lost;
}
