import type { PgSnapshot } from '../generate/migrationsFolder';
import type { Relocation } from '../generate/relocateSnapshot';
import { quoteQualified } from '../sql/identifiers';
import { dollarQuote, relocateRoutineBody, searchPathSchemas, type BodyMove, type LibPgQuery, type Node, type Token } from '../sql/routineBody';
import { loadPgParser } from './pgParser';

/**
 * Function and procedure bodies are text that Postgres resolves by name when
 * they run (views, by contrast, follow a moved table by OID). A body that
 * names a moved object by its old qualified name (Supabase's
 * `SECURITY DEFINER` trigger on `auth.users` inserting into
 * `public.profiles`) breaks with the move: every sign-up fails. The project's
 * own migrations say which functions exist and with what text, so the move
 * can `CREATE OR REPLACE` each such function with the names relocated and
 * every other part of its statement as written (language, volatility,
 * SECURITY DEFINER, SET search_path; the owner and grants are kept by
 * CREATE OR REPLACE itself), and the rollback can put the original back.
 */

/** A migration file of the project, before the one being written. */
export interface MigrationSource {
  file: string;
  sql: string;
}

export interface RoutineRepair {
  /** `public.insert_user()`. */
  routine: string;
  /** The names relocated: `public.profiles -> chat.profiles`. */
  relocated: string[];
  /** The migration's statement: the function with its body relocated. */
  sql: string;
  /** The rollback's statement, after the moves back: the function as the migrations left it. */
  rollbackSql: string;
}

export interface RoutineRepairs {
  repairs: RoutineRepair[];
  /** Functions that name a moved object and are not repaired, each with why. */
  hazards: string[];
}

/** A function as the migrations define it, the last CREATE of its signature winning. */
interface DefinedRoutine {
  schema: string;
  name: string;
  /** `name(argument types)`, for messages. */
  signature: string;
  language: string;
  body: string;
  /** The CREATE statement as written, without its semicolon. */
  statement: string;
  searchPath: string[];
  file: string;
  /** Why a later statement makes the CREATE text no longer what the database has. */
  alteredBy?: string;
}

/** The repairs for every function the migrations define whose body names a moved object. */
export async function repairRoutines(migrations: MigrationSource[], relocations: Relocation[]): Promise<RoutineRepairs> {
  if (relocations.length === 0) return { repairs: [], hazards: [] };
  await loadPgParser();
  const lib = require('libpg-query') as LibPgQuery;
  const hazards: string[] = [];
  const routines = new Map<string, DefinedRoutine>();
  for (const m of migrations) {
    if (!/\b(function|procedure|routine)\b/i.test(m.sql)) continue;
    let stmts: ReturnType<LibPgQuery['parseSync']>['stmts'];
    try {
      stmts = lib.parseSync(m.sql).stmts;
    } catch (error) {
      hazards.push(`${m.file}: not parsed, its functions not checked for moved names (${error instanceof Error ? error.message : String(error)})`);
      continue;
    }
    const bytes = Buffer.from(m.sql, 'utf8');
    for (const { stmt, stmt_location = 0, stmt_len } of stmts) {
      const text = bytes
        .subarray(stmt_location, stmt_len ? stmt_location + stmt_len : bytes.length)
        .toString('utf8')
        .trim()
        .replace(/;$/, '');
      defineOrAlter(stmt, text, m.file, routines);
    }
  }

  const moves: BodyMove[] = relocations.map((r) => ({ name: r.name, from: r.from, to: r.to }));
  const repairs: RoutineRepair[] = [];
  for (const r of routines.values()) {
    if (r.language !== 'sql' && r.language !== 'plpgsql') continue;
    const label = `function ${quoteQualified(r.schema, r.name)}${r.signature.slice(r.signature.indexOf('('))}`;
    let relocated;
    try {
      relocated = relocateRoutineBody({ language: r.language, body: r.body, definition: r.statement, searchPath: r.searchPath }, moves);
    } catch (error) {
      hazards.push(`${label} (${r.file}): body not parsed, not checked for moved names (${error instanceof Error ? error.message : String(error)})`);
      continue;
    }
    if (relocated.relocated.length === 0 && relocated.unrepairable.length === 0) continue;
    if (relocated.unrepairable.length > 0 || r.alteredBy) {
      const why = [...relocated.unrepairable, ...(r.alteredBy ? [`changed by ${r.alteredBy} after its CREATE`] : [])];
      hazards.push(`${label} (${r.file}): ${why.join('; ')}: not repaired, it fails when it runs after the move`);
      continue;
    }
    if (!bodyToken(lib, r)) {
      hazards.push(`${label} (${r.file}): its body is not where CREATE FUNCTION ... AS puts it: not repaired, it fails when it runs after the move`);
      continue;
    }
    repairs.push({
      routine: label.slice('function '.length),
      relocated: relocated.relocated,
      sql: `${restated(lib, r, relocated.body, moves)};`,
      rollbackSql: `${restated(lib, r, r.body, [])};`,
    });
  }
  return { repairs, hazards };
}

