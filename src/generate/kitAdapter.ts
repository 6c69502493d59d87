import { ToolError } from '../errors';
import type { DrizzleConfig } from './drizzleConfig';
import { resolveDrizzleKit, type DrizzleKit, type KitRun } from './drizzleKit';
import { kit031Adapter } from './kit031/adapter';
import { kit10Adapter } from './kit10/adapter';
import { stopEarlyKits } from './kit10/sdkProcess';
import type { PgSnapshot } from './migrationsFolder';
import type { Relocation } from './relocateSnapshot';

/**
 * What the generate stage needs from one line of drizzle-kit: how it lays out
 * the migrations folder, and how its `generate` runs and what it writes. One
 * adapter per line, picked once per run (adapterFor); a new line is a new
 * folder beside `kit031/` and `kit10/`, not new branches in generateMigration.
 */
export interface KitAdapter {
  kit: DrizzleKit;
  /** The line as a report says it, with the folder layout it reads ("0.x (meta/_journal.json)"). */
  line: string;
  /**
   * Checks the project's migrations folder is this line's layout and has a
   * baseline; a ConfigError naming the fix (`drizzle-kit up`, a first generate) when not.
   */
  checkFolder(config: DrizzleConfig, root: string): void;
  /** Runs `generate` in a copy of the project and reads back the one migration it wrote. */
  generate(request: KitGenerateRequest): Promise<KitMigration>;
  /**
   * Where the line can take its request later (1.0's SDK), starts drizzle-kit's process now, so that
   * its start-up overlaps the plan (the CLI calls it first; `generate` takes the process).
   */
  startEarly?(root: string): void;
  /** Where a file that goes with migration `tag` but is not one (`rollback`, `drop-source`) lives. */
  besideMigration(config: Pick<DrizzleConfig, 'out' | 'prefix'>, tag: string, suffix: 'rollback' | 'drop-source'): string;
  /** The project's migrations as this line records them, each with the schema it leaves (verify, check, preflight). */
  readHistory(config: DrizzleConfig, root: string): Promise<KitHistory>;
  /** How drizzle-orm's migrator of this line keeps its migrations table. */
  migrator: MigratorBookkeeping;
  /** The rollback file's second header line: what to do with it, in this line's words. */
  rollbackNote: string;
}

/**
 * drizzle-orm's migrations table (`drizzle.__drizzle_migrations` by default):
 * `byName` false, 0.x (checked on 0.45): rows of (hash, created_at), and a
 * migration runs when it is newer than the newest created_at; `byName` true,
 * 1.0 (checked on 1.0.0-rc.5): rows gain `name` (the folder) and `applied_at`,
 * and every migration whose name has no row runs.
 */
export interface MigratorBookkeeping {
  byName: boolean;
}

/** One migration of the folder, in the order drizzle's migrator runs them. */
export interface KitHistoryStep {
  tag: string;
  /** What drizzle's migrator records as `created_at` (ms). */
  when: number;
  /** The SQL file, relative to the migrations folder. */
  sqlFile: string;
  breakpoints: boolean;
  /** The schema after it, in drizzle-kit 0.x's snapshot shape; undefined when the folder has none for it. */
  snapshot: PgSnapshot | undefined;
}

export interface KitHistory {
  steps: KitHistoryStep[];
  /** The schema drizzle-kit diffs the next generate against, and its snapshot file (relative to the migrations folder). */
  head: { file: string; snapshot: PgSnapshot } | undefined;
  /** What is odd about the folder but does not stop drizzle-kit (a broken snapshot chain). */
  warnings: string[];
}

export interface KitGenerateRequest {
  /** The project, where the migrations folder is read (never written). */
  root: string;
  config: DrizzleConfig;
  /** The project copy drizzle-kit runs in (ShadowProject.root). */
  cwd: string;
  /** The config file, relative to `cwd` (the same as in the project). */
  configArg: string;
  /** The migrations folder in the copy. */
  out: string;
  name: string;
  /** What moves, as the plan says; the adapter tells drizzle-kit in its line's own way. */
  relocations: Relocation[];
  /**
   * `move`: drizzle-kit must see the objects as moved (no SQL of its own for them).
   * `copy`: as new objects in their target schemas (CREATE, the copy strategy's input).
   */
  strategy: 'move' | 'copy';
  /** drizzle-kit's output as the user should read it (paths in the copy named as in the project). */
  describe(run: KitRun): string;
}

/** The migration drizzle-kit wrote, as paths relative to the migrations folder. */
export interface KitMigration {
  tag: string;
  sqlFile: string;
  /** drizzle-kit's SQL without statements for the moves themselves: the patch stage writes those. */
  sql: string;
  breakpoints: boolean;
  /** Relocations of objects the previous migrations know: these need SQL. */
  relocations: Relocation[];
  /**
   * The schema before and after it, in 0.x's snapshot shape (the copy strategy and verification
   * read them); asked for only when needed, since a line may have to rebuild them.
   */
  snapshots(): Promise<MigrationSnapshots>;
  /** Every other file it wrote or changed (snapshot, journal), with its new content. */
  files: Array<{ file: string; after: string }>;
  /** What drizzle's migrator records as the migration's time (ms). */
  when: number;
  /** What the migrations folder has that drizzle-kit accepts but a reviewer should know (a broken snapshot chain, say). */
  warnings: string[];
}

/** The adapter of the project's own drizzle-kit (or the bundled one), for readers of the migrations folder. */
export function projectAdapter(root: string): KitAdapter {
  return adapterFor(resolveDrizzleKit(root));
}

/**
 * The CLI, before it plans: the project's drizzle-kit starts loading now where its line allows.
 * Returns what ends it if `generate` never took it. No drizzle-kit, or one no adapter drives,
 * starts nothing here: the run then says so where it always did.
 */
export function startDrizzleKitEarly(root: string): () => void {
  try {
    projectAdapter(root).startEarly?.(root);
  } catch {
    // Said by the run itself, with its exit code.
  }
  return stopEarlyKits;
}

export interface MigrationSnapshots {
  previous: PgSnapshot | undefined;
  next: PgSnapshot | undefined;
}

export function adapterFor(kit: DrizzleKit): KitAdapter {
  const major = Number(kit.version.split('.')[0]);
  if (major === 0) return kit031Adapter(kit);
  if (major === 1) return kit10Adapter(kit);
  throw new ToolError(
    `drizzle-kit ${kit.version} (the ${kit.source === 'project' ? "project's" : 'bundled'} one) is not supported yet: this drizzle-reschema drives drizzle-kit 0.x (checked on 0.31) and 1.0 (checked on 1.0.0-rc.5)`,
  );
}
