/**
 * Seeding from what the replayed database has (issue 13): upstream
 * migrations drift from their snapshots (simstudioai/sim: a foreign key only a
 * hand-edited migration creates, snapshot columns no migration creates), and
 * a platform's tables that foreign keys point at start empty
 * (rphlmr/drizzle-supabase-rls: profiles.id -> auth.users, whose insert
 * trigger makes the profile). Real PGlite; each case also shows that the
 * snapshot alone fails.
 */
import { openPglite } from '../src/verify/database';
import { seedableSnapshot } from '../src/verify/seedCatalog';
import { applySeed, planSeed } from '../src/verify/seedRows';
import { seedScope } from '../src/verify/seedScope';
import { snapshotOf, table } from './helpers/snapshotTables';

let db: Awaited<ReturnType<typeof openPglite>>;
beforeAll(async () => {
  db = await openPglite([]);
});
afterAll(async () => db.close());
beforeEach(async () => db.exec('DROP SCHEMA IF EXISTS s CASCADE; DROP SCHEMA IF EXISTS ext CASCADE; CREATE SCHEMA s; CREATE SCHEMA ext'));
const count = async (sql: string) => (await db.query<{ n: number }>(sql))[0]!.n;

// The snapshot drizzle-kit wrote: a column the migrations never created, no FK on parent_id.
const driftedSnapshot = () =>
  snapshotOf({
    ...table('s', 'folder', { id: 'uuid*', name: 'text!', parent_id: 'uuid', processing_status: 'text!' }),
    ...table('s', 'docs', { id: 'uuid*', title: 'text!' }),
  });
const driftedDatabase = `CREATE TABLE s.folder (id uuid PRIMARY KEY, name text NOT NULL, parent_id uuid);
  ALTER TABLE s.folder ADD CONSTRAINT folder_parent_fk FOREIGN KEY (parent_id) REFERENCES s.folder(id);
  CREATE TABLE s.docs (id uuid PRIMARY KEY, title text NOT NULL)`;

it('seeds the columns and foreign keys the database has, not the snapshot', async () => {
  await db.exec(driftedDatabase);
  await expect(applySeed(db, planSeed(driftedSnapshot(), 10))).rejects.toThrow(/processing_status/);

  const seedable = await seedableSnapshot(db, driftedSnapshot());
  expect(Object.keys(seedable.tables['s.folder']!.columns)).toEqual(['id', 'name', 'parent_id']);
  expect(Object.keys(seedable.tables['s.folder']!.foreignKeys)).toEqual(['folder_parent_fk']);
  await applySeed(db, planSeed(seedable, 10));
  expect(await count('SELECT count(*)::int AS n FROM s.folder')).toBe(10);
  // Every parent_id the hand-written FK checks points at a folder.
  expect(await count('SELECT count(*)::int AS n FROM s.folder c JOIN s.folder p ON p.id = c.parent_id')).toBe(10);
});

it('reads the expression of a generated column only the database has, so the text it casts parts of gets a shape that fits', async () => {
  // A hand-written migration added the generated column; the snapshot knows only the text.
  await db.exec(`CREATE TABLE s.releases (version text PRIMARY KEY,
    minor integer GENERATED ALWAYS AS (CAST(SPLIT_PART(version, '.', 2) AS INTEGER)) STORED)`);
  const seedable = await seedableSnapshot(db, snapshotOf(table('s', 'releases', { version: 'text*' })));
  expect(seedable.tables['s.releases']!.columns.minor!.generated!.as).toMatch(/split_part\(version, '\.'::text, 2\)/);
  await applySeed(db, planSeed(seedable, 10));
  expect(await count('SELECT count(DISTINCT minor)::int AS n FROM s.releases')).toBe(10);
});

it('keeps a table with a hand-written FK out of the seeding when the move does not concern it', async () => {
  await db.exec(driftedDatabase);
  const scope = seedScope(await seedableSnapshot(db, driftedSnapshot()), [{ kind: 'table', name: 'docs', from: 's', to: 'k' }], 'ALTER TABLE "s"."docs" SET SCHEMA "k";');
  expect([...scope.tables]).toEqual(['s.docs']);
});

it("fills a platform's parent table first, and accepts the rows its trigger made in the child", async () => {
  await db.exec(`CREATE TABLE ext.users (id uuid PRIMARY KEY, email text);
    CREATE TABLE s.profiles (id uuid PRIMARY KEY REFERENCES ext.users(id), email text);
    CREATE FUNCTION s.make_profile() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO s.profiles (id, email) VALUES (NEW.id, NEW.email); RETURN NEW; END $$;
    CREATE TRIGGER on_user AFTER INSERT ON ext.users FOR EACH ROW EXECUTE FUNCTION s.make_profile()`);
  const snapshot = snapshotOf(
    table('s', 'profiles', { id: 'uuid*', email: 'text' }, { foreignKeys: { profiles_id_fk: { name: 'profiles_id_fk', tableFrom: 'profiles', tableTo: 'users', schemaTo: 'ext', columnsFrom: ['id'], columnsTo: ['id'] } } }),
  );
  await expect(applySeed(db, planSeed(snapshot, 10))).rejects.toThrow(/no row of ext.users has a key/);

  const seedable = await seedableSnapshot(db, snapshot);
  expect(Object.keys(seedable.tables).sort()).toEqual(['ext.users', 's.profiles']);
  await applySeed(db, planSeed(seedable, 10, 1, seedScope(seedable, [{ kind: 'table', name: 'profiles', from: 's', to: 'k' }], '').tables));
  expect(await count('SELECT count(*)::int AS n FROM ext.users')).toBe(10);
  expect(await count('SELECT count(*)::int AS n FROM s.profiles p JOIN ext.users u USING (id)')).toBe(10);
});
