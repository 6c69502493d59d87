import { ToolError } from '../../errors';
import { loadPgParser } from '../../patch/pgParser';
import { bodyReferences, type BodyReference } from '../../sql/routineBody';
import { qualified } from '../../sql/identifiers';
import { redactSecrets, redactUrl } from '../redact';
import type { DatabaseHazard } from '../types';
import { sqlMatcher, type HazardTarget } from './sqlReferences';

/** A database object with SQL in its definition. */
export interface CatalogEntry {
  kind: DatabaseHazard['kind'];
  /** How reports name it (see DatabaseHazard.name). */
  name: string;
  /** The definition as Postgres prints it (views, policies) or the body as written (functions, triggers' functions). */
  definition: string;
  /**
   * Functions and triggers' functions: the relations and types the body names, read with
   * Postgres' parser, as verification reads them (a PL/pgSQL `DECLARE s job_status`, `r
   * jobs%ROWTYPE`); undefined when the body does not parse.
   */
  bodyNames?: BodyReference[];
}

/**
 * Reads the definitions of the database's views, functions, policies and
 * triggers, read-only, and disconnects. Done before the move runs, so that
 * a wrong URL fails the run before anything is written, and so that the
 * matching afterwards is a pure function.
 */
export async function readCatalog(url: string): Promise<CatalogEntry[]> {
  const { Client } = require('pg') as typeof import('pg');
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  const fail = (error: unknown, doing: string): never => {
    const reason = error instanceof Error ? error.message.split('\n')[0]! : String(error);
    throw new ToolError(`--database-url ${redactUrl(url)}: ${doing}: ${redactSecrets(reason, url)}`);
  };
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    fail(error, 'cannot connect');
  }
  try {
    // Nothing here writes; make sure of it. An empty search_path makes Postgres print every name qualified.
    await client.query("BEGIN READ ONLY; SET LOCAL search_path = ''");
    const query = async <T,>(sql: string) => (await client.query(sql)).rows as T[];
    return await catalogEntries(query);
  } catch (error) {
    return fail(error, 'cannot read the catalog');
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
    await client.end().catch(() => undefined);
  }
}

