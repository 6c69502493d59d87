import { InputError, ToolError } from '../errors';
import { loadDrizzleConfig } from '../generate/drizzleConfig';
import { projectAdapter } from '../generate/kitAdapter';
import { qualified } from '../sql/identifiers';
import { quoteQualified } from '../sql/identifiers';
import { planMove, type PlanOptions } from '../plan/planMove';
import { redactorFor, urlWithoutPassword } from '../report/redact';
import { projectPlatform } from '../verify/platform';
import { compareCatalogs, readCatalog, type DriftItem, type Queryable } from './catalog';
import { readAppliedMigrations, replayMigrations, type AppliedMigrations } from './migrations';

export interface PreflightOptions extends Partial<Omit<PlanOptions, 'cwd'>> {
  databaseUrl: string;
  /** Project root (where the drizzle config and the migrations are). */
  cwd: string;
  config?: string;
  /** Transactions open longer than this are listed (default 60). */
  longTransactionSeconds?: number;
  /** For the backup file's name (default: now). */
  now?: Date;
  /** Prelude files for the replay, after those package.json lists (as for verify). */
  prelude?: string[];
}

export interface AffectedRelation {
  schema: string;
  name: string;
  kind: 'table' | 'view' | 'materializedView' | 'sequence';
  /** Exact count for tables; null when the table is missing or could not be counted (the reason is in `note`). */
  rows: number | null;
  note?: string;
}

export interface LockHolder {
  relation: string;
  mode: string;
  granted: boolean;
  pid: number;
  state: string | null;
  transactionSeconds: number | null;
  query: string;
}

export interface LongTransaction {
  pid: number;
  user: string | null;
  state: string | null;
  seconds: number;
  query: string;
}

export interface PreflightReport {
  /** The URL without its password. */
  database: string;
  migrations: AppliedMigrations;
  /** Differences between the live database and what its applied migrations produce. */
  drift: DriftItem[];
  /** The tables (and views, sequences) about to move, or every table the migrations create when no files are given. */
  relations: AffectedRelation[];
  /** Locks other sessions hold on those relations: `ALTER ... SET SCHEMA` needs ACCESS EXCLUSIVE and waits for every one. */
  locks: LockHolder[];
  longTransactions: LongTransaction[];
  longTransactionSeconds: number;
  backup: { command: string; note: string };
  /** Why the run is not clean (empty when it is). */
  problems: string[];
}

/**
 * Seed 002's Phase 0 against a live database, read-only: which migrations are
 * applied, drift from what they produce, row counts of the tables about to
 * move, what would block `ALTER ... SET SCHEMA`, and the pg_dump command that
 * backs them up. Nothing here writes, to the database or to disk.
 */
export async function preflight(options: PreflightOptions): Promise<PreflightReport> {
  const redact = redactorFor(options.databaseUrl);
  try {
    return await runPreflight(options);
  } catch (error) {
    // A driver's message can quote the URL; nothing leaves here with the password in it.
    if (error instanceof Error) {
      error.message = redact(error.message);
      if (error.stack) error.stack = redact(error.stack);
    }
    throw error;
  }
}

async function runPreflight(options: PreflightOptions): Promise<PreflightReport> {
  const root = options.cwd;
  const config = loadDrizzleConfig(root, options.config);
  const adapter = projectAdapter(root);
  const history = await adapter.readHistory(config, root);
  const seconds = options.longTransactionSeconds ?? 60;
  if (!Number.isFinite(seconds) || seconds < 0) throw new InputError(`--long-transaction-seconds: expected a number >= 0, got ${seconds}`);

  const plan = options.files?.length
    ? planMove({
        files: options.files,
        cwd: root,
        ...(options.to !== undefined ? { to: options.to } : {}),
        ...(options.map ? { map: options.map } : {}),
        ...(options.tables ? { tables: options.tables } : {}),
        ...(options.enums ? { enums: options.enums } : {}),
      })
    : undefined;

  const client = await connectReadOnly(options.databaseUrl);
  try {
    await client.query('BEGIN READ ONLY');
    // Counting waits behind an ACCESS EXCLUSIVE lock; a short lock_timeout turns that into a note.
    await client.query(`SET LOCAL lock_timeout = '2s'`);
    const migrations = await readAppliedMigrations(
      client,
      history,
      config.out,
      { schema: config.migrationsSchema, name: config.migrationsTable },
      adapter.migrator,
    );
    const replayed = new Set(
      migrations.found
        ? migrations.entries.filter((e) => e.state === 'applied' || e.state === 'modified').map((e) => e.tag)
        : migrations.entries.map((e) => e.tag),
    );
    const expected = await replayMigrations(
      history,
      config.out,
      replayed,
      projectPlatform(root, config, options.prelude),
      history.steps.flatMap((s) => (s.snapshot ? [s.snapshot] : [])),
      root,
    );
    const live = await readCatalog(client, expected.schemas, [migrations.table]);
    const drift = compareCatalogs(expected.catalog, live);

    const wanted: { schema: string; name: string; kind: AffectedRelation['kind'] }[] = plan
      ? plan.moves
          .filter((m) => m.object.kind !== 'enum')
          .map((m) => ({ schema: m.from, name: m.object.name!, kind: m.object.kind as AffectedRelation['kind'] }))
      : [...expected.catalog.relations]
          .filter(([, kind]) => kind === 'table')
          .map(([key]) => ({ schema: key.slice(0, key.indexOf('.')), name: key.slice(key.indexOf('.') + 1), kind: 'table' as const }));
    const locks = await readLocks(client, wanted);
    const relations = await countRows(client, wanted, live.relations);
    const longTransactions = await readLongTransactions(client, seconds);
    await client.query('ROLLBACK');

    const problems: string[] = [];
    if (drift.length > 0) problems.push(`${drift.length} difference(s) from the migrations`);
    const changed = migrations.entries.filter((e) => e.state === 'modified' || e.state === 'skipped');
    for (const e of changed) {
      problems.push(e.state === 'modified' ? `migration ${e.tag} changed after it was applied` : `migration ${e.tag} is older than the last applied one and will never run`);
    }
    if (locks.length > 0) problems.push(`${locks.length} lock(s) held on the tables about to move`);

    return {
      database: urlWithoutPassword(options.databaseUrl),
      migrations,
      drift,
      relations,
      locks,
      longTransactions,
      longTransactionSeconds: seconds,
      backup: backupCommand(options.databaseUrl, relations, options.now ?? new Date()),
      problems,
    };
  } finally {
    await client.end().catch(() => undefined);
  }
}

