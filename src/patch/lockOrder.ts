import type { Relocation } from '../generate/relocateSnapshot';
import { qualified } from '../sql/identifiers';

/** A foreign key between two tables, as `schema.name` keys of where they are after the move: `from` references `to`. */
export interface Reference {
  from: string;
  to: string;
}

/*
 * Every move takes ACCESS EXCLUSIVE on each table it moves. Taken one at a
 * time, in the order the statements name them, live traffic can cross it: the
 * migration holds `orders` and waits for `invoices`, while a client's insert
 * into `invoices` holds `invoices` and waits, for its foreign-key check, on
 * `orders`: deadlock, and one of them is killed. So the migration takes them
 * all first, in one LOCK TABLE, in the order writes take them: a table that
 * references another before the one it references (an insert locks the table
 * it writes, then the parent its foreign key checks). With `SET lock_timeout`
 * before it, the wait is bounded and a timed-out migration has done nothing:
 * it can simply be run again.
 */

/** The moved tables, referencing tables before those they reference (a cycle keeps the order given). */
export function lockOrder(relocations: Relocation[], references: Reference[]): Relocation[] {
  const keyOf = (r: Relocation) => `${r.to}.${r.name}`;
  const tables = new Map(relocations.filter((r) => r.kind === 'table').map((r) => [keyOf(r), r]));
  const referencedBy = new Map<string, string[]>();
  for (const { from, to } of references) {
    if (from !== to && tables.has(from) && tables.has(to)) referencedBy.set(to, [...(referencedBy.get(to) ?? []), from]);
  }
  // Depth-first: a table is placed once every moved table that references it is.
  const placed = new Set<string>();
  const out: Relocation[] = [];
  const place = (key: string) => {
    if (placed.has(key)) return;
    placed.add(key);
    for (const child of referencedBy.get(key) ?? []) place(child);
    out.push(tables.get(key)!);
  };
  for (const key of tables.keys()) place(key);
  return out;
}

/**
 * `LOCK TABLE child, parent IN ACCESS EXCLUSIVE MODE;` over the moved tables, or nothing: named where
 * they are before the migration (`from`), or before its rollback (`to`).
 */
export function lockStatement(relocations: Relocation[], references: Reference[], side: 'from' | 'to' = 'from'): string[] {
  const order = lockOrder(relocations, references);
  return order.length === 0 ? [] : [`LOCK TABLE ${order.map((r) => qualified(r[side], r.name)).join(', ')} IN ACCESS EXCLUSIVE MODE;`];
}
