import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ConfigError, InputError } from '../errors';
import type { DrizzleConfig } from '../generate/drizzleConfig';
import { readKit031History } from '../generate/kit031/adapter';
import { projectAdapter, type KitAdapter, type KitHistory, type MigratorBookkeeping } from '../generate/kitAdapter';
import type { PgSnapshot } from '../generate/migrationsFolder';

/** One migration of the folder, with what it leaves the database as. */
export interface MigrationStep {
  tag: string;
  /** The journal's `when`: drizzle's migrator records it as `created_at`. */
  when: number;
  /** Path of the SQL file, relative to the project root (for messages). */
  file: string;
  sql: string;
  /** sha256 of the SQL text: what drizzle's migrator records as `hash`. */
  hash: string;
  statements: string[];
  /** The snapshot drizzle-kit wrote with this migration. */
  snapshot: PgSnapshot;
}

/** The project's migrations in the order drizzle's migrator runs them, and which one is being verified. */
export interface MigrationSet {
  steps: MigrationStep[];
  /** Index in `steps` of the migration under test. */
  target: number;
  /** Its rollback, when there is one beside it. */
  rollback?: { file: string; sql: string; statements: string[] };
  /** How the project's drizzle-orm records applied migrations (verify --commit writes such a row); 0.x's when absent. */
  migrator?: MigratorBookkeeping;
}

/** drizzle's migrator splits a migration on these markers, breakpoints or not. */
export function splitStatements(sql: string): string[] {
  return sql
    .split('--> statement-breakpoint')
    .map((s) => s.trim())
    .filter((s) => s.replace(/--[^\n]*/g, '').trim() !== '');
}

export function migrationStep(tag: string, when: number, file: string, sql: string, snapshot: PgSnapshot): MigrationStep {
  return { tag, when, file, sql, hash: createHash('sha256').update(sql).digest('hex'), statements: splitStatements(sql), snapshot };
}

/**
 * Reads every migration and the schema after it from the project's migrations
 * folder, in either drizzle-kit line's layout (the project's drizzle-kit picks
 * the adapter). `tag` picks the migration under test (a full tag or its
 * unique prefix/suffix); by default the newest. The rollback is read from
 * where the line keeps it, beside or inside the migration.
 */
export async function loadProjectMigrationSet(root: string, config: DrizzleConfig, tag?: string, adapter: KitAdapter = projectAdapter(root)): Promise<MigrationSet> {
  const history = await adapter.readHistory(config, root);
  return migrationSetOf(root, config, history, (t) => adapter.besideMigration(config, t, 'rollback'), adapter.migrator, tag);
}

/** loadProjectMigrationSet for a drizzle-kit 0.x folder, read synchronously, with the rollback where `rollbackPath` says. */
export function loadMigrationSet(root: string, config: DrizzleConfig, rollbackPath: (tag: string) => string, tag?: string): MigrationSet {
  return migrationSetOf(root, config, readKit031History(config, root), rollbackPath, { byName: false }, tag);
}

function migrationSetOf(
  root: string,
  config: DrizzleConfig,
  history: KitHistory,
  rollbackPath: (tag: string) => string,
  migrator: MigratorBookkeeping,
  tag: string | undefined,
): MigrationSet {
  const display = relative(root, config.out) || config.out;
  if (history.steps.length === 0) throw new ConfigError(`${display}: the journal lists no migrations; nothing to verify`);
  // A migration without a snapshot (written by hand, added to the journal) leaves the schema drizzle-kit
  // knows as the one before it: the snapshot before it stands for it, as drizzle-kit's next diff takes it.
  let before: PgSnapshot | undefined;
  const steps = history.steps.map((e) => {
    const path = join(config.out, e.sqlFile);
    const snapshot = e.snapshot ?? before;
    if (!snapshot) throw new ConfigError(`${display}: the journal lists '${e.tag}' but meta/${e.tag.split('_')[0]}_snapshot.json is missing`);
    before = snapshot;
    return migrationStep(e.tag, e.when, relative(root, path), readFileSync(path, 'utf8'), snapshot);
  });
  let target = steps.length - 1;
  if (tag !== undefined) {
    const matches = steps.map((s, i) => ({ s, i })).filter(({ s }) => s.tag === tag || s.tag.startsWith(`${tag}_`) || s.tag.endsWith(`_${tag}`));
    if (matches.length !== 1) {
      throw new InputError(
        `--migration ${tag}: ${matches.length === 0 ? 'no such migration' : `matches ${matches.length}`} in ${display} (tags: ${steps.map((s) => s.tag).join(', ')})`,
      );
    }
    target = matches[0]!.i;
  }
  const path = rollbackPath(steps[target]!.tag);
  const set: MigrationSet = { steps, target, migrator };
  if (existsSync(path)) {
    const sql = readFileSync(path, 'utf8');
    set.rollback = { file: relative(root, path), sql, statements: splitStatements(sql) };
  }
  return set;
}
