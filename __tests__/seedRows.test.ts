/**
 * The row generator on shapes the fixtures only touch lightly: a NOT NULL
 * foreign key to a table no migration creates (Supabase's auth.users, made by
 * a prelude), and a pgvector column. Run for real on PGlite with pgvector.
 */
import type { PgSnapshot } from '../src/generate/migrationsFolder';
import { openPglite } from '../src/verify/database';
import { planSeed } from '../src/verify/seedRows';

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

describe('planSeed', () => {
  it('fills a NOT NULL FK to a table outside the snapshot from its existing rows, and vector columns', async () => {
    const plan = planSeed(snapshot, 5);
    expect(plan.updates).toEqual([]);
    const db = await openPglite(['vector']);
    try {
      await db.exec(`CREATE EXTENSION vector; CREATE SCHEMA auth; CREATE TABLE auth.users (id uuid PRIMARY KEY);
        INSERT INTO auth.users SELECT md5('user' || g)::uuid FROM generate_series(1, 5) g;
        CREATE TABLE profiles (id uuid PRIMARY KEY REFERENCES auth.users(id), embedding vector(3) NOT NULL);`);
      for (const sql of plan.inserts) await db.exec(sql);
      const [row] = await db.query<{ n: number; parents: number; dims: number }>(
        `SELECT count(*)::int AS n, count(DISTINCT id)::int AS parents, max(vector_dims(embedding))::int AS dims FROM profiles`,
      );
      expect(row).toEqual({ n: 5, parents: 5, dims: 3 });
    } finally {
      await db.close();
    }
  });
});
