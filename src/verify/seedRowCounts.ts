import type { Database } from './database';

/** Generated rows per table when `--rows` does not say. */
export const DEFAULT_ROWS = 1000;

/**
 * Index methods whose every insert costs far more than a btree's, with the
 * rows a table that has one gets by default, and why. An hnsw insert searches
 * the graph it joins: about 5 ms a row on PGlite for a `vector(1536)` column,
 * so 1,000 rows would take 5 s per index, 30 times the rest of the seed. 20
 * rows still give the checksum 20 distinct rows to keep, every foreign key a
 * parent row to reference and every probe a table with rows in it.
 */
const COSTLY_INDEXES: Record<string, { rows: number; reason: string }> = {
  hnsw: { rows: 20, reason: 'hnsw index: each insert searches the graph' },
};

/** A table given fewer rows than the others on purpose. */
export interface FewerRows {
  rows: number;
  reason: string;
}

/** The rule, pure: fewer rows for a table with a costly index (the fewest its methods call for), or undefined. */
export function fewerRowsFor(methods: string[]): FewerRows | undefined {
  const costly = methods.flatMap((m) => COSTLY_INDEXES[m] ?? []);
  return costly.sort((a, b) => a.rows - b.rows)[0];
}

/**
 * Rows per table to seed: `requested` for every table when `--rows` gave
 * it, else the default, and fewer in the tables (`schema.table`) with a
 * costly index in the replayed database (a hand-written migration's index
 * counts), each with why.
 */
export async function seedRowCounts(
  db: Database,
  tables: Set<string>,
  requested: number | undefined,
): Promise<{ rows: number; fewer: Record<string, FewerRows> }> {
  const rows = requested ?? DEFAULT_ROWS;
  const fewer: Record<string, FewerRows> = {};
  if (requested !== undefined || tables.size === 0) return { rows, fewer };
  const found = await db.query<{ key: string; methods: string[] }>(
    `SELECT n.nspname || '.' || t.relname AS key, array_agg(DISTINCT am.amname::text) AS methods
       FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_am am ON am.oid = i.relam
       JOIN pg_class t ON t.oid = x.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
      WHERE am.amname = ANY($1) AND n.nspname || '.' || t.relname = ANY($2)
      GROUP BY 1`,
    [Object.keys(COSTLY_INDEXES), [...tables]],
  );
  for (const { key, methods } of found) {
    const rule = fewerRowsFor(methods);
    if (rule && rule.rows < rows) fewer[key] = rule;
  }
  return { rows, fewer };
}