/**
 * The sequences of moved tables' serial and identity columns: they move with
 * their table (nextval('public.accounts_id_seq') in a body must follow).
 * `snapshot` is the one after the move. A serial's sequence is named as
 * Postgres names it when the name fits in 63 bytes; a longer one is not
 * relocated, and verification names the body.
 */
export function ownedSequenceMoves(snapshot: PgSnapshot | undefined, relocations: Relocation[]): Relocation[] {
  const out: Relocation[] = [];
  for (const r of relocations) {
    if (r.kind !== 'table') continue;
    const table = Object.values(snapshot?.tables ?? {}).find((t) => t.name === r.name && (t.schema || 'public') === r.to);
    for (const c of Object.values(table?.columns ?? {})) {
      const name = c.identity?.name ?? (/^(small|big)?serial$/i.test(c.type) ? `${r.name}_${c.name}_seq` : undefined);
      if (name && Buffer.byteLength(name) <= 63) out.push({ kind: 'sequence', name, from: r.from, to: r.to });
    }
  }
  return out;
}

const argTypes = (parameters: Node[] | undefined, all = false): string =>
  (parameters ?? [])
    .map((p) => p.FunctionParameter as Node)
    .filter((p) => all || !['FUNC_PARAM_OUT', 'FUNC_PARAM_TABLE'].includes(p.mode))
    .map((p) => typeText(p.argType))
    .join(', ');

function typeText(t: Node | undefined): string {
  const names = ((t?.names ?? []) as Node[]).map((n) => n.String?.sval as string).filter((n) => n !== 'pg_catalog');
  return `${names.join('.')}${'[]'.repeat((t?.arrayBounds ?? []).length)}`;
}

function routineName(parts: Node[]): { schema: string; name: string } {
  const names = parts.map((n) => n.String?.sval as string);
  // Unqualified: created where the migration's default search_path put it, `public`.
  return names.length > 1 ? { schema: names[names.length - 2]!, name: names[names.length - 1]! } : { schema: 'public', name: names[0]! };
}

const ROUTINE_OBJECTS = new Set(['OBJECT_FUNCTION', 'OBJECT_PROCEDURE', 'OBJECT_ROUTINE']);

/** Records a CREATE FUNCTION, forgets a dropped one, marks one a later statement changes. */
function defineOrAlter(stmt: Node, text: string, file: string, routines: Map<string, DefinedRoutine>): void {
  const [type, node] = Object.entries(stmt)[0] as [string, Node];
  const keyOf = (schema: string, name: string, args: string) => `${schema}.${name}(${args})`;
  const withArgs = (o: Node) => {
    const { schema, name } = routineName(o.objname);
    return { schema, name, args: o.args_unspecified ? undefined : ((o.objargs ?? []) as Node[]).map(typeText).join(', ') };
  };
  const matching = (o: Node) => {
    const { schema, name, args } = withArgs(o);
    return [...routines.keys()].filter((k) => (args === undefined ? k.startsWith(`${schema}.${name}(`) : k === keyOf(schema, name, args)));
  };
  if (type === 'CreateFunctionStmt') {
    const { schema, name } = routineName(node.funcname);
    const options = new Map(((node.options ?? []) as Node[]).map((o) => [o.DefElem.defname as string, o.DefElem as Node]));
    const as = (options.get('as')?.arg?.List?.items ?? []) as Node[];
    const key = keyOf(schema, name, argTypes(node.parameters));
    // Handle: BEGIN ATOMIC ... END (sql_body): parsed when created and kept by OID, it follows the move.
    if (node.sql_body || as.length !== 1) {
      routines.delete(key);
      return;
    }
    const set = options.get('set')?.arg?.VariableSetStmt as Node | undefined;
    const path =
      set?.name === 'search_path'
        ? ((set.args ?? []) as Node[]).map((a) => a.A_Const?.sval?.sval ?? a.String?.sval).filter((s): s is string => typeof s === 'string')
        : undefined;
    routines.set(key, {
      schema,
      name,
      signature: `${name}(${argTypes(node.parameters)})`,
      language: (options.get('language')?.arg?.String?.sval as string | undefined)?.toLowerCase() ?? 'sql',
      body: as[0]!.String.sval as string,
      statement: text,
      // `$user` is the migration's role; no schema of that name is what a migration expects.
      searchPath: path ? path.map((s) => (s === '$user' ? '' : s)) : searchPathSchemas(undefined, ''),
      file,
    });
    return;
  }
  if (type === 'DropStmt' && ROUTINE_OBJECTS.has(node.removeType)) {
    for (const o of (node.objects ?? []) as Node[]) for (const k of matching(o.ObjectWithArgs)) routines.delete(k);
    return;
  }
  const changed =
    type === 'AlterFunctionStmt'
      ? node.func
      : (type === 'RenameStmt' && ROUTINE_OBJECTS.has(node.renameType)) || (type === 'AlterObjectSchemaStmt' && ROUTINE_OBJECTS.has(node.objectType))
        ? node.object?.ObjectWithArgs
        : undefined;
  if (changed) for (const k of matching(changed)) routines.get(k)!.alteredBy = `${file}: ${text.slice(0, 80)}`;
}

