import { SeedError } from '../errors';
import type { PgSnapshot } from '../generate/migrationsFolder';
import { ident, qualified } from '../sql/identifiers';
import type { Database } from './database';
import { seedOrder, tableKey } from './seedOrder';
import { candidateSelect, copyWidths, deferredUpdate, generatedInputShapes, isDataException, mentions, ROW, rowSource, type RowSource } from './seedTable';

export interface SeedStep {
  /** `schema.table` */
  table: string;
  sql: string;
  kind: 'insert' | 'update';
  /** For an insert: the candidate rows, to tell which CHECK left none. */
  source?: RowSource;
  /** For an insert: the same rows with the next shapes of the text a generated column reads (generatedInputShapes). */
  reshaped?: RowSource[];
}

export interface SeedPlan {
  /** INSERT statements, parents first. */
  inserts: string[];
  /** UPDATEs that fill the foreign keys deferred to break cycles and self-references. */
  updates: string[];
  /** The same statements in order, with the table each fills. */
  steps: SeedStep[];
  /** `schema.table.column` left to its default or NULL: no generator knows its type. */
  unfilled: string[];
}

const ON_CONFLICT = ' ON CONFLICT DO NOTHING';

/** The INSERT of a row source: per row number, the first combination of CHECK candidates that passes. */
export function seedInsert(source: RowSource): string {
  const target = qualified(source.table.schema || 'public', source.table.name);
  const cols = source.columns.map(ident).join(', ');
  const into = source.columns.length ? `${target} (${cols})` : target;
  const alias = ident(source.table.name);
  const where = source.filters.length ? ` WHERE ${source.filters.map((f) => f.sql).join(' AND ')}` : '';
  let rows: string;
  if (source.variants.length) {
    // Pick the combination per row over the columns the filters read only, then compute every column once.
    const read = source.columns.filter((c) => source.filters.some((f) => mentions(f.sql, c)));
    const order = [ROW, ...(source.nulls ? [source.nulls] : []), ...source.variants].join(', ');
    const pick = `SELECT DISTINCT ON (${ROW}) ${[ROW, ...source.variants].join(', ')} FROM (${candidateSelect(source, read)}) AS ${alias}${where} ORDER BY ${order}`;
    const named = source.columns.map((c, i) => `${source.exprs[i]} AS ${ident(c)}`);
    rows = `SELECT ${[ROW, ...named].join(', ')} FROM (${pick}) AS reschema_pick ${source.joins.join(' ')}`;
  } else {
    rows = where ? `SELECT * FROM (${candidateSelect(source)}) AS ${alias}${where}` : candidateSelect(source);
  }
  // Keys a data migration already inserted, or values a small type repeats (a boolean key), skip the row instead of failing.
  return `INSERT INTO ${into} SELECT ${cols} FROM (${rows}) AS reschema_rows${ON_CONFLICT};`;
}

/**
 * SQL that fills every table of the snapshot with up to `rows` generated rows
 * (numbered from `firstRow`) that satisfy the schema: every column typed and
 * within its modifiers, NOT NULL, enums, CHECK constraints (values searched
 * among the constraint's literals), UNIQUE and primary keys (rows that would
 * repeat a key are skipped), FKs pointing at existing rows (self-references
 * and cycles filled afterwards), identity and serial left to their sequences.
 * `only` (keys `schema.table`) limits the inserts to those tables; the others
 * must already hold rows. `fewer` gives some tables fewer rows (keys
 * `schema.table`). Throws a SeedError naming the table and constraint it
 * cannot satisfy.
 */
export function planSeed(snapshot: PgSnapshot, rows: number, firstRow = 1, only?: Set<string>, fewer: Record<string, { rows: number }> = {}): SeedPlan {
  const { order, fill } = seedOrder(snapshot, only);
  const ctx = { snapshot, fill, widths: copyWidths(snapshot) };
  const steps: SeedStep[] = [];
  const updates: SeedStep[] = [];
  const unfilled: string[] = [];
  for (const table of order) {
    const last = firstRow + (fewer[tableKey(table)]?.rows ?? rows) - 1;
    const source = rowSource(table, ctx, firstRow, last);
    const reshaped = Array.from({ length: generatedInputShapes(table, snapshot) - 1 }, (_, i) => rowSource(table, ctx, firstRow, last, 'seed', i + 1));
    steps.push({ table: source.key, sql: seedInsert(source), kind: 'insert', source, ...(reshaped.length ? { reshaped } : {}) });
    unfilled.push(...source.unfilled.map((c) => `${source.key}.${c}`));
    for (const fk of source.deferred) updates.push({ table: source.key, sql: deferredUpdate(table, fk), kind: 'update' });
  }
  return { inserts: steps.map((s) => s.sql), updates: updates.map((s) => s.sql), steps: [...steps, ...updates], unfilled };
}

