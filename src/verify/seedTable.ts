import { SeedError } from '../errors';
import type { PgSnapshot, SnapshotColumn, SnapshotForeignKey, SnapshotTable } from '../generate/migrationsFolder';
import { ident, qualified } from '../sql/identifiers';
import { checkCandidates, columnValue, generatedInputValue, parseColumnType, textWidth, type ColumnType } from './columnValues';
import { parentKey, tableKey, type FkFill } from './seedOrder';

/** The generated row number, and the variant picked for each column a CHECK names. */
export const ROW = 'reschema_g';
const VARIANT = 'reschema_k';
/** Combinations of CHECK candidates tried per row, at most. */
const MAX_COMBINATIONS = 64;

export interface SnapshotCheck {
  name: string;
  value: string;
}

/** The rows a table gets, as the parts of one SELECT (so seeding and the new-row probe assemble it differently). */
export interface RowSource {
  key: string;
  table: SnapshotTable;
  /** Columns given a value (raw names) and their expressions, in the same order. */
  columns: string[];
  exprs: string[];
  /** FROM clause: the row numbers and the CHECK variants (cross joined), then the parents. */
  series: string;
  joins: string[];
  /** Variant columns, in the order a row prefers them (0 = the plain generated value). */
  variants: string[];
  /** How many columns a combination leaves NULL, as SQL ('' when none can be): a row prefers values to NULLs, so every column gets exercised. */
  nulls: string;
  /** Foreign keys copied from parent rows, by column: a NOT NULL violation there means the parent has no key to give. */
  copiedFrom: Map<string, SnapshotForeignKey>;
  /**
   * Conditions a candidate row must meet, written over the SELECT's columns:
   * the CHECK constraints, and a value in NOT NULL columns copied from the row's own key.
   */
  filters: Array<{ constraint: string; sql: string }>;
  /** Foreign keys left NULL, filled by an UPDATE afterwards. */
  deferred: SnapshotForeignKey[];
  /** Columns left to their default or NULL: no generator knows their type. */
  unfilled: string[];
}

/** Columns the database fills itself: identity, serial, generated. */
export function filledByDatabase(column: SnapshotColumn): boolean {
  return Boolean(column.identity || column.generated) || /^(small|big)?serial$/i.test(column.type);
}

export function tableChecks(table: SnapshotTable): SnapshotCheck[] {
  return Object.values((table.checkConstraints ?? {}) as Record<string, SnapshotCheck>);
}

/** Whether SQL text names the column (quoted as drizzle-kit writes it, or bare). */
export function mentions(sql: string, column: string): boolean {
  if (sql.includes(`"${column.replace(/"/g, '""')}"`)) return true;
  return /^[a-z_][a-z0-9_]*$/.test(column) && new RegExp(`(?<![\\w"$])${column}(?![\\w"$])`, 'i').test(sql.replace(/'(?:[^']|'')*'/g, "''"));
}

/**
 * Text columns referenced by narrower FK columns get values short enough for
 * every column that copies them (transitively): schema.table.column -> width.
 */
export function copyWidths(snapshot: PgSnapshot): Map<string, number> {
  const widths = new Map<string, number>();
  const tables = Object.values(snapshot.tables);
  for (const t of tables) {
    for (const c of Object.values(t.columns)) {
      const w = textWidth(parseColumnType(c.type, c.typeSchema, snapshot.enums));
      if (w !== undefined) widths.set(`${tableKey(t)}.${c.name}`, w);
    }
  }
  for (let changed = true, rounds = 0; changed && rounds <= tables.length; rounds++) {
    changed = false;
    for (const t of tables) {
      for (const fk of Object.values(t.foreignKeys)) {
        fk.columnsFrom.forEach((from, i) => {
          const child = widths.get(`${tableKey(t)}.${from}`);
          const target = `${parentKey(fk)}.${fk.columnsTo[i]}`;
          if (child !== undefined && child < (widths.get(target) ?? Infinity)) {
            widths.set(target, child);
            changed = true;
          }
        });
      }
    }
  }
  return widths;
}

