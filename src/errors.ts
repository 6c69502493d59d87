/**
 * The exit-code contract: 0 done or nothing to do, 1 a check or verification
 * failed, 2 usage, configuration or input error. Known failures are typed so
 * the CLI can print one line (with file and line where it applies) and pick
 * the exit code without inspecting messages.
 */
export type ExitCode = 0 | 1 | 2;

export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

export function formatLocation(loc: SourceLocation): string {
  return `${loc.file}:${loc.line}:${loc.column}`;
}

export abstract class ReschemaError extends Error {
  abstract readonly exitCode: ExitCode;
  constructor(
    message: string,
    readonly location?: SourceLocation,
  ) {
    super(location ? `${formatLocation(location)}: ${message}` : message);
    this.name = new.target.name;
  }
}

/** The user's files or arguments describe something the tool cannot do. */
export class InputError extends ReschemaError {
  readonly exitCode = 2 as const;
}

/** The project's configuration (drizzle config, migrations folder, tsconfig) is missing or unusable. */
export class ConfigError extends ReschemaError {
  readonly exitCode = 2 as const;
}

/** A tool the pipeline depends on (drizzle-kit, prettier, the database engine) failed. */
export class ToolError extends ReschemaError {
  readonly exitCode = 2 as const;
}

/** A check or verification ran and found a difference. */
export class VerificationError extends ReschemaError {
  readonly exitCode = 1 as const;
}

export function isReschemaError(error: unknown): error is ReschemaError {
  return error instanceof ReschemaError;
}

/**
 * The row generator cannot fill a table for the embedded check: names the
 * table and the constraint (or column) it could not satisfy, and why.
 */
export class SeedError extends ToolError {
  constructor(
    readonly table: string,
    readonly constraint: string | undefined,
    readonly reason: string,
  ) {
    super(
      `the test data, not the migration: the row generator cannot fill table ${table}${constraint ? `, constraint ${constraint}` : ''}: ${reason}; ` +
        'verify with --database-url on a copy with real rows, or move with --no-verify',
    );
  }
}
