import { relative } from 'node:path';
import { armFault, checkpoint } from './faults';
import { planMove, type PlanOptions } from './plan/planMove';
import type { MovePlan, ObjectKind } from './plan/types';
import { formatFiles } from './rewrite/formatFiles';
import { rewriteSchemaFiles } from './rewrite/rewriteSchemaFiles';
import { unifiedDiff, type FileChange } from './report/unifiedDiff';
import { writeChanges } from './write/writeChanges';

export interface MoveOptions extends PlanOptions {
  /** Compute everything, write nothing. */
  dryRun?: boolean;
  /** Also generate and patch the migration (default true). */
  migration?: boolean;
  /** Make the run fail at a named checkpoint (tests only). */
  failAt?: string;
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
  /** Every file the run writes (or would write, with dryRun). */
  changes: FileChange[];
  /** Unified diff of `changes`. */
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
  const plan = planMove(options);
  checkpoint('plan:done');
  const rewritten = rewriteSchemaFiles(plan);
  const { edits, formatted } = await formatFiles(rewritten);
  checkpoint('rewrite:done');

  const changes: FileChange[] = edits.map((e) => ({ path: e.path, before: e.before, after: e.after }));
  const root = plan.projectRoot;
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
    changes,
    diff: unifiedDiff(changes, root),
    formatted: formatted.map((f) => relative(root, f)),
    warnings: plan.warnings,
    written,
  };
}
