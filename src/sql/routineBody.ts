import { quoteLiteral, quoteQualified } from './identifiers';

/**
 * What a function or procedure body names, and the same body with the names
 * of moved objects relocated. Postgres keeps SQL and PL/pgSQL bodies as text
 * and resolves their names each time they run, so `ALTER TABLE ... SET
 * SCHEMA` leaves every body that names the table by its old qualified name
 * broken. The patch stage writes the relocated body into the migration; the
 * verify stage computes the same relocation to know which body to expect.
 *
 * Names are found with Postgres' own parser (libpg-query, loaded by the
 * caller with `loadPgParser`) and rewritten at the tokens its scanner
 * reports, so a name inside a comment, a longer identifier or another
 * schema's table of the same name is never touched.
 */

export type Node = Record<string, any>; // the parser's JSON AST

export interface Token {
  start: number;
  end: number;
  text: string;
  tokenName: string;
  keywordKind: number;
}

export interface LibPgQuery {
  parseSync(sql: string): { stmts: Array<{ stmt: Node; stmt_location?: number; stmt_len?: number }> };
  parsePlPgSQLSync(sql: string): Node;
  scanSync(sql: string): { tokens: Token[] };
}

const lib = (): LibPgQuery => require('libpg-query') as LibPgQuery;

/** A relation or type a body names, as written: schema undefined when unqualified. */
export interface BodyReference {
  schema: string | undefined;
  name: string;
  /** Named inside a string constant (`nextval('public.seq')`, `'public.t'::regclass`). */
  inString?: boolean;
  /** Named as a type (`'free'::plan`, a PL/pgSQL variable's declared type): an enum, or a table's row type. */
  type?: boolean;
}

/** An object that changes schema. */
export interface BodyMove {
  name: string;
  from: string;
  to: string;
}

export interface RelocatedBody {
  /** The body with every qualified name of a moved object relocated (unchanged when none). */
  body: string;
  /** `public.profiles -> chat.profiles`, once per name relocated. */
  relocated: string[];
  /**
   * Why the body cannot be repaired by rewriting it: a moved object reached
   * unqualified through a search_path, or dynamic SQL that may name one.
   */
  unrepairable: string[];
}

export interface RoutineSource {
  language: string;
  /** The body, as `prosrc` keeps it. */
  body: string;
  /** A whole CREATE FUNCTION statement with this body: PL/pgSQL is parsed from it. */
  definition: string;
  /** The schemas of its `SET search_path` (or the default `"$user", public`), `$user` resolved. */
  searchPath: string[];
}

/** The relations and types a body names (throws when it does not parse). */
export function bodyReferences(source: Pick<RoutineSource, 'language' | 'body' | 'definition'>): BodyReference[] {
  return source.language === 'sql' ? referencesInSql(source.body) : referencesInPlpgsql(source.definition);
}

