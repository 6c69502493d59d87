import { loadPgParser } from '../patch/pgParser';
import type { Database } from './database';
import type { SchemaMove } from './fingerprint';
import type { VerifyRow } from './verifyReport';

type Node = Record<string, any>; // the parser's JSON AST

interface LibPgQuery {
  parseSync(sql: string): { stmts: Array<{ stmt: Node }> };
  parsePlPgSQLSync(sql: string): Node;
}

/** A relation a function body names, as written: schema undefined when unqualified. */
interface BodyReference {
  schema: string | undefined;
  name: string;
}

/**
 * Function bodies are resolved by name when they run, so a move breaks every
 * body that names a moved object by its old qualified name, or unqualified
 * under a search_path that no longer finds it: the migration applies, and the
 * app's next insert fails in a trigger. Reads every SQL and PL/pgSQL function
 * of `schemas` after the migration, parses its body with Postgres' parser, and
 * returns a failed row per broken function, naming it, what it names and the
 * triggers that call it. Bodies that cannot be parsed are named in a note.
 */
export async function checkFunctionBodies(
  db: Database,
  schemas: string[],
  moves: SchemaMove[],
  notes: string[],
): Promise<VerifyRow[]> {
  if (moves.length === 0) return [];
  await loadPgParser();
  const lib = require('libpg-query') as LibPgQuery;
  const functions = await db.query<{ schema: string; name: string; lang: string; def: string; src: string; path: string | null; triggers: string | null }>(
    `SELECT n.nspname AS schema, p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')' AS name, l.lanname AS lang,
            pg_get_functiondef(p.oid) AS def, p.prosrc AS src,
            (SELECT substr(c, length('search_path=') + 1) FROM unnest(p.proconfig) c WHERE c LIKE 'search\\_path=%') AS path,
            (SELECT string_agg(t.tgname || ' on ' || tn.nspname || '.' || tc.relname, ', ' ORDER BY 1)
               FROM pg_trigger t JOIN pg_class tc ON tc.oid = t.tgrelid JOIN pg_namespace tn ON tn.oid = tc.relnamespace
              WHERE t.tgfoid = p.oid AND NOT t.tgisinternal) AS triggers
     FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang
     WHERE n.nspname = ANY($1) AND p.prokind IN ('f', 'p') AND l.lanname IN ('sql', 'plpgsql')
       AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')`,
    [schemas],
  );
  if (functions.length === 0) return [];
  const relations = new Set(
    (
      await db.query<{ name: string }>(
        `SELECT n.nspname || '.' || c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')`,
      )
    ).map((r) => r.name),
  );
  const [{ user } = { user: '' }] = await db.query<{ user: string }>('SELECT current_user AS user');
  const movedFrom = new Map(moves.map((m) => [`${m.from}.${m.name}`, m]));
  const rows: VerifyRow[] = [];
  for (const f of functions) {
    let references: BodyReference[];
    try {
      references = f.lang === 'sql' ? referencesInSql(lib, f.src) : referencesInPlpgsql(lib, f.def);
    } catch (error) {
      notes.push(`function ${f.schema}.${f.name}: body not parsed, not checked for moved names (${error instanceof Error ? error.message : String(error)})`);
      continue;
    }
    const path = searchPath(f.path ?? '"$user", public', user);
    const broken = new Set<string>();
    for (const r of references) {
      if (r.schema !== undefined) {
        const m = movedFrom.get(`${r.schema}.${r.name}`);
        if (m && !relations.has(`${r.schema}.${r.name}`)) broken.add(`${r.schema}.${r.name}, moved to ${m.to}.${m.name}`);
      } else {
        const m = moves.find((x) => x.name === r.name && path.includes(x.from));
        if (m && !path.some((s) => relations.has(`${s}.${r.name}`))) broken.add(`${r.name} (search_path ${path.join(', ')}), moved to ${m.to}.${m.name}`);
      }
    }
    if (broken.size === 0) continue;
    rows.push({
      object: `function ${f.schema}.${f.name}`,
      before: 'names objects that exist',
      after: `names ${[...broken].join('; ')}: fails when it runs${f.triggers ? ` (trigger ${f.triggers})` : ''}`,
      ok: false,
    });
  }
  return rows;
}

/** A function's search_path setting as schema names; `$user` is the role running it. */
function searchPath(setting: string, user: string): string[] {
  return setting
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => (s.startsWith('"') ? s.slice(1, -1).replace(/""/g, '"') : s.toLowerCase()))
    .map((s) => (s === '$user' ? user : s));
}

function referencesInSql(lib: LibPgQuery, sql: string): BodyReference[] {
  const out: BodyReference[] = [];
  for (const s of lib.parseSync(sql).stmts) collectRelations(s.stmt, out);
  return out;
}

/**
 * PL/pgSQL keeps each embedded statement and expression as text
 * (`PLpgSQL_expr.query`); expressions (`parseMode` other than 0) are parsed
 * as the SELECT PL/pgSQL itself runs them as. Dynamic SQL (EXECUTE) is text
 * built at run time and is not followed.
 */
function referencesInPlpgsql(lib: LibPgQuery, definition: string): BodyReference[] {
  const queries: string[] = [];
  const walk = (node: unknown) => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      const expr = (node as Node).PLpgSQL_expr;
      if (expr && typeof expr.query === 'string') queries.push(expr.parseMode ? `SELECT ${expr.query}` : expr.query);
      Object.values(node).forEach(walk);
    }
  };
  walk(lib.parsePlPgSQLSync(definition));
  const out: BodyReference[] = [];
  for (const q of queries) {
    try {
      for (const s of lib.parseSync(q).stmts) collectRelations(s.stmt, out);
    } catch {
      // An assignment target or a fragment the SQL grammar does not take alone: it names no relation.
    }
  }
  return out;
}

/** Every relation a statement names (its RangeVars), less the names its WITH clauses define. */
function collectRelations(tree: Node, out: BodyReference[]): void {
  const ctes = new Set<string>();
  const found: BodyReference[] = [];
  const walk = (node: unknown) => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      const n = node as Node;
      // A RangeVar: wrapped as { RangeVar: {...} } in FROM lists, bare where a field can only be one (INSERT INTO's relation).
      if (typeof n.relname === 'string') found.push({ schema: n.schemaname, name: n.relname });
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

/** A string constant holding a relation name (`schema.name`, either part possibly quoted). */
function nameInString(node: Node | undefined, out: BodyReference[]): void {
  const text: unknown = node?.A_Const?.sval?.sval;
  if (typeof text !== 'string') return;
  const parts = [...text.matchAll(/"((?:[^"]|"")*)"|([^."]+)/g)].map((m) => (m[1] !== undefined ? m[1].replace(/""/g, '"') : m[2]!.trim().toLowerCase()));
  if (parts.length === 1) out.push({ schema: undefined, name: parts[0]! });
  else if (parts.length === 2) out.push({ schema: parts[0], name: parts[1]! });
}
