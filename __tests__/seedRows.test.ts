/**
 * The row generator on shapes the fixtures only touch lightly: a NOT NULL
 * foreign key to a table no migration creates (Supabase's auth.users, made by
 * a prelude), a pgvector column, and the rows a table with an hnsw index
 * gets. Run for real on PGlite with pgvector.
 */
import type { PgSnapshot } from '../src/generate/migrationsFolder';
import { openPglite } from '../src/verify/database';
import { generatedRowsLine } from '../src/report/verifyTable';
import { applySeed, planSeed } from '../src/verify/seedRows';
import { DEFAULT_ROWS, seedRowCounts } from '../src/verify/seedRowCounts';
import type { VerifyReport } from '../src/verify/verifyReport';
import { fk, snapshotOf, table } from './helpers/snapshotTables';

const snapshot = {
  id: 'x',
  prevId: 'y',
  version: '7',
  dialect: 'postgresql',
  enums: {},
  schemas: {},
  sequences: {},
  views: {},
  tables: {
    'public.profiles': {
      name: 'profiles',
      schema: '',
      columns: {
        id: { name: 'id', type: 'uuid', primaryKey: true, notNull: true },
        embedding: { name: 'embedding', type: 'vector(3)', primaryKey: false, notNull: true },
      },
      indexes: {},
      foreignKeys: {
        profiles_id_users_id_fk: {
          name: 'profiles_id_users_id_fk',
          tableFrom: 'profiles',
          tableTo: 'users',
          schemaTo: 'auth',
          columnsFrom: ['id'],
          columnsTo: ['id'],
        },
      },
    },
  },
} as unknown as PgSnapshot;

describe('planSeed on PGlite with pgvector', () => {
  let db: Awaited<ReturnType<typeof openPglite>>;
  beforeAll(async () => {
    db = await openPglite(['vector']);
    await db.exec('CREATE EXTENSION vector');
  });
  afterAll(async () => db.close());

  it('fills a NOT NULL FK to a table outside the snapshot from its existing rows, and vector columns', async () => {
    const plan = planSeed(snapshot, 5);
    expect(plan.updates).toEqual([]);
    await db.exec(`CREATE SCHEMA auth; CREATE TABLE auth.users (id uuid PRIMARY KEY);
      INSERT INTO auth.users SELECT md5('user' || g)::uuid FROM generate_series(1, 5) g;
      CREATE TABLE profiles (id uuid PRIMARY KEY REFERENCES auth.users(id), embedding vector(3) NOT NULL);`);
    for (const sql of plan.inserts) await db.exec(sql);
    const [row] = await db.query<{ n: number; parents: number; dims: number }>(
      `SELECT count(*)::int AS n, count(DISTINCT id)::int AS parents, max(vector_dims(embedding))::int AS dims FROM profiles`,
    );
    expect(row).toEqual({ n: 5, parents: 5, dims: 3 });
  });

  it('by default a table with an hnsw index gets 20 rows, said with why, its neighbours 1000; --rows forces its count on every table', async () => {
    await db.exec(`CREATE SCHEMA s;
      CREATE TABLE s.docs (id integer PRIMARY KEY, embedding vector(3) NOT NULL);
      CREATE INDEX docs_hnsw ON s.docs USING hnsw (embedding vector_cosine_ops);
      CREATE TABLE s.notes (id integer PRIMARY KEY, doc_id integer NOT NULL REFERENCES s.docs(id));`);
    const snap = snapshotOf({
      ...table('s', 'docs', { id: 'integer*', embedding: 'vector(3)!' }),
      ...table('s', 'notes', { id: 'integer*', doc_id: 'integer!' }, { foreignKeys: fk('notes_doc_id_fk', 'notes', ['doc_id'], 'docs', ['id']) }),
    });
    const tables = new Set(['s.docs', 's.notes']);
    const byDefault = await seedRowCounts(db, tables, undefined);
    expect(byDefault).toEqual({ rows: DEFAULT_ROWS, fewer: { 's.docs': { rows: 20, reason: expect.stringMatching(/^hnsw index/) } } });
    const seeded = await applySeed(db, planSeed(snap, byDefault.rows, 1, tables, byDefault.fewer));
    expect(seeded).toEqual({ 's.docs': 20, 's.notes': 1000 });
    const line = generatedRowsLine({ seededRows: byDefault.rows, seededRowsByTable: seeded, seededRowsFewer: byDefault.fewer } as VerifyReport);
    expect(line).toMatch(/^on 1000 generated rows per table in 2 tables .*; 20 rows in s\.docs \(hnsw index: [^)]*\), --rows gives every table the same$/);

    await db.exec('TRUNCATE s.docs, s.notes');
    const forced = await seedRowCounts(db, tables, 50);
    expect(forced).toEqual({ rows: 50, fewer: {} });
    expect(await applySeed(db, planSeed(snap, forced.rows, 1, tables, forced.fewer))).toEqual({ 's.docs': 50, 's.notes': 50 });
  });
});

