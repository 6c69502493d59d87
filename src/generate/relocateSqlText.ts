import { ident } from '../sql/identifiers';

/** A relation (table, view) changing schema, as drizzle-kit names it in SQL text. */
export interface RelationMove {
  name: string;
  from: string;
  to: string;
}

/** drizzle-orm names a relation `"schema"."name"`, or `"name"` alone in public. */
const spelling = (schema: string, name: string) => (schema === 'public' ? ident(name) : `${ident(schema)}.${ident(name)}`);

/** Words after which a bare `"name"` is a relation, not a column: what drizzle-orm's query builder writes. */
const RELATION_CONTEXT = /\b(from|join|update|into|only)\s*$/i;

/** 'strings' (skipped) and "identifiers", their doubled quote standing for itself. */
const QUOTED = /'(?:[^']|'')*'|"((?:[^"]|"")*)"/g;

/**
 * SQL text drizzle-kit keeps in a snapshot (index `where`, checks, policies,
 * generated expressions, view definitions), as drizzle-orm would have printed
 * it had the relations always lived in their new schemas. drizzle-orm quotes
 * every name and writes a column as `"table"."column"`, qualified by
 * `"schema".` outside public: `"Posts"."status"` becomes
 * `"growth"."Posts"."status"`, and `from "user"` becomes `from "growth"."user"`.
 * Text the user wrote by hand in a `sql` template (`"public"."Posts"`) is left
 * as written, as drizzle-kit will read it again from the unchanged template.
 */
export function relocateSqlText(text: string, moves: RelationMove[]): string {
  if (moves.length === 0 || !text.includes('"')) return text;
  const tokens = [...text.matchAll(QUOTED)]
    .filter((m) => m[1] !== undefined)
    .map((m) => ({ start: m.index!, end: m.index! + m[0].length, value: m[1]!.replace(/""/g, '"') }));
  let out = '';
  let at = 0;
  for (let i = 0; i < tokens.length; i++) {
    const first = tokens[i]!;
    // The second or third part of a qualified name: already decided with its first part.
    if (text[first.start - 1] === '.') continue;
    const second = tokens[i + 1];
    const qualifiedPair = second !== undefined && text[first.end] === '.' && second.start === first.end + 1;
    const fromSchema = qualifiedPair ? moves.find((m) => m.from !== 'public' && m.from === first.value && m.name === second.value) : undefined;
    // `"name"."column"` or `from "name"`; not `"schema"."name"."column"` nor `from "schema"."name"`.
    const relationContext = RELATION_CONTEXT.test(text.slice(Math.max(0, first.start - 12), first.start));
    const third = tokens[i + 2];
    const threeParts = qualifiedPair && third !== undefined && text[second.end] === '.' && third.start === second.end + 1;
    const bareRelation = qualifiedPair ? !relationContext && !threeParts : relationContext;
    const fromPublic = !fromSchema && bareRelation ? moves.find((m) => m.from === 'public' && m.name === first.value) : undefined;
    const move = fromSchema ?? fromPublic;
    if (!move || move.to === move.from) continue;
    const end = fromSchema ? second!.end : first.end;
    out += text.slice(at, first.start) + spelling(move.to, move.name);
    at = end;
    if (fromSchema) i++;
  }
  return out + text.slice(at);
}
