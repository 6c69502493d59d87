import { ident, qualified } from '../sql/identifiers';
import type { Database } from './database';
import { readObjectSettings } from './objectSettings';

/** What a fingerprint entry describes. */
export type EntryKind =
  | 'schema'
  | 'table'
  | 'columns'
  | 'index'
  | 'constraint'
  | 'sequence'
  | 'enum'
  | 'view'
  | 'trigger'
  | 'policy'
  | 'grant'
  | 'settings'
  | 'comment'
  | 'rule'
  | 'function'
  | 'column grant'
  | 'default privileges';

/**
 * One object's state. `schema` is where it lives; `table` the table it hangs
 * off (indexes, constraints, triggers, policies, grants, owned sequences),
 * which decides where it must be after a move.
 */
export interface Entry {
  kind: EntryKind;
  schema: string;
  name: string;
  table?: string;
  value: string;
  /** Row count, for tables: reported apart from the checksum. */
  rows?: number;
  /** Column names, for tables: the columns the checksum covers. */
  columns?: string[];
  /** For column lists: each column's part of `value`, so that columns a migration adds can be told apart. */
  columnDefs?: Array<{ name: string; def: string }>;
}

/** Every entry, keyed by `kind schema.name`. */
export type Fingerprint = Map<string, Entry>;

export const entryKey = (e: Pick<Entry, 'kind' | 'schema' | 'name'>) => `${e.kind} ${e.schema}.${e.name}`;

/** Schemas that belong to Postgres or to drizzle's bookkeeping, never fingerprinted. */
const SYSTEM_SCHEMAS = ['pg_catalog', 'information_schema', 'pg_toast'];

/** The user schemas of the database, minus `exclude` (the migrations table's schema, say). */
export async function userSchemas(db: Database, exclude: string[] = []): Promise<string[]> {
  const rows = await db.query<{ name: string }>(
    `SELECT nspname AS name FROM pg_namespace
     WHERE nspname <> ALL($1) AND nspname NOT LIKE 'pg\\_temp\\_%' AND nspname NOT LIKE 'pg\\_toast\\_temp\\_%'
     ORDER BY 1`,
    [[...SYSTEM_SCHEMAS, ...exclude]],
  );
  return rows.map((r) => r.name);
}

export interface FingerprintOptions {
  /** Only these columns count in a table's checksum (the columns it had before); by default all. */
  columnsOf?: (schema: string, table: string) => string[] | undefined;
  /** Tables left out (`schema.table`), with what hangs off them: drizzle's migrations table, never its whole schema. */
  skipTables?: string[];
}

/**
 * Everything that must survive a move, read with an empty search_path so that
 * every definition names its objects fully qualified (and can be compared
 * across schemas by rewriting those names): per table the row count and a
 * content checksum, its columns, RLS flags; indexes, constraints with their
 * FK targets, sequences and their current values, enums and their labels,
 * views, triggers (and their enabled state), policies, and grants with whether
 * the grantee can still reach the table (USAGE on its schema); then the
 * settings, comments, rules, functions and privileges of `readObjectSettings`.
 */