/** The CHECK text with `schema.table.` qualifiers cut to `table.`, so it reads the SELECT aliased as the table. */
function overTheRow(table: SnapshotTable, check: string): string {
  const schema = table.schema || 'public';
  const s = `(?:"${schema.replace(/"/g, '""').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"|${schema.replace(/[^\w]/g, '\\$&')})`;
  const t = `(?="${table.name.replace(/"/g, '""').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"|${table.name.replace(/[^\w]/g, '\\$&')}\\b)`;
  return check.replace(new RegExp(`${s}\\.${t}`, 'g'), '');
}

export interface RowSourceContext {
  snapshot: PgSnapshot;
  fill: Map<SnapshotForeignKey, FkFill>;
  widths: Map<string, number>;
}

/** The expressions of the table's generated columns, as one text to search. */
function generatedExpressions(table: SnapshotTable): string {
  return Object.values(table.columns)
    .map((c) => (c.generated?.as === '(catalog)' ? '' : (c.generated?.as ?? '')))
    .join(' ');
}

/**
 * How many shapes rowSource gives the text columns a generated column's
 * expression reads (generatedInputValue), the plain one included: 1 when
 * there is none. A shape whose rows Postgres refuses with a data exception
 * (SQLSTATE class 22: the expression cast a part of the text to a number, say)
 * is followed by the next.
 */
export function generatedInputShapes(table: SnapshotTable, snapshot: PgSnapshot): number {
  const sql = generatedExpressions(table);
  const inputs = Object.values(table.columns)
    .filter((c) => !filledByDatabase(c) && mentions(sql, c.name))
    .map((c) => parseColumnType(c.type, c.typeSchema, snapshot.enums));
  let shapes = 1;
  while (inputs.some((t) => generatedInputValue(t, ROW, sql, shapes) !== undefined)) shapes++;
  return shapes;
}

/** Whether Postgres refused a value as data (SQLSTATE class 22): the next shape of generatedInputShapes may fit. */
export function isDataException(error: unknown): boolean {
  return /^22/.test(String((error as { code?: unknown } | undefined)?.code ?? ''));
}

/**
 * Generated rows for one table, numbered firstRow..lastRow. In `probe` mode
 * each foreign key may take any of a few parent rows (those its table does not
 * reference yet first), so a table whose key is made of foreign keys can still
 * get a new row. `shape` picks the shape of the text generated columns read
 * (generatedInputShapes).
 */
