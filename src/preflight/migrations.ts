import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ConfigError } from '../errors';
import { splitStatements } from '../generate/generateMigration';
import type { KitHistory, MigratorBookkeeping } from '../generate/kitAdapter';
import type { PgSnapshot } from '../generate/migrationsFolder';
import { ident } from '../sql/identifiers';
import { openPglite } from '../verify/database';
import { platformBaseline, preparePlatform, type PlatformOptions } from '../verify/platform';
import { toSecond } from '../verify/migratorRows';
import { applyStatements, describeFailure, extensionsCreatedBy } from '../verify/replay';
import { readCatalog, userSchemas, type Catalog, type Queryable } from './catalog';

/**
 * - applied: the table has a row with the file's hash.
 * - modified: a row has the migration's name (1.0) or timestamp but another hash: the file changed after it ran.
 * - pending: not applied; drizzle's migrator will apply it (0.x: it is newer than the last applied one;
 *   1.0: its name has no row).
 * - skipped: not applied and older than the last applied one: drizzle-orm 0.x's migrator will never apply it.
 */
export type MigrationState = 'applied' | 'modified' | 'pending' | 'skipped';

export interface MigrationStatus {
  tag: string;
  when: number;
  state: MigrationState;
}

export interface AppliedMigrations {
  /** The migrations table, qualified. */
  table: string;
  /** False when the table does not exist (the database was never migrated by drizzle, or uses push). */
  found: boolean;
  entries: MigrationStatus[];
  /** Rows of the table that match no migration of the folder. */
  unknown: { hash: string; createdAt: number; name?: string }[];
}

/** drizzle-orm's migrator records sha256 of the SQL file's text and the migration's time (0.x: the journal's `when`; 1.0: the folder's timestamp). */
export function migrationHash(sql: string): string {
  return createHash('sha256').update(sql).digest('hex');
}

export async function readAppliedMigrations(
  db: Queryable,
  history: KitHistory,
  out: string,
  table: { schema: string; name: string },
  migrator: MigratorBookkeeping = { byName: false },
): Promise<AppliedMigrations> {
  const qualifiedName = `${table.schema}.${table.name}`;
  const [exists] = await db.query<{ found: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE n.nspname = $1 AND c.relname = $2) AS found`,
    [table.schema, table.name],
  );
  if (!exists?.found) {
    return {
      table: qualifiedName,
      found: false,
      entries: history.steps.map((e) => ({ tag: e.tag, when: e.when, state: 'pending' })),
      unknown: [],
    };
  }
  // `name` is 1.0's column; a table 0.x's migrator made has none until drizzle-orm 1.0 upgrades it.
  const rows = (
    await db.query<{ hash: string; created_at: string | number | null; name: string | null }>(
      `SELECT m.hash, m.created_at, to_jsonb(m) ->> 'name' AS name FROM ${ident(table.schema)}.${ident(table.name)} m`,
    )
  ).map((r) => ({ hash: r.hash, createdAt: Number(r.created_at ?? 0), ...(r.name !== null ? { name: r.name } : {}) }));
  const last = Math.max(0, ...rows.map((r) => r.createdAt));
  const matched = new Set<(typeof rows)[number]>();
  const entries = history.steps.map((entry): MigrationStatus => {
    const hash = migrationHash(readFileSync(join(out, entry.sqlFile), 'utf8'));
    const same =
      (migrator.byName ? rows.find((r) => r.name === entry.tag) : undefined) ??
      rows.find((r) => r.hash === hash) ??
      // A 0.x row under 1.0 (no name yet): 1.0's migrator names it by its time to the second (verify/migratorRows.ts).
      rows.find((r) => (migrator.byName ? r.name === undefined && toSecond(r.createdAt) === entry.when : r.createdAt === entry.when));
    if (same) {
      matched.add(same);
      return { tag: entry.tag, when: entry.when, state: same.hash === hash ? 'applied' : 'modified' };
    }
    return { tag: entry.tag, when: entry.when, state: migrator.byName || entry.when > last ? 'pending' : 'skipped' };
  });
  return { table: qualifiedName, found: true, entries, unknown: rows.filter((r) => !matched.has(r)) };
}

/**
 * What the given migrations produce: they are replayed, statement by
 * statement, on a throwaway PGlite prepared as `verify` prepares its own
 * (src/verify/platform.ts: the extensions they create, the roles they name,
 * the platform's stubs, the project's preludes), whose catalog is read back.
 * Schemas only the platform step made are left out: the live server has its
 * own, real ones.
 */
export async function replayMigrations(
  history: KitHistory,
  out: string,
  tags: Set<string>,
  platform: PlatformOptions = { preludes: [] },
  snapshots: PgSnapshot[] = [],
  /** Paths in messages are relative to it (the project root). */
  root = process.cwd(),
): Promise<{ catalog: Catalog; schemas: string[]; notes: string[] }> {
  const files = history.steps
    .filter((e) => tags.has(e.tag))
    .map((e) => ({ file: relative(root, join(out, e.sqlFile)), statements: splitStatements(readFileSync(join(out, e.sqlFile), 'utf8'), e.breakpoints) }));
  const all = files.flatMap((f) => f.statements);
  const extensions = extensionsCreatedBy([...platform.preludes.map((p) => p.sql), ...all]).filter((e) => e !== 'plpgsql');
  const db = await openPglite(extensions);
  const notes: string[] = [];
  try {
    await preparePlatform(db, all, platform, notes);
    const baseline = await platformBaseline(db, snapshots, []);
    for (const f of files) {
      const failure = await applyStatements(db, f.file, f.statements, { transaction: false });
      if (failure) throw new ConfigError(`cannot replay the migrations on PGlite to learn what they produce: ${describeFailure(failure)}`);
    }
    const schemas = (await userSchemas(db)).filter((s) => !baseline.schemas.includes(s));
    return { catalog: await readCatalog(db, schemas), schemas, notes };
  } finally {
    await db.close();
  }
}
