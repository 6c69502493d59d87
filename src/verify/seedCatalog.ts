import type { PgSnapshot, SnapshotColumn, SnapshotForeignKey, SnapshotTable } from '../generate/migrationsFolder';
import type { Database } from './database';
import type { SnapshotCheck } from './seedTable';

interface CatalogColumn {
  schema: string;
  table: string;
  name: string;
  type: string;
  enum_schema: string | null;
  enum_name: string | null;
  dims: number;
  not_null: boolean;
  has_default: boolean;
  identity: string;
  generated: string;
  generated_as: string | null;
}

interface CatalogConstraint {
  schema: string;
  table: string;
  name: string;
  kind: 'f' | 'c';
  def: string;
  cols: string[] | null;
  ref_schema: string | null;
  ref_table: string | null;
  ref_cols: string[] | null;
}

const key = (schema: string, table: string) => `${schema}.${table}`;
const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;

async function catalogColumns(db: Database, schemas: string[]): Promise<CatalogColumn[]> {
  if (schemas.length === 0) return [];
  return db.query<CatalogColumn>(
    `SELECT n.nspname::text AS schema, c.relname::text AS "table", a.attname::text AS name, format_type(a.atttypid, a.atttypmod) AS type,
            en.nspname AS enum_schema, et.typname AS enum_name, a.attndims AS dims, a.attnotnull AS not_null, a.atthasdef AS has_default,
            a.attidentity::text AS identity, a.attgenerated::text AS generated,
            CASE WHEN a.attgenerated <> '' THEN pg_get_expr(d.adbin, d.adrelid) END AS generated_as
       FROM pg_attribute a
       LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
       JOIN pg_class c ON c.oid = a.attrelid AND c.relkind IN ('r', 'p')
       JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_type t ON t.oid = a.atttypid
       LEFT JOIN pg_type et ON et.oid = CASE WHEN t.typelem <> 0 THEN t.typelem ELSE t.oid END AND et.typtype = 'e'
       LEFT JOIN pg_namespace en ON en.oid = et.typnamespace
      WHERE a.attnum > 0 AND NOT a.attisdropped AND n.nspname IN (${schemas.map(lit).join(', ')})
      ORDER BY n.nspname, c.relname, a.attnum`,
  );
}

async function catalogConstraints(db: Database, schemas: string[]): Promise<CatalogConstraint[]> {
  if (schemas.length === 0) return [];
  return db.query<CatalogConstraint>(
    `SELECT n.nspname AS schema, c.relname AS "table", k.conname AS name, k.contype::text AS kind, pg_get_constraintdef(k.oid) AS def,
            (SELECT array_agg(a.attname::text ORDER BY i.ord) FROM unnest(k.conkey) WITH ORDINALITY AS i(num, ord)
               JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = i.num) AS cols,
            rn.nspname AS ref_schema, r.relname AS ref_table,
            (SELECT array_agg(a.attname::text ORDER BY i.ord) FROM unnest(k.confkey) WITH ORDINALITY AS i(num, ord)
               JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = i.num) AS ref_cols
       FROM pg_constraint k
       JOIN pg_class c ON c.oid = k.conrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_class r ON r.oid = k.confrelid
       LEFT JOIN pg_namespace rn ON rn.oid = r.relnamespace
      WHERE k.contype IN ('f', 'c') AND n.nspname IN (${schemas.map(lit).join(', ')})
      ORDER BY n.nspname, c.relname, k.conname`,
  );
}

function columnOf(c: CatalogColumn, known: SnapshotColumn | undefined): SnapshotColumn {
  // The snapshot's spelling of the type is kept where the column exists in both: it names enums as the snapshot's enum list does.
  const type = known?.type ?? (c.enum_name ? `${c.enum_name}${'[]'.repeat(Math.max(c.dims, c.type.endsWith('[]') ? 1 : 0))}` : c.type);
  const column: SnapshotColumn = { ...(known ?? {}), name: c.name, type, primaryKey: known?.primaryKey ?? false, notNull: c.not_null };
  if (!known && c.enum_schema) column.typeSchema = c.enum_schema;
  if (c.has_default && column.default === undefined) column.default = '(catalog)';
  if (!c.has_default && !c.identity && !c.generated) delete column.default;
  if (c.identity && !column.identity) column.identity = { name: '', schema: c.schema, type: c.identity === 'a' ? 'always' : 'byDefault' };
  // The catalog's expression: the text it reads takes the shapes seeding tries (generatedInputShapes).
  if (c.generated && !column.generated) column.generated = { as: c.generated_as ?? '(catalog)', type: 'stored' };
  return column;
}

