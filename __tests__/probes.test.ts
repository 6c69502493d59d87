/**
 * The behaviour probes on PGlite: a new row goes into every moved table (a
 * join table whose key is its foreign keys included) and is there afterwards;
 * every foreign key (composite, text or uuid keys, a child column narrower
 * than its parent's) refuses a missing parent with 23503 and does on delete
 * what it declares. Then the same probes must fail when the database was
 * made to drop rows or stop enforcing keys.
 */
import { openPglite } from '../src/verify/database';
import { checkBehaviour } from '../src/verify/probes';
import { applySeed, planSeed } from '../src/verify/seedRows';
import type { VerifyReport } from '../src/verify/verifyReport';
import { fk, snapshotOf, table } from './helpers/snapshotTables';

const ROWS = 10;

const DDL = `
  CREATE TABLE app.users (id integer PRIMARY KEY, email varchar(40) NOT NULL UNIQUE);
  CREATE TABLE app.groups (id uuid PRIMARY KEY);
  CREATE TABLE app.members (
    user_id integer NOT NULL REFERENCES app.users(id) ON DELETE CASCADE,
    group_id uuid NOT NULL REFERENCES app.groups(id) ON DELETE RESTRICT,
    PRIMARY KEY (user_id, group_id));
  CREATE TABLE app.tags (code text PRIMARY KEY);
  CREATE TABLE app.labels (id integer PRIMARY KEY, tag varchar(30) REFERENCES app.tags(code) ON DELETE SET NULL);
  CREATE TABLE app.parts (a integer, b text, PRIMARY KEY (a, b));
  CREATE TABLE app.part_refs (a integer NOT NULL, b text NOT NULL, FOREIGN KEY (a, b) REFERENCES app.parts(a, b) ON DELETE CASCADE);`;

const snapshot = snapshotOf({
  ...table('app', 'users', { id: 'integer*', email: 'varchar(40)!' }, { uniqueConstraints: { users_email_key: { name: 'users_email_key', columns: ['email'] } } }),
  ...table('app', 'groups', { id: 'uuid*' }),
  ...table('app', 'members', { user_id: 'integer!', group_id: 'uuid!' }, {
    foreignKeys: { ...fk('members_user_id_fkey', 'members', ['user_id'], 'users', ['id'], 'app'), ...fk('members_group_id_fkey', 'members', ['group_id'], 'groups', ['id'], 'app') },
  }),
  ...table('app', 'tags', { code: 'text*' }),
  ...table('app', 'labels', { id: 'integer*', tag: 'varchar(30)' }, { foreignKeys: fk('labels_tag_fkey', 'labels', ['tag'], 'tags', ['code'], 'app') }),
  ...table('app', 'parts', { a: 'integer!', b: 'text!' }),
  ...table('app', 'part_refs', { a: 'integer!', b: 'text!' }, { foreignKeys: fk('part_refs_a_b_fkey', 'part_refs', ['a', 'b'], 'parts', ['a', 'b'], 'app') }),
});
const moves = Object.values(snapshot.tables).map((t) => ({ kind: 'table', name: t.name, from: 'public', to: 'app' }));

const emptyReport = (): VerifyReport => ({
  ok: false, engine: 'pglite', migration: { tag: 't', file: 'f' }, moves, seededRows: ROWS, tables: [], checked: {},
  differences: [], added: [], drift: [], driftExisting: [], driftChecked: true, outsideDrizzle: [], notChecked: [], behaviour: [], committed: false, notes: [], timingsMs: {},
});

