import type { PgSnapshot } from '../generate/migrationsFolder';

const keyOf = (t: { schema?: string; name: string }) => `${t.schema || 'public'}.${t.name}`;

/**
 * Each table's columns in the order the replayed migrations leave them, from
 * the chain of snapshots (oldest first): CREATE TABLE gives declaration order,
 * a column added later goes last (ADD COLUMN appends), a dropped one leaves
 * its place. The latest snapshot alone cannot tell: it lists the columns in
 * declaration order, wherever they stand in the database. Keyed `schema.name`
 * as the newest snapshot has it (a table that changed schema on the way is
 * followed by its name).
 */
export function replayedColumnOrder(history: PgSnapshot[]): Map<string, string[]> {
  let orders = new Map<string, string[]>();
  for (const snapshot of history) {
    const next = new Map<string, string[]>();
    const keys = new Set(Object.values(snapshot.tables).map(keyOf));
    for (const table of Object.values(snapshot.tables)) {
      const key = keyOf(table);
      const movedFrom = [...orders.keys()].filter((k) => !keys.has(k) && k.slice(k.indexOf('.') + 1) === table.name);
      const before = orders.get(key) ?? (movedFrom.length === 1 ? orders.get(movedFrom[0]!) : undefined);
      const columns = Object.keys(table.columns);
      const kept = (before ?? []).filter((c) => table.columns[c]);
      next.set(key, [...kept, ...columns.filter((c) => !kept.includes(c))]);
    }
    orders = next;
  }
  return orders;
}

/**
 * drizzle-kit's `CREATE TABLE` with its column lines in `order` (columns not
 * in `order` keep their place after them; constraints stay last). Returns the
 * statement unchanged when its layout is not drizzle-kit's one-element-per-line.
 */
export function reorderCreateTable(sql: string, order: string[]): string {
  const open = sql.indexOf('(\n');
  const close = sql.lastIndexOf('\n)');
  if (open < 0 || close < open) return sql;
  const elements: string[] = [];
  for (const line of sql.slice(open + 2, close).split('\n')) {
    if (line.startsWith('\t') || elements.length === 0) elements.push(line);
    else elements[elements.length - 1] += `\n${line}`;
  }
  const parsed = elements.map((e, i) => ({
    text: i < elements.length - 1 ? e.replace(/,$/, '') : e,
    column: /^\t"((?:[^"]|"")+)" /.exec(e)?.[1]?.replace(/""/g, '"'),
  }));
  if (parsed.slice(0, -1).some((p, i) => p.text === elements[i])) return sql; // an element without its comma: not the layout we know
  const columns = parsed.filter((p) => p.column !== undefined);
  const rank = (name: string) => {
    const at = order.indexOf(name);
    return at < 0 ? order.length + columns.findIndex((c) => c.column === name) : at;
  };
  const sorted = [...columns].sort((a, b) => rank(a.column!) - rank(b.column!));
  const rest = parsed.filter((p) => p.column === undefined);
  return `${sql.slice(0, open + 2)}${[...sorted, ...rest].map((p) => p.text).join(',\n')}${sql.slice(close)}`;
}
