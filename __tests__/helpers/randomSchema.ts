/**
 * Random drizzle pg-core schemas for the row generator's property test: a
 * model (tables, columns with their types and modifiers, keys, foreign keys,
 * checks) drawn with fast-check, rendered as TypeScript in its own pgSchema,
 * and what the model says seeding must do: fill every table, or name one of
 * the constraints no row can satisfy.
 */
import fc from 'fast-check';

type Draw = fc.GeneratorValue;

interface ColumnModel {
  name: string;
  /** The builder call without modifiers, e.g. `varchar('code', { length: 8 })`. */
  builder: string;
  /** Kind, for what the column may take part in. */
  kind: string;
  /** For a copy in a child: the same type (narrower varchar allowed). */
  copy: (name: string, draw: Draw) => string;
  notNull: boolean;
  dims: number;
  unique: boolean;
  /** Filled by the database: identity, serial, generated. */
  byDatabase: boolean;
  modifiers: string[];
}

interface ForeignKeyModel {
  name: string;
  columns: string[];
  parent: number;
  parentColumns: string[];
  onDelete: string;
}

interface CheckModel {
  name: string;
  sql: string;
  /** No row can pass it (and NULL is not an option). */
  impossible: boolean;
}

interface TableModel {
  name: string;
  columns: ColumnModel[];
  pk: string[];
  uniques: string[][];
  fks: ForeignKeyModel[];
  checks: CheckModel[];
}

export interface SchemaModel {
  schema: string;
  enumValues: string[];
  tables: TableModel[];
}

/** What seeding must end in: every table filled, or a SeedError on one of these (table, constraint) pairs. */
export interface Expectation {
  fills: boolean;
  failures: Array<{ table: string; constraint: string }>;
  /** Columns that must hold a non-NULL value in some row (`table.column`), and array columns that must hold a non-empty array. */
  filledColumns: string[];
  arrayColumns: string[];
}

const NAMES = ['id', 'name', 'Title', 'user', 'order', 'createdAt', 'code', 'value', 'select', 'group', 'x y', 'data', 'rating', 'parentId', 'ref', 'key'];
const KEY_KINDS = ['integer', 'bigint', 'smallint', 'text', 'varchar', 'char', 'uuid', 'numeric', 'date', 'timestamp', 'enum', 'inet', 'macaddr', 'interval'];
const ALL_KINDS = [
  ...KEY_KINDS,
  'serial', 'bigserial', 'real', 'doublePrecision', 'boolean', 'json', 'jsonb', 'time', 'cidr', 'macaddr8', 'point', 'line',
  'vector', 'halfvec', 'bit', 'bytea', 'money', 'tsvector', 'varbit', 'identity', 'generated',
];
const INTERVAL_FIELDS = ['year', 'month', 'day', 'hour', 'minute', 'second', 'year to month', 'day to hour', 'day to second', 'hour to minute', 'minute to second'];

const q = JSON.stringify;

function column(draw: Draw, name: string, kind: string, enumVar: string): ColumnModel {
  const int = (min: number, max: number) => draw(fc.integer, { min, max });
  let builder: string;
  let copy: ColumnModel['copy'] = (n) => builder.replace(q(name), q(n));
  let byDatabase = false;
  switch (kind) {
    case 'varchar': {
      const length = int(1, 40);
      builder = `varchar(${q(name)}, { length: ${length} })`;
      copy = (n, d) => `varchar(${q(n)}, { length: ${d(fc.integer, { min: Math.min(length, 3), max: length })} })`;
      break;
    }
    case 'text':
      builder = `text(${q(name)})`;
      copy = (n, d) => (d(fc.boolean) ? `text(${q(n)})` : `varchar(${q(n)}, { length: ${d(fc.integer, { min: 4, max: 12 })} })`);
      break;
    case 'char':
      builder = `char(${q(name)}, { length: ${int(1, 8)} })`;
      break;
    case 'numeric': {
      const precision = int(1, 12);
      builder = draw(fc.boolean) ? `numeric(${q(name)}, { precision: ${precision}, scale: ${int(0, precision)} })` : `numeric(${q(name)})`;
      break;
    }
    case 'bigint':
    case 'bigserial':
      builder = `${kind}(${q(name)}, { mode: 'number' })`;
      byDatabase = kind === 'bigserial';
      copy = (n) => `bigint(${q(n)}, { mode: 'number' })`;
      break;
    case 'serial':
      builder = `serial(${q(name)})`;
      byDatabase = true;
      copy = (n) => `integer(${q(n)})`;
      break;
    case 'identity':
      builder = `integer(${q(name)}).${draw(fc.boolean) ? 'generatedAlwaysAsIdentity()' : 'generatedByDefaultAsIdentity()'}`;
      byDatabase = true;
      copy = (n) => `integer(${q(n)})`;
      break;
    case 'generated':
      builder = `text(${q(name)}).generatedAlwaysAs(sql\`'generated'\`)`;
      byDatabase = true;
      break;
    case 'timestamp':
      builder = `timestamp(${q(name)}, { withTimezone: ${draw(fc.boolean)}, precision: ${int(0, 6)} })`;
      break;
    case 'time':
      builder = `time(${q(name)}, { withTimezone: ${draw(fc.boolean)}, precision: ${int(0, 6)} })`;
      break;
    case 'interval':
      builder = `interval(${q(name)}, { fields: ${q(draw(fc.constantFrom, ...INTERVAL_FIELDS))} })`;
      break;
    case 'vector':
    case 'halfvec':
    case 'bit':
      builder = `${kind}(${q(name)}, { dimensions: ${int(1, 6)} })`;
      break;
    case 'varbit':
      builder = `varbit(${q(name)}, ${int(1, 16)})`;
      break;
    case 'enum':
      builder = `${enumVar}(${q(name)})`;
      break;
    default:
      builder = `${kind}(${q(name)})`;
  }
  return { name, builder, kind, copy, notNull: false, dims: 0, unique: false, byDatabase, modifiers: [] };
}

