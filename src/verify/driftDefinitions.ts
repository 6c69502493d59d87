import type { PgSnapshot } from '../generate/migrationsFolder';
import { ident, qualified } from '../sql/identifiers';
import type { Database } from './database';
import type { Drift } from './drift';

/** The search_path drizzle's migrator runs the migrations under: snapshot SQL text is resolved the same way. */
const MIGRATION_SEARCH_PATH = `"$user", public`;
/** Names of the objects created (and rolled back) only to let Postgres print a snapshot definition. */
const PROBE = '__reschema_expected';

const schemaOf = (s: string | undefined) => s || 'public';

interface SnapshotIndex {
  name: string;
  columns?: Array<{ expression: string; isExpression?: boolean; asc?: boolean; nulls?: string; opclass?: string }>;
  isUnique?: boolean;
  method?: string;
  where?: string;
  with?: Record<string, unknown>;
}
interface SnapshotPolicy {
  name: string;
  as?: string;
  for?: string;
  to?: string[];
  using?: string;
  withCheck?: string;
}

/** A part of the comparison no catalog query can answer: Postgres is asked to print the snapshot's text itself. */
interface Probe {
  object: string;
  /** What the database has, printed by Postgres. */
  actual: string;
  /** Creates the expected object under a probe name. */
  setup: string;
  /** Finds it in the definitions read back after every setup ran, printed by Postgres as `actual` was. */
  pick: (defs: Definitions) => string | undefined;
}

type Definitions = Awaited<ReturnType<typeof readDefinitions>>;

/**
 * Definitions of the objects both the database and the snapshot have:
 * column defaults and identity, primary keys, unique and foreign-key
 * columns and actions, indexes (columns, method, predicate), check
 * constraints, policies and views. Text the snapshot holds as SQL (a
 * default, an index predicate, a check) is not compared as a string: it is
 * applied to the database in a savepoint that is rolled back, and Postgres
 * prints both sides, so `now()` and `CURRENT_TIMESTAMP`, or a predicate's
 * parentheses, compare as Postgres sees them. A probe Postgres refuses
 * (a function the platform makes, say) leaves that object out and says so in `skipped`.
 */
