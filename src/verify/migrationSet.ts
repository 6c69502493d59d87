import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ConfigError, InputError } from '../errors';
import type { DrizzleConfig } from '../generate/drizzleConfig';
import { readMigrationsState, type PgSnapshot } from '../generate/migrationsFolder';

/** One migration of the journal, with what it leaves the database as. */
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

/** The project's migrations in journal order, and which one is being verified. */
export interface MigrationSet {
  steps: MigrationStep[];
  /** Index in `steps` of the migration under test. */
  target: number;
  /** Its rollback, when there is one beside it. */
  rollback?: { file: string; sql: string; statements: string[] };
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
 * Reads the journal, every migration and snapshot from the project's
 * migrations folder. `tag` picks the migration under test (a full tag or its
 * unique prefix/suffix); by default the newest.
 */
export function loadMigrationSet(root: string, config: DrizzleConfig, rollbackPath: (tag: string) => string, tag?: string): MigrationSet {
  const state = readMigrationsState(config.out, root);
  const entries = state.journal.entries;
  if (entries.length === 0) throw new ConfigError(`${relative(root, config.out) || config.out}: the journal lists no migrations; nothing to verify`);
  // Each entry's own snapshot file, as drizzle-kit names it: a prevId chain broken upstream
  // (see readMigrationsState) does not say which snapshot goes with which migration.
  const steps = entries.map((e) => {
    const path = join(config.out, `${e.tag}.sql`);
    const snapshot = state.snapshotByTag.get(e.tag);
    if (!snapshot) {
      throw new ConfigError(`${relative(root, config.out)}: the journal lists '${e.tag}' but meta/${e.tag.split('_')[0]}_snapshot.json is missing`);
    }
    return migrationStep(e.tag, e.when, relative(root, path), readFileSync(path, 'utf8'), snapshot.snapshot);
  });
  let target = steps.length - 1;
  if (tag !== undefined) {
    const matches = steps.map((s, i) => ({ s, i })).filter(({ s }) => s.tag === tag || s.tag.startsWith(`${tag}_`) || s.tag.endsWith(`_${tag}`));
    if (matches.length !== 1) {
      throw new InputError(
        `--migration ${tag}: ${matches.length === 0 ? 'no such migration' : `matches ${matches.length}`} in ${relative(root, config.out) || config.out} (tags: ${steps.map((s) => s.tag).join(', ')})`,
      );
    }
    target = matches[0]!.i;
  }
  const path = rollbackPath(steps[target]!.tag);
  const set: MigrationSet = { steps, target };
  if (existsSync(path)) {
    const sql = readFileSync(path, 'utf8');
    set.rollback = { file: relative(root, path), sql, statements: splitStatements(sql) };
  }
  return set;
}