export function rowSource(
  table: SnapshotTable,
  ctx: RowSourceContext,
  firstRow: number,
  lastRow: number,
  mode: 'seed' | 'probe' = 'seed',
  shape = 0,
): RowSource {
  const key = tableKey(table);
  const columns = Object.values(table.columns);
  const joins: string[] = [];
  const byColumn = new Map<string, string>();
  const copiedFrom = new Map<string, SnapshotForeignKey>();
  const deferred: SnapshotForeignKey[] = [];
  const selfCopies: Array<[from: string, to: string]> = [];
  const fks = Object.values(table.foreignKeys);
  const probeLimit = Math.max(2, Math.floor(MAX_COMBINATIONS ** (1 / Math.max(1, fks.filter((f) => ctx.fill.get(f) === 'inline').length))));
  const perParent = new Map<string, number>();
  for (const fk of fks) {
    const how = ctx.fill.get(fk) ?? 'inline';
    if (how === 'trivial') continue;
    if (how === 'deferred') {
      deferred.push(fk);
      // One NULL column is enough for MATCH SIMPLE; the NOT NULL ones get values of their own. Typed, or the outer SELECT sees text.
      for (const c of fk.columnsFrom.filter((c) => !table.columns[c]?.notNull)) {
        byColumn.set(c, `NULL::${parseColumnType(table.columns[c]!.type, table.columns[c]!.typeSchema, ctx.snapshot.enums).sql}`);
      }
      continue;
    }
    if (how === 'self') {
      fk.columnsFrom.forEach((c, i) => {
        selfCopies.push([c, fk.columnsTo[i]!]);
        copiedFrom.set(c, fk);
      });
      continue;
    }
    const parent = qualified(fk.schemaTo || 'public', fk.tableTo);
    const alias = `reschema_p${joins.length + 1}`;
    const cols = fk.columnsTo.map(ident);
    const present = cols.map((c) => `${c} IS NOT NULL`).join(' AND ');
    if (mode === 'seed') {
      // The g-th row gets the parent numbered g (cycling), shifted per foreign key to the same parent so two of them differ.
      const shift = perParent.get(parentKey(fk)) ?? 0;
      perParent.set(parentKey(fk), shift + 1);
      joins.push(
        `LEFT JOIN (SELECT ${cols.join(', ')}, row_number() OVER (ORDER BY ${cols.join(', ')}) AS rn FROM ${parent} WHERE ${present}) ${alias} ON ${alias}.rn = ((${ROW} - 1 + ${shift}) % greatest((SELECT count(*) FROM ${parent} WHERE ${present}), 1)) + 1`,
      );
    } else {
      const own = fk.columnsFrom.map(ident);
      const used = `SELECT DISTINCT ${own.join(', ')} FROM ${qualified(table.schema || 'public', table.name)}`;
      const match = cols.map((c, i) => `u.${own[i]} = p.${c}`).join(' AND ');
      joins.push(
        `CROSS JOIN (SELECT ${cols.map((c) => `p.${c}`).join(', ')} FROM ${parent} p LEFT JOIN (${used}) u ON ${match} WHERE ${cols.map((c) => `p.${c} IS NOT NULL`).join(' AND ')} ORDER BY (u.${own[0]} IS NULL) DESC LIMIT ${probeLimit}) ${alias}`,
      );
    }
    fk.columnsFrom.forEach((c, i) => {
      byColumn.set(c, `${alias}.${ident(fk.columnsTo[i]!)}`);
      copiedFrom.set(c, fk);
    });
  }

  const allChecks = tableChecks(table);
  const given = columns.filter((c) => !filledByDatabase(c));
  const unfilled: string[] = [];
  const types = new Map<string, ColumnType>(given.map((c) => [c.name, parseColumnType(c.type, c.typeSchema, ctx.snapshot.enums)]));
  const tag = (c: SnapshotColumn) => `${table.name}.${c.name}`;
  const width = (c: SnapshotColumn) => ctx.widths.get(`${key}.${c.name}`);
  const n = ROW;
  // Columns a CHECK names (and that are not copied from a parent) try several values each.
  const candidates = new Map<string, string[]>();
  for (const c of given) {
    if (byColumn.has(c.name) || selfCopies.some(([from]) => from === c.name)) continue;
    const checks = allChecks.filter((k) => mentions(k.value, c.name));
    if (checks.length === 0) continue;
    const list = checkCandidates(types.get(c.name)!, n, tag(c), checks.map((k) => k.value).join(' '), !c.notNull, width(c));
    if (list.length > 1) candidates.set(c.name, list);
  }
  let combinations = [...candidates.values()].reduce((p, l) => p * l.length, 1);
  while (combinations > MAX_COMBINATIONS) {
    const [name, list] = [...candidates.entries()].sort((a, b) => b[1].length - a[1].length)[0]!;
    // Halve the longest list, keeping its plain value first and its NULL (the value a nullable column can always take) last.
    const nullable = list.at(-1) === 'NULL';
    const kept = [...list.slice(0, Math.max(1, Math.ceil(list.length / 2) - (nullable ? 1 : 0))), ...(nullable ? ['NULL'] : [])];
    if (kept.length >= list.length) break;
    combinations = (combinations / list.length) * kept.length;
    candidates.set(name, kept);
  }
  const generated = generatedExpressions(table);
  const variants: string[] = [];
  const nullChoices: string[] = [];
  const variantJoins: string[] = [];
  const values = new Map<string, string>();
  for (const c of given) {
    const list = candidates.get(c.name);
    if (list) {
      const v = `${VARIANT}${variants.length + 1}`;
      variants.push(v);
      variantJoins.push(`CROSS JOIN generate_series(0, ${list.length - 1}) AS ${v}`);
      if (list[list.length - 1] === 'NULL') nullChoices.push(`(${v} = ${list.length - 1})::int`);
      values.set(c.name, `CASE ${v} ${list.map((e, i) => `WHEN ${i} THEN ${e}`).join(' ')} END`);
      continue;
    }
    const shaped = shape > 0 && mentions(generated, c.name) ? generatedInputValue(types.get(c.name)!, n, generated, shape) : undefined;
    const value = byColumn.get(c.name) ?? (selfCopies.some(([from]) => from === c.name) ? undefined : (shaped ?? columnValue(types.get(c.name)!, n, tag(c), width(c))));
    if (value !== undefined) values.set(c.name, value);
  }
  for (const [from, to] of selfCopies) {
    const target = values.get(to);
    if (target === undefined) {
      const fk = fks.find((f) => f.columnsFrom.includes(from))!;
      throw new SeedError(key, `foreign key ${fk.name}`, `NOT NULL column ${from} must reference ${to} of its own row, which the database fills itself (identity, serial or generated)`);
    }
    values.set(from, target);
  }
  for (const c of given) {
    if (values.has(c.name)) continue;
    if (c.default !== undefined || !c.notNull) {
      unfilled.push(c.name);
      continue;
    }
    throw new SeedError(key, `column ${c.name}`, `no generator for NOT NULL values of type ${c.type} (and the column has no default)`);
  }
  const filled = given.filter((c) => values.has(c.name));
  // A CHECK that names a column the SELECT does not hold (identity, generated, unfilled) cannot filter the candidates.
  const absent = columns.filter((c) => !values.has(c.name)).map((c) => c.name);
  const filters = allChecks
    .filter((k) => !absent.some((c) => mentions(k.value, c)))
    // A CHECK passes unless it is false: NULL passes too.
    .map((k) => ({ constraint: `check ${k.name}`, sql: `(${overTheRow(table, k.value)}) IS NOT FALSE` }));
  for (const [from] of selfCopies) {
    const fk = fks.find((f) => f.columnsFrom.includes(from))!;
    filters.push({ constraint: `foreign key ${fk.name}`, sql: `${ident(from)} IS NOT NULL` });
  }
  return {
    key,
    table,
    columns: filled.map((c) => c.name),
    exprs: filled.map((c) => values.get(c.name)!),
    series: [`generate_series(${firstRow}, ${lastRow}) AS ${ROW}`, ...variantJoins].join(' '),
    joins,
    variants,
    nulls: nullChoices.join(' + '),
    copiedFrom,
    filters,
    deferred,
    unfilled,
  };
}