const isSelf = (fk: ForeignKeyModel, index: number) => fk.parent === index;

function table(draw: Draw, index: number, previous: TableModel[], enumVar: string): TableModel {
  const names = draw(fc.shuffledSubarray, NAMES, { minLength: 2, maxLength: 6 });
  const columns = names.map((name) => {
    const c = column(draw, name, draw(fc.constantFrom, ...ALL_KINDS), enumVar);
    if (!c.byDatabase) c.notNull = draw(fc.boolean);
    const arrayable = !['serial', 'bigserial', 'identity', 'generated', 'vector', 'halfvec', 'bit', 'tsvector', 'json'].includes(c.kind);
    if (arrayable && draw(fc.integer, { min: 0, max: 5 }) === 0) c.dims = draw(fc.integer, { min: 1, max: 2 });
    return c;
  });
  const keyable = columns.filter((c) => c.dims === 0 && (KEY_KINDS.includes(c.kind) || ['serial', 'bigserial', 'identity'].includes(c.kind)));
  const t: TableModel = { name: `t${index}`, columns, pk: [], uniques: [], fks: [], checks: [] };
  if (keyable.length && draw(fc.integer, { min: 0, max: 4 }) > 0) {
    t.pk = draw(fc.shuffledSubarray, keyable.map((c) => c.name), { minLength: 1, maxLength: Math.min(2, keyable.length) });
  }
  const uniqueable = keyable.filter((c) => !t.pk.includes(c.name));
  if (uniqueable.length && draw(fc.boolean)) t.uniques.push(draw(fc.shuffledSubarray, uniqueable.map((c) => c.name), { minLength: 1, maxLength: Math.min(2, uniqueable.length) }));
  // Foreign keys: to earlier tables, to itself (the same column or another), now and then to a later one (a cycle).
  const targets = [...previous.map((p, i) => ({ p, i })), { p: t, i: index }];
  const fkCount = draw(fc.integer, { min: 0, max: 2 });
  for (let k = 0; k < fkCount; k++) {
    const { p, i } = draw(fc.constantFrom, ...targets) as { p: TableModel; i: number };
    const key: string[] | undefined = p.pk.length ? p.pk : p.uniques[0];
    if (!key) continue;
    const sameColumn = p === t && key.length === 1 && draw(fc.boolean);
    const name = `${t.name}_fk${k}`;
    if (sameColumn) {
      t.fks.push({ name, columns: key, parent: i, parentColumns: key, onDelete: 'no action' });
      continue;
    }
    const fkColumns = key.map((parentColumn: string, j: number) => {
      const source = p.columns.find((c) => c.name === parentColumn)!;
      const own = `${p.name}_${parentColumn}_${k}_${j}`.replace(/\W/g, '_');
      const c: ColumnModel = { ...source, name: own, builder: source.copy(own, draw), byDatabase: false, unique: false, modifiers: [], notNull: draw(fc.boolean) };
      c.copy = source.copy;
      columns.push(c);
      return c;
    });
    const nullable = fkColumns.some((c) => !c.notNull);
    const onDelete = draw(fc.constantFrom, ...['cascade', 'restrict', 'no action', ...(nullable ? ['set null'] : [])]);
    t.fks.push({ name, columns: fkColumns.map((c) => c.name), parent: i, parentColumns: key, onDelete });
    // A join table: its key is made of its foreign keys.
    if (p !== t && !t.fks.some((f) => isSelf(f, index)) && draw(fc.integer, { min: 0, max: 3 }) === 0) {
      for (const c of fkColumns) c.notNull = true;
      t.pk = [...new Set([...t.pk, ...fkColumns.map((c) => c.name)])];
    }
  }
  for (const c of columns) if (t.pk.includes(c.name)) c.notNull = true;
  addChecks(draw, t);
  for (const c of columns) {
    if (c.dims) c.modifiers.push(...Array.from({ length: c.dims }, () => 'array()'));
    if (c.notNull && !c.byDatabase) c.modifiers.push('notNull()');
  }
  return t;
}