/** The body relocated for `moves`, or why it cannot be (throws when it does not parse). */
export function relocateRoutineBody(source: RoutineSource, moves: BodyMove[]): RelocatedBody {
  const references = bodyReferences(source);
  const movedFrom = new Map(moves.map((m) => [`${m.from}.${m.name}`, m]));
  const unrepairable = new Set<string>();
  for (const r of references) {
    if (r.schema !== undefined) continue;
    const m = moves.find((x) => x.name === r.name && source.searchPath.includes(x.from));
    if (m) unrepairable.add(`names ${r.name} unqualified (search_path ${source.searchPath.join(', ')}), moved to ${m.to}.${m.name}`);
  }
  for (const text of dynamicSql(source)) {
    const m = moves.find((x) => new RegExp(`(^|[^\\p{L}\\p{N}_$])${escapeRegExp(x.name)}($|[^\\p{L}\\p{N}_$])`, 'iu').test(text));
    if (m) unrepairable.add(`dynamic SQL (EXECUTE ${text.slice(0, 60)}) may name ${m.from}.${m.name}, moved to ${m.to}.${m.name}`);
  }
  const named = new Set(references.filter((r) => r.schema !== undefined && !r.inString).map((r) => `${r.schema}.${r.name}`));
  const inStrings = new Set(references.filter((r) => r.schema !== undefined && r.inString).map((r) => `${r.schema}.${r.name}`));
  const bytes = Buffer.from(source.body, 'utf8');
  const tokens = lib().scanSync(source.body).tokens;
  const edits: Array<{ start: number; end: number; text: string }> = [];
  const relocated = new Set<string>();
  tokens.forEach((t, i) => {
    // Handle: INSERT INTO public.profiles, "public"."profiles", public.profiles.id (a column through it).
    const dot = tokens[i + 1];
    const second = tokens[i + 2];
    if (dot?.text === '.' && second && isName(t) && isName(second) && tokens[i - 1]?.text !== '.') {
      const key = `${nameOf(t)}.${nameOf(second)}`;
      const m = movedFrom.get(key);
      if (m && named.has(key)) {
        edits.push({ start: t.start, end: second.end, text: quoteQualified(m.to, m.name) });
        relocated.add(`${quoteQualified(m.from, m.name)} -> ${quoteQualified(m.to, m.name)}`);
      }
      return;
    }
    // Handle: nextval('public.invoice_number_seq'), 'public.jobs'::regclass.
    if (t.tokenName === 'SCONST' && t.text.startsWith("'")) {
      const parts = nameParts(t.text.slice(1, -1).replace(/''/g, "'"));
      const key = parts?.length === 2 ? `${parts[0]}.${parts[1]}` : undefined;
      const m = key ? movedFrom.get(key) : undefined;
      if (m && inStrings.has(key!)) {
        edits.push({ start: t.start, end: t.end, text: quoteLiteral(quoteQualified(m.to, m.name)) });
        relocated.add(`${quoteQualified(m.from, m.name)} -> ${quoteQualified(m.to, m.name)}`);
      }
    }
  });
  let body = '';
  let at = 0;
  for (const e of edits) {
    body += bytes.subarray(at, e.start).toString('utf8') + e.text;
    at = e.end;
  }
  body += bytes.subarray(at).toString('utf8');
  return { body, relocated: [...relocated], unrepairable: [...unrepairable] };
}

/** A dollar-quoted constant holding `text`, with a tag `text` cannot close early. */
export function dollarQuote(text: string): string {
  let tag = '';
  for (let i = 1; text.includes(`$${tag}$`); i++) tag = i === 1 ? 'body' : `body${i}`;
  return `$${tag}$${text}$${tag}$`;
}

/** A `SET search_path` value as schema names; `$user` is the role running it. */
export function searchPathSchemas(setting: string | undefined, user: string): string[] {
  return (setting ?? '"$user", public')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => (s.startsWith('"') ? s.slice(1, -1).replace(/""/g, '"') : s.toLowerCase()))
    .map((s) => (s === '$user' ? user : s));
}

// An identifier token: a plain or quoted name, or a keyword the grammar takes as a name.
const isName = (t: Token) => t.tokenName === 'IDENT' || (t.keywordKind > 0 && /^[A-Za-z_]/.test(t.text));
const nameOf = (t: Token) => (t.text.startsWith('"') ? t.text.slice(1, -1).replace(/""/g, '"') : t.text.toLowerCase());
const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `schema.name` as written in a string constant (either part possibly quoted), split and unquoted. */
function nameParts(text: string): string[] | undefined {
  const parts = [...text.matchAll(/"((?:[^"]|"")*)"|([^."]+)/g)].map((m) => (m[1] !== undefined ? m[1].replace(/""/g, '"') : m[2]!.trim().toLowerCase()));
  return parts.length >= 1 && parts.length <= 2 ? parts : undefined;
}

function referencesInSql(sql: string): BodyReference[] {
  const out: BodyReference[] = [];
  for (const s of lib().parseSync(sql).stmts) collectReferences(s.stmt, out);
  return out;
}

/**
 * PL/pgSQL keeps each embedded statement and expression as text
 * (`PLpgSQL_expr.query`); expressions (`parseMode` other than 0) are parsed
 * as the SELECT PL/pgSQL itself runs them as; declared types
 * (`PLpgSQL_type.typname`) as a cast to them. Dynamic SQL is text built at
 * run time and is not followed (`dynamicSql` names it).
 */
function referencesInPlpgsql(definition: string): BodyReference[] {
  const queries: string[] = [];
  const walk = (node: unknown) => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      const n = node as Node;
      const expr = n.PLpgSQL_expr;
      if (expr && typeof expr.query === 'string') queries.push(asSelect(expr.query, expr.parseMode));
      // Handle: DECLARE x plan; y public.plan; r profiles%ROWTYPE (a `t.c%TYPE` does not parse as a cast, and names a column).
      const type = n.PLpgSQL_type?.typname;
      if (typeof type === 'string') queries.push(`SELECT NULL::${type.replace(/%rowtype$/i, '')}`);
      Object.values(n).forEach(walk);
    }
  };
  walk(lib().parsePlPgSQLSync(definition));
  const out: BodyReference[] = [];
  for (const q of queries) {
    try {
      for (const s of lib().parseSync(q).stmts) collectReferences(s.stmt, out);
    } catch {
      // An assignment target or a fragment the SQL grammar does not take alone: it names no relation.
    }
  }
  return out;
}

