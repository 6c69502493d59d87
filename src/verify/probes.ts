import type { PgSnapshot } from '../generate/migrationsFolder';
import { ident, qualified } from '../patch/sql';
import type { Database } from './database';
import type { SchemaMove } from './fingerprint';
import { planSeed } from './seedRows';
import type { VerifyReport } from './verifyReport';

/**
 * After the migration: a new row inserts into every moved table (its
 * sequences continue past the copied rows) and every foreign key of a moved
 * table still refuses a missing parent. Each probe runs in a savepoint that is
 * rolled back.
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
  const movedTables = moves.filter((m) => m.kind === 'table');
  if (movedTables.length === 0) return;
  await db.exec(inTransaction ? 'SAVEPOINT reschema_behaviour' : 'BEGIN');
  try {
    const only = new Set(movedTables.map((m) => `${m.to}.${m.name}`));
    let seed: ReturnType<typeof planSeed> | undefined;
    try {
      seed = planSeed(snapshot, 1, rows + 1, only);
    } catch (error) {
      report.notes.push(`new-row probe skipped: ${error instanceof Error ? error.message : String(error)}`);
    }
    for (const insert of seed?.inserts ?? []) {
      const table = /^INSERT INTO (\S+)/.exec(insert)![1]!;
      const failure = await probe(db, insert);
      report.behaviour.push({ object: `insert into ${table.replace(/"/g, '')}`, before: 'inserts', after: failure ?? 'inserts', ok: failure === undefined });
    }
    const fks = await db.query<{ schema: string; tbl: string; name: string; col: string; parent: string; pcol: string; ptype: string }>(
      `SELECT n.nspname AS schema, c.relname AS tbl, co.conname AS name, a.attname AS col,
              pn.nspname || '.' || pc.relname AS parent, pa.attname AS pcol, format_type(pa.atttypid, pa.atttypmod) AS ptype
       FROM pg_constraint co JOIN pg_class c ON c.oid = co.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_class pc ON pc.oid = co.confrelid JOIN pg_namespace pn ON pn.oid = pc.relnamespace
       JOIN pg_attribute a ON a.attrelid = co.conrelid AND a.attnum = co.conkey[1]
       JOIN pg_attribute pa ON pa.attrelid = co.confrelid AND pa.attnum = co.confkey[1]
       WHERE co.contype = 'f' AND array_length(co.conkey, 1) = 1 AND (n.nspname || '.' || c.relname = ANY($1) OR pn.nspname || '.' || pc.relname = ANY($1))`,
      [[...only]],
    );
    for (const fk of fks) {
      const missing = missingKey(fk.ptype, fk.parent, fk.pcol);
      if (!missing) continue;
      const table = qualified(fk.schema, fk.tbl);
      const sql = `UPDATE ${table} SET ${ident(fk.col)} = ${missing} WHERE ctid = (SELECT ctid FROM ${table} WHERE ${ident(fk.col)} IS NOT NULL LIMIT 1)`;
      const [{ n } = { n: 0 }] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE ${ident(fk.col)} IS NOT NULL`);
      if (n === 0) continue;
      const failure = await probe(db, sql);
      const enforced = failure !== undefined && /foreign key|violates/i.test(failure);
      report.behaviour.push({
        object: `foreign key ${fk.schema}.${fk.tbl}.${fk.name}`,
        before: 'refuses a missing parent',
        after: enforced ? 'refuses a missing parent' : (failure ?? 'accepted a missing parent'),
        ok: enforced,
      });
    }
  } finally {
    await db.exec(inTransaction ? 'ROLLBACK TO SAVEPOINT reschema_behaviour' : 'ROLLBACK');
  }
}

/** A value of the parent key's type that no parent row has. */
function missingKey(type: string, parent: string, column: string): string | undefined {
  const [schema, name] = [parent.slice(0, parent.indexOf('.')), parent.slice(parent.indexOf('.') + 1)];
  if (type === 'uuid') return `'00000000-0000-4000-8000-00000000dead'::uuid`;
  if (/^(integer|bigint|smallint)$/.test(type)) return `(SELECT coalesce(max(${ident(column)}), 0) + 1 FROM ${qualified(schema, name)})`;
  if (/^(text|character varying)/.test(type)) return `'drizzle-reschema: no such parent'`;
  return undefined;
}

async function probe(db: Database, sql: string): Promise<string | undefined> {
  await db.exec('SAVEPOINT reschema_probe');
  try {
    await db.exec(sql);
    return undefined;
  } catch (error) {
    return (error instanceof Error ? error.message : String(error)).split('\n')[0];
  } finally {
    await db.exec('ROLLBACK TO SAVEPOINT reschema_probe');
  }
}