function addChecks(draw: Draw, t: TableModel): void {
  const plain = t.columns.filter((c) => c.dims === 0 && !c.byDatabase && !t.fks.some((f) => f.columns.includes(c.name)));
  const numbers = plain.filter((c) => ['integer', 'smallint', 'bigint'].includes(c.kind));
  const texts = plain.filter((c) => ['text', 'varchar'].includes(c.kind));
  const ref = (c: ColumnModel) => `\${t[${q(c.name)}]}`;
  if (numbers.length && draw(fc.boolean)) {
    const c = draw(fc.constantFrom, ...numbers);
    const lo = draw(fc.integer, { min: -5, max: 5 });
    t.checks.push({ name: `${t.name}_range`, sql: `${ref(c)} between ${lo} and ${lo + draw(fc.integer, { min: 0, max: 10 })}`, impossible: false });
  }
  if (numbers.length >= 2 && draw(fc.boolean)) {
    const [a, b] = draw(fc.shuffledSubarray, numbers, { minLength: 2, maxLength: 2 });
    t.checks.push({ name: `${t.name}_order`, sql: `${ref(a!)} < ${ref(b!)}`, impossible: false });
  }
  if (texts.length && draw(fc.boolean)) {
    const c = draw(fc.constantFrom, ...texts);
    t.checks.push({ name: `${t.name}_text`, sql: draw(fc.boolean) ? `length(${ref(c)}) > 0` : `${ref(c)} <> 'forbidden'`, impossible: false });
  }
  // Now and then a CHECK only NULL passes: seeding must name it on a NOT NULL column.
  if (plain.length && draw(fc.integer, { min: 0, max: 9 }) === 0) {
    const c = draw(fc.constantFrom, ...plain);
    t.checks.push({ name: `${t.name}_never`, sql: `${ref(c)} IS NULL`, impossible: true });
  }
}

export function schemaModel(draw: Draw, index: number): SchemaModel {
  const schema = `r${index}`;
  const enumValues = draw(fc.shuffledSubarray, ['a', 'b', 'c', 'Mixed Case', "it's"], { minLength: 1, maxLength: 3 });
  const count = draw(fc.integer, { min: 1, max: 4 });
  const tables: TableModel[] = [];
  for (let i = 0; i < count; i++) tables.push(table(draw, i, tables, `${schema}_enum`));
  // A foreign key from the first table to the last closes a cycle when there is more than one table.
  if (count > 1 && draw(fc.integer, { min: 0, max: 3 }) === 0) {
    const [first, last] = [tables[0]!, tables[count - 1]!];
    const key = last.pk.length === 1 ? last.pk : undefined;
    const source = key && last.columns.find((c) => c.name === key[0]);
    if (source) {
      const own = `cycle_${key[0]}`.replace(/\W/g, '_');
      const notNull = draw(fc.boolean);
      first.columns.push({ ...source, name: own, builder: source.copy(own, draw), byDatabase: false, unique: false, notNull, modifiers: notNull ? ['notNull()'] : [] });
      first.fks.push({ name: `${first.name}_cycle`, columns: [own], parent: count - 1, parentColumns: key, onDelete: 'no action' });
    }
  }
  return { schema, enumValues, tables };
}

export const schemaModels = fc.gen();

/** The model as drizzle pg-core TypeScript, every table exported. */
export function renderSchema(m: SchemaModel): string {
  const s = `${m.schema}_schema`;
  const lines = [`export const ${s} = pgSchema(${q(m.schema)});`, `export const ${m.schema}_enum = ${s}.enum('kind', ${q(m.enumValues)});`];
  for (const t of m.tables) {
    const v = `${m.schema}_${t.name}`;
    const cols = t.columns.map((c) => {
      let expr = c.builder;
      if (t.pk.length === 1 && t.pk[0] === c.name) expr += '.primaryKey()';
      for (const mod of c.modifiers) expr += `.${mod}`;
      return `  ${q(c.name)}: ${expr},`;
    });
    const extra: string[] = [];
    if (t.pk.length > 1) extra.push(`primaryKey({ columns: [${t.pk.map((c) => `t[${q(c)}]`).join(', ')}] })`);
    for (const [i, u] of t.uniques.entries()) extra.push(`unique(${q(`${t.name}_u${i}`)}).on(${u.map((c) => `t[${q(c)}]`).join(', ')})`);
    for (const fk of t.fks) {
      const parent = `${m.schema}_${m.tables[fk.parent]!.name}`;
      const self = m.tables[fk.parent] === t;
      const foreign = fk.parentColumns.map((c) => `${self ? 't' : parent}[${q(c)}]`).join(', ');
      extra.push(
        `foreignKey({ name: ${q(fk.name)}, columns: [${fk.columns.map((c) => `t[${q(c)}]`).join(', ')}], foreignColumns: [${foreign}] }).onDelete(${q(fk.onDelete)})`,
      );
    }
    for (const c of t.checks) extra.push(`check(${q(c.name)}, sql\`${c.sql}\`)`);
    lines.push(`export const ${v}: any = ${s}.table(${q(t.name)}, {`, ...cols, `}, (t) => [${extra.join(', ')}]);`);
  }
  return lines.join('\n');
}

