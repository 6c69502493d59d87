/**
 * The rollback of a move with --grant takes away what the grants gave, and
 * nothing else. On PGlite and a real Postgres server: the fixture's tables
 * carry Supabase's grants to anon, authenticated and service_role and a
 * grant from an earlier migration; after migrate and rollback, every ACL,
 * default privilege and schema comment is as it was, and the roles that had
 * no access before have none again.
 */
import { cpSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { migrateWith, fixtureDatabase, runCliHere } from './helpers/run';
import { copyFixtureProject, removeTemp } from './helpers/tempProject';
import { patchMigration } from '../src/patch/patchMigration';
import type { Database } from '../src/verify/database';
import { SPLIT_MOVE as SPLIT } from './helpers/cases';

const SUPABASE_DEFAULTS = `
  CREATE ROLE anon; CREATE ROLE authenticated; CREATE ROLE service_role; CREATE ROLE reader;
  COMMENT ON SCHEMA public IS 'standard public schema';
  ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO anon, authenticated, service_role;
  ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON SEQUENCES TO anon, authenticated, service_role;
  GRANT USAGE ON SCHEMA public TO anon, authenticated, service_role;
`;
/** Every privilege (a NULL ACL read as the defaults it stands for), default privilege and schema comment outside the catalogs. */
async function privileges(db: Database): Promise<string[]> {
  const rows = await db.query<{ line: string }>(
    `SELECT 'relation ' || n.nspname || '.' || c.relname || ' ' || coalesce(c.relacl, acldefault(CASE c.relkind WHEN 'S' THEN 's' ELSE 'r' END::"char", c.relowner))::text AS line
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S') AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'drizzle') AND n.nspname NOT LIKE 'pg\\_%'
     UNION ALL
     SELECT 'schema ' || nspname || ' ' || coalesce(nspacl, acldefault('n', nspowner))::text || ' ' || coalesce(obj_description(oid, 'pg_namespace'), '') FROM pg_namespace
       WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'drizzle') AND nspname NOT LIKE 'pg\\_%'
     UNION ALL
     SELECT 'default ' || coalesce(n.nspname, '*') || ' ' || d.defaclobjtype::text || ' ' || d.defaclacl::text
       FROM pg_default_acl d LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace
     ORDER BY 1`,
  );
  return rows.map((r) => r.line);
}

describe.each(['pglite', 'postgres'] as const)('--grant, then the rollback, on %s', (engine) => {
  const db = fixtureDatabase(engine);
  let dir: string;
  let baseline: string;
  beforeAll(async () => {
    dir = copyFixtureProject(SPLIT.fixture);
    baseline = `${dir}-baseline`;
    cpSync(join(dir, SPLIT.out), baseline, { recursive: true });
    const r = await runCliHere(dir, ['move', SPLIT.schemaFile, '--to', SPLIT.to, '--grant', 'authenticated,reader', '--no-verify']);
    expect(r.status).toBe(0);
  });
  afterAll(() => {
    removeTemp(dir);
    removeTemp(baseline);
  });

  it('privileges before the move equal privileges after migrate and rollback', async () => {
    await db().exec(SUPABASE_DEFAULTS);
    await migrateWith(db(), baseline);
    // A grant from an earlier, hand-written migration.
    await db().exec('GRANT SELECT ON "public"."entities" TO reader;');
    const before = await privileges(db());
    expect(before.join('\n')).toContain('authenticated=arwd');

    await migrateWith(db(), join(dir, SPLIT.out));
    const [reach] = await db().query<{ reader: boolean; jobs: boolean }>(
      `SELECT has_table_privilege('reader', '"growth"."jobs"', 'SELECT') AS reader, has_table_privilege('authenticated', '"growth"."jobs"', 'SELECT') AS jobs`,
    );
    expect(reach).toEqual({ reader: true, jobs: true });

    const rollbackFile = readdirSync(join(dir, SPLIT.out)).find((f) => f.endsWith('.rollback.sql'))!;
    const rollback = readFileSync(join(dir, SPLIT.out, rollbackFile), 'utf8');
    await db().exec(rollback);
    expect(await privileges(db())).toEqual(before);
  });
});

describe('--grant into a schema that was there before', () => {
  const db = fixtureDatabase('pglite');

  it('keeps the schema\'s own USAGE, default privileges and comment; revokes only what the grants added', async () => {
    await db().exec(`
      ${SUPABASE_DEFAULTS}
      CREATE SCHEMA shared;
      COMMENT ON SCHEMA shared IS 'it''s shared';
      GRANT USAGE ON SCHEMA shared TO reader;
      ALTER DEFAULT PRIVILEGES IN SCHEMA shared GRANT SELECT ON TABLES TO reader;
      CREATE TABLE shared.settings (id serial PRIMARY KEY);
      GRANT SELECT, UPDATE ON shared.settings TO reader;
      CREATE TABLE public."Profiles" (id serial PRIMARY KEY);
    `);
    const { sql, rollbackSql } = await patchMigration({
      statements: [],
      breakpoints: false,
      relocations: [{ kind: 'table', name: 'Profiles', from: 'public', to: 'shared' }],
      grants: ['reader', 'authenticated'],
      tag: "0003_it's",
    });
    const before = await privileges(db());
    await db().exec(sql);
    const [after] = await db().query<{ insert: boolean; update: boolean }>(
      `SELECT has_table_privilege('reader', 'shared."Profiles"', 'INSERT') AS insert, has_table_privilege('reader', 'shared.settings', 'INSERT') AS update`,
    );
    expect(after).toEqual({ insert: true, update: true });
    await db().exec(rollbackSql);
    expect(await privileges(db())).toEqual(before);
  });

  it('a rollback run without its migration stops before it changes anything', async () => {
    // The table is where the rollback expects it (its up-front LOCK TABLE finds it), but the schema lacks the migration's record.
    await db().exec('CREATE SCHEMA lonely; CREATE TABLE lonely.alone (id int)');
    const { rollbackSql } = await patchMigration({
      statements: [],
      breakpoints: false,
      relocations: [{ kind: 'table', name: 'alone', from: 'public', to: 'lonely' }],
      grants: ['reader'],
      tag: '0004_x',
    });
    await expect(db().exec(rollbackSql)).rejects.toThrow('schema lonely has no record of the privileges held before 0004_x');
  });
});
