import { ident, qualified } from '../sql/identifiers';
import { elementValue, parseColumnType } from './columnValues';
import type { Database } from './database';
import { probeNotChecked, type VerifyReport } from './verifyReport';

interface ForeignKey {
  name: string;
  schema: string;
  tbl: string;
  pschema: string;
  ptbl: string;
  /** pg_constraint.confdeltype: a no action, r restrict, c cascade, n set null, d set default. */
  ondelete: string;
  cols: string[];
  types: string[];
  pcols: string[];
}

const FOREIGN_KEY_VIOLATION = '23503';
const ON_DELETE: Record<string, string> = { a: 'restricts', r: 'restricts', c: 'cascades', n: 'sets null', d: 'sets the default' };

/**
 * Every foreign key into or out of a moved table (any number of columns, any
 * key type), on both sides: the child refuses a missing parent with SQLSTATE
 * 23503 naming the constraint, and deleting a referenced parent restricts,
 * cascades or sets null as declared. Each probe runs in a savepoint it undoes;
 * one that cannot run says so in the notes.
 */
export async function probeForeignKeys(db: Database, tables: Set<string>, report: VerifyReport): Promise<void> {
  const fks = await db.query<ForeignKey>(
    `SELECT co.conname AS name, n.nspname AS schema, c.relname AS tbl, pn.nspname AS pschema, pc.relname AS ptbl, co.confdeltype::text AS ondelete,
            (SELECT array_agg(a.attname::text ORDER BY k.i) FROM unnest(co.conkey) WITH ORDINALITY k(attnum, i) JOIN pg_attribute a ON a.attrelid = co.conrelid AND a.attnum = k.attnum) AS cols,
            (SELECT array_agg(format_type(a.atttypid, a.atttypmod) ORDER BY k.i) FROM unnest(co.conkey) WITH ORDINALITY k(attnum, i) JOIN pg_attribute a ON a.attrelid = co.conrelid AND a.attnum = k.attnum) AS types,
            (SELECT array_agg(a.attname::text ORDER BY k.i) FROM unnest(co.confkey) WITH ORDINALITY k(attnum, i) JOIN pg_attribute a ON a.attrelid = co.confrelid AND a.attnum = k.attnum) AS pcols
     FROM pg_constraint co JOIN pg_class c ON c.oid = co.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     JOIN pg_class pc ON pc.oid = co.confrelid JOIN pg_namespace pn ON pn.oid = pc.relnamespace
     WHERE co.contype = 'f' AND (n.nspname || '.' || c.relname = ANY($1) OR pn.nspname || '.' || pc.relname = ANY($1))
     ORDER BY 2, 3, 1`,
    [[...tables]],
  );
  for (const fk of fks) {
    if (selfSameColumns(fk)) {
      // users.id -> users.id: every value references its own row, so no probe can tell a missing parent.
      report.notes.push(`foreign key ${fk.schema}.${fk.tbl}.${fk.name} references its own columns: no probe applies`);
      continue;
    }
    await probeChild(db, fk, report);
    // Another key from the same child to the same parent that cascades (or sets null) removes the rows a restricting one would see.
    const actedOnBySibling = fks.some((o) => o !== fk && o.schema === fk.schema && o.tbl === fk.tbl && o.pschema === fk.pschema && o.ptbl === fk.ptbl && 'cnd'.includes(o.ondelete));
    await probeParent(db, fk, report, actedOnBySibling);
  }
}

const isSelf = (fk: ForeignKey) => fk.schema === fk.pschema && fk.tbl === fk.ptbl;
const selfSameColumns = (fk: ForeignKey) => isSelf(fk) && fk.cols.join('\0') === fk.pcols.join('\0');

type Outcome = { error?: { code?: string; constraint?: string; message: string } };

async function inSavepoint(db: Database, run: () => Promise<void>): Promise<Outcome> {
  await db.exec('SAVEPOINT reschema_fk_probe');
  try {
    await run();
    return {};
  } catch (error) {
    const e = error as { code?: string; constraint?: string; message?: string };
    return { error: { ...(e.code ? { code: e.code } : {}), ...(e.constraint ? { constraint: e.constraint } : {}), message: (e.message ?? String(error)).split('\n')[0]! } };
  } finally {
    await db.exec('ROLLBACK TO SAVEPOINT reschema_fk_probe');
  }
}

/** ON DELETE RESTRICT refuses with its own SQLSTATE. */
const RESTRICT_VIOLATION = '23001';
const refusedBy = (o: Outcome, fk: ForeignKey, codes = [FOREIGN_KEY_VIOLATION]) =>
  o.error?.code !== undefined && codes.includes(o.error.code) && (o.error.constraint === undefined || o.error.constraint === fk.name);

