import type { PgSnapshot } from '../generate/migrationsFolder';
import { ident, qualified } from '../sql/identifiers';
import type { Database } from './database';
import { probeForeignKeys } from './fkProbes';
import type { SchemaMove } from './fingerprint';
import { seedOrder } from './seedOrder';
import { candidateSelect, copyWidths, generatedInputShapes, isDataException, ROW, rowSource, type RowSource } from './seedTable';
import { probeNotChecked, type VerifyReport } from './verifyReport';

/** Candidate new rows tried per table: row numbers after the existing ones. */
const PROBE_ROWS = 4;

/**
 * After the migration: a new row inserts into every moved table (its
 * sequences continue past the copied rows) and into every table with user
 * triggers or rules, moved or not (one may write to a moved table under its
 * old name), and is there afterwards; every foreign key into or out of a
 * moved table holds on both sides. All of it is undone: the probes run in a
 * transaction (a savepoint on a live server) rolled back at the end, each in
 * a savepoint of its own. A probe that cannot run is in `notChecked`.
 */
export async function checkBehaviour(
  db: Database,
  snapshot: PgSnapshot,
  moves: Array<SchemaMove & { kind: string }>,
  /** Rows already in each table: generated values start after them. */
  rows: number,
  report: VerifyReport,
  /** Already inside the caller's transaction (a live server): a savepoint instead of a transaction of its own. */
  inTransaction = false,
): Promise<void> {
  if (moves.length === 0) return;
  const moved = new Set(moves.filter((m) => m.kind === 'table').map((m) => `${m.to}.${m.name}`));
  const declared = new Set(Object.values(snapshot.tables).map((t) => `${t.schema || 'public'}.${t.name}`));
  const triggered = (await tablesWithTriggersOrRules(db)).filter((t) => declared.has(t) && !moved.has(t));
  if (moved.size === 0 && triggered.length === 0) return;
  await db.exec(inTransaction ? 'SAVEPOINT reschema_behaviour' : 'BEGIN');
  try {
    await probeNewRows(db, snapshot, moved, new Set(triggered), rows, report);
    await db.exec('ROLLBACK TO SAVEPOINT reschema_new_rows');
    await probeForeignKeys(db, moved, report);
  } finally {
    await db.exec(inTransaction ? 'ROLLBACK TO SAVEPOINT reschema_behaviour' : 'ROLLBACK');
  }
}

/**
 * One new row per table, parents first. A row that went in stays until the
 * last table is probed (so a child whose key is its parent's, one profile per
 * user, can take the new parent), then all are undone. `triggered`: tables
 * that stay, probed for their triggers and rules.
 */
async function probeNewRows(db: Database, snapshot: PgSnapshot, moved: Set<string>, triggered: Set<string>, rows: number, report: VerifyReport): Promise<void> {
  await db.exec('SAVEPOINT reschema_new_rows');
  const only = new Set([...moved, ...triggered]);
  let plan: ReturnType<typeof seedOrder>;
  try {
    plan = seedOrder(snapshot, only);
  } catch (error) {
    probeNotChecked(report, 'new-row probes', error instanceof Error ? error.message : String(error));
    return;
  }
  const ctx = { snapshot, fill: plan.fill, widths: copyWidths(snapshot) };
  const keys = await uniqueKeys(db, [...only]);
  for (const table of plan.order) {
    const name = `${table.schema || 'public'}.${table.name}`;
    const object = `insert into ${name}${triggered.has(name) ? ' (triggers or rules)' : ''}`;
    let result: Awaited<ReturnType<typeof probeInsert>>;
    try {
      // The text a generated column reads takes its next shape while Postgres refuses it as data, as seeding does.
      const shapes = generatedInputShapes(table, snapshot);
      for (let shape = 0; ; shape++) {
        const source = rowSource(table, ctx, rows + 1, rows + PROBE_ROWS, 'probe', shape);
        result = await probeInsert(db, source, keys.get(name) ?? [], shape + 1 < shapes);
        if (result !== 'reshape') break;
      }
    } catch (error) {
      probeNotChecked(report, object, error instanceof Error ? error.message : String(error));
      continue;
    }
    if (result === 'no candidate') {
      probeNotChecked(report, object, 'no generated row fits its keys and CHECK constraints');
      continue;
    }
    report.behaviour.push({ object, before: 'inserts', after: result ?? 'inserts', ok: result === undefined });
  }
}

