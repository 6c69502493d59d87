import { SeedError } from '../errors';
import type { PgSnapshot, SnapshotForeignKey, SnapshotTable } from '../generate/migrationsFolder';

export const tableKey = (t: SnapshotTable) => `${t.schema || 'public'}.${t.name}`;
export const parentKey = (fk: SnapshotForeignKey) => `${fk.schemaTo || 'public'}.${fk.tableTo}`;

/**
 * How a foreign key gets its values:
 * - `inline`: copied from a parent row inserted earlier (or already there);
 * - `self`: copied from the row's own key columns (a NOT NULL self-reference);
 * - `deferred`: NULL first, filled by an UPDATE once the parent has rows (cycles, nullable self-references);
 * - `trivial`: a column referencing itself (`users.id -> users.id`): every row satisfies it.
 */
export type FkFill = 'inline' | 'self' | 'deferred' | 'trivial';

export interface SeedOrder {
  /** Tables to fill, parents first. */
  order: SnapshotTable[];
  fill: Map<SnapshotForeignKey, FkFill>;
}

function isTrivial(table: SnapshotTable, fk: SnapshotForeignKey): boolean {
  return parentKey(fk) === tableKey(table) && fk.columnsFrom.length === fk.columnsTo.length && fk.columnsFrom.every((c, i) => c === fk.columnsTo[i]);
}

/** NOT NULL on every column: MATCH SIMPLE skips the check when any one of them is NULL. */
function isRequired(table: SnapshotTable, fk: SnapshotForeignKey): boolean {
  return fk.columnsFrom.every((c) => table.columns[c]?.notNull === true);
}

/**
 * Parents before children. Tables outside `only` hold rows already, and so
 * do tables no migration creates (Supabase's auth.users, made by a prelude).
 * A nullable foreign key whose parent cannot come first is filled afterwards;
 * NOT NULL foreign keys that form a cycle cannot be satisfied without
 * deferred constraints, and are named.
 */
export function seedOrder(snapshot: PgSnapshot, only?: Set<string>): SeedOrder {
  const tables = Object.values(snapshot.tables);
  const byKey = new Map(tables.map((t) => [tableKey(t), t]));
  const remaining = tables.filter((t) => !only || only.has(tableKey(t)));
  const placed = new Set(tables.filter((t) => only && !only.has(tableKey(t))).map(tableKey));
  const fill = new Map<SnapshotForeignKey, FkFill>();
  const parentsOf = (t: SnapshotTable, required: boolean) =>
    Object.values(t.foreignKeys).filter(
      (fk) => byKey.has(parentKey(fk)) && parentKey(fk) !== tableKey(t) && isRequired(t, fk) === required,
    );
  const order: SnapshotTable[] = [];
  while (remaining.length > 0) {
    const ready = remaining.filter((t) => parentsOf(t, true).every((fk) => placed.has(parentKey(fk))));
    if (ready.length === 0) throw cycleError(remaining, byKey, parentsOf);
    const next = ready.find((t) => parentsOf(t, false).every((fk) => placed.has(parentKey(fk)))) ?? ready[0]!;
    remaining.splice(remaining.indexOf(next), 1);
    for (const fk of Object.values(next.foreignKeys)) {
      if (isTrivial(next, fk)) fill.set(fk, 'trivial');
      else if (parentKey(fk) === tableKey(next)) fill.set(fk, isRequired(next, fk) ? 'self' : 'deferred');
      else fill.set(fk, !byKey.has(parentKey(fk)) || placed.has(parentKey(fk)) ? 'inline' : 'deferred');
    }
    placed.add(tableKey(next));
    order.push(next);
  }
  return { order, fill };
}

function cycleError(
  remaining: SnapshotTable[],
  byKey: Map<string, SnapshotTable>,
  parentsOf: (t: SnapshotTable, required: boolean) => SnapshotForeignKey[],
): SeedError {
  const inCycle = new Set(remaining.map(tableKey));
  // Follow NOT NULL foreign keys among the tables left until one repeats: that is the cycle.
  const path: Array<{ table: SnapshotTable; fk: SnapshotForeignKey }> = [];
  let table = remaining[0]!;
  const seen = new Map<string, number>();
  while (!seen.has(tableKey(table))) {
    seen.set(tableKey(table), path.length);
    const fk = parentsOf(table, true).find((f) => inCycle.has(parentKey(f)))!;
    path.push({ table, fk });
    table = byKey.get(parentKey(fk))!;
  }
  const cycle = path.slice(seen.get(tableKey(table)));
  const first = cycle[0]!;
  const steps = cycle.map(({ table: t, fk }) => `${tableKey(t)}.${fk.name} -> ${parentKey(fk)}`).join(', ');
  return new SeedError(
    tableKey(first.table),
    `foreign key ${first.fk.name}`,
    `NOT NULL foreign keys form a cycle (${steps}), so no table of it can get the first row; make one of these columns nullable`,
  );
}
