export { move, MoveNotVerifiedError, type MoveOptions, type MoveResult, type MovedObject } from './move';
export { planMove, type PlanOptions } from './plan/planMove';
export type { MovePlan, ObjectKind, ObjectMove, ForeignKeyRef } from './plan/types';
export { rewriteSchemaFiles, type FileEdit } from './rewrite/rewriteSchemaFiles';
export { unifiedDiff, type FileChange } from './report/unifiedDiff';
export {
  ReschemaError,
  InputError,
  ConfigError,
  ToolError,
  VerificationError,
  type ExitCode,
} from './errors';
export { reportMove, type ReportMoveOptions } from './report/reportMove';
export { buildMoveReport, buildVerifyCommandReport } from './report/buildReport';
export { renderJson } from './report/json';
export { renderMarkdown, renderVerificationMarkdown } from './report/markdown';
export { renderText, renderVerificationText } from './report/text';
export { scanHazards, readCatalog } from './report/hazards';
export type { MoveReport, VerifyCommandReport, VerificationReport, VerificationRow, HazardReport, CheckOutcome } from './report/types';
export { verifyProject, type VerifyProjectOptions } from './verify/verifyProject';
export { verifyMigration, movesBetween, type VerifyOptions, type VerifyReport, type VerifyRow } from './verify/verifyMigration';
export { loadMigrationSet, type MigrationSet, type MigrationStep } from './verify/migrationSet';
export { toVerificationReport, renderVerifyText } from './report/verifyTable';
export { preflight, exitCodeOf, type PreflightOptions, type PreflightReport } from './preflight/preflight';
export { contract, type ContractOptions, type ContractResult } from './contract/contract';