export async function findDefinitionDrift(
  db: Database,
  snapshot: PgSnapshot,
  schemas: string[],
): Promise<{ drift: Drift[]; skipped: string[] }> {
  const drift: Drift[] = [];
  const skipped: string[] = [];
  const differ = (object: string, expected: string, actual: string) => {
    if (expected !== actual) drift.push({ object, expected, actual });
  };
  await db.exec('BEGIN');
  try {
    await db.exec(`SET LOCAL search_path = ''`);
    const actual = await readDefinitions(db, schemas);
    const probes: Probe[] = [];
    let n = 0;
    for (const table of Object.values(snapshot.tables)) {
      const key = `${schemaOf(table.schema)}.${table.name}`;
      const live = actual.tables.get(key);
      if (!live) continue;
      const target = qualified(schemaOf(table.schema), table.name);

      for (const column of Object.values(table.columns)) {
        const a = live.columns.get(column.name);
        if (!a) continue;
        const identity = column.identity ? (column.identity.type === 'always' ? 'always' : 'by default') : 'none';
        differ(`column ${key}.${column.name} identity`, identity, a.identity);
        if (column.identity || column.generated || /^(small|big)?serial$/i.test(column.type)) continue;
        const expected = column.default === undefined ? undefined : String(column.default);
        if (expected === undefined || a.default === null) {
          differ(`column ${key}.${column.name} default`, expected === undefined ? 'none' : expected, a.default ?? 'none');
          continue;
        }
        if (expected === a.default) continue;
        probes.push({
          object: `column ${key}.${column.name} default`,
          actual: a.default,
          setup: `ALTER TABLE ${target} ALTER COLUMN ${ident(column.name)} SET DEFAULT ${expected}`,
          pick: (defs) => defs.tables.get(key)?.columns.get(column.name)?.default ?? undefined,
        });
      }

      const composite = Object.values((table.compositePrimaryKeys ?? {}) as Record<string, { columns: string[] }>)[0];
      const pk = composite?.columns ?? Object.values(table.columns).filter((c) => c.primaryKey).map((c) => c.name);
      differ(`primary key ${key}`, pk.length ? `(${pk.join(', ')})` : 'none', live.primaryKey ?? 'none');

      for (const u of Object.values((table.uniqueConstraints ?? {}) as Record<string, { name: string; columns: string[]; nullsNotDistinct?: boolean }>)) {
        const a = live.uniques.get(truncateIdentifier(u.name));
        if (a !== undefined) differ(`constraint ${key}.${u.name} definition`, describeUnique(u.columns, Boolean(u.nullsNotDistinct)), a);
      }
      for (const fk of Object.values(table.foreignKeys)) {
        const a = live.foreignKeys.get(truncateIdentifier(fk.name));
        if (a === undefined) continue;
        const expected = describeForeignKey(fk.columnsFrom, `${schemaOf(fk.schemaTo)}.${fk.tableTo}`, fk.columnsTo, fk.onDelete, fk.onUpdate);
        differ(`constraint ${key}.${fk.name} definition`, expected, a);
      }
      for (const c of Object.values((table.checkConstraints ?? {}) as Record<string, { name: string; value: string }>)) {
        const a = live.checks.get(truncateIdentifier(c.name));
        if (a === undefined) continue;
        const name = `${PROBE}_${++n}`;
        probes.push({
          object: `constraint ${key}.${c.name} definition`,
          actual: a,
          setup: `ALTER TABLE ${target} ADD CONSTRAINT ${ident(name)} CHECK (${c.value}) NOT VALID`,
          pick: (defs) => defs.tables.get(key)?.checks.get(name),
        });
      }
      for (const index of Object.values(table.indexes) as SnapshotIndex[]) {
        const a = actual.indexes.get(`${schemaOf(table.schema)}.${truncateIdentifier(index.name)}`);
        if (a === undefined || !index.columns?.length) continue;
        const name = `${PROBE}_${++n}`;
        probes.push({
          object: `index ${schemaOf(table.schema)}.${index.name} definition`,
          actual: withoutIndexName(a),
          setup: createIndexLike(name, target, index),
          pick: (defs) => {
            const def = defs.indexes.get(`${schemaOf(table.schema)}.${name}`);
            return def === undefined ? undefined : withoutIndexName(def);
          },
        });
      }
      for (const p of Object.values((table.policies ?? {}) as Record<string, SnapshotPolicy>)) {
        const a = live.policies.get(p.name);
        if (a === undefined) continue;
        const name = `${PROBE}_${++n}`;
        probes.push({
          object: `policy ${key}.${p.name} definition`,
          actual: a,
          setup: createPolicyLike(name, target, p),
          pick: (defs) => defs.tables.get(key)?.policies.get(name),
        });
      }
    }
    for (const view of Object.values(snapshot.views ?? {})) {
      const definition = (view as { definition?: unknown }).definition;
      if (typeof definition !== 'string' || (view as { isExisting?: boolean }).isExisting) continue;
      const key = `${schemaOf(view.schema)}.${view.name}`;
      const a = actual.views.get(key);
      if (a === undefined) continue;
      const name = `${PROBE}_${++n}`;
      const probeName = qualified(schemaOf(view.schema), name);
      probes.push({
        object: `view ${key} definition`,
        actual: a,
        setup: view.materialized ? `CREATE MATERIALIZED VIEW ${probeName} AS ${definition} WITH NO DATA` : `CREATE VIEW ${probeName} AS ${definition}`,
        pick: (defs) => defs.views.get(`${schemaOf(view.schema)}.${name}`),
      });
    }
    const { defs, refused } = probes.length ? await runProbes(db, probes, schemas) : { defs: undefined, refused: new Set<Probe>() };
    for (const probe of probes) {
      const expected = defs && !refused.has(probe) ? probe.pick(defs) : undefined;
      if (expected === undefined) skipped.push(probe.object);
      else differ(probe.object, expected, probe.actual);
    }
  } finally {
    await db.exec('ROLLBACK');
  }
  return { drift, skipped };
}

/**
 * Every probe's setup in a savepoint, then one read of every definition
 * (the probes' included), then the savepoint rolled back: the snapshot's SQL
 * run as the migrations ran it, printed as `actual` was. All setups go in one
 * round trip; when Postgres refuses one, each runs in a savepoint of its own
 * and the refused ones are left out (their objects are not compared).
 */
async function runProbes(db: Database, probes: Probe[], schemas: string[]): Promise<{ defs: Definitions; refused: Set<Probe> }> {
  const refused = new Set<Probe>();
  await db.exec('SAVEPOINT reschema_definitions');
  try {
    await db.exec(`SET LOCAL search_path = ${MIGRATION_SEARCH_PATH}`);
    try {
      await db.exec('SAVEPOINT reschema_all');
      await db.exec(probes.map((p) => p.setup).join(';\n'));
    } catch {
      await db.exec('ROLLBACK TO SAVEPOINT reschema_all');
      for (const probe of probes) {
        await db.exec('SAVEPOINT reschema_probe');
        try {
          await db.exec(probe.setup);
          await db.exec('RELEASE SAVEPOINT reschema_probe');
        } catch {
          await db.exec('ROLLBACK TO SAVEPOINT reschema_probe');
          refused.add(probe);
        }
      }
    }
    await db.exec(`SET LOCAL search_path = ''`);
    return { defs: await readDefinitions(db, schemas), refused };
  } finally {
    await db.exec('ROLLBACK TO SAVEPOINT reschema_definitions');
  }
}

