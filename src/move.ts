import { join, relative, resolve } from 'node:path';
import { armFault, checkpoint } from './faults';
import { loadDrizzleConfig, type DrizzleConfig } from './generate/drizzleConfig';
import type { StartedDrizzleKit } from './generate/drizzleKit';
import { generateMigration, startProjectDrizzleKit } from './generate/generateMigration';
import type { Relocation } from './generate/relocateSnapshot';
import { patchMigration } from './patch/patchMigration';
import { isOneShotProcess } from './processMode';
import type { PlanOptions } from './plan/planMove';
import type { MovePlan, ObjectKind } from './plan/types';
import { startFormatter, type Formatter } from './rewrite/formatFiles';
import { rewriteSchemaFiles } from './rewrite/rewriteSchemaFiles';
import { unifiedDiff, type FileChange } from './report/unifiedDiff';
import { writeChanges } from './write/writeChanges';

export interface MoveOptions extends PlanOptions {
  /** Compute everything, write nothing. */
  dryRun?: boolean;
  /** Also generate and patch the migration (default true). */
  migration?: boolean;
  /** Path of the drizzle config (default: the names drizzle-kit looks for, in `cwd`). */
  config?: string;
  /** Name part of the migration file (default `move_to_<schema>`). */
  name?: string;
  /** Roles that get USAGE and table/sequence privileges on the target schemas. */
  grant?: string[];
  /** Puts `SET lock_timeout` at the top of the migration. */
  lockTimeoutMs?: number;
  /** Make the run fail at a named checkpoint (tests only). */
  failAt?: string;
}

/** The migration the run wrote (or would write). */
export interface MigrationResult {
  tag: string;
  sqlPath: string;
  rollbackPath: string;
  sql: string;
  rollbackSql: string;
  /** Statements drizzle-kit generated for other pending changes, kept after the moves. */
  otherChanges: string[];
  drizzleKit: { version: string; source: 'project' | 'bundled' };
}

/** One object's move, as reported. */
export interface MovedObject {
  kind: ObjectKind;
  name: string;
  identifier: string | undefined;
  from: string;
  to: string;
  file: string;
  line: number;
}

export interface MoveResult {
  moves: MovedObject[];
  /** Objects that were selected but already live in their target schema. */
  alreadyInPlace: MovedObject[];
  foreignKeys: MovePlan['foreignKeys'];
  migration?: MigrationResult;
  /** Every file the run writes (or would write, with dryRun). */
  changes: FileChange[];
  /** Unified diff of what a reviewer reads: schema files, the migration and its rollback. */
  diff: string;
  /** Files formatted with the project's prettier config. */
  formatted: string[];
  warnings: string[];
  written: boolean;
}

/**
 * The pipeline: plan -> rewrite -> (generate -> patch -> verify) -> write.
 * Every stage returns values; only the last step touches the disk, and it
 * writes everything or nothing.
 */
export async function move(options: MoveOptions): Promise<MoveResult> {
  armFault(options.failAt ?? process.env.DRIZZLE_RESCHEMA_FAIL_AT);
  // drizzle-kit's process starts now and gets its work once the plan and the shadow copy exist.
  const kit = options.migration !== false ? startProjectDrizzleKit(resolve(options.cwd)) : undefined;
  // So does prettier (in a worker, in the CLI), with the named files: the ones most likely rewritten.
  const formatter = startFormatter(options.files.map((f) => resolve(options.cwd, f)), { oneShot: isOneShotProcess() });
  try {
    return await runMove(options, kit, formatter);
  } finally {
    kit?.dispose();
    formatter.dispose();
  }
}

async function runMove(options: MoveOptions, kit: StartedDrizzleKit | undefined, formatter: Formatter): Promise<MoveResult> {
  // Loaded here, not at the top, so that drizzle-kit's process and prettier's worker start before TypeScript loads.
  const { planMove } = require('./plan/planMove') as typeof import('./plan/planMove');
  const plan = planMove(options);
  checkpoint('plan:done');
  const rewritten = rewriteSchemaFiles(plan);
  checkpoint('rewrite:done');

  const root = plan.projectRoot;
  const wantsMigration = options.migration !== false && plan.moves.length > 0;
  const config = wantsMigration ? loadDrizzleConfig(root, options.config) : undefined;
  const relocations: Relocation[] = plan.moves.map((m) => ({ kind: m.object.kind, name: m.object.name!, from: m.from, to: m.to }));
  const targets = [...new Set(relocations.map((r) => r.to))];
  // drizzle-kit reads the schema's meaning, not its layout: it runs on the unformatted
  // rewrite while prettier formats the same text.
  const generating = config
    ? generateMigration({
        root,
        config,
        schemaEdits: rewritten,
        relocations,
        name: options.name ?? `move_to_${targets.join('_and_')}`,
        ...(kit ? { started: kit } : {}),
      })
    : undefined;
  const [formatting, generation] = await Promise.allSettled([formatter.format(rewritten), generating]);
  if (formatting.status === 'rejected') throw formatting.reason;
  if (generation.status === 'rejected') throw generation.reason;
  const { edits, formatted } = formatting.value;

  const changes: FileChange[] = edits.map((e) => ({ path: e.path, before: e.before, after: e.after }));
  const reviewable = [...changes];
  let migration: MigrationResult | undefined;
  const generated = generation.value;
  if (config && generated) {
    const patched = patchMigration({
      statements: generated.statements,
      breakpoints: generated.breakpoints,
      relocations: generated.relocations,
      grants: options.grant ?? [],
      ...(options.lockTimeoutMs !== undefined ? { lockTimeoutMs: options.lockTimeoutMs } : {}),
      tag: generated.tag,
    });
    checkpoint('patch:done');
    const rollbackPath = rollbackPathFor(config, generated.tag);
    const sqlChange: FileChange = { path: generated.sqlPath, before: undefined, after: patched.sql };
    const rollbackChange: FileChange = { path: rollbackPath, before: undefined, after: patched.rollbackSql };
    changes.push(sqlChange, rollbackChange, ...generated.files);
    reviewable.push(sqlChange, rollbackChange);
    migration = {
      tag: generated.tag,
      sqlPath: relative(root, generated.sqlPath),
      rollbackPath: relative(root, rollbackPath),
      sql: patched.sql,
      rollbackSql: patched.rollbackSql,
      otherChanges: patched.otherChanges,
      drizzleKit: { version: generated.kit.version, source: generated.kit.source },
    };
  }

  const describe = (m: MovePlan['moves'][number]): MovedObject => ({
    kind: m.object.kind,
    name: m.object.name!,
    identifier: m.object.identifier,
    from: m.from,
    to: m.to,
    file: relative(root, m.file),
    line: m.object.location.line,
  });

  const written = !options.dryRun && changes.length > 0;
  if (written) writeChanges(changes);
  return {
    moves: plan.moves.map(describe),
    alreadyInPlace: plan.alreadyInPlace.map(describe),
    foreignKeys: plan.foreignKeys,
    ...(migration ? { migration } : {}),
    changes,
    diff: unifiedDiff(reviewable, root),
    formatted: formatted.map((f) => relative(root, f)),
    warnings: plan.warnings,
    written,
  };
}

/**
 * Beside the migration, outside the journal. Supabase's CLI applies every
 * `<timestamp>_*.sql` in its folder, so with that prefix the rollback goes
 * into a subfolder it does not read.
 */
function rollbackPathFor(config: DrizzleConfig, tag: string): string {
  const dir = config.prefix === 'supabase' ? join(config.out, 'rollbacks') : config.out;
  return join(dir, `${tag}.rollback.sql`);
}