/** Tables with triggers or rules of their own (not the internal ones of foreign keys, not a view's). */
async function tablesWithTriggersOrRules(db: Database): Promise<string[]> {
  const rows = await db.query<{ tbl: string }>(
    `SELECT DISTINCT n.nspname || '.' || c.relname AS tbl FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
       AND (EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid AND NOT t.tgisinternal)
            OR EXISTS (SELECT 1 FROM pg_rewrite r WHERE r.ev_class = c.oid AND r.rulename <> '_RETURN'))`,
  );
  return rows.map((r) => r.tbl);
}

/** UNIQUE and primary keys on plain columns, per `schema.table`. */
async function uniqueKeys(db: Database, tables: string[]): Promise<Map<string, string[][]>> {
  const rows = await db.query<{ tbl: string; cols: string[] }>(
    `SELECT n.nspname || '.' || c.relname AS tbl,
            (SELECT array_agg(a.attname::text ORDER BY k.i) FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, i)
               JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum) AS cols
     FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE i.indisunique AND i.indexprs IS NULL AND 0 <> ALL (i.indkey::int2[]) AND n.nspname || '.' || c.relname = ANY($1)`,
    [tables],
  );
  const out = new Map<string, string[][]>();
  for (const r of rows) out.set(r.tbl, [...(out.get(r.tbl) ?? []), r.cols]);
  return out;
}

/**
 * Inserts one candidate row that repeats no key, with RETURNING, and looks
 * for it afterwards: a rule doing nothing instead or a BEFORE trigger
 * returning NULL stores nothing, and that is a failure, not "inserts".
 * Returns the failure, undefined when the row is there, or 'no candidate';
 * 'reshape' when Postgres refused the row as data and `reshapable` says the
 * text a generated column reads has another shape to try.
 */
async function probeInsert(db: Database, source: RowSource, keys: string[][], reshapable = false): Promise<string | undefined | 'no candidate' | 'reshape'> {
  const target = qualified(source.table.schema || 'public', source.table.name);
  const alias = ident(source.table.name);
  const fresh = keys
    .filter((cols) => cols.every((c) => source.columns.includes(c)))
    .map((cols) => `NOT EXISTS (SELECT 1 FROM ${target} x WHERE ${cols.map((c) => `x.${ident(c)} = ${alias}.${ident(c)}`).join(' AND ')})`);
  const where = [...source.filters.map((f) => f.sql), ...fresh];
  const cols = source.columns.map(ident).join(', ');
  // The plain generated values first, as seeding prefers them: a CHECK's literal may be too wide for the children that copy it.
  const order = [...(source.nulls ? [source.nulls] : []), ...source.variants, ROW];
  const candidates = `SELECT ${cols} FROM (${candidateSelect(source)}) AS ${alias}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY ${order.join(', ')} LIMIT 1`;
  const [{ n } = { n: 0 }] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM (${candidates}) AS c`);
  if (n === 0) return 'no candidate';
  await db.exec('SAVEPOINT reschema_probe');
  let failure: string | undefined;
  try {
    const inserted = await db.query<{ ctid: string }>(`INSERT INTO ${target}${cols ? ` (${cols})` : ''} ${candidates} RETURNING ctid::text AS ctid`);
    if (inserted.length === 0) {
      failure = 'the row was not stored (a rule or a BEFORE INSERT trigger dropped it)';
    } else {
      const [{ there } = { there: 0 }] = await db.query<{ there: number }>(`SELECT count(*)::int AS there FROM ${target} WHERE ctid = $1::tid`, [inserted[0]!.ctid]);
      if (there !== 1) failure = 'the row is gone after the insert (a trigger or rule removed it)';
    }
  } catch (error) {
    if (reshapable && isDataException(error)) {
      await db.exec('ROLLBACK TO SAVEPOINT reschema_probe');
      return 'reshape';
    }
    failure = (error instanceof Error ? error.message : String(error)).split('\n')[0];
  }
  // A row that went in stays for the children probed next; a failed one is undone now.
  await db.exec(failure === undefined ? 'RELEASE SAVEPOINT reschema_probe' : 'ROLLBACK TO SAVEPOINT reschema_probe');
  return failure;
}