type Client = Queryable & { end(): Promise<void> };

async function connectReadOnly(url: string): Promise<Client> {
  const { Client: PgClient } = require('pg') as typeof import('pg');
  const client = new PgClient({
    connectionString: url,
    // Every transaction of this session is read-only, whatever a query says.
    options: '-c default_transaction_read_only=on',
    application_name: 'drizzle-reschema preflight',
    connectionTimeoutMillis: 10_000,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw new ToolError(`cannot connect to ${urlWithoutPassword(url)}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return {
    query: async <T,>(sql: string, params?: unknown[]) => (await client.query(sql, params)).rows as T[],
    end: () => client.end(),
  };
}

async function readLocks(db: Queryable, relations: { schema: string; name: string }[]): Promise<LockHolder[]> {
  if (relations.length === 0) return [];
  const rows = await db.query<{
    relation: string;
    mode: string;
    granted: boolean;
    pid: number;
    state: string | null;
    seconds: string | null;
    query: string | null;
  }>(
    `SELECT n.nspname || '.' || c.relname AS relation, l.mode, l.granted, l.pid, a.state,
            extract(epoch FROM now() - a.xact_start)::bigint::text AS seconds, a.query
     FROM pg_locks l
     JOIN pg_class c ON c.oid = l.relation
     JOIN pg_namespace n ON n.oid = c.relnamespace
     LEFT JOIN pg_stat_activity a ON a.pid = l.pid
     WHERE l.pid <> pg_backend_pid() AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
       AND (n.nspname || '.' || c.relname) = ANY($1)
     ORDER BY 1, l.pid`,
    [relations.map((r) => `${r.schema}.${r.name}`)],
  );
  return rows.map((r) => ({
    relation: r.relation,
    mode: r.mode,
    granted: r.granted,
    pid: Number(r.pid),
    state: r.state,
    transactionSeconds: r.seconds === null ? null : Number(r.seconds),
    query: oneLine(r.query ?? ''),
  }));
}

async function countRows(
  db: Queryable,
  wanted: { schema: string; name: string; kind: AffectedRelation['kind'] }[],
  live: Map<string, string>,
): Promise<AffectedRelation[]> {
  const out: AffectedRelation[] = [];
  for (const r of wanted) {
    if (!live.has(`${r.schema}.${r.name}`)) {
      out.push({ ...r, rows: null, note: 'not in the database' });
      continue;
    }
    if (r.kind !== 'table') {
      out.push({ ...r, rows: null });
      continue;
    }
    await db.query('SAVEPOINT count_rows');
    try {
      const [row] = await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${qualified(r.schema, r.name)}`);
      out.push({ ...r, rows: Number(row!.n) });
      await db.query('RELEASE SAVEPOINT count_rows');
    } catch (error) {
      await db.query('ROLLBACK TO SAVEPOINT count_rows');
      out.push({ ...r, rows: null, note: `not counted: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}` });
    }
  }
  return out;
}

async function readLongTransactions(db: Queryable, seconds: number): Promise<LongTransaction[]> {
  const rows = await db.query<{ pid: number; user: string | null; state: string | null; seconds: string; query: string | null }>(
    `SELECT pid, usename AS user, state, extract(epoch FROM now() - xact_start)::bigint::text AS seconds, query
     FROM pg_stat_activity
     WHERE xact_start IS NOT NULL AND pid <> pg_backend_pid() AND datname = current_database()
       AND now() - xact_start >= make_interval(secs => $1)
     ORDER BY xact_start`,
    [seconds],
  );
  return rows.map((r) => ({ pid: Number(r.pid), user: r.user, state: r.state, seconds: Number(r.seconds), query: oneLine(r.query ?? '') }));
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 160 ? `${flat.slice(0, 157)}...` : flat;
}

function shellQuote(text: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

function backupCommand(url: string, relations: AffectedRelation[], now: Date): { command: string; note: string } {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const present = relations.filter((r) => r.note !== 'not in the database');
  const args = [
    'pg_dump',
    '--format=custom',
    `--dbname=${urlWithoutPassword(url)}`,
    // pg_dump reads a pattern as Postgres reads a name: unquoted parts fold to lower case.
    ...present.map((r) => `--table=${quoteQualified(r.schema, r.name)}`),
    `--file=before-reschema-${stamp}.dump`,
  ];
  return {
    command: args.map(shellQuote).join(' '),
    note:
      present.length === 0
        ? 'no affected table exists in the database yet: nothing to back up'
        : 'the password is left out: pg_dump reads it from PGPASSWORD or ~/.pgpass, or asks. Restore with pg_restore --dbname=<url> <file>',
  };
}

export function exitCodeOf(report: PreflightReport): 0 | 1 {
  return report.problems.length > 0 ? 1 : 0;
}