/**
 * The candidate rows as a SELECT of the table's own column names (plus the
 * row number and variants), unfiltered; `only` some of the columns.
 */
export function candidateSelect(source: RowSource, only?: string[]): string {
  const named = source.columns.flatMap((c, i) => (!only || only.includes(c) ? [`${source.exprs[i]} AS ${ident(c)}`] : []));
  return `SELECT ${[ROW, ...source.variants, ...named].join(', ')} FROM ${[source.series, ...source.joins].join(' ')}`;
}

/** The UPDATE that points a deferred foreign key's NULLs at parent rows, the n-th child row at the n+1-th parent row. */
export function deferredUpdate(table: SnapshotTable, fk: SnapshotForeignKey): string {
  const target = qualified(table.schema || 'public', table.name);
  const parent = qualified(fk.schemaTo || 'public', fk.tableTo);
  const cols = fk.columnsTo.map(ident);
  const present = cols.map((c) => `${c} IS NOT NULL`).join(' AND ');
  const unset = fk.columnsFrom.filter((c) => !table.columns[c]?.notNull).map((c) => `${ident(c)} IS NULL`).join(' AND ');
  const sets = fk.columnsFrom.map((c, i) => `${ident(c)} = p.${cols[i]}`).join(', ');
  return (
    `UPDATE ${target} AS reschema_child SET ${sets} ` +
    `FROM (SELECT ctid AS reschema_ctid, row_number() OVER (ORDER BY ctid) AS rn FROM ${target} WHERE ${unset}) AS c ` +
    `JOIN (SELECT ${cols.join(', ')}, row_number() OVER (ORDER BY ${cols.join(', ')}) AS rn FROM ${parent} WHERE ${present}) AS p ` +
    `ON p.rn = (c.rn % greatest((SELECT count(*) FROM ${parent} WHERE ${present}), 1)) + 1 ` +
    `WHERE reschema_child.ctid = c.reschema_ctid;`
  );
}
