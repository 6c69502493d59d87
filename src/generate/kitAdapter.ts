import { ToolError } from '../errors';
import type { DrizzleConfig } from './drizzleConfig';
import type { DrizzleKit, KitRun } from './drizzleKit';
import { kit031Adapter } from './kit031/adapter';
import type { MigrationsState, PgSnapshot } from './migrationsFolder';

/**
 * What the generate stage needs from one line of drizzle-kit: how it lays out
 * the migrations folder, and how its `generate` runs and what it writes. One
 * adapter per line, picked once per run (adapterFor); a new line is a new
 * folder beside `kit031/`, not new branches in generateMigration.
 */
export interface KitAdapter {
  kit: DrizzleKit;
  /** The migrations folder of `config`, as the project's last migration left it. */
  readState(config: DrizzleConfig, root: string): MigrationsState;
  /** Runs `generate` in a copy of the project and reads back the one migration it wrote. */
  generate(request: KitGenerateRequest): Promise<KitMigration>;
}

export interface KitGenerateRequest {
  /** The project copy drizzle-kit runs in (ShadowProject.root). */
  cwd: string;
  /** The config file, relative to `cwd` (the same as in the project). */
  configArg: string;
  /** The migrations folder in the copy. */
  out: string;
  name: string;
  /** The state readState gave, before drizzle-kit ran. */
  state: MigrationsState;
  /** drizzle-kit's output as the user should read it (paths in the copy named as in the project). */
  describe(run: KitRun): string;
}

/** The migration drizzle-kit wrote, as paths relative to the migrations folder. */
export interface KitMigration {
  tag: string;
  sqlFile: string;
  sql: string;
  breakpoints: boolean;
  /** The snapshot of the schema after it. */
  next: PgSnapshot;
  /** Every other file it wrote or changed (snapshot, journal), with its new content. */
  files: Array<{ file: string; after: string }>;
  /** The journal entry's time, for the migrator's bookkeeping. */
  when: number;
}

export function adapterFor(kit: DrizzleKit): KitAdapter {
  const major = Number(kit.version.split('.')[0]);
  if (major === 0) return kit031Adapter(kit);
  throw new ToolError(
    `drizzle-kit ${kit.version} (the ${kit.source === 'project' ? "project's" : 'bundled'} one) is not supported yet: this drizzle-reschema drives drizzle-kit 0.x (checked on 0.31)`,
  );
}