describe('planSeed and applySeed on the shapes real schemas have', () => {
  let db: Awaited<ReturnType<typeof openPglite>>;
  beforeAll(async () => {
    db = await openPglite([]);
  });
  afterAll(async () => db.close());
  beforeEach(async () => db.exec('DROP SCHEMA IF EXISTS s CASCADE; CREATE SCHEMA s'));
  const count = async (t: string) => (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${t}`))[0]!.n;

  it('fills a column that references itself (users.id -> users.id, from drizzle-kit pull): not a cycle', async () => {
    await db.exec(`CREATE TABLE s.users (id uuid PRIMARY KEY REFERENCES s.users(id), email text NOT NULL)`);
    const snap = snapshotOf(table('s', 'users', { id: 'uuid*', email: 'text!' }, { foreignKeys: fk('users_id_fk', 'users', ['id'], 'users', ['id']) }));
    await applySeed(db, planSeed(snap, 20));
    expect(await count('s.users')).toBe(20);
  });

  it('keeps numeric(p, s) within its precision, and varchar(24) keys distinct, with narrower FK columns fitting', async () => {
    await db.exec(`CREATE TABLE s.accounts (code varchar(24) PRIMARY KEY, ratio numeric(4, 3) NOT NULL);
      CREATE TABLE s.entries (account varchar(8) NOT NULL REFERENCES s.accounts(code), amount numeric(6, 2) NOT NULL)`);
    const snap = snapshotOf({
      ...table('s', 'accounts', { code: 'varchar(24)*', ratio: 'numeric(4, 3)!' }),
      ...table('s', 'entries', { account: 'varchar(8)!', amount: 'numeric(6, 2)!' }, { foreignKeys: fk('entries_account_fk', 'entries', ['account'], 'accounts', ['code']) }),
    });
    await applySeed(db, planSeed(snap, 300));
    expect(await count('s.accounts')).toBe(300);
    expect(await count('s.entries')).toBe(300);
    const [r] = await db.query<{ max: string }>('SELECT max(ratio)::text AS max FROM s.accounts');
    expect(Number(r!.max)).toBeLessThan(10);
  });

  it("fills text a generated column casts parts of (codebuff's agent_config: major, minor, patch of a version), and the rows referencing it", async () => {
    const parts = [1, 2, 3].map((i) => `CAST(SPLIT_PART("s"."agent_config"."version", '.', ${i}) AS INTEGER)`);
    await db.exec(`CREATE TABLE s.agent_config (version text PRIMARY KEY,
        major integer GENERATED ALWAYS AS (${parts[0]}) STORED, minor integer GENERATED ALWAYS AS (${parts[1]}) STORED, patch integer GENERATED ALWAYS AS (${parts[2]}) STORED);
      CREATE TABLE s.runs (id integer PRIMARY KEY, version text NOT NULL REFERENCES s.agent_config(version))`);
    const generated = (i: number) => ({ name: ['major', 'minor', 'patch'][i]!, type: 'integer', primaryKey: false, notNull: false, generated: { as: parts[i]!, type: 'stored' } });
    const config = table('s', 'agent_config', { version: 'text*' });
    Object.assign(config['s.agent_config']!.columns, { major: generated(0), minor: generated(1), patch: generated(2) });
    const snap = snapshotOf({ ...config, ...table('s', 'runs', { id: 'integer*', version: 'text!' }, { foreignKeys: fk('runs_version_fk', 'runs', ['version'], 'agent_config', ['version']) }) });
    await applySeed(db, planSeed(snap, 30));
    const [r] = await db.query<{ n: number; patch: number }>('SELECT count(*)::int AS n, count(DISTINCT patch)::int AS patch FROM s.agent_config');
    expect(r).toEqual({ n: 30, patch: 30 });
    expect(await count('s.runs')).toBe(30);

    // An expression no shape satisfies is still named, with the plain value's refusal.
    const odd = `CAST(raw AS integer) + CAST(SPLIT_PART(raw, '.', 2) AS integer)`;
    await db.exec(`CREATE TABLE s.stamps (raw text NOT NULL, n integer GENERATED ALWAYS AS (${odd}) STORED)`);
    const stamps = table('s', 'stamps', { raw: 'text!' });
    Object.assign(stamps['s.stamps']!.columns, { n: { name: 'n', type: 'integer', primaryKey: false, notNull: false, generated: { as: odd, type: 'stored' } } });
    await expect(applySeed(db, planSeed(snapshotOf(stamps), 5))).rejects.toMatchObject({ table: 's.stamps', message: expect.stringMatching(/invalid input syntax for type integer: "1-stamps\.raw"/) });
  });

  it('satisfies a CHECK it can (a rating limited to 1..5) and names the one it cannot', async () => {
    await db.exec(`CREATE TABLE s.reviews (id integer PRIMARY KEY, rating integer NOT NULL CONSTRAINT rating_range CHECK (rating BETWEEN 1 AND 5))`);
    const reviews = table('s', 'reviews', { id: 'integer*', rating: 'integer!' }, {
      checkConstraints: { rating_range: { name: 'rating_range', value: '"s"."reviews"."rating" BETWEEN 1 AND 5' } },
    });
    await applySeed(db, planSeed(snapshotOf(reviews), 50));
    const [r] = await db.query<{ n: number; distinct: number }>('SELECT count(*)::int AS n, count(DISTINCT rating)::int AS distinct FROM s.reviews');
    expect(r).toEqual({ n: 50, distinct: 5 });

    await db.exec(`CREATE TABLE s.codes (code text NOT NULL CONSTRAINT code_format CHECK (code ~ '^[A-Z]{3}$'))`);
    const codes = table('s', 'codes', { code: 'text!' }, { checkConstraints: { code_format: { name: 'code_format', value: `code ~ '^[A-Z]{3}$'` } } });
    await expect(applySeed(db, planSeed(snapshotOf(codes), 5))).rejects.toMatchObject({ table: 's.codes', constraint: 'check code_format' });
  });

  it('skips keys that rows from a data migration already hold (a primary key that is also a foreign key)', async () => {
    await db.exec(`CREATE TABLE s.users (id integer PRIMARY KEY);
      CREATE TABLE s.profiles (user_id integer PRIMARY KEY REFERENCES s.users(id), bio text);
      INSERT INTO s.users VALUES (1), (2); INSERT INTO s.profiles VALUES (1, 'admin'), (2, 'bot');`);
    const snap = snapshotOf({
      ...table('s', 'users', { id: 'integer*' }),
      ...table('s', 'profiles', { user_id: 'integer*', bio: 'text' }, { foreignKeys: fk('profiles_user_fk', 'profiles', ['user_id'], 'users', ['id']) }),
    });
    await applySeed(db, planSeed(snap, 10));
    expect(await count('s.users')).toBe(10);
    expect(await count('s.profiles')).toBe(10);
  });

  it('returns the rows each table got: fewer than asked where a boolean key allows only two', async () => {
    await db.exec(`CREATE TABLE s.flags ("on" boolean PRIMARY KEY); CREATE TABLE s.notes (id integer PRIMARY KEY)`);
    const snap = snapshotOf({ ...table('s', 'flags', { on: 'boolean*' }), ...table('s', 'notes', { id: 'integer*' }) });
    expect(await applySeed(db, planSeed(snap, 10))).toEqual({ 's.flags': 2, 's.notes': 10 });
    expect(await count('s.flags')).toBe(2);
  });

  it('fills a nullable FK cycle afterwards, and names a NOT NULL one with its constraint', async () => {
    await db.exec(`CREATE TABLE s.a (id integer PRIMARY KEY, b_id integer); CREATE TABLE s.b (id integer PRIMARY KEY, a_id integer NOT NULL REFERENCES s.a(id));
      ALTER TABLE s.a ADD FOREIGN KEY (b_id) REFERENCES s.b(id);`);
    const tables = (aNotNull: boolean) =>
      snapshotOf({
        ...table('s', 'a', { id: 'integer*', b_id: aNotNull ? 'integer!' : 'integer' }, { foreignKeys: fk('a_b_fk', 'a', ['b_id'], 'b', ['id']) }),
        ...table('s', 'b', { id: 'integer*', a_id: 'integer!' }, { foreignKeys: fk('b_a_fk', 'b', ['a_id'], 'a', ['id']) }),
      });
    await applySeed(db, planSeed(tables(false), 10));
    const [r] = await db.query<{ n: number }>('SELECT count(b_id)::int AS n FROM s.a');
    expect(r!.n).toBe(10);
    expect(() => planSeed(tables(true), 10)).toThrow(expect.objectContaining({ constraint: expect.stringMatching(/^foreign key (a_b_fk|b_a_fk)$/) }));
  });

  it('gives every column a value: arrays of their dimensions, enum arrays, nullable columns of every type', async () => {
    await db.exec(`CREATE TYPE s.mood AS ENUM ('ok', 'meh'); CREATE TABLE s.things (tags varchar(5)[], grid integer[][], moods s.mood[], at timetz, net macaddr, span interval day to second)`);
    const snap = {
      ...snapshotOf(table('s', 'things', { tags: 'varchar(5)[]', grid: 'integer[][]', at: 'time with time zone', net: 'macaddr', span: 'interval day to second' })),
      enums: { 's.mood': { name: 'mood', schema: 's', values: ['ok', 'meh'] } },
    } as PgSnapshot;
    snap.tables['s.things']!.columns.moods = { name: 'moods', type: 'mood[]', typeSchema: 's', primaryKey: false, notNull: false };
    await applySeed(db, planSeed(snap, 3));
    const [r] = await db.query<Record<string, number>>(
      `SELECT min(cardinality(tags))::int AS tags, min(array_ndims(grid))::int AS grid, min(cardinality(moods))::int AS moods, count(at)::int AS at, count(net)::int AS net, count(span)::int AS span FROM s.things`,
    );
    expect(r).toEqual({ tags: 2, grid: 2, moods: 2, at: 3, net: 3, span: 3 });
  });
});
