/** Anything that answers SQL: a pg client in a read-only transaction, or PGlite. */
export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
}

export interface CatalogColumn {
  type: string;
  notNull: boolean;
  default: string | null;
}

/**
 * What the schema diff compares, keyed by qualified name: relations
 * (`public.users` -> kind), columns (`public.users.email`), indexes
 * (`public.users_email_idx`), constraints (`public.users.users_email_unique`)
 * and enums (`public.job_status` -> labels in order).
 */
export interface Catalog {
  relations: Map<string, string>;
  columns: Map<string, CatalogColumn>;
  indexes: Map<string, string>;
  /** index -> its table, both qualified */
  indexTables: Map<string, string>;
  constraints: Map<string, string>;
  enums: Map<string, string[]>;
}

const RELATION_KIND: Record<string, string> = {
  r: 'table',
  p: 'table',
  v: 'view',
  m: 'materialized view',
  S: 'sequence',
};

/** Reads the catalog of the given schemas; `exclude` lists qualified relations to leave out (the migrations table). */
export async function readCatalog(db: Queryable, schemas: string[], exclude: string[] = []): Promise<Catalog> {
  const skip = new Set(exclude);
  const catalog: Catalog = {
    relations: new Map(),
    columns: new Map(),
    indexes: new Map(),
    indexTables: new Map(),
    constraints: new Map(),
    enums: new Map(),
  };
  for (const r of await db.query<{ schema: string; name: string; kind: string }>(
    `SELECT n.nspname AS schema, c.relname AS name, c.relkind::text AS kind
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = ANY($1) AND c.relkind IN ('r', 'p', 'v', 'm', 'S')`,
    [schemas],
  )) {
    if (!skip.has(`${r.schema}.${r.name}`)) catalog.relations.set(`${r.schema}.${r.name}`, RELATION_KIND[r.kind] ?? r.kind);
  }
  for (const c of await db.query<{ schema: string; rel: string; name: string; type: string; not_null: boolean; def: string | null }>(
    `SELECT n.nspname AS schema, c.relname AS rel, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
            a.attnotnull AS not_null, pg_get_expr(d.adbin, d.adrelid) AS def
     FROM pg_attribute a
     JOIN pg_class c ON c.oid = a.attrelid
     JOIN pg_namespace n ON n.oid = c.relnamespace
     LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
     WHERE n.nspname = ANY($1) AND c.relkind IN ('r', 'p', 'v', 'm') AND a.attnum > 0 AND NOT a.attisdropped`,
    [schemas],
  )) {
    if (skip.has(`${c.schema}.${c.rel}`)) continue;
    catalog.columns.set(`${c.schema}.${c.rel}.${c.name}`, { type: c.type, notNull: c.not_null, default: c.def });
  }
  for (const i of await db.query<{ schema: string; tbl: string; name: string; def: string }>(
    `SELECT schemaname AS schema, tablename AS tbl, indexname AS name, indexdef AS def FROM pg_indexes WHERE schemaname = ANY($1)`,
    [schemas],
  )) {
    if (skip.has(`${i.schema}.${i.tbl}`)) continue;
    catalog.indexes.set(`${i.schema}.${i.name}`, i.def);
    catalog.indexTables.set(`${i.schema}.${i.name}`, `${i.schema}.${i.tbl}`);
  }
  // Primary key, unique, foreign key, check and exclusion constraints (Postgres 18 also lists NOT NULL ones: columns cover those).
  for (const c of await db.query<{ schema: string; rel: string; name: string; def: string }>(
    `SELECT n.nspname AS schema, cl.relname AS rel, co.conname AS name, pg_get_constraintdef(co.oid) AS def
     FROM pg_constraint co JOIN pg_class cl ON cl.oid = co.conrelid JOIN pg_namespace n ON n.oid = cl.relnamespace
     WHERE n.nspname = ANY($1) AND co.contype IN ('p', 'u', 'f', 'c', 'x')`,
    [schemas],
  )) {
    if (!skip.has(`${c.schema}.${c.rel}`)) catalog.constraints.set(`${c.schema}.${c.rel}.${c.name}`, c.def);
  }
  for (const e of await db.query<{ schema: string; name: string; labels: string[] | string }>(
    `SELECT n.nspname AS schema, t.typname AS name, json_agg(e.enumlabel ORDER BY e.enumsortorder) AS labels
     FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace JOIN pg_enum e ON e.enumtypid = t.oid
     WHERE n.nspname = ANY($1) GROUP BY 1, 2`,
    [schemas],
  )) {
    catalog.enums.set(`${e.schema}.${e.name}`, typeof e.labels === 'string' ? (JSON.parse(e.labels) as string[]) : e.labels);
  }
  return catalog;
}

