import type { ObjectKind } from '../plan/types';
import { QUOTED_KEYWORDS } from './keywords';

/**
 * Identifiers and qualified names in SQL.
 *
 * Two spellings, both valid input for any name:
 * - `quoteIdent`/`quoteQualified` spell a name exactly as Postgres prints it
 *   (`quote_ident`, `format('%I.%I')`, and so `pg_get_indexdef`,
 *   `pg_get_viewdef`, `format_type`, `pg_get_expr`...): `docs."Suggestion"`,
 *   `auth."user"`. Anything compared with text Postgres printed uses these.
 * - `ident`/`qualified` always quote, as drizzle-kit writes its statements:
 *   the statements we add to a migration read like the ones around them, and
 *   can be matched against drizzle-kit's text.
 */

function refuseNul(name: string): void {
  // NUL cannot be quoted at all; the plan refuses it first.
  if (name.includes('\0')) throw new Error(`identifier with a NUL byte reached the SQL writer: ${JSON.stringify(name)}`);
}

/**
 * A double-quoted identifier: an embedded `"` is doubled, so no name (a role
 * from --grant, a table name with quotes) can end the identifier and start
 * SQL of its own.
 */
export function ident(name: string): string {
  refuseNul(name);
  return `"${name.replace(/"/g, '""')}"`;
}

export function qualified(schema: string, name: string): string {
  return `${ident(schema)}.${ident(name)}`;
}

/**
 * Postgres' quote_ident (ruleutils.c quote_identifier): bare when the name is
 * lower-case letters, digits and `_` (not a digit first) and not a keyword
 * that would read as syntax; `$` is quoted although the lexer allows it.
 */
export function quoteIdent(name: string): string {
  refuseNul(name);
  return /^[a-z_][a-z0-9_]*$/.test(name) && !QUOTED_KEYWORDS.has(name) ? name : ident(name);
}

/** `format('%I.%I', schema, name)`: each part quoted on its own. */
export function quoteQualified(schema: string, name: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(name)}`;
}

/** A string literal (standard_conforming_strings, on since Postgres 9.1: only `'` is doubled). */
export function quoteLiteral(text: string): string {
  refuseNul(text);
  return `'${text.replace(/'/g, "''")}'`;
}

/** The keyword `ALTER <keyword> ... SET SCHEMA` takes for each kind of object. */
export const ALTER_KEYWORD: Record<ObjectKind, string> = {
  enum: 'TYPE',
  sequence: 'SEQUENCE',
  table: 'TABLE',
  view: 'VIEW',
  materializedView: 'MATERIALIZED VIEW',
};
