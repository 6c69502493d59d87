import type { MigrationResult, MovedObject } from '../move';
import type { ObjectKind } from '../plan/types';

/**
 * The report stage's values. Everything here is plain data: the JSON
 * renderer is `JSON.stringify`, and the shape is documented by
 * schema/report.schema.json. Bump REPORT_VERSION on any change that is not
 * an added optional field.
 */
export const REPORT_VERSION = 1 as const;

/** One object compared before and after a migration on a throwaway database. */
export interface VerificationRow {
  /** `schema.name` as it was before (tables, sequences) or a description (`index entities_owner_id_idx`). */
  object: string;
  /** `table`, `index`, `constraint`, `sequence`, `rows`, ... as the verify stage names it. */
  kind: string;
  before: string | number | null;
  after: string | number | null;
  ok: boolean;
}

/** What a verification run found; produced by the verify stage, rendered here. */
export interface VerificationReport {
  /** The database engine the migration was replayed on (`pglite`, `postgres`). */
  engine?: string;
  /** What the rows were: "on N generated rows per table in M tables (not your data: ...)"; absent on a live database. */
  data?: string;
  /** Checks that did not run: shown as "not checked", never counted as passed. */
  notChecked?: string[];
  rows: VerificationRow[];
  summary: { ok: boolean; checked: number; failed: number };
  /** Wall time per phase of the verification (`start`, `replay`, `seed`, `fingerprint`, `drift`, ...), in milliseconds. */
  timingsMs?: Record<string, number>;
}

/** Raw SQL in the project's own files that names a moved object without its new schema. */
export interface CodeHazard {
  /** Project-relative path, forward slashes. */
  file: string;
  line: number;
  column: number;
  /** Where the SQL was found. */
  source: 'sql-template' | 'query-string' | 'sql-file' | 'supabase-from';
  kind: ObjectKind;
  /** The object's SQL name. */
  object: string;
  /** The text as written (`public.entities`, `"entities"`). */
  found: string;
  /** What to write instead: `"growth"."entities"`. */
  use: string;
}

/** A database object whose definition names a moved object. */
export interface DatabaseHazard {
  kind: 'view' | 'materializedView' | 'function' | 'policy' | 'trigger';
  /** `schema.name` of the view/function, `schema.table: policy` for policies, `schema.table: trigger` for triggers. */
  name: string;
  object: string;
  found: string;
  use: string;
  /**
   * Views, materialized views and policies are bound to the table's OID and
   * follow ALTER ... SET SCHEMA; function bodies are resolved by name at call time.
   */
  followsMove: boolean;
}

export interface SupabaseAdvice {
  /** Project-relative path of supabase/config.toml. */
  configPath: string;
  /** `[api] schemas` as configured (PostgREST's exposed schemas). */
  exposedSchemas: string[];
  /** Target schemas the API does not expose. */
  notExposed: string[];
  /** Roles among anon, authenticated, service_role that --grant did not cover. */
  rolesWithoutGrants: string[];
  /** Statements to add to a migration (empty when --grant covered every role). */
  grants: string[];
}

export interface HazardReport {
  code: CodeHazard[];
  /** Undefined when no --database-url was given. */
  database?: DatabaseHazard[];
  supabase?: SupabaseAdvice;
  /** Files read by the scan. */
  filesScanned: number;
}

/** The outcome of --check: is the repository already in the target state? */
export interface CheckOutcome {
  ok: boolean;
  /** One line per object or file that is not in the target state. */
  reasons: string[];
  /** One line per selected object that is in the target state. */
  inPlace: string[];
}

export type FileRole = 'schema' | 'migration' | 'rollback' | 'snapshot' | 'journal';

export interface ReportedFile {
  path: string;
  status: 'added' | 'modified';
  role: FileRole;
  additions: number;
  deletions: number;
}

/** One foreign key constraint of a moved table, or of a table pointing at a moved one. */
export interface ReportedForeignKey {
  from: { schema: string; table: string; file: string; line: number };
  /** The constraint's columns, by SQL name. */
  columns: string[];
  /**
   * The referenced table; undefined when the target identifier is not a known table.
   * `column` is the first referenced TypeScript property as written; `columns` the referenced SQL columns.
   */
  to?: { schema: string; table: string; column: string; columns: string[] };
  /** Before the move, as the code had it. */
  before: { fromSchema: string; toSchema?: string };
  crossSchema: boolean;
}

/** What `move` did (or would do), as every format reports it. */
export interface MoveReport {
  version: typeof REPORT_VERSION;
  command: 'move';
  mode: 'write' | 'dry-run' | 'check';
  written: boolean;
  moves: MovedObject[];
  alreadyInPlace: MovedObject[];
  foreignKeys: ReportedForeignKey[];
  files: ReportedFile[];
  /** The migration, and what its patching could not make safe (`hazard:` lines of the text output). */
  migration?: MigrationResult & { hazards: string[] };
  /** Unified diff of the schema files only (what a TypeScript reviewer reads). */
  schemaDiff: string;
  /** Unified diff of everything a reviewer reads: schema files, migration and rollback. */
  diff: string;
  formatted: string[];
  warnings: string[];
  hazards?: HazardReport;
  verification?: VerificationReport;
  check?: CheckOutcome;
}

/** What `verify` found, for the lead's verify command. */
export interface VerifyCommandReport {
  version: typeof REPORT_VERSION;
  command: 'verify';
  verification: VerificationReport;
  hazards?: HazardReport;
}
