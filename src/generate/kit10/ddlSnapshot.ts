import type { PgSnapshot, SnapshotColumn, SnapshotTable } from '../migrationsFolder';

/**
 * The schema drizzle-kit 1.0's `reconstruct()` rebuilds from a snapshot chain
 * (`drizzle-kit/api-postgres`, checked on 1.0.0-rc.5): a flat `ddl` list whose
 * rows name their kind in `entityType`.
 */
export interface KitSchemaState {
  id: string;
  prevIds: string[];
  ddl: KitEntity[];
}

type KitEntity = { entityType: string; schema?: string; table?: string; name: string; [key: string]: unknown };
type Row = Record<string, any>;

const keyOf = (schema: string, name: string) => `${schema}.${name}`;
/** 0.x leaves out what is not set; 1.0 writes null. */
const defined = (o: Row): Row => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined));
/** 0.x spells referential actions in lower case (`no action`), 1.0 in upper case or null for the default. */
const action = (a: unknown) => (typeof a === 'string' ? a.toLowerCase() : 'no action');

/**
 * The same schema in drizzle-kit 0.x's snapshot shape (version 7), which the
 * verify, copy and report stages read: tables keyed `schema.name` with their
 * columns, indexes, FKs, keys, checks and policies inside; enums, sequences,
 * views, schemas and roles beside them. As in 0.x, a table in public has
 * schema "" and a single-column primary key drizzle named itself is the
 * column's `primaryKey`. Privileges have no 0.x counterpart and are left out.
 */
export function snapshotFromDdl(state: KitSchemaState): PgSnapshot {
  const byType = new Map<string, KitEntity[]>();
  for (const e of state.ddl) byType.set(e.entityType, [...(byType.get(e.entityType) ?? []), e]);
  const of = (type: string) => (byType.get(type) ?? []) as Row[];
  const tables: Record<string, SnapshotTable> = {};
  for (const t of of('tables')) {
    tables[keyOf(t.schema, t.name)] = {
      name: t.name,
      schema: t.schema === 'public' ? '' : t.schema,
      columns: {},
      indexes: {},
      foreignKeys: {},
      compositePrimaryKeys: {},
      uniqueConstraints: {},
      policies: {},
      checkConstraints: {},
      isRLSEnabled: Boolean(t.isRlsEnabled),
    };
  }
  const tableOf = (e: Row) => tables[keyOf(e.schema, e.table)];
  for (const c of of('columns')) {
    const table = tableOf(c);
    if (table) table.columns[c.name] = column(c);
  }
  for (const pk of of('pks')) {
    const table = tableOf(pk);
    if (!table) continue;
    const only = pk.columns.length === 1 ? table.columns[pk.columns[0]] : undefined;
    if (only && !pk.nameExplicit) only.primaryKey = true;
    else (table.compositePrimaryKeys as Row)[pk.name] = { name: pk.name, columns: pk.columns };
  }
  for (const i of of('indexes')) {
    const table = tableOf(i);
    if (table) table.indexes[i.name] = index(i);
  }
  for (const fk of of('fks')) {
    const table = tableOf(fk);
    if (!table) continue;
    table.foreignKeys[fk.name] = {
      name: fk.name,
      tableFrom: fk.table,
      tableTo: fk.tableTo,
      schemaTo: fk.schemaTo,
      columnsFrom: fk.columns,
      columnsTo: fk.columnsTo,
      onDelete: action(fk.onDelete),
      onUpdate: action(fk.onUpdate),
    };
  }
  for (const u of of('uniques')) {
    const table = tableOf(u);
    if (table) (table.uniqueConstraints as Row)[u.name] = { name: u.name, nullsNotDistinct: Boolean(u.nullsNotDistinct), columns: u.columns };
  }
  for (const c of of('checks')) {
    const table = tableOf(c);
    if (table) (table.checkConstraints as Row)[c.name] = { name: c.name, value: c.value };
  }
  for (const p of of('policies')) {
    const table = tableOf(p);
    if (!table) continue;
    (table.policies as Row)[p.name] = defined({ name: p.name, as: p.as, for: p.for, to: p.roles, using: p.using, withCheck: p.withCheck });
  }
  return {
    id: state.id,
    prevId: state.prevIds[0] ?? '',
    version: '7',
    dialect: 'postgresql',
    tables,
    enums: Object.fromEntries(of('enums').map((e) => [keyOf(e.schema, e.name), { name: e.name, schema: e.schema, values: e.values }])),
    schemas: Object.fromEntries(of('schemas').filter((s) => s.name !== 'public').map((s) => [s.name, s.name])),
    sequences: Object.fromEntries(
      of('sequences').map((s) => [
        keyOf(s.schema, s.name),
        defined({ name: s.name, schema: s.schema, increment: s.incrementBy, startWith: s.startWith, minValue: s.minValue, maxValue: s.maxValue, cache: s.cacheSize === null || s.cacheSize === undefined ? null : String(s.cacheSize), cycle: s.cycle }) as PgSnapshot['sequences'][string],
      ]),
    ),
    roles: Object.fromEntries(of('roles').map(({ entityType: _type, ...r }) => [r.name, defined(r)])),
    policies: {},
    views: Object.fromEntries(
      of('views').map(({ entityType: _type, ...v }) => [
        keyOf(v.schema, v.name),
        defined({ ...v, columns: {}, with: v.with ? defined(v.with) : undefined, isExisting: false, materialized: Boolean(v.materialized) }) as PgSnapshot['views'][string],
      ]),
    ),
    _meta: { columns: {}, schemas: {}, tables: {} },
  };
}

function column(c: Row): SnapshotColumn {
  return defined({
    name: c.name,
    type: `${c.type}${'[]'.repeat(Number(c.dimensions ?? 0))}`,
    typeSchema: c.typeSchema,
    primaryKey: false,
    notNull: Boolean(c.notNull),
    default: c.default,
    generated: c.generated,
    // 0.x records the identity's sequence schema, which is the table's.
    identity: c.identity ? defined({ ...c.identity, schema: c.schema, cache: c.identity.cache === null || c.identity.cache === undefined ? null : String(c.identity.cache) }) : undefined,
  }) as SnapshotColumn;
}

function index(i: Row): SnapshotTable['indexes'][string] {
  return defined({
    name: i.name,
    columns: (i.columns as Row[]).map((c) =>
      defined({
        expression: c.value,
        isExpression: Boolean(c.isExpression),
        asc: c.asc !== false,
        nulls: c.nullsFirst ? 'first' : 'last',
        // 0.x names only an operator class the user chose, not the type's default one.
        opclass: c.opclass && !c.opclass.default ? c.opclass.name : undefined,
      }),
    ),
    isUnique: Boolean(i.isUnique),
    concurrently: Boolean(i.concurrently),
    method: i.method ?? 'btree',
    // 1.0 writes the storage parameters as SQL text (`fillfactor=70, deduplicate_items=false`), 0.x as an object.
    with: Object.fromEntries(
      String(i.with ?? '')
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean)
        .map((p) => [p.slice(0, p.indexOf('=')).trim(), p.slice(p.indexOf('=') + 1).trim()]),
    ),
    where: i.where,
  }) as SnapshotTable['indexes'][string];
}