describe('checkBehaviour', () => {
  let db: Awaited<ReturnType<typeof openPglite>>;
  beforeAll(async () => {
    db = await openPglite([]);
  });
  afterAll(async () => db.close());
  beforeEach(async () => {
    await db.exec(`DROP SCHEMA IF EXISTS app CASCADE; CREATE SCHEMA app; ${DDL}`);
    await applySeed(db, planSeed(snapshot, ROWS));
  });
  const probe = async () => {
    const report = emptyReport();
    await checkBehaviour(db, snapshot, moves, ROWS, report);
    return report;
  };
  const failing = (r: VerifyReport) => r.behaviour.filter((b) => !b.ok).map((b) => `${b.object}: ${b.after}`);

  it('inserts into every table, join tables too, and probes every foreign key on both sides', async () => {
    const report = await probe();
    expect(failing(report)).toEqual([]);
    expect(report.notes).toEqual([]);
    const objects = report.behaviour.map((b) => b.object);
    expect(objects.filter((o) => o.startsWith('insert into '))).toHaveLength(7);
    for (const name of ['members_user_id_fkey', 'members_group_id_fkey', 'labels_tag_fkey', 'part_refs_a_b_fkey']) {
      expect(objects.filter((o) => o.endsWith(`.${name}`))).toHaveLength(2);
    }
    expect(report.behaviour.find((b) => b.object.endsWith('labels_tag_fkey') && b.object.startsWith('on delete'))!.after).toBe('sets null');
    // Everything the probes did is undone.
    const [r] = await db.query<{ n: number }>('SELECT (SELECT count(*) FROM app.members) + (SELECT count(*) FROM app.users) AS n');
    expect(Number(r!.n)).toBe(2 * ROWS);
  });

  it('fails an insert a rule or a BEFORE trigger swallows, naming the table', async () => {
    await db.exec(`CREATE RULE swallow AS ON INSERT TO app.labels DO INSTEAD NOTHING;
      CREATE FUNCTION app.drop_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
      CREATE TRIGGER drop_row BEFORE INSERT ON app.tags FOR EACH ROW EXECUTE FUNCTION app.drop_row();`);
    const failures = failing(await probe());
    expect(failures).toHaveLength(2);
    expect(failures[0]).toMatch(/^insert into app\.tags: the row was not stored/);
    expect(failures[1]).toMatch(/^insert into app\.labels: /);
  });

  it('inserts into a table that stays when a trigger on it writes elsewhere, and fails when that write breaks', async () => {
    const hooks = snapshotOf({ ...snapshot.tables, ...table('app', 'hooks', { id: 'integer*' }) });
    await db.exec(`CREATE TABLE app.hooks (id integer PRIMARY KEY);
      CREATE FUNCTION app.log_hook() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO public.jobs VALUES (NEW.id); RETURN NEW; END $$;
      CREATE TRIGGER log_hook AFTER INSERT ON app.hooks FOR EACH ROW EXECUTE FUNCTION app.log_hook();`);
    const report = emptyReport();
    await checkBehaviour(db, hooks, moves, ROWS, report);
    expect(failing(report)).toEqual(['insert into app.hooks (triggers or rules): relation "public.jobs" does not exist']);
  });

  it('holds a table that stays to the same strict probe: a BEFORE trigger dropping the row fails it', async () => {
    const hooks = snapshotOf({ ...snapshot.tables, ...table('app', 'hooks', { id: 'integer*' }) });
    await db.exec(`CREATE TABLE app.hooks (id integer PRIMARY KEY);
      CREATE FUNCTION app.drop_hook() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
      CREATE TRIGGER drop_hook BEFORE INSERT ON app.hooks FOR EACH ROW EXECUTE FUNCTION app.drop_hook();`);
    const report = emptyReport();
    await checkBehaviour(db, hooks, moves, ROWS, report);
    expect(failing(report)).toEqual([expect.stringMatching(/^insert into app\.hooks \(triggers or rules\): the row was not stored/)]);
  });

  it('inserts a new row into a table whose generated column casts part of a text column, as seeding fills it', async () => {
    const as = `CAST(SPLIT_PART("app"."releases"."version", '.', 2) AS INTEGER)`;
    const releases = table('app', 'releases', { version: 'text*' });
    Object.assign(releases['app.releases']!.columns, { minor: { name: 'minor', type: 'integer', primaryKey: false, notNull: false, generated: { as, type: 'stored' } } });
    const withReleases = snapshotOf({ ...snapshot.tables, ...releases });
    await db.exec(`CREATE TABLE app.releases (version text PRIMARY KEY, minor integer GENERATED ALWAYS AS (${as}) STORED)`);
    await applySeed(db, planSeed(snapshotOf(releases), ROWS));
    const report = emptyReport();
    await checkBehaviour(db, withReleases, [...moves, { kind: 'table', name: 'releases', from: 'public', to: 'app' }], ROWS, report);
    expect(failing(report)).toEqual([]);
    expect(report.behaviour).toContainEqual(expect.objectContaining({ object: 'insert into app.releases', ok: true }));
  });

  it('a probe that cannot run is not checked, not passed: a boolean key whose two values are taken', async () => {
    const flags = snapshotOf({ ...snapshot.tables, ...table('app', 'flags', { on: 'boolean*' }) });
    await db.exec(`CREATE TABLE app.flags ("on" boolean PRIMARY KEY); INSERT INTO app.flags VALUES (true), (false);`);
    const report = emptyReport();
    await checkBehaviour(db, flags, [...moves, { kind: 'table', name: 'flags', from: 'public', to: 'app' }], ROWS, report);
    expect(report.behaviour.map((b) => b.object)).not.toContain('insert into app.flags');
    expect(report.notChecked).toContain('insert into app.flags');
    expect(report.notes).toContainEqual(expect.stringMatching(/^insert into app\.flags not checked: no generated row fits its keys/));
  });

  it('fails foreign keys that no longer hold on the child side or no longer act on the parent side', async () => {
    await db.exec('ALTER TABLE app.part_refs DISABLE TRIGGER ALL; ALTER TABLE app.users DISABLE TRIGGER ALL;');
    expect(failing(await probe())).toEqual([
      'on delete of app.users: app.members.members_user_id_fkey: left rows pointing at a deleted parent',
      'foreign key app.part_refs.part_refs_a_b_fkey: accepted a missing parent',
    ]);
  });
});
