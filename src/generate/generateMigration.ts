import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ToolError } from '../errors';
import { checkpoint } from '../faults';
import type { FileChange } from '../report/unifiedDiff';
import type { FileEdit } from '../rewrite/rewriteSchemaFiles';
import { findConfigFile, type DrizzleConfig } from './drizzleConfig';
import {
  kitErrorLine,
  kitOutputExcerpt,
  resolveDrizzleKit,
  runDrizzleKit,
  KIT_RUNNER,
  startDrizzleKit,
  type DrizzleKit,
  type GatedKitRun,
  type KitRun,
  type StartedDrizzleKit,
} from './drizzleKit';
import { readMigrationsState, type Journal, type PgSnapshot } from './migrationsFolder';
import { hideRelocatedObjects, relocateSnapshot, type Relocation } from './relocateSnapshot';
import { ShadowProject, assertInsideProject } from './shadowProject';

export const BREAKPOINT = '--> statement-breakpoint';

export interface GeneratedMigration {
  tag: string;
  /** Project path the SQL file will have. */
  sqlPath: string;
  /** drizzle-kit's statements, in its order (empty for a migration it had nothing to say about). */
  statements: string[];
  breakpoints: boolean;
  /** Relocations of objects the previous snapshot knows: these need SQL. */
  relocations: Relocation[];
  /** The snapshot and journal changes (the SQL file is the patch stage's). */
  files: FileChange[];
  previous: PgSnapshot | undefined;
  next: PgSnapshot;
  kit: DrizzleKit;
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
  /** A drizzle-kit process started ahead (startDrizzleKit); it runs the first generate. */
  started?: StartedDrizzleKit;
  /** A generate already under way in its own copy of the project (startEarlyGenerate). */
  early?: EarlyGenerate;
}

/**
 * drizzle-kit's `generate`, started before the plan exists, in a copy of the
 * project made at once: it loads its bundle and the drizzle config, then waits
 * at its first read of anything else (the migrations folder comes first)
 * until generateMigration has written the rewritten schema files and the
 * relocated snapshot into the copy. What is left of its run after that is the
 * part that depends on them.
 */
export interface EarlyGenerate {
  root: string;
  configPath: string;
  name: string;
  kitBin: string;
  shadow: ShadowProject;
  run: GatedKitRun;
  /** generateMigration takes it over: from then on it ends the run and removes the copy itself. */
  take(): void;
  /** Ends it and removes its copy, unless generateMigration took it over; harmless twice. */
  dispose(): void;
}

export function startEarlyGenerate(root: string, configOption: string | undefined, name: string): EarlyGenerate | undefined {
  if (!existsSync(KIT_RUNNER)) return undefined;
  let shadow: ShadowProject | undefined;
  try {
    const configPath = findConfigFile(root, configOption);
    const kit = resolveDrizzleKit(root);
    const started = startDrizzleKit(kit, root);
    shadow = ShadowProject.create(root);
    const configArg = relative(root, configPath);
    const allow = [shadow.map(configPath), join(shadow.root, 'package.json'), join(shadow.root, 'tsconfig.json')];
    const run = started.runGated(['generate', '--config', configArg, '--name', name], shadow.root, allow);
    const own = shadow;
    let taken = false;
    return {
      root,
      configPath,
      name,
      kitBin: kit.bin,
      shadow: own,
      run,
      take() {
        taken = true;
      },
      dispose() {
        if (taken) return;
        taken = true;
        run.cancel();
        started.dispose();
        own.dispose();
      },
    };
  } catch {
    // Nothing started that matters: generateMigration starts drizzle-kit itself and says what is wrong.
    shadow?.dispose();
    return undefined;
  }
}

/**
 * Starts the project's drizzle-kit before the plan is made, to be handed its
 * work by generateMigration. Undefined when it cannot be found (generateMigration
 * then says why, after the plan has had its say), or when the compiled runner
 * is not at hand (the TypeScript sources run by jest): drizzle-kit then starts
 * when its work is ready.
 */
export function startProjectDrizzleKit(root: string): StartedDrizzleKit | undefined {
  if (!existsSync(KIT_RUNNER)) return undefined;
  try {
    return startDrizzleKit(resolveDrizzleKit(root), root);
  } catch {
    return undefined;
  }
}

/**
 * Has the project's own drizzle-kit write the migration, in a throwaway copy
 * of the project whose latest snapshot already shows the moved objects in
 * their new schema: drizzle-kit then sees no move, asks nothing, and writes
 * every other pending change (CREATE SCHEMA at least) with its own naming,
 * snapshot and journal conventions.
 */