/** The server's `server_version_num` (150000 for 15.0), read-only; the same errors as readCatalog. */
export async function readServerVersion(url: string): Promise<number> {
  const { Client } = require('pg') as typeof import('pg');
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
    const { rows } = await client.query<{ v: string }>("SELECT current_setting('server_version_num') AS v");
    return Number(rows[0]!.v);
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0]! : String(error);
    throw new ToolError(`--database-url ${redactUrl(url)}: cannot read the server version: ${redactSecrets(reason, url)}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

const USER_SCHEMAS = `n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'`;
/** Objects an extension created belong to the extension, not to the project. */
const NOT_FROM_EXTENSION = (classid: string, objid: string) =>
  `NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = '${classid}'::regclass AND d.objid = ${objid} AND d.deptype = 'e')`;

const VIEWS = `
SELECT n.nspname AS schema, c.relname AS name, c.relkind::text AS relkind, pg_get_viewdef(c.oid) AS definition
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('v', 'm') AND ${USER_SCHEMAS} AND ${NOT_FROM_EXTENSION('pg_class', 'c.oid')}
ORDER BY 1, 2`;

/** What bodyReferences reads a routine from: its language, body and whole CREATE statement (not an aggregate's). */
const ROUTINE_SOURCE = `l.lanname AS language, p.prosrc AS body, CASE WHEN p.prokind IN ('f', 'p') THEN pg_get_functiondef(p.oid) END AS create_statement`;

const FUNCTIONS = `
SELECT n.nspname AS schema, p.proname AS name, pg_get_function_identity_arguments(p.oid) AS args, ${ROUTINE_SOURCE}
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang
WHERE l.lanname IN ('sql', 'plpgsql') AND ${USER_SCHEMAS} AND ${NOT_FROM_EXTENSION('pg_proc', 'p.oid')}
ORDER BY 1, 2, 3`;

const POLICIES = `
SELECT schemaname AS schema, tablename AS "table", policyname AS name,
       concat_ws(' ', 'USING (' || qual || ')', 'WITH CHECK (' || with_check || ')') AS definition
FROM pg_policies ORDER BY 1, 2, 3`;

const TRIGGERS = `
SELECT n.nspname AS schema, c.relname AS "table", t.tgname AS name,
       pn.nspname AS function_schema, p.proname AS function_name, ${ROUTINE_SOURCE}
FROM pg_trigger t
JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_proc p ON p.oid = t.tgfoid JOIN pg_namespace pn ON pn.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang
WHERE NOT t.tgisinternal AND ${USER_SCHEMAS}
ORDER BY 1, 2, 3`;

async function catalogEntries(query: <T>(sql: string) => Promise<T[]>): Promise<CatalogEntry[]> {
  const entries: CatalogEntry[] = [];
  for (const v of await query<{ schema: string; name: string; relkind: string; definition: string | null }>(VIEWS)) {
    entries.push({ kind: v.relkind === 'm' ? 'materializedView' : 'view', name: `${v.schema}.${v.name}`, definition: v.definition ?? '' });
  }
  await loadPgParser();
  for (const f of await query<{ schema: string; name: string; args: string } & RoutineRow>(FUNCTIONS)) {
    entries.push({ kind: 'function', name: `${f.schema}.${f.name}(${f.args})`, definition: f.body ?? '', ...namesIn(f) });
  }
  for (const p of await query<{ schema: string; table: string; name: string; definition: string | null }>(POLICIES)) {
    entries.push({ kind: 'policy', name: `${p.schema}.${p.table}: ${p.name}`, definition: p.definition ?? '' });
  }
  for (const t of await query<{ schema: string; table: string; name: string; function_schema: string; function_name: string } & RoutineRow>(TRIGGERS)) {
    entries.push({
      kind: 'trigger',
      name: `${t.schema}.${t.table}: ${t.name} -> ${t.function_schema}.${t.function_name}()`,
      definition: t.body ?? '',
      ...namesIn(t),
    });
  }
  return entries;
}

interface RoutineRow {
  language: string;
  body: string | null;
  create_statement: string | null;
}

function namesIn(row: RoutineRow): Pick<CatalogEntry, 'bodyNames'> {
  if (row.body === null || row.create_statement === null) return {};
  try {
    return { bodyNames: bodyReferences({ language: row.language, body: row.body, definition: row.create_statement }) };
  } catch {
    return {};
  }
}

/**
 * Views, functions, policies and triggers whose definitions name a moved
 * object. Views and policies are stored bound to the table and follow
 * ALTER ... SET SCHEMA (reported so a reviewer knows they exist); function
 * bodies, triggers' included, are parsed at call time and break.
 */
export function findDatabaseHazards(catalog: CatalogEntry[], targets: HazardTarget[]): DatabaseHazard[] {
  const hazards: DatabaseHazard[] = [];
  const match = sqlMatcher(targets);
  for (const entry of catalog) {
    const seen = new Set<string>();
    const add = (target: HazardTarget, found: string, use: string) => {
      const key = `${target.kind}:${target.name}:${found}`;
      if (seen.has(key)) return;
      seen.add(key);
      hazards.push({ kind: entry.kind, name: entry.name, object: target.name, found, use, followsMove: entry.kind !== 'function' && entry.kind !== 'trigger' });
    };
    const matched = match(entry.definition);
    for (const ref of matched) add(ref.target, ref.found, ref.use);
    // What the text matcher cannot tell from a column or an alias (a PL/pgSQL variable's declared
    // type), Postgres' parser can: its names add the targets the matcher found nothing for.
    for (const ref of entry.bodyNames ?? []) {
      for (const target of targets) {
        if (ref.name !== target.name || matched.some((m) => m.target === target)) continue;
        if (ref.schema ? ref.schema === target.from && target.from !== target.to : target.to !== 'public') {
          add(target, ref.schema ? `${ref.schema}.${ref.name}` : ref.name, qualified(target.to, target.name));
        }
      }
    }
  }
  return hazards;
}