/** One child row gets, in its first FK column, a value of that column's type that no parent row has. */
async function probeChild(db: Database, fk: ForeignKey, report: VerifyReport): Promise<void> {
  const child = qualified(fk.schema, fk.tbl);
  const parent = qualified(fk.pschema, fk.ptbl);
  const object = `foreign key ${fk.schema}.${fk.tbl}.${fk.name}`;
  const set = fk.cols.map((c) => `${ident(c)} IS NOT NULL`).join(' AND ');
  const [row] = await db.query<{ ctid: string }>(`SELECT ctid::text AS ctid FROM ${child} WHERE ${set} LIMIT 1`);
  if (!row) {
    probeNotChecked(report, `${object}: missing-parent probe`, 'no row has every column of the key set');
    return;
  }
  // Any one column of the key outside the parent's values makes the whole key missing.
  for (const [i, column] of fk.cols.entries()) {
    const type = fk.types[i]!;
    // Values far past the generated rows, of the child column's own type and width.
    const values = [900_001, 900_002, 900_003]
      .map((n) => elementValue(parseColumnType(type, undefined, {}), String(n), 'no-parent'))
      .filter((v): v is string => v !== undefined);
    if (values.length === 0) continue;
    const missing = await db.query<{ v: string }>(
      `SELECT v::text AS v FROM (VALUES ${values.map((v) => `((${v})::${type})`).join(', ')}) AS x(v)
       WHERE NOT EXISTS (SELECT 1 FROM ${parent} p WHERE p.${ident(fk.pcols[i]!)} = x.v)`,
    );
    for (const { v } of missing) {
      const outcome = await inSavepoint(db, () =>
        db.query(`UPDATE ${child} SET ${ident(column)} = $1::${type} WHERE ctid = $2::tid`, [v, row.ctid]).then(() => undefined),
      );
      if (outcome.error && !refusedBy(outcome, fk)) continue; // another constraint refused it first: try the next value
      const ok = refusedBy(outcome, fk);
      report.behaviour.push({ object, before: 'refuses a missing parent', after: ok ? 'refuses a missing parent' : 'accepted a missing parent', ok });
      return;
    }
  }
  probeNotChecked(report, `${object}: missing-parent probe`, "no value of the key's types outside the parent's keys fits the row");
}

/** Deletes one referenced parent row: the declared ON DELETE must happen to the rows that referenced it. */
async function probeParent(db: Database, fk: ForeignKey, report: VerifyReport, actedOnBySibling: boolean): Promise<void> {
  const child = qualified(fk.schema, fk.tbl);
  const parent = qualified(fk.pschema, fk.ptbl);
  const object = `on delete of ${fk.pschema}.${fk.ptbl}: ${fk.schema}.${fk.tbl}.${fk.name}`;
  const expected = ON_DELETE[fk.ondelete] ?? fk.ondelete;
  const match = fk.cols.map((c, i) => `c.${ident(c)} = p.${ident(fk.pcols[i]!)}`).join(' AND ');
  const [row] = await db.query<{ ctid: string; key: string[] }>(
    `SELECT p.ctid::text AS ctid, ARRAY[${fk.pcols.map((c) => `p.${ident(c)}::text`).join(', ')}] AS key
     FROM ${parent} p WHERE EXISTS (SELECT 1 FROM ${child} c WHERE ${match}${isSelf(fk) ? ' AND c.ctid <> p.ctid' : ''}) LIMIT 1`,
  );
  if (!row) {
    probeNotChecked(report, `${object}: delete probe`, `no parent row is referenced${isSelf(fk) ? ' by another row' : ''}`);
    return;
  }
  const referencing = `SELECT count(*)::int AS n FROM ${child} c WHERE ${fk.cols.map((c, i) => `c.${ident(c)}::text = $${i + 1}`).join(' AND ')}`;
  let after = -1;
  const outcome = await inSavepoint(db, async () => {
    await db.query(`DELETE FROM ${parent} WHERE ctid = $1::tid`, [row.ctid]);
    after = (await db.query<{ n: number }>(referencing, row.key))[0]!.n;
  });
  const restricts = fk.ondelete === 'a' || fk.ondelete === 'r';
  const refused = refusedBy(outcome, fk, [FOREIGN_KEY_VIOLATION, RESTRICT_VIOLATION]);
  if (outcome.error && !refused) {
    probeNotChecked(report, `${object}: delete probe`, outcome.error.message);
    return;
  }
  const cleared = !outcome.error && after === 0;
  const happened = refused
    ? 'restricts'
    : !cleared
      ? 'left rows pointing at a deleted parent'
      : !restricts
        ? expected
        : actedOnBySibling
          ? 'restricts (another foreign key removed the children first)'
          : 'deleted the parent under its children';
  report.behaviour.push({ object, before: expected, after: happened, ok: restricts ? refused || (cleared && actedOnBySibling) : cleared });
}