export async function generateMigration(input: GenerateInput): Promise<GeneratedMigration> {
  const { root, config } = input;
  assertInsideProject(config.out, root, 'the migrations folder');
  const state = readMigrationsState(config.out, root);
  const kit = resolveDrizzleKit(root);
  // The early run fits only if it was started with what this run needs; otherwise it is ended.
  const early =
    input.early && input.early.root === root && input.early.configPath === config.path && input.early.name === input.name && input.early.kitBin === kit.bin
      ? input.early
      : undefined;
  if (input.early && !early) input.early.dispose();
  early?.take();
  const shadow = early ? early.shadow : ShadowProject.create(root);
  try {
    for (const edit of input.schemaEdits) shadow.write(edit.path, edit.after);
    let relocations: Relocation[] = [];
    if (state.head) {
      const doctor = input.strategy === 'copy' ? hideRelocatedObjects : relocateSnapshot;
      const doctored = doctor(state.head.snapshot, input.relocations);
      relocations = doctored.applied;
      writeFileSync(shadow.map(state.head.path), JSON.stringify(doctored.snapshot, null, 2));
    }
    // drizzle-kit's messages name files by their shadow path, a folder gone by the time the user reads them.
    const said = (run: KitRun) => kitOutputExcerpt(run).split(shadow.root).join(root);
    const shadowOut = shadow.map(config.out);
    const before = listFiles(shadowOut);
    const configArg = relative(root, config.path);

    checkpoint('generate:before-kit');
    const args = ['generate', '--config', configArg, '--name', input.name];
    if (early) early.run.go();
    const run = await (early
      ? early.run.result
      : input.started?.kit.bin === kit.bin
        ? input.started.run(args, shadow.root)
        : runDrizzleKit(kit, args, shadow.root));
    // drizzle-kit 0.31 exits 0 when a schema file fails to load, printing only the error.
    if (run.code !== 0 || (listFiles(shadowOut).length === before.length && kitErrorLine(run))) {
      throw new ToolError(`drizzle-kit ${kit.version} generate failed (exit ${run.code}): ${said(run)}`);
    }
    let added = listFiles(shadowOut).filter((f) => !before.includes(f));
    if (added.length === 0) {
      // Written nothing: either there was nothing but the move to say (then an empty custom
      // migration carries it), or drizzle-kit wanted an answer only a TTY can give.
      if (!/No schema changes/i.test(run.stdout + run.stderr)) {
        throw new ToolError(
          `drizzle-kit ${kit.version} generate wrote nothing and did not report an unchanged schema; it probably needs an answer (a rename?) that only a terminal can give. Resolve other pending schema changes with drizzle-kit first. drizzle-kit said: ${said(run)}`,
        );
      }
      const custom = await runDrizzleKit(kit, ['generate', '--custom', '--config', configArg, '--name', input.name], shadow.root);
      added = listFiles(shadowOut).filter((f) => !before.includes(f));
      if (custom.code !== 0 || added.length === 0) {
        throw new ToolError(`drizzle-kit ${kit.version} generate --custom failed (exit ${custom.code}): ${said(custom)}`);
      }
    }
    checkpoint('generate:after-kit');

    const journalPath = join(config.out, 'meta', '_journal.json');
    const journal = JSON.parse(shadow.read(journalPath)) as Journal;
    const entry = journal.entries[journal.entries.length - 1];
    if (!entry || journal.entries.length !== state.journal.entries.length + 1) {
      throw new ToolError(`drizzle-kit ${kit.version} did not add exactly one journal entry`);
    }
    const sqlRel = `${entry.tag}.sql`;
    const snapshotRel = added.find((f) => f.startsWith('meta/') && f.endsWith('_snapshot.json'));
    if (!added.includes(sqlRel) || !snapshotRel || added.length !== 2) {
      throw new ToolError(`drizzle-kit ${kit.version} wrote unexpected files: ${added.join(', ')}`);
    }
    const sql = readFileSync(join(shadowOut, sqlRel), 'utf8');
    const snapshotText = readFileSync(join(shadowOut, snapshotRel), 'utf8');
    return {
      tag: entry.tag,
      sqlPath: join(config.out, sqlRel),
      statements: splitStatements(sql, entry.breakpoints),
      breakpoints: entry.breakpoints,
      relocations,
      files: [
        { path: join(config.out, snapshotRel), before: undefined, after: snapshotText },
        { path: journalPath, before: readFileSync(journalPath, 'utf8'), after: shadow.read(journalPath) },
      ],
      previous: state.head?.snapshot,
      next: JSON.parse(snapshotText) as PgSnapshot,
      kit,
    };
  } finally {
    // An early run that never got its `go` (a failure before it) would wait for ever.
    early?.run.cancel();
    shadow.dispose();
  }
}

function listFiles(dir: string, prefix = ''): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`],
  );
}

/** drizzle-kit's statements: split on its breakpoints, or on statement ends when breakpoints are off. */
export function splitStatements(sql: string, breakpoints: boolean): string[] {
  const withoutCustomHeader = sql.replace(/^-- Custom SQL migration file, put your code below! --\s*/, '');
  const parts = breakpoints ? withoutCustomHeader.split(BREAKPOINT) : withoutCustomHeader.split(/(?<=;)\s*\n/);
  return parts.map((s) => s.trim()).filter(Boolean);
}
