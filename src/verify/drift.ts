import { elementType, type PgSnapshot, type SnapshotTable } from '../generate/migrationsFolder';
import { readCompatViews } from './compatObjects';
import type { Database } from './database';
import { findDefinitionDrift, truncateIdentifier } from './driftDefinitions';

export { truncateIdentifier };

/** One object where the database and the project's schema (its latest snapshot) disagree. */
export interface Drift {
  object: string;
  expected: string;
  actual: string;
}

const schemaOf = (s: string | undefined) => s || 'public';

/** drizzle-kit's spelling of a type -> `format_type`'s. */
export function canonicalType(type: string): string {
  let t = type.trim().toLowerCase().replace(/\s+\(/g, '(').replace(/,\s+/g, ',');
  const array = /(\[\])+$/.exec(t)?.[0] ?? '';
  t = t.slice(0, t.length - array.length);
  const aliases: Array<[RegExp, string]> = [
    [/^serial$/, 'integer'],
    [/^bigserial$/, 'bigint'],
    [/^smallserial$/, 'smallint'],
    [/^(int|int4)$/, 'integer'],
    [/^int8$/, 'bigint'],
    [/^int2$/, 'smallint'],
    [/^float8$/, 'double precision'],
    [/^float4$/, 'real'],
    [/^bool$/, 'boolean'],
    [/^decimal/, 'numeric'],
    [/^varchar/, 'character varying'],
    [/^char(?=\(|$)/, 'character'],
    [/^timestamptz(\(\d+\))?$/, 'timestamp$1 with time zone'],
    [/^timestamp(\(\d+\))?$/, 'timestamp$1 without time zone'],
    [/^time(\(\d+\))?$/, 'time$1 without time zone'],
    [/^timetz(\(\d+\))?$/, 'time$1 with time zone'],
  ];
  for (const [pattern, replacement] of aliases) {
    if (pattern.test(t)) {
      t = t.replace(pattern, replacement);
      break;
    }
  }
  return t + array;
}

interface DbColumn {
  schema: string;
  tbl: string;
  name: string;
  type: string;
  enum_schema: string | null;
  notnull: boolean;
}

export interface DriftCheck {
  /** Where the database and the snapshot disagree, by object. */
  drift: Drift[];
  /** Schemas no snapshot object lives in (a custom migration's, a pgSchema the code does not export): reported, not compared. */
  outsideDrizzle: string[];
  /** Definitions Postgres could not print from the snapshot's text (a probe it refused): not compared. */
  notCompared: string[];
}

export interface DriftOptions {
  /** Objects left in their old schema on purpose (`--keep-source`): `schema.name`. */
  kept?: string[];
  /** The schemas that are Drizzle's; by default public, the snapshot's schemas and those its objects live in. */
  drizzleSchemas?: Set<string>;
  /** Also compare definitions (defaults, identity, keys, index and check bodies, policies, views); default true. */
  definitions?: boolean;
}

/** The schemas Drizzle declares: public, the exported pgSchemas, and every schema a snapshot object lives in. */
export function drizzleSchemasOf(snapshot: PgSnapshot): Set<string> {
  const named = new Set(['public', ...Object.values(snapshot.schemas ?? {})]);
  for (const o of [...Object.values(snapshot.tables), ...Object.values(snapshot.enums), ...Object.values(snapshot.sequences ?? {}), ...Object.values(snapshot.views ?? {})]) {
    named.add(schemaOf(o.schema));
  }
  return named;
}

/**
 * Compares the database (every migration replayed) with a snapshot, which
 * drizzle-kit wrote from the project's Drizzle schema: schemas, tables,
 * columns (type, NOT NULL), indexes, foreign keys, unique and check
 * constraints, enums and their values, sequences, views, RLS and policies,
 * then the definitions of those both sides have (driftDefinitions.ts).
 * Postgres is modelled as it behaves: primary-key columns are NOT NULL, and
 * CREATE TABLE drops a UNIQUE constraint that repeats the primary key.
 * Schemas Drizzle does not declare are reported apart, not as drift.
 */
export async function findDrift(db: Database, snapshot: PgSnapshot, exclude: string[], options: DriftOptions = {}): Promise<DriftCheck> {
  const kept = [...(options.kept ?? [])];
  const drift: Drift[] = [];
  const differ = (object: string, expected: string, actual: string) => {
    if (expected !== actual) drift.push({ object, expected, actual });
  };
  const present = (
    await db.query<{ name: string }>(
      `SELECT nspname AS name FROM pg_namespace WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
       AND nspname NOT LIKE 'pg\\_%' AND nspname <> ALL($1)`,
      [exclude],
    )
  ).map((r) => r.name);
  const declared = new Set(['public', ...Object.values(snapshot.schemas ?? {})]);
  const expectedSchemas = options.drizzleSchemas ?? drizzleSchemasOf(snapshot);
  const outsideDrizzle = present.filter((s) => !expectedSchemas.has(s)).sort();
  const schemas = present.filter((s) => expectedSchemas.has(s));
  for (const s of declared) {
    if (!present.includes(s) && !exclude.includes(s)) differ(`schema ${s}`, 'present', 'absent');
  }

  const dbTables = await db.query<{ schema: string; name: string; rls: boolean }>(
    `SELECT n.nspname AS schema, c.relname AS name, c.relrowsecurity AS rls FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY($1)`,
    [schemas],
  );
  const tableKeys = new Set(dbTables.map((t) => `${t.schema}.${t.name}`));
  const snapTables = new Map(Object.values(snapshot.tables).map((t) => [`${schemaOf(t.schema)}.${t.name}`, t]));
  for (const key of new Set([...snapTables.keys(), ...tableKeys])) {
    if (!snapTables.has(key)) differ(`table ${key}`, 'absent', 'present');
    else if (!tableKeys.has(key)) differ(`table ${key}`, 'present', 'absent');
  }

  const columns = await db.query<DbColumn>(
    `SELECT n.nspname AS schema, c.relname AS tbl, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
            CASE WHEN t.typtype = 'e' OR et.typtype = 'e' THEN coalesce(en.nspname, etn.nspname) END AS enum_schema, a.attnotnull AS notnull
     FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     JOIN pg_type t ON t.oid = a.atttypid LEFT JOIN pg_namespace en ON en.oid = t.typnamespace
     LEFT JOIN pg_type et ON et.oid = t.typelem AND t.typelem <> 0 LEFT JOIN pg_namespace etn ON etn.oid = et.typnamespace
     WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY($1) AND a.attnum > 0 AND NOT a.attisdropped`,
    [schemas],
  );
  const dbColumns = new Map(columns.map((c) => [`${c.schema}.${c.tbl}.${c.name}`, c]));
  for (const [key, table] of snapTables) {
    if (!tableKeys.has(key)) continue;
    const rls = dbTables.find((t) => `${t.schema}.${t.name}` === key)!.rls;
    differ(`table ${key} row level security`, table.isRLSEnabled || Object.keys(table.policies ?? {}).length ? 'on' : 'off', rls ? 'on' : 'off');
    // Postgres makes every primary-key column NOT NULL, composite keys included.
    const keyColumns = new Set(Object.values((table.compositePrimaryKeys ?? {}) as Record<string, { columns: string[] }>).flatMap((k) => k.columns));
    for (const column of Object.values(table.columns)) {
      const object = `column ${key}.${column.name}`;
      const actual = dbColumns.get(`${key}.${column.name}`);
      if (!actual) {
        differ(object, column.type, 'absent');
        continue;
      }
      // drizzle-kit 0.31 writes no typeSchema for an enum made from a TypeScript enum (pgEnum('x', X)):
      // its bare name is the type Postgres finds on the search_path, public's.
      const typeSchema = column.typeSchema ?? (snapshot.enums[`public.${elementType(column)}`] ? 'public' : undefined);
      const expectedType = typeSchema !== undefined ? `${typeSchema}.${column.type}` : canonicalType(column.type);
      const actualType = actual.enum_schema !== null ? `${actual.enum_schema}.${stripQualifier(actual.type)}` : stripQualifier(actual.type);
      differ(`${object} type`, expectedType.replace(/"/g, ''), actualType.replace(/"/g, ''));
      differ(`${object} not null`, String(column.notNull || column.primaryKey || keyColumns.has(column.name)), String(actual.notnull));
    }
    for (const c of columns.filter((c) => `${c.schema}.${c.tbl}` === key)) {
      if (!table.columns[c.name]) differ(`column ${key}.${c.name}`, 'absent', c.type);
    }
  }

  const expectNamed = (kind: string, declared: Map<string, string>, actual: Map<string, string>) => {
    // Postgres cuts names at 63 bytes; drizzle-kit's snapshot keeps them whole.
    const expected = new Map([...declared].map(([k, v]) => [truncateLastName(k), v]));
    for (const name of new Set([...expected.keys(), ...actual.keys()])) {
      const e = expected.get(name);
      const a = actual.get(name);
      if (e === undefined) differ(`${kind} ${name}`, 'absent', a!);
      else if (a === undefined) differ(`${kind} ${name}`, e, 'absent');
      else differ(`${kind} ${name}`, e, a);
    }
  };

  const dbIndexes = await db.query<{ schema: string; tbl: string; name: string; unique: boolean }>(
    `SELECT n.nspname AS schema, t.relname AS tbl, i.relname AS name, x.indisunique AS unique
     FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
     WHERE n.nspname = ANY($1) AND NOT EXISTS (SELECT 1 FROM pg_constraint co WHERE co.conindid = x.indexrelid AND co.contype IN ('p', 'u', 'x'))`,
    [schemas],
  );
  expectNamed(
    'index',
    new Map(
      [...snapTables].flatMap(([key, t]) =>
        Object.values(t.indexes).map((i) => [`${key.split('.')[0]}.${i.name}`, `on ${key}${(i as { isUnique?: boolean }).isUnique ? ' unique' : ''}`] as const),
      ),
    ),
    new Map(dbIndexes.map((i) => [`${i.schema}.${i.name}`, `on ${i.schema}.${i.tbl}${i.unique ? ' unique' : ''}`])),
  );

  const dbConstraints = await db.query<{ schema: string; tbl: string; name: string; type: string; target: string | null }>(
    `SELECT n.nspname AS schema, c.relname AS tbl, co.conname AS name, co.contype::text AS type,
            (SELECT tn.nspname || '.' || tc.relname FROM pg_class tc JOIN pg_namespace tn ON tn.oid = tc.relnamespace WHERE tc.oid = co.confrelid) AS target
     FROM pg_constraint co JOIN pg_class c ON c.oid = co.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = ANY($1) AND co.contype IN ('f', 'u', 'c')`,
    [schemas],
  );
  const describeConstraint = (type: string, target: string | null) =>
    type === 'f' ? `foreign key to ${target}` : type === 'u' ? 'unique' : 'check';
  const actualConstraints = new Map(dbConstraints.map((c) => [`${c.schema}.${c.tbl}.${c.name}`, describeConstraint(c.type, c.target)]));
  // CREATE TABLE drops a UNIQUE constraint whose columns repeat the primary key's (the key already enforces it).
  const expectedConstraints = [...snapTables].flatMap(([key, t]) =>
    snapshotConstraints(key, t).filter(([name]) => !(repeatsPrimaryKey(t, name.slice(key.length + 1)) && !actualConstraints.has(truncateLastName(name)))),
  );
  expectNamed('constraint', new Map(expectedConstraints), actualConstraints);

  const dbEnums = await db.query<{ schema: string; name: string; labels: string }>(
    `SELECT n.nspname AS schema, t.typname AS name, string_agg(e.enumlabel, ', ' ORDER BY e.enumsortorder) AS labels
     FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace JOIN pg_enum e ON e.enumtypid = t.oid
     WHERE n.nspname = ANY($1) GROUP BY 1, 2`,
    [schemas],
  );
  expectNamed(
    'enum',
    new Map(Object.values(snapshot.enums).map((e) => [`${schemaOf(e.schema)}.${e.name}`, e.values.join(', ')])),
    new Map(dbEnums.map((e) => [`${e.schema}.${e.name}`, e.labels])),
  );

  // Sequences declared on their own (not owned by a serial or identity column).
  const dbSequences = await db.query<{ schema: string; name: string }>(
    `SELECT n.nspname AS schema, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind = 'S' AND n.nspname = ANY($1)
       AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.classid = 'pg_class'::regclass AND d.deptype IN ('a', 'i'))`,
    [schemas],
  );
  expectNamed(
    'sequence',
    new Map(Object.values(snapshot.sequences ?? {}).map((s) => [`${schemaOf(s.schema)}.${s.name}`, 'present'])),
    new Map(dbSequences.map((s) => [`${s.schema}.${s.name}`, 'present'])),
  );

  const dbViews = await db.query<{ schema: string; name: string; kind: string }>(
    `SELECT n.nspname AS schema, c.relname AS name, c.relkind::text AS kind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('v', 'm') AND n.nspname = ANY($1)`,
    [schemas],
  );
  expectNamed(
    'view',
    new Map(Object.values(snapshot.views ?? {}).map((v) => [`${schemaOf(v.schema)}.${v.name}`, v.materialized ? 'materialized' : 'view'])),
    new Map(dbViews.map((v) => [`${v.schema}.${v.name}`, v.kind === 'm' ? 'materialized' : 'view'])),
  );

  const dbPolicies = await db.query<{ schema: string; tbl: string; name: string }>(
    `SELECT n.nspname AS schema, c.relname AS tbl, p.polname AS name FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
     JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ANY($1)`,
    [schemas],
  );
  expectNamed(
    'policy',
    new Map([...snapTables].flatMap(([key, t]) => Object.values(t.policies ?? {}).map((p) => [`${key}.${(p as { name: string }).name}`, 'present'] as const))),
    new Map(dbPolicies.map((p) => [`${p.schema}.${p.tbl}.${p.name}`, 'present'])),
  );
  // The views `move --compat` left for code that predates the move are no Drizzle object: expected until `contract`.
  kept.push(...(await readCompatViews(db, schemas)).map((v) => `${v.schema}.${v.name}`));
  // What was kept on purpose is not drift: the kept object itself, and what hangs off it.
  const isKept = (d: Drift) =>
    d.expected === 'absent' &&
    kept.some((k) => {
      const name = d.object.slice(d.object.indexOf(' ') + 1);
      return name === k || name.startsWith(`${k}.`) || d.actual.endsWith(` ${k}`) || d.actual.includes(` ${k} `);
    });
  const definitions = options.definitions === false ? { drift: [], skipped: [] } : await findDefinitionDrift(db, snapshot, schemas);
  return { drift: [...drift, ...definitions.drift].filter((d) => !isKept(d)), outsideDrizzle, notCompared: definitions.skipped };
}

/** A UNIQUE constraint of `t` (by name) whose columns are the primary key's, in the same order, with NULLs distinct. */
function repeatsPrimaryKey(t: SnapshotTable, name: string): boolean {
  const unique = Object.values((t.uniqueConstraints ?? {}) as Record<string, { name: string; columns: string[]; nullsNotDistinct?: boolean }>).find((u) => u.name === name);
  if (!unique || unique.nullsNotDistinct) return false;
  const composite = Object.values((t.compositePrimaryKeys ?? {}) as Record<string, { columns: string[] }>)[0];
  const pk = composite?.columns ?? Object.values(t.columns).filter((c) => c.primaryKey).map((c) => c.name);
  return pk.length > 0 && pk.join('\0') === unique.columns.join('\0');
}

function snapshotConstraints(key: string, t: SnapshotTable): Array<readonly [string, string]> {
  const out: Array<readonly [string, string]> = [];
  for (const fk of Object.values(t.foreignKeys)) out.push([`${key}.${fk.name}`, `foreign key to ${schemaOf(fk.schemaTo)}.${fk.tableTo}`]);
  for (const u of Object.values((t.uniqueConstraints ?? {}) as Record<string, { name: string }>)) out.push([`${key}.${u.name}`, 'unique']);
  for (const c of Object.values((t.checkConstraints ?? {}) as Record<string, { name: string }>)) out.push([`${key}.${c.name}`, 'check']);
  return out;
}

/** `schema.type(args)` -> `type(args)`: extension types (vector, citext) print qualified under an empty search_path. */
function stripQualifier(type: string): string {
  const m = /^("(?:[^"]|"")+"|[a-z_][a-z0-9_$]*)\.(.*)$/.exec(type);
  return m ? m[2]! : type;
}

/** `schema.table.name` with its last part cut as Postgres would. */
function truncateLastName(key: string): string {
  const at = key.lastIndexOf('.');
  return key.slice(0, at + 1) + truncateIdentifier(key.slice(at + 1));
}
