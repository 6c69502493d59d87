import { ToolError } from '../errors';
import type { PgSnapshot, SnapshotColumn, SnapshotTable } from '../generate/migrationsFolder';
import { ident, qualified } from '../patch/sql';

const schemaOf = (table: SnapshotTable) => table.schema || 'public';

/** Values for `g` = 1..N in a generate_series, per column type; undefined when the type is unknown. */
function valueExpression(table: SnapshotTable, column: SnapshotColumn, snapshot: PgSnapshot): string | undefined {
  const type = column.type.toLowerCase();
  const tag = `'${table.name}.${column.name}.'`;
  if (type.endsWith('[]')) return `'{}'`;
  if (column.typeSchema !== undefined) {
    const values = snapshot.enums[`${column.typeSchema}.${column.type}`]?.values;
    if (!values?.length) return undefined;
    const literals = values.map((v) => `'${v.replace(/'/g, "''")}'`).join(', ');
    return `(ARRAY[${literals}])[((g - 1) % ${values.length}) + 1]::${qualified(column.typeSchema, column.type)}`;
  }
  const length = /\((\d+)\)/.exec(type)?.[1];
  if (type === 'uuid') return `md5(${tag} || g)::uuid`;
  const vector = /^(vector|halfvec)\((\d+)\)$/.exec(type);
  if (vector) return `('[' || array_to_string(array_fill(((g % 97) + 1)::float8 / 100, ARRAY[${vector[2]}]), ',') || ']')::${column.type}`;
  if (/^(text|citext|varchar|character varying|char|character)\b/.test(type)) {
    const text = `${tag} || g || '.' || md5(g::text)`;
    return length ? `left(${text}, ${length})` : `(${text})`;
  }
  if (/^(smallint|int2)$/.test(type)) return '(g % 32000)::smallint';
  if (/^(integer|int|int4|bigint|int8)$/.test(type)) return 'g';
  if (/^(numeric|decimal|real|double precision|float4|float8)/.test(type)) return `((g % 100) * 1.5)::${column.type}`;
  if (type === 'boolean') return '(g % 2 = 0)';
  if (/^(timestamp|date|time)/.test(type)) return `(timestamp '2025-01-01' + g * interval '1 minute')::${column.type}`;
  if (type === 'interval') return `(g * interval '1 second')`;
  if (type === 'jsonb' || type === 'json') return `json_build_object('i', g)::${type}`;
  if (type === 'bytea') return `decode(md5(g::text), 'hex')`;
  if (type === 'inet' || type === 'cidr') return `('10.' || (g / 65536) % 256 || '.' || (g / 256) % 256 || '.' || g % 256)::${type}`;
  return undefined;
}

/** Columns the database fills itself: identity, serial, generated. */
function filledByDatabase(column: SnapshotColumn): boolean {
  return Boolean(column.identity || column.generated) || /^(small|big)?serial$/i.test(column.type);
}

/** Parents before children; a foreign key that closes a cycle (or points at itself) is filled afterwards. */
function insertionOrder(tables: SnapshotTable[]): { order: SnapshotTable[]; deferred: Set<string> } {
  const byKey = new Map(tables.map((t) => [`${schemaOf(t)}.${t.name}`, t]));
  const order: SnapshotTable[] = [];
  const state = new Map<SnapshotTable, 'visiting' | 'done'>();
  const deferred = new Set<string>(); // "<table key>.<fk name>"
  const visit = (table: SnapshotTable) => {
    if (state.get(table) === 'done') return;
    state.set(table, 'visiting');
    for (const fk of Object.values(table.foreignKeys)) {
      const parent = byKey.get(`${fk.schemaTo || 'public'}.${fk.tableTo}`);
      // A table no migration creates (Supabase's auth.users, made by a prelude) is a parent
      // that exists already: its rows are used as they are, not deferred as a cycle.
      if (!parent) continue;
      if (parent === table || state.get(parent) === 'visiting') {
        deferred.add(`${schemaOf(table)}.${table.name}.${fk.name}`);
        continue;
      }
      visit(parent);
    }
    state.set(table, 'done');
    order.push(table);
  };
  for (const table of tables) visit(table);
  return { order, deferred };
}

export interface SeedPlan {
  /** INSERT statements, parents first. */
  inserts: string[];
  /** UPDATEs that fill the foreign keys deferred to break cycles and self-references. */
  updates: string[];
}

/**
 * SQL that fills every table of the snapshot with `rows` generated rows
 * (rows numbered from `firstRow`) that satisfy the schema: types, NOT NULL,
 * enums, FKs (nullable ones pointing at existing rows), identity and serial
 * left to their sequences. `only` (keys `schema.table`) limits the inserts to
 * those tables; the others must already hold rows.
 */
export function planSeed(snapshot: PgSnapshot, rows: number, firstRow = 1, only?: Set<string>): SeedPlan {
  const tables = Object.values(snapshot.tables);
  const { order, deferred } = insertionOrder(tables);
  const inserts: string[] = [];
  const updates: string[] = [];
  const last = firstRow + rows - 1;
  for (const table of order) {
    const key = `${schemaOf(table)}.${table.name}`;
    if (only && !only.has(key)) continue;
    const fkByColumn = new Map<string, { target: string; column: string; deferred: boolean; alias: string }>();
    const joins: string[] = [];
    for (const fk of Object.values(table.foreignKeys)) {
      const isDeferred = deferred.has(`${key}.${fk.name}`);
      const target = qualified(fk.schemaTo || 'public', fk.tableTo);
      const alias = `p${joins.length + 1}`;
      if (!isDeferred) {
        // The g-th row gets the parent numbered g (cycling): one pass over the parent, not one lookup per row.
        const cols = fk.columnsTo.map(ident).join(', ');
        joins.push(
          `LEFT JOIN (SELECT ${cols}, row_number() OVER (ORDER BY ${cols}) AS rn FROM ${target}) ${alias} ON ${alias}.rn = ((g - 1) % greatest((SELECT count(*) FROM ${target}), 1)) + 1`,
        );
      }
      fk.columnsFrom.forEach((from, i) => fkByColumn.set(from, { target, column: fk.columnsTo[i]!, deferred: isDeferred, alias }));
    }
    const columns: string[] = [];
    const values: string[] = [];
    for (const column of Object.values(table.columns)) {
      if (filledByDatabase(column)) continue;
      const fk = fkByColumn.get(column.name);
      let value: string | undefined;
      if (fk && !fk.deferred) {
        value = `${fk.alias}.${ident(fk.column)}`;
      } else if (fk && fk.deferred) {
        if (column.notNull) {
          throw new ToolError(`cannot generate rows for ${key}: NOT NULL column ${column.name} closes a foreign-key cycle`);
        }
        value = 'NULL';
        updates.push(
          `UPDATE ${qualified(schemaOf(table), table.name)} SET ${ident(column.name)} = (SELECT p.${ident(fk.column)} FROM ${fk.target} p ORDER BY 1 LIMIT 1);`,
        );
      } else {
        value = valueExpression(table, column, snapshot);
        if (value === undefined) {
          if (column.default !== undefined || !column.notNull) continue;
          throw new ToolError(`cannot generate values for ${key}.${column.name} of type ${column.type}`);
        }
      }
      columns.push(ident(column.name));
      values.push(value);
    }
    inserts.push(
      `INSERT INTO ${qualified(schemaOf(table), table.name)} (${columns.join(', ')}) SELECT ${values.join(', ')} FROM generate_series(${firstRow}, ${last}) AS g${joins.map((j) => ` ${j}`).join('')};`,
    );
  }
  return { inserts, updates };
}
