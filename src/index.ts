export { move, type MoveOptions, type MoveResult, type MovedObject } from './move';
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