/** `CHECK ((a > 0)) NOT VALID` -> `(a > 0)`. */
const checkBody = (def: string) => def.replace(/^CHECK\s*\(/, '').replace(/\)(\s+NOT VALID)?\s*$/, '');

/**
 * The snapshot as the replayed database really has it, for the row generator:
 * upstream migrations drift from their snapshots (a hand-edited migration adds
 * a foreign key no snapshot knows, a snapshot lists columns no migration
 * creates), and rows planned from the snapshot alone then fail on things the
 * move never touched. Tables keep the database's columns, NOT NULLs,
 * defaults, foreign keys and CHECKs; a table the database lacks is dropped;
 * the tables outside the snapshot that foreign keys point at (a platform's
 * `auth.users`) are added, so the generator fills them first.
 */
export async function seedableSnapshot(db: Database, snapshot: PgSnapshot): Promise<PgSnapshot> {
  const tables = Object.values(snapshot.tables);
  const schemas = new Set(tables.map((t) => t.schema || 'public'));
  let constraints = await catalogConstraints(db, [...schemas]);
  for (const c of constraints) if (c.kind === 'f' && c.ref_schema) schemas.add(c.ref_schema);
  const columns = await catalogColumns(db, [...schemas]);
  if (schemas.size > new Set(tables.map((t) => t.schema || 'public')).size) constraints = await catalogConstraints(db, [...schemas]);

  const columnsOf = new Map<string, CatalogColumn[]>();
  for (const c of columns) columnsOf.set(key(c.schema, c.table), [...(columnsOf.get(key(c.schema, c.table)) ?? []), c]);
  const constraintsOf = new Map<string, CatalogConstraint[]>();
  for (const c of constraints) constraintsOf.set(key(c.schema, c.table), [...(constraintsOf.get(key(c.schema, c.table)) ?? []), c]);

  const out: Record<string, SnapshotTable> = {};
  const wanted = new Map<string, SnapshotTable | undefined>(tables.map((t) => [key(t.schema || 'public', t.name), t]));
  const pending = [...wanted.keys()];
  while (pending.length > 0) {
    const k = pending.shift()!;
    const cols = columnsOf.get(k);
    if (!cols) continue;
    const known = wanted.get(k);
    const [schema, name] = [cols[0]!.schema, cols[0]!.table];
    const own = constraintsOf.get(k) ?? [];
    const foreignKeys: Record<string, SnapshotForeignKey> = {};
    for (const fk of own.filter((c) => c.kind === 'f')) {
      foreignKeys[fk.name] = { name: fk.name, tableFrom: name, tableTo: fk.ref_table!, schemaTo: fk.ref_schema!, columnsFrom: fk.cols ?? [], columnsTo: fk.ref_cols ?? [] };
      const parent = key(fk.ref_schema!, fk.ref_table!);
      if (!wanted.has(parent)) {
        wanted.set(parent, undefined);
        pending.push(parent);
      }
    }
    const knownChecks = new Map((known ? (Object.values(known.checkConstraints ?? {}) as SnapshotCheck[]) : []).map((c) => [c.name, c]));
    const checkConstraints: Record<string, SnapshotCheck> = {};
    for (const check of own.filter((c) => c.kind === 'c')) checkConstraints[check.name] = knownChecks.get(check.name) ?? { name: check.name, value: checkBody(check.def) };
    const names = new Set(cols.map((c) => c.name));
    const tableColumns: Record<string, SnapshotColumn> = {};
    for (const c of cols) tableColumns[c.name] = columnOf(c, known?.columns[c.name]);
    out[known ? Object.keys(snapshot.tables).find((x) => snapshot.tables[x] === known)! : k] = {
      ...(known ?? { indexes: {} }),
      name,
      schema,
      columns: tableColumns,
      foreignKeys,
      checkConstraints,
      // A key over a column the database lacks cannot be one it enforces.
      compositePrimaryKeys: keptIf(known?.compositePrimaryKeys, names),
      uniqueConstraints: keptIf(known?.uniqueConstraints, names),
    };
  }
  return { ...snapshot, tables: out };
}

function keptIf(entries: unknown, columns: Set<string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, e] of Object.entries((entries ?? {}) as Record<string, { columns?: string[] }>)) {
    if ((e.columns ?? []).every((c) => columns.has(c))) out[name] = e;
  }
  return out;
}
