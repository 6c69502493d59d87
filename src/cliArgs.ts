import { InputError } from './errors';

/** What each command's handler gets: the parsed, checked arguments. */
export interface MoveArgs {
  files: string[];
  to?: string;
  tables?: string[];
  enums?: string[];
  /** --map schema=names, parsed. */
  map?: Record<string, string[]>;
  createSchemas?: string[];
  /** --plan: a JSON or YAML file with to/map/createSchemas. */
  plan?: string;
  migration: boolean;
  verify: boolean;
  dryRun: boolean;
  cwd: string;
  config?: string;
  name?: string;
  grant: string[];
  lockTimeout?: number;
  format: 'text' | 'json' | 'markdown';
  /** Exit 1 unless the repository is already in the target state; writes nothing. */
  check: boolean;
  /** Scan this database's views, functions, policies and triggers (read-only). */
  databaseUrl?: string;
  debug: boolean;
  engine: 'pglite' | 'postgres';
  /** Forced on every table; the verification's own rule when absent. */
  rows?: number;
  strategy: 'move' | 'copy';
  keepSource: boolean;
  /** Leave an updatable view of each moved table under its old name (expand; `contract` drops them). */
  compat: boolean;
  /** SQL files run on the throwaway database before the replay. */
  prelude?: string[];
}

export interface VerifyArgs {
  cwd: string;
  config?: string;
  migration?: string;
  engine: 'pglite' | 'postgres';
  /** Forced on every table; the verification's own rule when absent. */
  rows?: number;
  databaseUrl?: string;
  commit: boolean;
  lockTimeout: number;
  statementTimeout: number;
  format: 'text' | 'json' | 'markdown';
  debug: boolean;
  /** SQL files run on the throwaway database before the replay. */
  prelude?: string[];
}

/** A whole number of at least `min`, or a usage error naming the option. */
export function wholeNumber(option: string, min: number) {
  return (value: unknown): number | undefined => {
    if (value === undefined) return undefined;
    if (Array.isArray(value)) throw new InputError(`--${option} given ${value.length} times; give it once`);
    const n = /^\s*-?\d+\s*$/.test(String(value)) ? Number(value) : NaN;
    if (!Number.isInteger(n) || n < min) throw new InputError(`--${option} must be a whole number >= ${min}, got '${String(value)}'`);
    return n;
  };
}

export interface ContractArgs {
  cwd: string;
  config?: string;
  name?: string;
  dryRun: boolean;
  verify: boolean;
  engine: 'pglite' | 'postgres';
  rows?: number;
  lockTimeout?: number;
  format: 'text' | 'json';
  debug: boolean;
  prelude?: string[];
}

export interface PreflightArgs {
  files: string[];
  databaseUrl?: string;
  cwd: string;
  config?: string;
  to?: string;
  map?: Record<string, string[]>;
  tables?: string[];
  enums?: string[];
  plan?: string;
  longTransactionSeconds: number;
  format: 'text' | 'json';
  debug: boolean;
  /** SQL files run on the throwaway PGlite before the replay, as for verify. */
  prelude?: string[];
}

/**
 * --tables, --enums and --grant take one value each time they appear (not an
 * array, which would swallow the file names after them), split on commas.
 */
export const list = (values: string | string[] | undefined) =>
  values === undefined
    ? undefined
    : [values].flat().flatMap((v) => String(v).split(',')).map((v) => v.trim()).filter(Boolean);

/** yargs makes an array of a repeated string option; for these, a second value is a mistake, not a list. */
export function once(value: string | string[], flag: string): string {
  if (Array.isArray(value)) throw new InputError(`${flag} given ${value.length} times (${value.join(', ')}); give it once`);
  return String(value);
}

/** A whole, non-negative number of milliseconds; anything else is a usage error rather than a silent null. */
export function parseLockTimeout(value: string | string[] | undefined): number | undefined {
  if (value === undefined) return undefined;
  const values = [value].flat();
  const text = String(values[values.length - 1]).trim();
  if (values.length > 1) throw new InputError(`--lock-timeout given ${values.length} times; give it once`);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new InputError(`--lock-timeout: '${text}' is not a whole number of milliseconds (e.g. --lock-timeout 5000)`);
  }
  return Number(text);
}
