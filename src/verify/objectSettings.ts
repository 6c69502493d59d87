import type { Database } from './database';
import type { Entry } from './fingerprint';

/**
 * The fingerprint's second half: what a migration can lose or widen without
 * touching a row or an object's presence. Owners, persistence (UNLOGGED),
 * storage parameters and view options (reloptions: security_invoker,
 * check_option), replica identity, whether a materialized view holds data;
 * comments on every kind of object; rules; functions (body, settings, who may
 * execute them); column privileges; default privileges. Each query reads the
 * catalog directly, under the empty search_path `fingerprint` sets.
 */
export async function readObjectSettings(db: Database, schemas: string[], add: (e: Entry) => void): Promise<void> {
  for (const r of await db.query<{ schema: string; name: string; kind: string; owner: string; persistence: string; options: string | null; replident: string; replindex: string | null; populated: boolean }>(
    `SELECT n.nspname AS schema, c.relname AS name, c.relkind::text AS kind, pg_get_userbyid(c.relowner) AS owner,
            c.relpersistence::text AS persistence, array_to_string(c.reloptions, ',') AS options, c.relreplident::text AS replident,
            (SELECT ic.relname FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid WHERE i.indrelid = c.oid AND i.indisreplident) AS replindex,
            c.relispopulated AS populated
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S') AND n.nspname = ANY($1)`,
    [schemas],
  )) {
    const table = r.kind === 'r' || r.kind === 'p';
    add({
      kind: 'settings',
      schema: r.schema,
      name: r.name,
      table: r.name,
      value: [
        `owner ${r.owner}`,
        r.persistence === 'u' ? 'unlogged' : r.persistence === 't' ? 'temporary' : 'logged',
        `options (${r.options ?? ''})`,
        ...(table ? [`replica identity ${REPLICA_IDENTITY[r.replident] ?? r.replident}${r.replindex ? ` ${r.replindex}` : ''}`] : []),
        ...(r.kind === 'm' ? [r.populated ? 'populated' : 'not populated'] : []),
      ].join(', '),
    });
  }

  // One query over pg_description for every object kind a comment can hang off,
  // named `table`, `table.column`, `table.name (constraint)`, `f(args)`...;
  // `tbl` is the table (or type) whose move carries the comment with it.
  for (const c of await db.query<{ schema: string; tbl: string; name: string; comment: string }>(
    `SELECT n.nspname AS schema,
            CASE WHEN c.relkind IN ('i', 'I') THEN (SELECT t.relname FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid WHERE i.indexrelid = c.oid)
                 ELSE c.relname END AS tbl,
            CASE WHEN d.objsubid > 0 THEN c.relname || '.' || a.attname ELSE c.relname END AS name,
            d.description AS comment
     FROM pg_description d JOIN pg_class c ON d.classoid = 'pg_class'::regclass AND c.oid = d.objoid
     JOIN pg_namespace n ON n.oid = c.relnamespace
     LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.objsubid AND d.objsubid > 0
     WHERE n.nspname = ANY($1)
     UNION ALL
     SELECT n.nspname, coalesce(cl.relname, t.typname), coalesce(cl.relname, t.typname) || '.' || co.conname || ' (constraint)', d.description
     FROM pg_description d JOIN pg_constraint co ON d.classoid = 'pg_constraint'::regclass AND co.oid = d.objoid
     JOIN pg_namespace n ON n.oid = co.connamespace
     LEFT JOIN pg_class cl ON cl.oid = co.conrelid LEFT JOIN pg_type t ON t.oid = co.contypid
     WHERE n.nspname = ANY($1)
     UNION ALL
     SELECT n.nspname, t.typname, t.typname, d.description
     FROM pg_description d JOIN pg_type t ON d.classoid = 'pg_type'::regclass AND t.oid = d.objoid
     JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = ANY($1)
     UNION ALL
     SELECT n.nspname, c.relname, c.relname || '.' || tg.tgname || ' (trigger)', d.description
     FROM pg_description d JOIN pg_trigger tg ON d.classoid = 'pg_trigger'::regclass AND tg.oid = d.objoid
     JOIN pg_class c ON c.oid = tg.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ANY($1)
     UNION ALL
     SELECT n.nspname, c.relname, c.relname || '.' || p.polname || ' (policy)', d.description
     FROM pg_description d JOIN pg_policy p ON d.classoid = 'pg_policy'::regclass AND p.oid = d.objoid
     JOIN pg_class c ON c.oid = p.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ANY($1)
     UNION ALL
     SELECT n.nspname, NULL, p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')', d.description
     FROM pg_description d JOIN pg_proc p ON d.classoid = 'pg_proc'::regclass AND p.oid = d.objoid
     JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = ANY($1)
     UNION ALL
     SELECT n.nspname, NULL, n.nspname || ' (schema)', d.description
     FROM pg_description d JOIN pg_namespace n ON d.classoid = 'pg_namespace'::regclass AND n.oid = d.objoid WHERE n.nspname = ANY($1)`,
    [schemas],
  )) {
    add({ kind: 'comment', schema: c.schema, name: c.name, ...(c.tbl ? { table: c.tbl } : {}), value: c.comment });
  }

  for (const r of await db.query<{ schema: string; tbl: string; name: string; def: string }>(
    `SELECT schemaname AS schema, tablename AS tbl, rulename AS name, definition AS def FROM pg_rules WHERE schemaname = ANY($1)`,
    [schemas],
  )) {
    add({ kind: 'rule', schema: r.schema, name: `${r.tbl}.${r.name}`, table: r.tbl, value: r.def });
  }

  // Functions an extension installs are the extension's; the body is hashed (a
  // move never changes it, and function bodies are checked for moved names apart).
  // The argument and result types are text, relocated with the moves: a function
  // of a moved enum or table's row type follows it by OID (`f(s public.status)`
  // is `f(s chat.status)` after ALTER TYPE ... SET SCHEMA chat).
  for (const f of await db.query<{ schema: string; name: string; lang: string; result: string; volatility: string; definer: boolean; owner: string; config: string | null; acl: string | null; body: string }>(
    `SELECT n.nspname AS schema, p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')' AS name, l.lanname AS lang,
            coalesce(pg_get_function_result(p.oid), '') AS result,
            p.provolatile::text AS volatility, p.prosecdef AS definer, pg_get_userbyid(p.proowner) AS owner,
            array_to_string(p.proconfig, ',') AS config, p.proacl::text AS acl, md5(coalesce(p.prosrc, '')) AS body
     FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang
     WHERE n.nspname = ANY($1) AND p.prokind IN ('f', 'p')
       AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')`,
    [schemas],
  )) {
    add({
      kind: 'function',
      schema: f.schema,
      name: f.name,
      value:
        `language ${f.lang}, returns ${f.result}, ${VOLATILITY[f.volatility] ?? f.volatility}, security ${f.definer ? 'definer' : 'invoker'}, owner ${f.owner}, ` +
        `config (${f.config ?? ''}), execute ${f.acl ?? 'default'}, body md5 ${f.body}`,
    });
  }

  // Column grants, and whether each grantee still reaches the column (USAGE on its schema), as table grants.
  for (const g of await db.query<{ schema: string; tbl: string; col: string; grantee: string; privileges: string; reachable: boolean }>(
    `SELECT n.nspname AS schema, c.relname AS tbl, a.attname AS col,
            CASE WHEN x.grantee = 0 THEN 'public' ELSE pg_get_userbyid(x.grantee) END AS grantee,
            string_agg(x.privilege_type || CASE WHEN x.is_grantable THEN ' with grant option' ELSE '' END, ',' ORDER BY x.privilege_type) AS privileges,
            CASE WHEN x.grantee = 0 THEN EXISTS (
                   SELECT 1 FROM aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) s WHERE s.grantee = 0 AND s.privilege_type = 'USAGE')
                 ELSE has_schema_privilege(x.grantee, n.oid, 'USAGE') END AS reachable
     FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace, aclexplode(a.attacl) x
     WHERE a.attacl IS NOT NULL AND NOT a.attisdropped AND n.nspname = ANY($1)
     GROUP BY 1, 2, 3, 4, n.oid, x.grantee`,
    [schemas],
  )) {
    const value = `${g.privileges}${g.reachable ? '' : ` (no USAGE on schema ${g.schema})`}`;
    add({ kind: 'column grant', schema: g.schema, name: `${g.tbl}.${g.col}:${g.grantee}`, table: g.tbl, value });
  }

  // Default privileges in a compared schema, and those for every schema
  // (ALTER DEFAULT PRIVILEGES without IN SCHEMA), which reach tables made later anywhere.
  for (const d of await db.query<{ schema: string | null; role: string; objtype: string; acl: string }>(
    `SELECT n.nspname AS schema, pg_get_userbyid(d.defaclrole) AS role, d.defaclobjtype::text AS objtype, d.defaclacl::text AS acl
     FROM pg_default_acl d LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace
     WHERE d.defaclnamespace = 0 OR n.nspname = ANY($1)`,
    [schemas],
  )) {
    add({
      kind: 'default privileges',
      schema: d.schema ?? ALL_SCHEMAS,
      name: `${DEFAULT_ACL_OBJECTS[d.objtype] ?? d.objtype} created by ${d.role}`,
      value: d.acl,
    });
  }
}

/** The schema of default privileges that apply in every schema. */
export const ALL_SCHEMAS = '(every schema)';

const REPLICA_IDENTITY: Record<string, string> = { d: 'default', n: 'nothing', f: 'full', i: 'index' };
const VOLATILITY: Record<string, string> = { i: 'immutable', s: 'stable', v: 'volatile' };
const DEFAULT_ACL_OBJECTS: Record<string, string> = { r: 'tables', S: 'sequences', f: 'functions', T: 'types', n: 'schemas' };