export const SCHEMA_HEADER = [
  `import { sql } from 'drizzle-orm';`,
  `import { bigint, bigserial, bit, boolean, char, check, cidr, customType, date, doublePrecision, foreignKey, halfvec, inet, integer, interval, json, jsonb, line, macaddr, macaddr8, numeric, pgSchema, point, primaryKey, real, serial, smallint, text, time, timestamp, unique, uuid, varchar, vector } from 'drizzle-orm/pg-core';`,
  `const bytea = customType<{ data: string }>({ dataType: () => 'bytea' });`,
  `const money = customType<{ data: string }>({ dataType: () => 'money' });`,
  `const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });`,
  `const varbit = (name: string, length: number) => customType<{ data: string }>({ dataType: () => \`bit varying(\${length})\` })(name);`,
].join('\n');

/** What seeding the model must end in. */
export function expectation(m: SchemaModel): Expectation {
  const failures: Expectation['failures'] = [];
  const key = (t: TableModel) => `${m.schema}.${t.name}`;
  for (const t of m.tables) {
    for (const c of t.checks) {
      const column = t.columns.find((col) => c.sql.includes(`t[${q(col.name)}]`));
      if (c.impossible && column?.notNull) failures.push({ table: key(t), constraint: `check ${c.name}` });
    }
    // A NOT NULL foreign key to the row's own database-filled key cannot be copied.
    for (const fk of t.fks) {
      const self = m.tables[fk.parent] === t;
      const targets = fk.parentColumns.map((c) => t.columns.find((col) => col.name === c)!);
      const required = fk.columns.every((c) => t.columns.find((col) => col.name === c)!.notNull);
      if (self && required && fk.columns.join() !== fk.parentColumns.join() && targets.some((c) => c.byDatabase)) {
        failures.push({ table: key(t), constraint: `foreign key ${fk.name}` });
      }
    }
  }
  // A column only NULL passes cannot be referenced: a NOT NULL foreign key to it fails, a nullable one stays NULL.
  const nullOnly = (t: TableModel, column: string) =>
    t.checks.some((k) => k.impossible && k.sql.includes(`t[${q(column)}]`)) && !t.columns.find((c) => c.name === column)!.notNull;
  const unreferenced = new Set<string>();
  for (const t of m.tables) {
    for (const fk of t.fks) {
      if (!fk.parentColumns.some((c) => nullOnly(m.tables[fk.parent]!, c))) continue;
      if (fk.columns.every((c) => t.columns.find((col) => col.name === c)!.notNull)) failures.push({ table: key(t), constraint: `foreign key ${fk.name}` });
      for (const c of fk.columns) unreferenced.add(`${key(t)}.${c}`);
    }
  }
  // NOT NULL foreign keys between tables that form a cycle.
  const hard = (t: TableModel) =>
    t.fks.filter((fk) => m.tables[fk.parent] !== t && fk.columns.every((c) => t.columns.find((col) => col.name === c)!.notNull)).map((fk) => ({ fk, parent: m.tables[fk.parent]! }));
  const reaches = (from: TableModel, to: TableModel, seen = new Set<TableModel>()): boolean =>
    hard(from).some(({ parent }) => parent === to || (!seen.has(parent) && (seen.add(parent), reaches(parent, to, seen))));
  for (const t of m.tables) {
    for (const { fk, parent } of hard(t)) if (reaches(parent, t)) failures.push({ table: key(t), constraint: `foreign key ${fk.name}` });
  }
  const exempt = (t: TableModel, c: ColumnModel) => nullOnly(t, c.name) || unreferenced.has(`${key(t)}.${c.name}`);
  return {
    fills: failures.length === 0,
    failures,
    filledColumns: m.tables.flatMap((t) => t.columns.filter((c) => !exempt(t, c)).map((c) => `${key(t)}.${c.name}`)),
    arrayColumns: m.tables.flatMap((t) => t.columns.filter((c) => c.dims > 0 && !exempt(t, c)).map((c) => `${key(t)}.${c.name}`)),
  };
}