/** drizzle-kit's CREATE INDEX for a snapshot index (its column spelling, method, WITH and WHERE). */
function createIndexLike(name: string, target: string, index: SnapshotIndex): string {
  const columns = index.columns!.map((c) => {
    const column = c.isExpression ? c.expression : ident(c.expression);
    const order = c.opclass ? ` ${c.opclass}` : c.asc === false ? ' DESC' : '';
    const nulls = (c.asc !== false && c.nulls === 'last') || c.opclass || !c.nulls ? '' : ` NULLS ${c.nulls.toUpperCase()}`;
    return `${column}${order}${nulls}`;
  });
  const withs = Object.entries(index.with ?? {});
  return (
    `CREATE ${index.isUnique ? 'UNIQUE ' : ''}INDEX ${ident(name)} ON ${target} USING ${index.method ?? 'btree'} (${columns.join(', ')})` +
    `${withs.length ? ` WITH (${withs.map(([k, v]) => `${k}=${String(v)}`).join(', ')})` : ''}${index.where ? ` WHERE ${index.where}` : ''}`
  );
}

function createPolicyLike(name: string, target: string, p: SnapshotPolicy): string {
  const roles = (p.to ?? ['public']).map((r) => (['current_user', 'current_role', 'session_user', 'public'].includes(r) ? r : ident(r)));
  return (
    `CREATE POLICY ${ident(name)} ON ${target} AS ${(p.as ?? 'permissive').toUpperCase()} FOR ${(p.for ?? 'all').toUpperCase()} TO ${roles.join(', ')}` +
    `${p.using ? ` USING (${p.using})` : ''}${p.withCheck ? ` WITH CHECK (${p.withCheck})` : ''}`
  );
}

/** `CREATE UNIQUE INDEX name ON ...` -> `CREATE UNIQUE INDEX ON ...`: the name is compared apart. */
function withoutIndexName(def: string): string {
  return def.replace(/^(CREATE (?:UNIQUE )?INDEX )(?:"(?:[^"]|"")+"|\S+) ON /, '$1ON ');
}

const ACTIONS: Record<string, string> = { a: 'no action', r: 'restrict', c: 'cascade', n: 'set null', d: 'set default' };

function describeForeignKey(from: string[], target: string, to: string[], onDelete = 'no action', onUpdate = 'no action'): string {
  return `(${from.join(', ')}) references ${target} (${to.join(', ')}) on delete ${onDelete.toLowerCase()} on update ${onUpdate.toLowerCase()}`;
}

function describeUnique(columns: string[], nullsNotDistinct: boolean): string {
  return `(${columns.join(', ')})${nullsNotDistinct ? ' nulls not distinct' : ''}`;
}

interface LiveTable {
  columns: Map<string, { default: string | null; identity: string }>;
  primaryKey?: string;
  uniques: Map<string, string>;
  foreignKeys: Map<string, string>;
  checks: Map<string, string>;
  policies: Map<string, string>;
}