/**
 * The CREATE statement as written, as `CREATE OR REPLACE` of the function by
 * its qualified name, with `body` in place of its body and, in the rest of
 * the statement, the qualified names of `moves` relocated (an argument or
 * result of a moved enum or table type must name it where it now is).
 */
function restated(lib: LibPgQuery, r: DefinedRoutine, body: string, moves: BodyMove[]): string {
  const bytes = Buffer.from(r.statement, 'utf8');
  const tokens = lib.scanSync(r.statement).tokens;
  const keyword = tokens.findIndex((t) => /^(function|procedure)$/i.test(t.text));
  let nameEnd = keyword + 1;
  while (tokens[nameEnd + 1]?.text === '.') nameEnd += 2;
  const bodyAt = bodyToken(lib, r)!;
  const slice = (from: number, to: number) => {
    // Handle: f(p plan) RETURNS SETOF profiles, unqualified: after the moves the names no longer resolve.
    let text = '';
    let at = from;
    for (const t of unqualifiedTypes(lib, r, tokens, moves)) {
      if (t.start < from || t.end > to) continue;
      text += bytes.subarray(at, t.start).toString('utf8') + t.text;
      at = t.end;
    }
    return relocateTokens(lib, text + bytes.subarray(at, to).toString('utf8'), moves);
  };
  return [
    `CREATE OR REPLACE ${tokens[keyword]!.text.toUpperCase()} ${quoteQualified(r.schema, r.name)}`,
    slice(tokens[nameEnd]!.end, bodyAt.start),
    dollarQuote(body),
    slice(bodyAt.end, bytes.length),
  ].join('');
}

/**
 * The argument and result types of the CREATE statement written unqualified
 * that name a moved enum or table (its row type), as the migration's session
 * found them (its default search_path, not the function's own SET), each with
 * its new qualified name. The function itself follows them by OID, so
 * `CREATE OR REPLACE` must name them where they are now to match it.
 */
function unqualifiedTypes(lib: LibPgQuery, r: DefinedRoutine, tokens: Token[], moves: BodyMove[]): Array<{ start: number; end: number; text: string }> {
  const path = searchPathSchemas(undefined, '');
  const create = lib.parseSync(r.statement).stmts[0]?.stmt.CreateFunctionStmt as Node | undefined;
  const found: Array<{ start: number; end: number; text: string }> = [];
  const walk = (node: unknown) => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      const n = node as Node;
      const names = Array.isArray(n.names) && typeof n.typemod === 'number' ? (n.names as Node[]).map((x) => x.String?.sval as string) : [];
      const m = names.length === 1 ? moves.find((x) => x.name === names[0] && path.includes(x.from)) : undefined;
      // The parser's location is the name's token, except for RETURNS TABLE's synthesized result (at TABLE).
      const token = m ? tokens.find((t) => t.start === n.location && unquoted(t) === m.name) : undefined;
      if (m && token) found.push({ start: token.start, end: token.end, text: quoteQualified(m.to, m.name) });
      Object.values(n).forEach(walk);
    }
  };
  walk([create?.parameters, create?.returnType]);
  return found.sort((a, b) => a.start - b.start);
}

const unquoted = (t: Token) => (t.text.startsWith('"') ? t.text.slice(1, -1).replace(/""/g, '"') : t.text.toLowerCase());

/** The string constant after AS that holds the body, as the scanner reads the statement. */
function bodyToken(lib: LibPgQuery, r: DefinedRoutine): Token | undefined {
  const tokens = lib.scanSync(r.statement).tokens;
  return tokens.find((t, i) => t.tokenName === 'SCONST' && /^as$/i.test(tokens[i - 1]?.text ?? '') && constantText(t.text) === r.body);
}

/** The value of a string constant token: `'it''s'`, `$$...$$`, `$tag$...$tag$`. */
function constantText(token: string): string {
  if (token.startsWith("'")) return token.slice(1, -1).replace(/''/g, "'");
  const tag = /^\$[^$]*\$/.exec(token)?.[0] ?? '$$';
  return token.slice(tag.length, token.length - tag.length);
}

/** `schema.name` pairs of moved objects relocated in a statement fragment (a function's header). */
function relocateTokens(lib: LibPgQuery, text: string, moves: BodyMove[]): string {
  if (moves.length === 0 || text.trim() === '') return text;
  const bytes = Buffer.from(text, 'utf8');
  const tokens = lib.scanSync(text).tokens;
  let out = '';
  let at = 0;
  tokens.forEach((t, i) => {
    const second = tokens[i + 2];
    if (tokens[i + 1]?.text !== '.' || !second || t.start < at) return;
    const m = moves.find((x) => x.from === unquoted(t) && x.name === unquoted(second));
    if (!m) return;
    out += bytes.subarray(at, t.start).toString('utf8') + quoteQualified(m.to, m.name);
    at = second.end;
  });
  return out + bytes.subarray(at).toString('utf8');
}
