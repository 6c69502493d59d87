import { join } from 'node:path';
import { compatViewsLeft, type CompatViewRecord } from '../patch/contractMigration';
import { loadMigrationSet } from '../verify/migrationSet';
import { loadDrizzleConfig } from '../generate/drizzleConfig';
import type { MoveResult } from '../move';
import { buildMoveReport } from './buildReport';
import { checkTargetState, readLatestSnapshot } from './check';
import { scanHazards, type CatalogEntry } from './hazards';
import type { HazardReport, MoveReport, VerificationReport } from './types';

export interface ReportMoveOptions {
  /** Project root (the move's cwd, resolved). */
  root: string;
  dryRun: boolean;
  /** --check: decide whether the repository is already in the target state. */
  check?: boolean;
  /** Whether migrations are part of the target state (false with --no-migration). */
  migration?: boolean;
  /** --config, as given to the move. */
  config?: string;
  /** Roles given to --grant. */
  grants?: string[];
  /** The database's views, functions, policies and triggers (readCatalog), for --database-url. */
  database?: CatalogEntry[];
  verification?: VerificationReport;
}

/**
 * The hazard scan of a move: code (and the database's catalog, when read) that
 * names the moved objects. It needs only what moves, so the CLI runs it while
 * the move is still generating (MoveOptions.onPlan); reportMove runs it
 * otherwise.
 */
export function scanMoveHazards(
  planned: Pick<MoveResult, 'moves' | 'alreadyInPlace'> & Partial<Pick<MoveResult, 'ownedSequences'>>,
  options: Pick<ReportMoveOptions, 'root' | 'config' | 'grants' | 'database'>,
): HazardReport {
  const { root } = options;
  const migrationsFolder = (() => {
    try {
      return loadDrizzleConfig(root, options.config).out;
    } catch {
      return join(root, 'drizzle');
    }
  })();
  return scanHazards({
    root,
    objects: [...planned.moves, ...planned.alreadyInPlace, ...(planned.ownedSequences ?? [])],
    // Migrations are history: they name the old schema, and must.
    exclude: [migrationsFolder, join(root, 'supabase', 'migrations')],
    migrationsFolder,
    grants: options.grants ?? [],
    ...(options.database ? { database: options.database } : {}),
  });
}

/** The compat views the project's migrations leave (none when they cannot be read: --check says what it can). */
function compatLeft(root: string, config: string | undefined): CompatViewRecord[] {
  try {
    return compatViewsLeft(loadMigrationSet(root, loadDrizzleConfig(root, config), () => '', undefined).steps.map((s) => s.sql));
  } catch {
    return [];
  }
}

/**
 * The report stage after a move: the hazard scan, --check's verdict, and the
 * report every format renders. Reads files and the database; writes nothing.
 */
export async function reportMove(result: MoveResult, options: ReportMoveOptions & { hazards?: HazardReport }): Promise<MoveReport> {
  const { root } = options;
  const hazards = options.hazards ?? scanMoveHazards(result, options);
  const migrationsChecked = options.check && options.migration !== false && result.moves.length === 0;
  const check = options.check
    ? checkTargetState(
        result,
        root,
        migrationsChecked ? await readLatestSnapshot(root, loadDrizzleConfig(root, options.config)) : undefined,
        migrationsChecked ? compatLeft(root, options.config) : [],
      )
    : undefined;
  return buildMoveReport(result, {
    root,
    dryRun: options.dryRun,
    hazards,
    ...(check ? { check } : {}),
    ...(options.verification ? { verification: options.verification } : {}),
  });
}