/** What the database has, printed by Postgres under the current (empty) search_path. */
async function readDefinitions(db: Database, schemas: string[]) {
  const tables = new Map<string, LiveTable>();
  const table = (key: string) => {
    let t = tables.get(key);
    if (!t) tables.set(key, (t = { columns: new Map(), uniques: new Map(), foreignKeys: new Map(), checks: new Map(), policies: new Map() }));
    return t;
  };
  for (const c of await db.query<{ tbl: string; name: string; def: string | null; identity: string }>(
    `SELECT n.nspname || '.' || c.relname AS tbl, a.attname AS name, pg_get_expr(d.adbin, d.adrelid) AS def, a.attidentity::text AS identity
     FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
     WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY($1) AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''`,
    [schemas],
  )) {
    table(c.tbl).columns.set(c.name, { default: c.def, identity: c.identity === 'a' ? 'always' : c.identity === 'd' ? 'by default' : 'none' });
  }
  for (const k of await db.query<{ tbl: string; name: string; type: string; cols: string[]; target: string | null; tcols: string[] | null; del: string; upd: string; nnd: boolean | null }>(
    `SELECT n.nspname || '.' || c.relname AS tbl, co.conname AS name, co.contype::text AS type,
            ARRAY(SELECT a.attname::text FROM unnest(co.conkey) WITH ORDINALITY k(num, i) JOIN pg_attribute a ON a.attrelid = co.conrelid AND a.attnum = k.num ORDER BY k.i) AS cols,
            (SELECT tn.nspname || '.' || tc.relname FROM pg_class tc JOIN pg_namespace tn ON tn.oid = tc.relnamespace WHERE tc.oid = co.confrelid) AS target,
            ARRAY(SELECT a.attname::text FROM unnest(co.confkey) WITH ORDINALITY k(num, i) JOIN pg_attribute a ON a.attrelid = co.confrelid AND a.attnum = k.num ORDER BY k.i) AS tcols,
            co.confdeltype::text AS del, co.confupdtype::text AS upd,
            (SELECT x.indnullsnotdistinct FROM pg_index x WHERE x.indexrelid = co.conindid) AS nnd
     FROM pg_constraint co JOIN pg_class c ON c.oid = co.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = ANY($1) AND co.contype IN ('p', 'u', 'f')`,
    [schemas],
  )) {
    const t = table(k.tbl);
    if (k.type === 'p') t.primaryKey = `(${k.cols.join(', ')})`;
    else if (k.type === 'u') t.uniques.set(k.name, describeUnique(k.cols, Boolean(k.nnd)));
    else t.foreignKeys.set(k.name, describeForeignKey(k.cols, k.target ?? '?', k.tcols ?? [], ACTIONS[k.del], ACTIONS[k.upd]));
  }
  for (const [key, def] of await readChecks(db, schemas)) {
    const at = key.lastIndexOf('.');
    table(key.slice(0, at)).checks.set(key.slice(at + 1), def);
  }
  for (const [key, def] of await readPolicies(db, schemas)) {
    const at = key.lastIndexOf('.');
    table(key.slice(0, at)).policies.set(key.slice(at + 1), def);
  }
  const indexes = new Map(
    (
      await db.query<{ key: string; def: string }>(
        `SELECT n.nspname || '.' || i.relname AS key, pg_get_indexdef(x.indexrelid) AS def
         FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_namespace n ON n.oid = i.relnamespace
         WHERE n.nspname = ANY($1) AND NOT EXISTS (SELECT 1 FROM pg_constraint co WHERE co.conindid = x.indexrelid AND co.contype IN ('p', 'u', 'x'))`,
        [schemas],
      )
    ).map((r) => [r.key, r.def]),
  );
  const views = new Map(
    (
      await db.query<{ key: string; def: string }>(
        `SELECT n.nspname || '.' || c.relname AS key, pg_get_viewdef(c.oid) AS def FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind IN ('v', 'm') AND n.nspname = ANY($1)`,
        [schemas],
      )
    ).map((r) => [r.key, r.def.trim()]),
  );
  return { tables, indexes, views };
}

/** `schema.table.constraint` -> its CHECK, validated or not (NOT VALID is a state, not a definition). */
async function readChecks(db: Database, schemas: string[]): Promise<Map<string, string>> {
  const rows = await db.query<{ key: string; def: string }>(
    `SELECT n.nspname || '.' || c.relname || '.' || co.conname AS key, pg_get_constraintdef(co.oid) AS def
     FROM pg_constraint co JOIN pg_class c ON c.oid = co.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = ANY($1) AND co.contype = 'c'`,
    [schemas],
  );
  return new Map(rows.map((r) => [r.key, r.def.replace(/ NOT VALID$/, '')]));
}

/** `schema.table.policy` -> how it applies, to whom, and its expressions. */
async function readPolicies(db: Database, schemas: string[]): Promise<Map<string, string>> {
  const rows = await db.query<{ key: string; permissive: boolean; cmd: string; roles: string; qual: string | null; check: string | null }>(
    `SELECT n.nspname || '.' || c.relname || '.' || p.polname AS key, p.polpermissive AS permissive, p.polcmd::text AS cmd,
            (SELECT string_agg(CASE WHEN r = 0 THEN 'public' ELSE pg_get_userbyid(r) END, ', ' ORDER BY 1) FROM unnest(p.polroles) r) AS roles,
            pg_get_expr(p.polqual, p.polrelid) AS qual, pg_get_expr(p.polwithcheck, p.polrelid) AS check
     FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ANY($1)`,
    [schemas],
  );
  return new Map(
    rows.map((p) => [
      p.key,
      `${p.permissive ? 'permissive' : 'restrictive'} for ${p.cmd} to ${p.roles} using (${p.qual ?? ''}) with check (${p.check ?? ''})`,
    ]),
  );
}

/** Postgres keeps the first 63 bytes of an identifier (NAMEDATALEN - 1). */
export function truncateIdentifier(name: string): string {
  const bytes = Buffer.from(name, 'utf8');
  if (bytes.length <= 63) return name;
  let end = 63;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--; // never cut inside a UTF-8 character
  return bytes.subarray(0, end).toString('utf8');
}
