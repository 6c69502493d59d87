/** A row of drizzle's migrations table: 0.x's migrator writes hash and created_at, 1.0's also the migration's name. */
export interface MigratorRow {
  hash: string;
  createdAt: number;
  name: string | undefined;
}

/** A local migration as drizzle-orm's migrator knows it: 1.0 names it by its folder, timed by the folder's timestamp. */
export interface LocalMigration {
  tag: string;
  when: number;
  hash: string;
}

/** created_at to the second, as drizzle-orm 1.0 reads a 0.x row (the journal's `when` has milliseconds, a folder's name seconds). */
export const toSecond = (createdAt: number): number => Math.floor(createdAt / 1000) * 1000;

/**
 * The migrations drizzle-orm 1.0's migrator takes as applied, by name. On a
 * table 0.x's migrator made (no `name` column, `named` false), 1.0 first
 * names each row, once (checked on 1.0.0-rc.5): the one local migration
 * whose folder time is the row's created_at to the second; among several,
 * the one with the row's hash; with none, the one with its hash. A project
 * that moved from drizzle-kit 0.x to 1.0 (`drizzle-kit up`) has such a table
 * until its app's migrator first runs.
 */
export function appliedNames(rows: MigratorRow[], local: LocalMigration[], named: boolean): Set<string> {
  if (named) return new Set(rows.flatMap((r) => (r.name === undefined ? [] : [r.name])));
  const applied = new Set<string>();
  for (const row of rows) {
    const sameTime = local.filter((m) => m.when === toSecond(row.createdAt));
    const matched = sameTime.length === 1 ? sameTime[0] : (sameTime.length > 1 ? sameTime : local).find((m) => m.hash === row.hash);
    if (matched) applied.add(matched.tag);
  }
  return applied;
}
