import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { checkpoint } from '../faults';
import type { FileChange } from '../report/unifiedDiff';
import type { FileEdit } from '../rewrite/rewriteSchemaFiles';
import type { DrizzleConfig } from './drizzleConfig';
import { kitOutputExcerpt, resolveDrizzleKit, type DrizzleKit } from './drizzleKit';
import { adapterFor, type MigrationSnapshots } from './kitAdapter';
import type { PgSnapshot } from './migrationsFolder';
import type { Relocation } from './relocateSnapshot';
import { ShadowProject, besideProject, isInsideProject } from './shadowProject';

export const BREAKPOINT = '--> statement-breakpoint';

export interface GeneratedMigration {
  tag: string;
  /** Project path the SQL file will have. */
  sqlPath: string;
  /** drizzle-kit's statements, in its order (empty for a migration it had nothing to say about). */
  statements: string[];
  breakpoints: boolean;
  /** The journal entry's time (what drizzle's migrator records). */
  when: number;
  /** Relocations of objects the previous snapshot knows: these need SQL. */
  relocations: Relocation[];
  /** Where this line keeps the migration's rollback, and the copy strategy's drop-source script. */
  rollbackPath: string;
  dropSourcePath: string;
  /** The snapshot and journal changes (the SQL file is the patch stage's). */
  files: FileChange[];
  /** The schema before and after it (KitMigration.snapshots), asked for by verification and the copy strategy. */
  snapshots(): Promise<MigrationSnapshots>;
  kit: DrizzleKit;
  /** What the migrations folder has that drizzle-kit accepts but a reviewer should know (readMigrationsState). */
  warnings: string[];
  /** The drizzle-kit line and folder layout (KitAdapter.line). */
  line: string;
  /** The rollback's header line for this line (KitAdapter.rollbackNote). */
  rollbackNote: string;
}

export interface GenerateInput {
  root: string;
  config: DrizzleConfig;
  schemaEdits: FileEdit[];
  relocations: Relocation[];
  name: string;
  /**
   * `move` (default): the previous snapshot shows the objects already moved, so drizzle-kit
   * writes nothing for them. `copy`: it does not show them at all, so drizzle-kit creates them
   * in their target schemas.
   */
  strategy?: 'move' | 'copy';
}

/**
 * Has the project's own drizzle-kit write the migration, in a throwaway copy
 * of the project, told about the moves the way its line allows (kitAdapter):
 * it writes every other pending change (CREATE SCHEMA at least) with its own
 * naming, snapshot and folder conventions, and the patch stage adds the moves.
 */
export async function generateMigration(input: GenerateInput): Promise<GeneratedMigration> {
  const { root, config } = input;
  // drizzle-kit runs in a copy of the project folder; a migrations folder or schema file of another
  // package of the workspace (Dokploy's, onlook's) is copied beside it, where the config finds it.
  const beside = [
    ...(isInsideProject(config.out, root) ? [] : [besideProject(config.out, root, 'the migrations folder', 'folder')]),
    ...input.schemaEdits.filter((e) => !isInsideProject(e.path, root)).map((e) => besideProject(e.path, root, 'a schema file to move', 'file')),
  ];
  const adapter = adapterFor(resolveDrizzleKit(root));
  adapter.checkFolder(config, root);
  const shadow = ShadowProject.create(root, beside);
  try {
    for (const edit of input.schemaEdits) shadow.write(edit.path, edit.after);
    checkpoint('generate:before-kit');
    const written = await adapter.generate({
      root,
      config,
      relocations: input.relocations,
      strategy: input.strategy ?? 'move',
      cwd: shadow.root,
      configArg: relative(root, config.path),
      out: shadow.map(config.out),
      name: input.name,
      // drizzle-kit's messages name files by their shadow path, a folder gone by the time the user reads them.
      describe: (run) => kitOutputExcerpt(run).split(shadow.root).join(root),
    });
    checkpoint('generate:after-kit');
    return {
      tag: written.tag,
      sqlPath: join(config.out, written.sqlFile),
      statements: splitStatements(written.sql, written.breakpoints),
      breakpoints: written.breakpoints,
      when: written.when,
      relocations: written.relocations,
      rollbackPath: adapter.besideMigration(config, written.tag, 'rollback'),
      dropSourcePath: adapter.besideMigration(config, written.tag, 'drop-source'),
      files: written.files.map(({ file, after }) => {
        const path = join(config.out, file);
        return { path, before: existsSync(path) ? readFileSync(path, 'utf8') : undefined, after };
      }),
      snapshots: written.snapshots,
      kit: adapter.kit,
      warnings: written.warnings,
      line: adapter.line,
      rollbackNote: adapter.rollbackNote,
    };
  } finally {
    shadow.dispose();
  }
}

/** drizzle-kit's statements: split on its breakpoints, or on statement ends when breakpoints are off. */
export function splitStatements(sql: string, breakpoints: boolean): string[] {
  const withoutCustomHeader = sql.replace(/^-- Custom SQL migration file, put your code below! --\s*/, '');
  const parts = breakpoints ? withoutCustomHeader.split(BREAKPOINT) : withoutCustomHeader.split(/(?<=;)\s*\n/);
  return parts.map((s) => s.trim()).filter(Boolean);
}