// EXECUTE, FOR ... IN EXECUTE, OPEN ... FOR EXECUTE, RETURN QUERY EXECUTE: the statement and its field holding the text.
const DYNAMIC_SQL = [
  ['PLpgSQL_stmt_dynexecute', 'query'],
  ['PLpgSQL_stmt_dynfors', 'query'],
  ['PLpgSQL_stmt_open', 'dynquery'],
  ['PLpgSQL_stmt_return_query', 'dynquery'],
] as const;

/**
 * An embedded query as the SQL grammar takes it alone: a statement as is, an
 * expression as a SELECT of it, an assignment (`parseMode` 3 to 5, `NEW.n :=
 * nextval(...)`) as a SELECT of its value.
 */
function asSelect(query: string, parseMode: number | undefined): string {
  if (!parseMode) return query;
  if (parseMode >= 3) {
    const at = query.indexOf(':=');
    return `SELECT ${at >= 0 ? query.slice(at + 2) : query.slice(query.indexOf('=') + 1)}`;
  }
  return `SELECT ${query}`;
}

/** The text of every EXECUTE in a PL/pgSQL body: what it runs is known only when it runs. */
function dynamicSql(source: Pick<RoutineSource, 'language' | 'definition'>): string[] {
  if (source.language !== 'plpgsql') return [];
  const out: string[] = [];
  const walk = (node: unknown) => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      const n = node as Node;
      for (const [kind, field] of DYNAMIC_SQL) {
        const query = n[kind]?.[field]?.PLpgSQL_expr?.query;
        if (typeof query === 'string') out.push(query);
      }
      Object.values(n).forEach(walk);
    }
  };
  walk(lib().parsePlPgSQLSync(source.definition));
  return out;
}

/** Every relation (RangeVar), qualified type and relation named in a string a statement holds, less its WITH names. */
function collectReferences(tree: Node, out: BodyReference[]): void {
  const ctes = new Set<string>();
  const found: BodyReference[] = [];
  const walk = (node: unknown) => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      const n = node as Node;
      // A RangeVar: wrapped as { RangeVar: {...} } in FROM lists, bare where a field can only be one (INSERT INTO's relation).
      if (typeof n.relname === 'string') found.push({ schema: n.schemaname, name: n.relname });
      // A TypeName: `::public.status`, or `::status` found through the search_path, as a moved table's name is.
      if (Array.isArray(n.names) && typeof n.typemod === 'number') {
        const parts = (n.names as Node[]).map((x) => x.String?.sval as string);
        if (parts.length === 2) found.push({ schema: parts[0], name: parts[1]!, type: true });
        if (parts.length === 1) found.push({ schema: undefined, name: parts[0]!, type: true });
      }
      // nextval('public.invoice_number_seq') and 'public.jobs'::regclass name a relation in a string, resolved when they run.
      const call = n.FuncCall;
      const callee = call?.funcname?.[call.funcname.length - 1]?.String?.sval;
      if (callee && SEQUENCE_FUNCTIONS.has(callee)) nameInString(call.args?.[0], found);
      const cast = n.TypeCast;
      if (cast?.typeName?.names?.some((x: Node) => x.String?.sval === 'regclass')) nameInString(cast.arg, found);
      if (n.CommonTableExpr?.ctename) ctes.add(n.CommonTableExpr.ctename);
      Object.values(n).forEach(walk);
    }
  };
  walk(tree);
  out.push(...found.filter((r) => r.schema !== undefined || !ctes.has(r.name)));
}

const SEQUENCE_FUNCTIONS = new Set(['nextval', 'currval', 'setval']);

function nameInString(node: Node | undefined, out: BodyReference[]): void {
  const text: unknown = node?.A_Const?.sval?.sval;
  if (typeof text !== 'string') return;
  const parts = nameParts(text);
  if (parts?.length === 1) out.push({ schema: undefined, name: parts[0]!, inString: true });
  else if (parts?.length === 2) out.push({ schema: parts[0], name: parts[1]!, inString: true });
}
