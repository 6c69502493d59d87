import { isAbsolute, relative } from 'node:path';
import type { MoveResult } from '../move';
import {
  REPORT_VERSION,
  type CheckOutcome,
  type FileRole,
  type HazardReport,
  type MoveReport,
  type ReportedFile,
  type ReportedForeignKey,
  type VerificationReport,
  type VerifyCommandReport,
} from './types';
import { changedLines, unifiedDiff, type FileChange } from './unifiedDiff';

export interface ReportContext {
  /** The project root the result's paths are relative to. */
  root: string;
  dryRun: boolean;
  check?: CheckOutcome;
  hazards?: HazardReport;
  verification?: VerificationReport;
}

const slash = (path: string) => path.split('\\').join('/');

/** The MoveResult as the report formats see it: relative paths, file roles, line counts, FK directions. */
export function buildMoveReport(result: MoveResult, context: ReportContext): MoveReport {
  const { root } = context;
  const roleOf = (change: FileChange): FileRole => {
    const rel = slash(relative(root, change.path));
    if (result.migration && rel === slash(result.migration.sqlPath)) return 'migration';
    if (result.migration && rel === slash(result.migration.rollbackPath)) return 'rollback';
    // drizzle-kit 0.x: meta/<idx>_snapshot.json; 1.0: <timestamp>_<name>/snapshot.json.
    if (/(^|\/)meta\/[^/]*_snapshot\.json$|(^|\/)\d{14}_[^/]+\/snapshot\.json$/.test(rel)) return 'snapshot';
    if (/(^|\/)meta\/_journal\.json$/.test(rel)) return 'journal';
    return 'schema';
  };
  const files: ReportedFile[] = result.changes.map((change) => {
    const { additions, deletions } = changedLines(change);
    return {
      path: slash(relative(root, change.path)),
      status: change.before === undefined ? 'added' : 'modified',
      role: roleOf(change),
      additions,
      deletions,
    };
  });
  const schemaChanges = result.changes.filter((c) => roleOf(c) === 'schema');
  return {
    version: REPORT_VERSION,
    command: 'move',
    mode: context.check ? 'check' : context.dryRun ? 'dry-run' : 'write',
    written: result.written,
    moves: result.moves,
    alreadyInPlace: result.alreadyInPlace,
    foreignKeys: reportForeignKeys(result, root),
    files,
    ...(result.migration ? { migration: { ...result.migration, hazards: result.hazards } } : {}),
    schemaDiff: unifiedDiff(schemaChanges, root),
    diff: result.diff,
    formatted: result.formatted.map(slash),
    warnings: result.warnings,
    ...(context.hazards ? { hazards: context.hazards } : {}),
    ...(context.verification ? { verification: context.verification } : {}),
    ...(context.check ? { check: context.check } : {}),
  };
}

export function buildVerifyCommandReport(verification: VerificationReport, hazards?: HazardReport): VerifyCommandReport {
  return { version: REPORT_VERSION, command: 'verify', verification, ...(hazards ? { hazards } : {}) };
}


/**
 * The plan records foreign keys with the schemas after the move; the schemas
 * before come from the moves themselves.
 */
function reportForeignKeys(result: MoveResult, root: string): ReportedForeignKey[] {
  const fromSchema = new Map<string, string>();
  for (const m of result.moves) if (m.kind === 'table') fromSchema.set(`${m.to}.${m.name}`, m.from);
  const before = (schema: string, table: string) => fromSchema.get(`${schema}.${table}`) ?? schema;
  return result.foreignKeys.map((fk) => ({
    from: {
      schema: fk.fromTable.schema,
      table: fk.fromTable.name,
      file: slash(isAbsolute(fk.location.file) ? relative(root, fk.location.file) : fk.location.file),
      line: fk.location.line,
    },
    columns: fk.columns,
    ...(fk.to ? { to: { schema: fk.to.schema, table: fk.to.name, column: fk.column, columns: fk.to.columns } } : {}),
    before: {
      fromSchema: before(fk.fromTable.schema, fk.fromTable.name),
      ...(fk.to ? { toSchema: before(fk.to.schema, fk.to.name) } : {}),
    },
    crossSchema: fk.to !== undefined && fk.to.schema !== fk.fromTable.schema,
  }));
}
