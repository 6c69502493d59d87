import { loadPgParser } from '../patch/pgParser';
import { bodyReferences, relocateRoutineBody, searchPathSchemas, type BodyReference } from '../sql/routineBody';
import type { Database } from './database';
import type { Fingerprint, SchemaMove } from './fingerprint';
import { relocateQualifiedNames } from './relocateFingerprint';
import type { VerifyRow } from './verifyReport';

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
  moves = [...moves, ...(await ownedSequences(db, moves))];
  const functions = await readRoutines(db, schemas);
  if (functions.length === 0) return [];
  const relations = new Set(
    (
      await db.query<{ name: string }>(
        `SELECT n.nspname || '.' || c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')`,
      )
    ).map((r) => r.name),
  );
  // Enums, domains and the row types of tables and views, for a name used as a type.
  const types = new Set(
    (await db.query<{ name: string }>(`SELECT n.nspname || '.' || t.typname AS name FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace`)).map((r) => r.name),
  );
  const user = await currentUser(db);
  const movedFrom = new Map(moves.map((m) => [`${m.from}.${m.name}`, m]));
  const rows: VerifyRow[] = [];
  for (const f of functions) {
    let references: BodyReference[];
    try {
      references = bodyReferences({ language: f.lang, body: f.src, definition: f.def });
    } catch (error) {
      notes.push(`function ${f.schema}.${f.name}: body not parsed, not checked for moved names (${error instanceof Error ? error.message : String(error)})`);
      continue;
    }
    const path = searchPathSchemas(f.path ?? undefined, user);
    const broken = new Set<string>();
    for (const r of references) {
      const exists = r.type ? types : relations;
      if (r.schema !== undefined) {
        const m = movedFrom.get(`${r.schema}.${r.name}`);
        if (m && !exists.has(`${r.schema}.${r.name}`)) broken.add(`${r.schema}.${r.name}, moved to ${m.to}.${m.name}`);
      } else {
        const m = moves.find((x) => x.name === r.name && path.includes(x.from));
        if (m && !path.some((s) => exists.has(`${s}.${r.name}`))) broken.add(`${r.name} (search_path ${path.join(', ')}), moved to ${m.to}.${m.name}`);
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


/** A SQL or PL/pgSQL function or procedure as the catalog has it (not an extension's). */
export interface Routine {
  schema: string;
  /** `name(identity arguments)`, as the fingerprint names it. */
  name: string;
  lang: string;
  def: string;
  src: string;
  path: string | null;
  triggers: string | null;
  /** md5 of the body, as the fingerprint's entry has it. */
  md5: string;
}

/**
 * Read under an empty search_path, as the fingerprint is, so that a routine is
 * named as its fingerprint entry is: `f(s public.status)`, not `f(s status)`.
 */
export async function readRoutines(db: Database, schemas: string[]): Promise<Routine[]> {
  const [{ search_path: saved } = { search_path: '' }] = await db.query<{ search_path: string }>('SHOW search_path');
  await db.exec(`SET search_path = ''`);
  try {
    return await queryRoutines(db, schemas);
  } finally {
    await db.exec(`SET search_path = ${saved.trim() === '' || saved === '""' ? "''" : saved}`);
  }
}

async function queryRoutines(db: Database, schemas: string[]): Promise<Routine[]> {
  return db.query<Routine>(
    `SELECT n.nspname AS schema, p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')' AS name, l.lanname AS lang,
            pg_get_functiondef(p.oid) AS def, p.prosrc AS src,
            md5(coalesce(p.prosrc, '')) AS md5,
            (SELECT substr(c, length('search_path=') + 1) FROM unnest(p.proconfig) c WHERE c LIKE 'search\\_path=%') AS path,
            (SELECT string_agg(t.tgname || ' on ' || tn.nspname || '.' || tc.relname, ', ' ORDER BY 1)
               FROM pg_trigger t JOIN pg_class tc ON tc.oid = t.tgrelid JOIN pg_namespace tn ON tn.oid = tc.relnamespace
              WHERE t.tgfoid = p.oid AND NOT t.tgisinternal) AS triggers
     FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang
     WHERE n.nspname = ANY($1) AND p.prokind IN ('f', 'p') AND l.lanname IN ('sql', 'plpgsql')
       AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')`,
    [schemas],
  );
}

async function currentUser(db: Database): Promise<string> {
  const [{ user } = { user: '' }] = await db.query<{ user: string }>('SELECT current_user AS user');
  return user;
}

/**
 * A move repairs the bodies that name a moved object by its qualified name
 * (src/patch/routineRepairs.ts): after it, such a body is expected to be the
 * original with those names relocated, exactly (`relocateRoutineBody`, the
 * patch stage's own rewrite), and any other body as it was. `before` is read
 * before the migration; the expected function entries are edited in place
 * when the migrated body is that relocation, so a body replaced by anything
 * else still differs. Returns the functions whose relocated body is expected.
 */
export async function expectRelocatedBodies(db: Database, expected: Fingerprint, before: Routine[], moves: SchemaMove[]): Promise<string[]> {
  if (moves.length === 0 || before.length === 0) return [];
  await loadPgParser();
  const user = await currentUser(db);
  moves = [...moves, ...(await ownedSequences(db, moves))];
  const after = new Map((await readRoutines(db, [...new Set(before.map((r) => r.schema))])).map((r) => [`${r.schema}.${r.name}`, r]));
  // The signature names the argument types where they are: `f(s public.status)` is `f(s chat.status)` after the move.
  const signature = relocateQualifiedNames(moves);
  const repaired: string[] = [];
  for (const r of before) {
    let body: string;
    try {
      body = relocateRoutineBody({ language: r.lang, body: r.src, definition: r.def, searchPath: searchPathSchemas(r.path ?? undefined, user) }, moves).body;
    } catch {
      continue; // checkFunctionBodies names a body that does not parse
    }
    const now = after.get(`${r.schema}.${signature(r.name)}`);
    if (body === r.src || now?.src !== body) continue;
    const key = `function ${r.schema}.${signature(r.name)}`;
    const entry = expected.get(key);
    if (!entry) continue;
    expected.set(key, { ...entry, value: entry.value.replace(/body md5 \w+$/, `body md5 ${now.md5}`) });
    repaired.push(key);
  }
  return repaired;
}

/** The sequences of moved tables' serial and identity columns, which moved with them (read after the migration). */
async function ownedSequences(db: Database, moves: SchemaMove[]): Promise<SchemaMove[]> {
  const owned = await db.query<{ name: string; schema: string; tbl: string }>(
    `SELECT s.relname AS name, sn.nspname AS schema, t.relname AS tbl
     FROM pg_class s JOIN pg_namespace sn ON sn.oid = s.relnamespace
     JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = s.oid AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
     JOIN pg_class t ON t.oid = d.refobjid
     WHERE s.relkind = 'S'`,
  );
  return moves.flatMap((m) => owned.filter((o) => o.tbl === m.name && o.schema === m.to).map((o) => ({ name: o.name, from: m.from, to: m.to })));
}
