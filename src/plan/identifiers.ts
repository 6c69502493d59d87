import { InputError, type SourceLocation } from '../errors';

/** Postgres truncates identifiers to NAMEDATALEN - 1 bytes. */
export const MAX_IDENTIFIER_BYTES = 63;

/**
 * A schema name the tool will write into TypeScript and SQL. Drizzle quotes
 * every identifier, so capitals are legal, but quotes, NUL bytes and names
 * Postgres reserves for itself are not.
 */
export function validateSchemaName(name: string, what: string): void {
  const bytes = Buffer.byteLength(name, 'utf8');
  if (name.length === 0) throw new InputError(`${what}: the schema name is empty`);
  if (bytes > MAX_IDENTIFIER_BYTES) {
    throw new InputError(`${what}: schema name '${name}' is ${bytes} bytes; Postgres allows at most ${MAX_IDENTIFIER_BYTES}`);
  }
  if (!/^[A-Za-z_][A-Za-z0-9_$]*$/.test(name)) {
    throw new InputError(
      `${what}: '${name}' is not a valid schema name (letters, digits, _ and $, not starting with a digit)`,
    );
  }
  if (/^pg_/i.test(name) || name === 'information_schema') {
    throw new InputError(`${what}: schema name '${name}' is reserved by Postgres`);
  }
}

function bytesOver(name: string): number | undefined {
  const bytes = Buffer.byteLength(name, 'utf8');
  return bytes > MAX_IDENTIFIER_BYTES ? bytes : undefined;
}

/**
 * The SQL name of an object that moves. Drizzle quotes it, so quotes, spaces
 * and capitals are legal; but Postgres would silently cut a longer name to
 * 63 bytes, and the migration would then name another object (or none).
 */
export function validateObjectName(kind: string, name: string, location: SourceLocation): void {
  const bytes = bytesOver(name);
  if (bytes !== undefined) {
    throw new InputError(
      `${kind} name '${name.slice(0, 20)}...' is ${bytes} bytes; Postgres cuts identifiers to ${MAX_IDENTIFIER_BYTES} bytes, so the migration would name another object`,
      location,
    );
  }
  if (name.length === 0) throw new InputError(`${kind} name is empty`, location);
  if (name.includes('\0')) throw new InputError(`${kind} name contains a NUL byte`, location);
}

/** A role for --grant: quoted in the SQL (so `"` and `;` cannot escape), but it must be a name Postgres keeps whole. */
export function validateRoleName(role: string): void {
  if (role.length === 0) throw new InputError('--grant: the role name is empty');
  if (role.includes('\0')) throw new InputError('--grant: the role name contains a NUL byte');
  const bytes = bytesOver(role);
  if (bytes !== undefined) {
    throw new InputError(`--grant: role name '${role.slice(0, 20)}...' is ${bytes} bytes; Postgres allows at most ${MAX_IDENTIFIER_BYTES}`);
  }
  if (role.toLowerCase() === 'public') {
    throw new InputError("--grant: 'public' means every role, quoted or not; refusing to open the target schema to everyone (grant to a real role)");
  }
}

/**
 * The name part of the migration file, passed to drizzle-kit's --name: it
 * becomes a file name, so no path separators, dots or shell-looking text.
 */
export function validateMigrationName(name: string): void {
  if (!/^[A-Za-z0-9_-]{1,100}$/.test(name) || name.startsWith('-')) {
    throw new InputError(
      `--name: '${name.slice(0, 40)}' is not a usable migration name (letters, digits, _ and -, not starting with -, at most 100)`,
    );
  }
}

/** Postgres reads lock_timeout as a 32-bit count of milliseconds. */
export const MAX_LOCK_TIMEOUT_MS = 2_147_483_647;

export function validateLockTimeout(ms: number): void {
  if (!Number.isSafeInteger(ms) || ms < 0 || ms > MAX_LOCK_TIMEOUT_MS) {
    throw new InputError(`--lock-timeout: ${ms} is not a whole number of milliseconds between 0 and ${MAX_LOCK_TIMEOUT_MS}`);
  }
}
