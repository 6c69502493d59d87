import { InputError, ToolError } from '../errors';
import { ident, qualified } from '../sql/identifiers';
import { redactSecrets, redactUrl } from '../report/redact';
import { compareAcrossMigration } from './compareAcross';
import { openUrl, type Database } from './database';
import type { MigrationSet } from './migrationSet';
import { appliedNames, type MigratorRow } from './migratorRows';
import { checkBehaviour } from './probes';
import { seedableSnapshot } from './seedCatalog';
import { isOk, type Timer, type VerifyOptions, type VerifyReport } from './verifyReport';

/**
 * On the user's server: the migration (and its rollback, in a savepoint
 * that is undone) inside one transaction with lock and statement timeouts, rolled back
 * unless `commit`. Counts are the real ones.
 */
export async function verifyLive(
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
    const byName = set.migrator?.byName ?? false;
    const applied = await appliedMigrations(db, table, set, byName);
    // drizzle-orm 1.0's migrator runs a migration whose name has no row; 0.x's one whose hash has none.
    const isApplied = (s: { tag: string; hash: string }) => Boolean(applied && (byName ? applied.names.has(s.tag) : applied.hashes.has(s.hash)));
    if (isApplied(target)) {
      throw new InputError(
        `${target.file}: already applied on ${redactUrl(url)} (${table.schema}.${table.table} records its ${byName ? 'name' : 'hash'}); nothing to verify`,
      );
    }
    const missing = set.steps.slice(0, set.target).filter((s) => applied && !isApplied(s));
    if (byName && applied?.named === false) {
      report.notes.push(
        `${table.schema}.${table.table} is drizzle-orm 0.x's (no name column): read as drizzle-orm 1.0's migrator reads it when it upgrades it (each row named by its migration's time, else hash)${options.commit ? '; the row for this migration is written the 0.x way, which that upgrade names' : ''}`,
      );
    }
    if (applied === undefined) report.notes.push(`${table.schema}.${table.table} not found: cannot tell which migrations are applied`);
    else if (missing.length) report.notes.push(`not applied on the server yet: ${missing.map((s) => s.tag).join(', ')}`);

    await db.exec('BEGIN');
    await db.exec(`SET LOCAL lock_timeout = ${Math.trunc(options.lockTimeoutMs ?? 5000)}`);
    await db.exec(`SET LOCAL statement_timeout = ${Math.trunc(options.statementTimeoutMs ?? 60000)}`);
    try {
      await compareAcrossMigration(db, set, target, report.moves, options, report, timer, exclude, true);
      const failed = report.differences.length > 0 || report.rollback?.ok === false;
      if (!failed) {
        // Generated values start far above real ones; every probe is undone with the transaction,
        // except what sequences hand out (nextval is not transactional): they are put back, since
        // --commit keeps the migration and the real tables must continue where they were.
        const sequences = await sequencePositions(db, [...new Set(report.moves.map((m) => m.to))]);
        try {
          await timer.time('behaviour', async () => {
            // A real database drifts from its snapshots too: the probe rows fit what it has.
            await checkBehaviour(db, await seedableSnapshot(db, target.snapshot), report.moves, 1_000_000_000, report, true);
          });
        } finally {
          for (const s of sequences) await db.query(`SELECT setval($1::regclass, $2::bigint, $3)`, [s.name, s.value, s.called]);
        }
      } else {
        report.notChecked.push('probes');
        report.notes.push('behaviour probes not run: the comparison failed first');
      }
      report.notChecked.push('drift');
      report.notes.push('drift not checked: --database-url verifies on your server, whose drift from the migrations `preflight` reports');
      report.ok = isOk(report);
      if (options.commit && report.ok) {
        await recordMigration(db, table, target, byName && applied?.named !== false);
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

/**
 * What the migrations table says ran: the hashes (0.x's migrator goes by them), and the names
 * drizzle-orm 1.0's goes by, as it reads a table 0.x's migrator made (migratorRows.ts).
 */
async function appliedMigrations(
  db: Database,
  table: { schema: string; table: string },
  set: MigrationSet,
  byName: boolean,
): Promise<{ hashes: Set<string>; names: Set<string>; named: boolean } | undefined> {
  const [{ exists } = { exists: false }] = await db.query<{ exists: boolean }>(`SELECT to_regclass($1) IS NOT NULL AS exists`, [
    qualified(table.schema, table.table),
  ]);
  if (!exists) return undefined;
  const [{ named } = { named: false }] = await db.query<{ named: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 AND column_name = 'name') AS named`,
    [table.schema, table.table],
  );
  const rows = (
    await db.query<{ hash: string; created_at: string | null; name: string | null }>(
      `SELECT m.hash, m.created_at::text, to_jsonb(m) ->> 'name' AS name FROM ${qualified(table.schema, table.table)} m`,
    )
  ).map((r): MigratorRow => ({ hash: r.hash, createdAt: Number(r.created_at ?? 0), name: r.name ?? undefined }));
  const local = set.steps.slice(0, set.target).map((s) => ({ tag: s.tag, when: s.when, hash: s.hash }));
  return { hashes: new Set(rows.map((r) => r.hash)), names: byName ? appliedNames(rows, local, named) : new Set(), named };
}

/**
 * The row drizzle-orm's migrator writes for a migration it ran, in the
 * project's line: 0.x (hash, created_at); 1.0 (checked on 1.0.0-rc.5) also the
 * folder's name, with `applied_at` defaulting to now(). The table is made as
 * that migrator makes it when it is not there yet. `byName` false on a table
 * 0.x's migrator made, in a 1.0 project: the row is written its way, which
 * 1.0's migrator names when it upgrades the table (by the folder's time).
 */
async function recordMigration(
  db: Database,
  table: { schema: string; table: string },
  target: { tag: string; hash: string; when: number },
  byName: boolean,
): Promise<void> {
  const name = qualified(table.schema, table.table);
  await db.exec(`CREATE SCHEMA IF NOT EXISTS ${ident(table.schema)}`);
  if (!byName) {
    await db.exec(`CREATE TABLE IF NOT EXISTS ${name} (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at bigint)`);
    await db.query(`INSERT INTO ${name} (hash, created_at) VALUES ($1, $2)`, [target.hash, target.when]);
    return;
  }
  await db.exec(
    `CREATE TABLE IF NOT EXISTS ${name} (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at bigint, name text, applied_at timestamp with time zone DEFAULT now())`,
  );
  await db.query(`INSERT INTO ${name} (hash, created_at, name) VALUES ($1, $2, $3)`, [target.hash, target.when, target.tag]);
}

/** Where every sequence of the schemas stands (last value, whether it was called), to put it back after the probes. */
async function sequencePositions(db: Database, schemas: string[]): Promise<Array<{ name: string; value: string; called: boolean }>> {
  const names = await db.query<{ schema: string; name: string; start: string }>(
    `SELECT schemaname AS schema, sequencename AS name, start_value::text AS start FROM pg_sequences WHERE schemaname = ANY($1)`,
    [schemas],
  );
  const out: Array<{ name: string; value: string; called: boolean }> = [];
  for (const n of names) {
    const name = qualified(n.schema, n.name);
    const [row] = await db.query<{ value: string; called: boolean }>(`SELECT last_value::text AS value, is_called AS called FROM ${name}`);
    out.push({ name, value: row?.value ?? n.start, called: row?.called ?? false });
  }
  return out;
}