export async function fingerprint(db: Database, schemas: string[], options: FingerprintOptions = {}): Promise<Fingerprint> {
  const out: Fingerprint = new Map();
  const add = (e: Entry) => out.set(entryKey(e), e);
  const [{ search_path: savedPath } = { search_path: '' }] = await db.query<{ search_path: string }>('SHOW search_path');
  await db.exec(`SET search_path = ''`);
  try {
    for (const n of await db.query<{ name: string; acl: string | null; owner: string }>(
      // A NULL ACL is the default one spelled out: a REVOKE of all a GRANT gave leaves it explicit, the same privileges.
      `SELECT nspname AS name, coalesce(nspacl, acldefault('n', nspowner))::text AS acl, pg_get_userbyid(nspowner) AS owner FROM pg_namespace WHERE nspname = ANY($1)`,
      [schemas],
    )) {
      add({ kind: 'schema', schema: n.name, name: n.name, value: `owner ${n.owner}, privileges ${n.acl ?? 'default'}` });
    }
    const tables = await db.query<{ schema: string; name: string; rls: boolean; force: boolean }>(
      `SELECT n.nspname AS schema, c.relname AS name, c.relrowsecurity AS rls, c.relforcerowsecurity AS force
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY($1) ORDER BY 1, 2`,
      [schemas],
    );
    const columns = await db.query<{
      schema: string;
      tbl: string;
      name: string;
      type: string;
      notnull: boolean;
      def: string | null;
      identity: string;
      generated: string;
      collation: string | null;
    }>(
      `SELECT n.nspname AS schema, c.relname AS tbl, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
              a.attnotnull AS notnull, pg_get_expr(d.adbin, d.adrelid) AS def, a.attidentity AS identity, a.attgenerated AS generated,
              CASE WHEN a.attcollation <> ty.typcollation THEN (SELECT collname FROM pg_collation WHERE oid = a.attcollation) END AS collation
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_type ty ON ty.oid = a.atttypid
       LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
       WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY($1) AND a.attnum > 0 AND NOT a.attisdropped
       ORDER BY 1, 2, a.attnum`,
      [schemas],
    );
    const columnsByTable = new Map<string, typeof columns>();
    for (const c of columns) {
      const k = `${c.schema}.${c.tbl}`;
      columnsByTable.set(k, [...(columnsByTable.get(k) ?? []), c]);
    }
    for (const t of tables) {
      const own = columnsByTable.get(`${t.schema}.${t.name}`) ?? [];
      const counted = options.columnsOf?.(t.schema, t.name) ?? own.map((c) => c.name);
      const present = counted.filter((name) => own.some((c) => c.name === name));
      const rowExpr = present.length ? `ROW(${present.map((c) => `t.${ident(c)}`).join(', ')})::text` : `''`;
      const [row] = await db.query<{ rows: string; checksum: string }>(
        `SELECT count(*)::text AS rows, md5(coalesce(string_agg(r, ',' ORDER BY r), '')) AS checksum
         FROM (SELECT md5(${rowExpr}) AS r FROM ${qualified(t.schema, t.name)} t) s`,
      );
      const missing = counted.filter((name) => !present.includes(name));
      add({
        kind: 'table',
        schema: t.schema,
        name: t.name,
        rows: Number(row!.rows),
        columns: present,
        value: `${row!.rows} rows, checksum ${row!.checksum}${missing.length ? `, columns gone: ${missing.join(', ')}` : ''}`,
      });
      const columnDefs = own.map((c) => ({
        name: c.name,
        def:
          `${c.name} ${c.type}${c.collation ? ` collate ${c.collation}` : ''}${c.notnull ? ' not null' : ''}${c.def !== null ? ` default ${c.def}` : ''}` +
          `${c.identity ? ` identity ${c.identity}` : ''}${c.generated ? ` generated ${c.generated}` : ''}`,
      }));
      add({
        kind: 'columns',
        schema: t.schema,
        name: t.name,
        table: t.name,
        value: [...columnDefs.map((c) => c.def), `rls ${t.rls ? 'on' : 'off'}${t.force ? ' forced' : ''}`].join('; '),
        columnDefs,
      });
    }

    for (const i of await db.query<{ schema: string; name: string; tbl: string; def: string }>(
      `SELECT schemaname AS schema, indexname AS name, tablename AS tbl, indexdef AS def FROM pg_indexes WHERE schemaname = ANY($1)`,
      [schemas],
    )) {
      add({ kind: 'index', schema: i.schema, name: i.name, table: i.tbl, value: i.def });
    }

    // A foreign key is enforced by internal triggers on both tables: DISABLE
    // TRIGGER ALL on the referenced table stops deletes cascading while the
    // constraint itself looks unchanged.
    for (const c of await db.query<{ schema: string; tbl: string; name: string; def: string; validated: boolean; triggers: string | null }>(
      `SELECT n.nspname AS schema, cl.relname AS tbl, co.conname AS name, pg_get_constraintdef(co.oid) AS def, co.convalidated AS validated,
              (SELECT string_agg(DISTINCT CASE WHEN t.tgrelid = co.conrelid THEN 'referencing' ELSE 'referenced' END || ' side ' ||
                        CASE t.tgenabled WHEN 'D' THEN 'disabled' WHEN 'R' THEN 'enabled replica' WHEN 'A' THEN 'enabled always' ELSE t.tgenabled::text END, ', ')
                 FROM pg_trigger t WHERE t.tgconstraint = co.oid AND t.tgisinternal AND t.tgenabled <> 'O') AS triggers
       FROM pg_constraint co JOIN pg_class cl ON cl.oid = co.conrelid JOIN pg_namespace n ON n.oid = cl.relnamespace
       WHERE n.nspname = ANY($1)`,
      [schemas],
    )) {
      const state = c.triggers ? ` (triggers: ${c.triggers})` : '';
      add({ kind: 'constraint', schema: c.schema, name: `${c.tbl}.${c.name}`, table: c.tbl, value: `${c.def}${c.validated ? '' : ' NOT VALID'}${state}` });
    }

    for (const s of await db.query<{ schema: string; name: string; last: string | null; def: string; owner: string | null }>(
      `SELECT s.schemaname AS schema, s.sequencename AS name, s.last_value::text AS last,
              s.data_type::text || ' start ' || s.start_value || ' increment ' || s.increment_by || ' min ' || s.min_value || ' max ' || s.max_value || ' cache ' || s.cache_size || ' cycle ' || s.cycle AS def,
              (SELECT oc.relname FROM pg_depend d JOIN pg_class oc ON oc.oid = d.refobjid
                WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') LIMIT 1) AS owner
       FROM pg_sequences s JOIN pg_namespace n ON n.nspname = s.schemaname JOIN pg_class c ON c.relname = s.sequencename AND c.relnamespace = n.oid
       WHERE s.schemaname = ANY($1)`,
      [schemas],
    )) {
      add({
        kind: 'sequence',
        schema: s.schema,
        name: s.name,
        ...(s.owner ? { table: s.owner } : {}),
        value: `last value ${s.last ?? 'unused'}, ${s.def}`,
      });
    }

    for (const e of await db.query<{ schema: string; name: string; labels: string }>(
      `SELECT n.nspname AS schema, t.typname AS name, string_agg(e.enumlabel, ', ' ORDER BY e.enumsortorder) AS labels
       FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace JOIN pg_enum e ON e.enumtypid = t.oid
       WHERE n.nspname = ANY($1) GROUP BY 1, 2`,
      [schemas],
    )) {
      add({ kind: 'enum', schema: e.schema, name: e.name, value: e.labels });
    }

    for (const v of await db.query<{ schema: string; name: string; kind: string; def: string }>(
      `SELECT n.nspname AS schema, c.relname AS name, c.relkind::text AS kind, pg_get_viewdef(c.oid) AS def
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE c.relkind IN ('v', 'm') AND n.nspname = ANY($1)`,
      [schemas],
    )) {
      add({ kind: 'view', schema: v.schema, name: v.name, value: `${v.kind === 'm' ? 'materialized ' : ''}${v.def.trim()}` });
    }

    for (const t of await db.query<{ schema: string; tbl: string; name: string; def: string; enabled: string }>(
      `SELECT n.nspname AS schema, c.relname AS tbl, t.tgname AS name, pg_get_triggerdef(t.oid) AS def, t.tgenabled AS enabled
       FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE NOT t.tgisinternal AND n.nspname = ANY($1)`,
      [schemas],
    )) {
      add({ kind: 'trigger', schema: t.schema, name: `${t.tbl}.${t.name}`, table: t.tbl, value: `${t.def}${TRIGGER_STATE[t.enabled] ?? ''}` });
    }

    for (const p of await db.query<{ schema: string; tbl: string; name: string; cmd: string; permissive: boolean; roles: string; qual: string | null; check: string | null }>(
      `SELECT n.nspname AS schema, c.relname AS tbl, p.polname AS name, p.polcmd::text AS cmd, p.polpermissive AS permissive,
              (SELECT string_agg(CASE WHEN r = 0 THEN 'public' ELSE pg_get_userbyid(r) END, ', ' ORDER BY 1) FROM unnest(p.polroles) r) AS roles,
              pg_get_expr(p.polqual, p.polrelid) AS qual, pg_get_expr(p.polwithcheck, p.polrelid) AS check
       FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = ANY($1)`,
      [schemas],
    )) {
      add({
        kind: 'policy',
        schema: p.schema,
        name: `${p.tbl}.${p.name}`,
        table: p.tbl,
        value: `${p.permissive ? 'permissive' : 'restrictive'} for ${p.cmd} to ${p.roles} using (${p.qual ?? ''}) with check (${p.check ?? ''})`,
      });
    }

    // Explicit grants on tables, views and sequences, and whether each grantee can
    // still reach the object: a table moved into a schema the role has no USAGE on
    // keeps its ACL but is out of reach.
    for (const g of await db.query<{ schema: string; name: string; grantee: string; privileges: string; reachable: boolean }>(
      `SELECT n.nspname AS schema, c.relname AS name,
              CASE WHEN a.grantee = 0 THEN 'public' ELSE pg_get_userbyid(a.grantee) END AS grantee,
              string_agg(a.privilege_type || CASE WHEN a.is_grantable THEN ' with grant option' ELSE '' END, ',' ORDER BY a.privilege_type) AS privileges,
              CASE WHEN a.grantee = 0 THEN EXISTS (
                     SELECT 1 FROM aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) s WHERE s.grantee = 0 AND s.privilege_type = 'USAGE')
                   ELSE has_schema_privilege(a.grantee, n.oid, 'USAGE') END AS reachable
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, aclexplode(c.relacl) a
       WHERE c.relacl IS NOT NULL AND a.grantee <> c.relowner AND c.relkind IN ('r', 'p', 'v', 'm', 'S') AND n.nspname = ANY($1)
       GROUP BY 1, 2, 3, n.oid, a.grantee`,
      [schemas],
    )) {
      add({
        kind: 'grant',
        schema: g.schema,
        name: `${g.name}:${g.grantee}`,
        table: g.name,
        value: `${g.privileges}${g.reachable ? '' : ` (no USAGE on schema ${g.schema})`}`,
      });
    }
    await readObjectSettings(db, schemas, add);
  } finally {
    await db.exec(`SET search_path = ${savedPath.trim() === '' || savedPath === '""' ? "''" : savedPath}`);
  }
  const skipped = new Set(options.skipTables ?? []);
  for (const [key, e] of out) if (e.kind !== 'schema' && skipped.has(`${e.schema}.${e.table ?? e.name}`)) out.delete(key);
  return out;
}