/**
 * Runs the plan in one transaction and returns the rows it added per table
 * (`schema.table`): fewer than asked where the keys repeat (a boolean key, a
 * small enum, a narrow CHECK). A table that gets no row, or a statement
 * Postgres refuses, is a SeedError naming the table and the constraint; the
 * transaction is then rolled back.
 */
export async function applySeed(db: Database, plan: SeedPlan): Promise<Record<string, number>> {
  const added: Record<string, number> = {};
  await db.exec('BEGIN');
  try {
    for (const step of plan.steps) {
      const n = await applyStep(db, step);
      if (step.kind === 'insert') added[step.table] = (added[step.table] ?? 0) + n;
    }
    await db.exec('COMMIT');
    return added;
  } catch (error) {
    await db.exec('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** Runs one step; returns the rows an insert added (0 for an update). */
async function applyStep(db: Database, step: SeedStep): Promise<number> {
  const count = async () => (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${qualified(...splitKey(step.table))}`))[0]!.n;
  const before = step.kind === 'insert' ? await count() : 0;
  await db.exec('SAVEPOINT reschema_seed');
  try {
    await db.exec(step.sql);
  } catch (error) {
    await db.exec('ROLLBACK TO SAVEPOINT reschema_seed');
    const [next, ...rest] = step.reshaped ?? [];
    if (next && isDataException(error)) {
      try {
        return await applyStep(db, { ...step, sql: seedInsert(next), source: next, reshaped: rest });
      } catch (later) {
        // No shape fits: the plain one's refusal is the one to report.
        throw later instanceof SeedError ? seedErrorFor(step, error) : later;
      }
    }
    // ON CONFLICT is refused on a table with INSERT rules: the plain INSERT is then the best try.
    if ((error as { code?: string }).code === '0A000' && step.sql.endsWith(`${ON_CONFLICT};`)) {
      return applyStep(db, { ...step, sql: `${step.sql.slice(0, -ON_CONFLICT.length - 1)};` });
    }
    throw seedErrorFor(step, error);
  }
  await db.exec('RELEASE SAVEPOINT reschema_seed');
  if (step.kind !== 'insert') return 0;
  // Rows already there (a data migration's, or a trigger's on a parent filled earlier) are rows to reference: only an empty table fails.
  const total = await count();
  if (total === 0 && step.source) throw await noRowsError(db, step.source);
  return total - before;
}

/** Postgres' refusal of a step, naming the table and the constraint or column. */
function seedErrorFor(step: SeedStep, error: unknown): SeedError {
  const e = error as { message?: string; code?: string; constraint?: string; column?: string };
  const fk = e.code === '23502' && e.column ? step.source?.copiedFrom.get(e.column) : undefined;
  if (fk) {
    const parent = `${fk.schemaTo || 'public'}.${fk.tableTo}`;
    return new SeedError(step.table, `foreign key ${fk.name}`, `no row of ${parent} has a key (${fk.columnsTo.join(', ')}) without NULLs for NOT NULL ${e.column} to reference`);
  }
  return new SeedError(step.table, e.constraint ? `constraint ${e.constraint}` : e.column ? `column ${e.column}` : undefined, (e.message ?? String(error)).split('\n')[0]!);
}

/** Which CHECK (or copied key) left no candidate row (or, failing that, that none was inserted). */
async function noRowsError(db: Database, source: RowSource): Promise<SeedError> {
  // Filters added one at a time: the first that leaves no candidate is the one to name.
  for (const [i, filter] of source.filters.entries()) {
    const where = source.filters.slice(0, i + 1).map((f) => f.sql).join(' AND ');
    const [{ n } = { n: 0 }] = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM (${candidateSelect(source)} LIMIT 10000) AS ${ident(source.table.name)} WHERE ${where}`,
    );
    if (n === 0) return new SeedError(source.key, filter.constraint, `no generated row satisfies ${filter.sql}${i ? ' together with the constraints before it' : ''}`);
  }
  return new SeedError(source.key, undefined, 'every generated row was refused (a key repeated, a CHECK combination, or a rule or trigger dropped it)');
}

function splitKey(key: string): [string, string] {
  const dot = key.indexOf('.');
  return [key.slice(0, dot), key.slice(dot + 1)];
}
