import { relative } from 'node:path';
import { loadDrizzleConfig, type DrizzleConfig } from '../generate/drizzleConfig';
import type { PgSnapshot } from '../generate/migrationsFolder';
import { loadProjectMigrationSet, migrationStep, type MigrationSet } from './migrationSet';
import { projectPlatform } from './platform';
import { verifyMigration, type VerifyOptions, type VerifyReport } from './verifyMigration';

export interface VerifyProjectOptions extends Omit<VerifyOptions, 'excludeSchemas' | 'migrationsTable' | 'preludes' | 'platform'> {
  /** Project root (default: the working directory). */
  cwd?: string;
  /** drizzle config path. */
  config?: string;
  /** The migration to verify (tag, or its unique prefix or name); default the newest. */
  migration?: string;
  /** Prelude files (relative to the project root), run after those package.json lists. */
  prelude?: string[];
}

/**
 * Where drizzle's bookkeeping lives: that table is left out of every
 * comparison, never its schema (`migrations: { schema: "public" }` is common).
 */
export function bookkeeping(config: DrizzleConfig): Pick<VerifyOptions, 'migrationsTable'> {
  return { migrationsTable: { schema: config.migrationsSchema, table: config.migrationsTable } };
}

/** `drizzle-reschema verify`: the project's migration, as written on disk. */
export async function verifyProject(options: VerifyProjectOptions = {}): Promise<VerifyReport> {
  const root = options.cwd ?? process.cwd();
  const config = loadDrizzleConfig(root, options.config);
  const set = await loadProjectMigrationSet(root, config, options.migration);
  const { prelude, ...rest } = options;
  return verifyMigration(set, { ...rest, ...bookkeeping(config), ...projectPlatform(root, config, prelude) });
}

/** What `move` and `contract` ask of the verification of the migration they write. */
export interface PendingVerifyRequest {
  engine?: VerifyOptions['engine'];
  rows?: number;
  keepSource?: boolean;
  grant?: string[];
  prelude?: string[];
}

/** The verification's options for a migration this run writes: the request, the project's bookkeeping and its platform (preludes read now). */
export function pendingVerifyOptions(root: string, config: DrizzleConfig, request: PendingVerifyRequest): VerifyOptions {
  return {
    ...(request.engine ? { engine: request.engine } : {}),
    ...(request.rows !== undefined ? { rows: request.rows } : {}),
    ...(request.keepSource ? { keepSource: true } : {}),
    grantRoles: request.grant ?? [],
    ...bookkeeping(config),
    ...projectPlatform(root, config, request.prelude),
  };
}

/** A migration that exists only in memory (move, before it writes), appended to the project's. */
export interface PendingMigration {
  tag: string;
  when: number;
  sqlPath: string;
  sql: string;
  snapshot: PgSnapshot;
  rollbackPath: string;
  rollbackSql: string;
}

/** The project's migrations on disk (`onDisk` when already read), then the pending one as the migration under test. */
export async function pendingMigrationSet(root: string, config: DrizzleConfig, pending: PendingMigration, read?: MigrationSet): Promise<MigrationSet> {
  const onDisk = read ?? (await loadProjectMigrationSet(root, config));
  const step = migrationStep(pending.tag, pending.when, relative(root, pending.sqlPath), pending.sql, pending.snapshot);
  const rollback = migrationStep(pending.tag, pending.when, relative(root, pending.rollbackPath), pending.rollbackSql, pending.snapshot);
  return {
    steps: [...onDisk.steps, step],
    target: onDisk.steps.length,
    migrator: onDisk.migrator,
    rollback: { file: rollback.file, sql: rollback.sql, statements: rollback.statements },
  };
}