export { relocateFingerprint, type SchemaMove } from './relocateFingerprint';

/** `tgenabled` other than `O` (fires in origin and local mode, the default). */
const TRIGGER_STATE: Record<string, string> = { D: ' (disabled)', R: ' (enabled replica)', A: ' (enabled always)' };

export interface FingerprintDifference {
  kind: EntryKind;
  /** `schema.name` as expected after the move. */
  object: string;
  before: string;
  after: string;
}

/**
 * Every entry of `expected` that is missing or different in `actual`. Entries
 * only in `actual` are additions (other changes in the migration, a created
 * schema's objects) and are returned apart.
 */
export function compareFingerprints(
  expected: Fingerprint,
  actual: Fingerprint,
): { differences: FingerprintDifference[]; added: Entry[] } {
  const differences: FingerprintDifference[] = [];
  for (const [key, e] of expected) {
    const a = actual.get(key);
    if (!a) {
      const elsewhere = [...actual.values()].find((x) => x.kind === e.kind && x.name === e.name);
      differences.push({
        kind: e.kind,
        object: `${e.schema}.${e.name}`,
        before: e.value,
        after: elsewhere ? `found in schema ${elsewhere.schema} instead` : 'missing',
      });
    } else if (a.value !== e.value) {
      differences.push({ kind: e.kind, object: `${e.schema}.${e.name}`, before: e.value, after: a.value });
    }
  }
  const added = [...actual].filter(([key]) => !expected.has(key)).map(([, e]) => e);
  return { differences, added };
}
