import { InputError } from '../errors';

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
