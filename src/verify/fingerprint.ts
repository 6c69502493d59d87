import { qualified } from '../patch/sql';
import type { Database } from './database';

export interface TableFingerprint {
  schema: string;
  name: string;
  rows: number;
  /** md5 over the sorted md5s of every row's text form: independent of schema and physical order. */
  checksum: string;
}

export interface Fingerprint {
  tables: Map<string, TableFingerprint>;
  /** index name -> definition with schema names removed */
  indexes: Map<string, string>;
  /** "table.constraint" -> definition */
  constraints: Map<string, string>;
  /** sequence name -> last value */
  sequences: Map<string, string>;
}

/** Removes `"schema".` and `schema.` qualifiers, so that definitions compare across a move. */
function unqualify(text: string, schemas: string[]): string {
  let out = text;
  for (const s of schemas) out = out.split(`"${s}".`).join('').split(`${s}.`).join('');
  return out;
}

/**
 * What must be equal before and after a move, keyed by object name alone:
 * rows (count and content), indexes, constraints with their FK targets,
 * sequences with their current values.
 */
export async function fingerprint(db: Database, schemas: string[]): Promise<Fingerprint> {
  const tables = await db.query<{ schema: string; name: string }>(
    `SELECT table_schema AS schema, table_name AS name FROM information_schema.tables
     WHERE table_type = 'BASE TABLE' AND table_schema = ANY($1) ORDER BY 1, 2`,
    [schemas],
  );
  const result: Fingerprint = { tables: new Map(), indexes: new Map(), constraints: new Map(), sequences: new Map() };
  for (const t of tables) {
    const [row] = await db.query<{ rows: string; checksum: string }>(
      `SELECT count(*)::text AS rows, md5(coalesce(string_agg(r, ',' ORDER BY r), '')) AS checksum
       FROM (SELECT md5(t::text) AS r FROM ${qualified(t.schema, t.name)} t) s`,
    );
    result.tables.set(t.name, { schema: t.schema, name: t.name, rows: Number(row!.rows), checksum: row!.checksum });
  }
  for (const i of await db.query<{ name: string; def: string }>(
    `SELECT indexname AS name, indexdef AS def FROM pg_indexes WHERE schemaname = ANY($1)`,
    [schemas],
  )) {
    result.indexes.set(i.name, unqualify(i.def, schemas));
  }
  for (const c of await db.query<{ tbl: string; name: string; def: string }>(
    `SELECT cl.relname AS tbl, co.conname AS name, pg_get_constraintdef(co.oid) AS def
     FROM pg_constraint co JOIN pg_class cl ON cl.oid = co.conrelid JOIN pg_namespace n ON n.oid = cl.relnamespace
     WHERE n.nspname = ANY($1)`,
    [schemas],
  )) {
    result.constraints.set(`${c.tbl}.${c.name}`, unqualify(c.def, schemas));
  }
  for (const s of await db.query<{ name: string; last: string | null }>(
    `SELECT sequencename AS name, last_value::text AS last FROM pg_sequences WHERE schemaname = ANY($1)`,
    [schemas],
  )) {
    result.sequences.set(s.name, s.last ?? 'unused');
  }
  return result;
}

export interface FingerprintDifference {
  object: string;
  before: string;
  after: string;
}

/** Every object whose fingerprint differs, by name. */
export function compareFingerprints(before: Fingerprint, after: Fingerprint): FingerprintDifference[] {
  const diffs: FingerprintDifference[] = [];
  const compare = <T>(kind: string, a: Map<string, T>, b: Map<string, T>, show: (v: T) => string) => {
    for (const name of new Set([...a.keys(), ...b.keys()])) {
      const x = a.get(name);
      const y = b.get(name);
      const sx = x === undefined ? 'missing' : show(x);
      const sy = y === undefined ? 'missing' : show(y);
      if (sx !== sy) diffs.push({ object: `${kind} ${name}`, before: sx, after: sy });
    }
  };
  compare('table', before.tables, after.tables, (t) => `${t.rows} rows, ${t.checksum}`);
  compare('index', before.indexes, after.indexes, (d) => d);
  compare('constraint', before.constraints, after.constraints, (d) => d);
  compare('sequence', before.sequences, after.sequences, (d) => d);
  return diffs;
}
