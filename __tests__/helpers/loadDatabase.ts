/**
 * The load test's dealings with the server outside the clients: the template
 * database each run copies, the migrations applied as a user applies them,
 * the RLS role's view of a table, and the check that every acknowledged
 * write is where the new app will read it.
 */
import { readFileSync } from 'node:fs';
import { Client } from 'pg';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import { readMigrationsState } from '../../src/generate/migrationsFolder';
import { quoteIdent, quoteQualified } from '../../src/sql/identifiers';
import { planSeed } from '../../src/verify/seedRows';
import type { Write } from './loadMix';
import type { LoadProject } from './loadProject';

export interface MigrationOutcome {
  ms: number;
  attempts: number;
  /** Why an attempt failed (lock timeout, deadlock): it is run again, as the README says it can be. */
  errors: string[];
  ok: boolean;
}

/** The database URL `url` with another database name. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export async function exec(url: string, statements: string[]): Promise<void> {
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
export async function rowsAs(url: string, project: LoadProject, relation: string, owner: string | undefined): Promise<string[] | string> {
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

export async function applyMigrations(url: string, folder: string, retries: number): Promise<MigrationOutcome> {
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
export async function applyRollback(url: string, file: string, retries: number): Promise<MigrationOutcome> {
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
export const MIGRATION_ATTEMPTS = 10;

export async function rowsAsSuperuser(url: string, sql: string): Promise<string[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<{ id: string }>(sql)).rows.map((r) => r.id);
  } finally {
    await client.end();
  }
}

/** The acknowledged writes whose row is not as written (`table key: expected, found`), read from the tables where they now live. */
export async function lostWrites(url: string, from: string, to: string, writes: Write[]): Promise<string[]> {
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
