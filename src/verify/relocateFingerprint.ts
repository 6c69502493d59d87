import { ident, quoteIdent } from '../sql/identifiers';
import { entryKey, type Entry, type Fingerprint } from './fingerprint';

/** An object changing schema: a table, view, sequence or enum. */
export interface SchemaMove {
  name: string;
  from: string;
  to: string;
}

/**
 * Where the entries of `before` must be after the moves: entries that hang off
 * a moved table (or are a moved object) change schema, and every qualified
 * name of a moved object inside a definition is rewritten to its new schema.
 * Comparing this with the fingerprint taken after is comparing modulo schema.
 *
 * The definitions are Postgres' own printing under an empty search_path
 * (pg_get_indexdef, pg_get_constraintdef, pg_get_viewdef, format_type,
 * pg_get_expr), which spells every qualified name one way, quote_ident per
 * part: `docs."Suggestion"`, `auth."user"`, `tracker."trackerStatus"[]`.
 */
export function relocateFingerprint(before: Fingerprint, moves: SchemaMove[]): Fingerprint {
  if (moves.length === 0) return before;
  const movedTables = new Map(moves.map((m) => [`${m.from}.${m.name}`, m.to]));
  // Sequences owned by a moved table (serial, identity) move with it.
  const owned = [...before.values()]
    .filter((e) => e.kind === 'sequence' && e.table !== undefined && movedTables.has(`${e.schema}.${e.table}`))
    .map((e) => ({ name: e.name, from: e.schema, to: movedTables.get(`${e.schema}.${e.table}`)! }));
  moves = [...moves, ...owned];
  const target = new Map(moves.map((m) => [`${m.from}.${m.name}`, m.to]));
  const rewrite = relocateQualifiedNames(moves);
  const result: Fingerprint = new Map();
  for (const entry of before.values()) {
    const owner = entry.table ?? entry.name;
    const schema = target.get(`${entry.schema}.${owner}`) ?? target.get(`${entry.schema}.${entry.name}`) ?? entry.schema;
    // A function is named by its signature, `f(s public.status)`; so is the comment on it (the one comment with no table).
    const signed = entry.kind === 'function' || (entry.kind === 'comment' && entry.table === undefined);
    const moved: Entry = { ...entry, schema, name: signed ? rewrite(entry.name) : entry.name, value: rewrite(entry.value) };
    result.set(entryKey(moved), moved);
  }
  return result;
}

/**
 * A rewrite of definition text: every qualified name of a moved object, as
 * the server prints it, to its new schema.
 */
export function relocateQualifiedNames(moves: SchemaMove[]): (text: string) => string {
  const renames = moves.flatMap((m) =>
    nameSpellings(m.name).flatMap((name) => {
      const from = `${quoteIdent(m.from)}.${name}`;
      const to = `${quoteIdent(m.to)}.${name}`;
      // Handle: nextval('s."it''s_id_seq"'::regclass), a name with a quote inside a string literal.
      const inLiteral = from.includes("'") ? [{ from: from.replace(/'/g, "''"), to: to.replace(/'/g, "''") }] : [];
      return [{ from, to }, ...inLiteral];
    }),
  );
  return (text: string) => {
    let out = text;
    for (const r of renames) out = replaceQualified(out, r.from, r.to);
    return out;
  };
}

/**
 * How the server may print a name: as quote_ident does on Postgres 18, and for
 * a lower-case keyword also the other way, since older servers quote fewer of
 * them (`json_table`, `system_user` are keywords only since 16/17). The name
 * keeps the spelling the server gave it; only its schema changes.
 */
function nameSpellings(name: string): string[] {
  const spelled = quoteIdent(name);
  return /^[a-z_][a-z0-9_]*$/.test(name) ? [...new Set([spelled, name, ident(name)])] : [spelled];
}

/**
 * Replaces `from` where it stands as a whole qualified name: not inside a
 * longer identifier (`public.users_archive`, `xpublic.users`) nor inside a
 * quoted one (`"public.users"`, one name with a dot in it).
 */
export function replaceQualified(text: string, from: string, to: string): string {
  const boundary = (c: string | undefined) => c === undefined || !/[\p{L}\p{N}_$"]/u.test(c);
  let out = '';
  let i = 0;
  for (;;) {
    const at = text.indexOf(from, i);
    if (at < 0) return out + text.slice(i);
    const whole = boundary(text[at - 1]) && boundary(text[at + from.length]);
    out += text.slice(i, at) + (whole ? to : from);
    i = at + from.length;
  }
}