/** Schemas other than Postgres' own (the ones the migrations can have made). */
export async function userSchemas(db: Queryable): Promise<string[]> {
  const rows = await db.query<{ name: string }>(
    `SELECT nspname AS name FROM pg_namespace
     WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema' ORDER BY 1`,
  );
  return rows.map((r) => r.name);
}

export interface DriftItem {
  /** Qualified name: `public.users.email`, `public.users_email_idx`, `public.job_status`. */
  object: string;
  kind: 'table' | 'view' | 'materialized view' | 'sequence' | 'column' | 'index' | 'constraint' | 'enum';
  /** What is wrong, in the live database's terms: `type text, expected character varying(255)`. */
  problem: string;
}

/** Every difference between what the migrations produce (`expected`) and the live database (`actual`), by object. */
export function compareCatalogs(expected: Catalog, actual: Catalog): DriftItem[] {
  const drift: DriftItem[] = [];
  const presence = <T>(kind: (v: T) => DriftItem['kind'], e: Map<string, T>, a: Map<string, T>, skipUnder?: Set<string>) => {
    for (const [name, v] of e) if (!a.has(name) && !under(name, skipUnder)) drift.push({ object: name, kind: kind(v), problem: `${kind(v)} missing (the migrations create it)` });
    for (const [name, v] of a) if (!e.has(name) && !under(name, skipUnder)) drift.push({ object: name, kind: kind(v), problem: `${kind(v)} not in the migrations` });
  };
  // A missing or extra table is reported once, not once per column, index and constraint.
  const absentTables = new Set([
    ...[...expected.relations.keys()].filter((k) => !actual.relations.has(k)),
    ...[...actual.relations.keys()].filter((k) => !expected.relations.has(k)),
  ]);
  presence((v) => v as DriftItem['kind'], expected.relations, actual.relations);
  presence(() => 'column', expected.columns, actual.columns, absentTables);
  const indexesOf = (c: Catalog) =>
    new Map([...c.indexes].filter(([name]) => !absentTables.has(c.indexTables.get(name) ?? '')));
  presence(() => 'index', indexesOf(expected), indexesOf(actual));
  presence(() => 'constraint', expected.constraints, actual.constraints, absentTables);
  presence(() => 'enum', expected.enums, actual.enums);

  for (const [name, e] of expected.columns) {
    const a = actual.columns.get(name);
    if (!a) continue;
    if (a.type !== e.type) drift.push({ object: name, kind: 'column', problem: `type ${a.type}, expected ${e.type}` });
    if (a.notNull !== e.notNull) {
      drift.push({ object: name, kind: 'column', problem: `${a.notNull ? 'NOT NULL' : 'nullable'}, expected ${e.notNull ? 'NOT NULL' : 'nullable'}` });
    }
    if ((a.default ?? null) !== (e.default ?? null)) {
      drift.push({ object: name, kind: 'column', problem: `default ${a.default ?? 'none'}, expected ${e.default ?? 'none'}` });
    }
  }
  for (const [name, e] of expected.indexes) {
    const a = actual.indexes.get(name);
    if (a !== undefined && a !== e) drift.push({ object: name, kind: 'index', problem: `${a}, expected ${e}` });
  }
  for (const [name, e] of expected.constraints) {
    const a = actual.constraints.get(name);
    if (a !== undefined && a !== e) drift.push({ object: name, kind: 'constraint', problem: `${a}, expected ${e}` });
  }
  for (const [name, e] of expected.enums) {
    const a = actual.enums.get(name);
    if (a && a.join('\0') !== e.join('\0')) {
      drift.push({ object: name, kind: 'enum', problem: `values (${a.join(', ')}), expected (${e.join(', ')})` });
    }
  }
  return drift.sort((x, y) => x.object.localeCompare(y.object));
}

/** `public.users.email` is under the table `public.users`; `public.users_email_idx` is not under `public.users`. */
function under(name: string, tables: Set<string> | undefined): boolean {
  if (!tables) return false;
  const parts = name.split('.');
  return parts.length >= 3 && tables.has(`${parts[0]}.${parts[1]}`);
}
