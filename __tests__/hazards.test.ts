import { spawnSync } from 'node:child_process';
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { ToolError } from '../src/errors';
import { findDatabaseHazards, findSqlReferences, readApiSchemas, readCatalog, scanHazards, type HazardTarget } from '../src/report/hazards';
import type { MovedObject } from '../src/move';
import { openEmbeddedPostgres, type Database } from '../src/verify/database';
import { REPO_ROOT, hashTree, removeTemp, writeTempTree } from './helpers/tempProject';

const TARGETS: HazardTarget[] = [
  { kind: 'table', name: 'entities', from: 'public', to: 'growth' },
  { kind: 'table', name: 'jobs', from: 'public', to: 'growth' },
  { kind: 'enum', name: 'job_status', from: 'public', to: 'growth' },
  { kind: 'sequence', name: 'invoice_number_seq', from: 'public', to: 'growth' },
];

describe('findSqlReferences', () => {
  // [SQL, the names it reports as written]
  const cases: [string, string[]][] = [
    ['select * from entities', ['entities']],
    ['SELECT * FROM "public"."entities" e JOIN public.entities x ON e.id = x.id', ['"public"."entities"', 'public.entities']],
    ['insert into ENTITIES (id) values (1)', ['ENTITIES']],
    ['update jobs set status = $1', ['jobs']],
    ['delete from only jobs', ['jobs']],
    ['select status::job_status, nextval(\'invoice_number_seq\')', ['job_status', "'invoice_number_seq'"]],
    ["select 'public.entities'::regclass", ["'public.entities'"]],
    ['create policy p on jobs using (exists (select 1 from public.entities))', ['jobs', 'public.entities']],
    ['create function f() returns int as $$ select count(*) from entities $$ language sql', ['entities']],
    ['select public.entities.id from x', ['public.entities']],
    // Already qualified with the target, or a column/alias/string that happens to share the name.
    ['select * from growth.entities', []],
    ['select entities.id, e.jobs from growth.entities e', []],
    ["select 'entities' as jobs", []],
    ['select 1 -- from entities\n/* from jobs */', []],
    // Quoted names keep their case: "Entities" is another table.
    ['select * from "Entities"', []],
    ['select * from entities_archive', []],
  ];
  it.each(cases)('%s', (sql, expected) => {
    expect(findSqlReferences(sql, TARGETS).map((r) => r.found)).toEqual(expected);
  });

  it('says what to use instead, qualified with the target schema', () => {
    expect(findSqlReferences('select * from public.entities', TARGETS)).toEqual([
      expect.objectContaining({ found: 'public.entities', use: '"growth"."entities"', start: 14, end: 29 }),
    ]);
  });

  it('finds names that are not one word, which only a quoted identifier can spell', () => {
    const odd: HazardTarget[] = [{ kind: 'table', name: 'user-profiles', from: 'public', to: 'growth' }];
    expect(findSqlReferences('select * from "user-profiles" join public."user-profiles" p on true', odd).map((r) => r.found)).toEqual([
      '"user-profiles"',
      'public."user-profiles"',
    ]);
  });

  it('leaves bare names alone when the objects move to public, and flags their old schema instead', () => {
    const back: HazardTarget[] = [{ kind: 'table', name: 'entities', from: 'growth', to: 'public' }];
    expect(findSqlReferences('select * from entities join growth.entities g on true', back).map((r) => [r.found, r.use])).toEqual([
      ['growth.entities', '"public"."entities"'],
    ]);
  });
});

describe('readApiSchemas', () => {
  it('reads [api] schemas on one line or several, with comments, and only from [api]', () => {
    const toml = [
      '[db]',
      'schemas = ["not", "this"]',
      '[api]',
      'enabled = true',
      '# The schemas to expose in your API',
      'schemas = [',
      '  "public", # the default',
      "  'graphql_public',",
      ']',
      '[auth]',
    ].join('\n');
    expect(readApiSchemas(toml)).toEqual(['public', 'graphql_public']);
    expect(readApiSchemas('[api]\nschemas = ["public", "growth"]\n')).toEqual(['public', 'growth']);
    expect(readApiSchemas('[api]\nport = 54321\n')).toBeUndefined();
  });
});

const moved = (name: string, kind: MovedObject['kind'] = 'table'): MovedObject => ({
  kind,
  name,
  identifier: name,
  from: 'public',
  to: 'growth',
  file: 'src/db/schema.ts',
  line: 1,
});

/** A project with raw SQL in the places seeds 000 (Phase 6) and 004 (open question 1) worry about. */
const PROJECT = new Map<string, string>([
  [
    'src/db/schema.ts',
    [
      "import { sql } from 'drizzle-orm';",
      "import { pgTable, pgView, text, uuid } from 'drizzle-orm/pg-core';",
      "export const entities = pgTable('entities', { id: uuid('id').primaryKey(), name: text('name') });",
      "export const jobs = pgTable('jobs', { id: uuid('id').primaryKey() });",
      "export const names = pgView('entity_names').as(sql`select name from entities`);",
      '',
    ].join('\n'),
  ],
  [
    'src/queries.ts',
    [
      "import { sql } from 'drizzle-orm';",
      "import { db, client } from './db';",
      'export const count = () => db.execute(sql`select count(*) from public.entities where id = ${1}`);',
      "export const raw = () => client.query('SELECT * FROM jobs WHERE id = $1', [1]);",
      'export const multi = () =>',
      '  db.execute(sql`',
      '    select e.name',
      '    from ${db} e',
      '    join "public"."jobs" j on j.id = e.id`);',
      "export const unsafe = () => sql.raw('truncate entities');",
      "export const label = 'entities'; // a string, not SQL",
      'export const fine = () => db.execute(sql`select * from growth.entities`);',
      '',
    ].join('\n'),
  ],
  [
    'supabase/functions/report/index.ts',
    [
      "import { createClient } from '@supabase/supabase-js';",
      'const supabase = createClient(url, key);',
      "export const list = () => supabase.from('entities').select('*');",
      "export const ok = () => supabase.schema('growth').from('entities').select('*');",
      '',
    ].join('\n'),
  ],
  ['db/functions.sql', ['create function entity_count() returns bigint', 'language sql as $$', '  select count(*) from public.entities', '$$;', ''].join('\n')],
  ['drizzle/0000_init.sql', 'CREATE TABLE "public"."entities" ("id" uuid);\n'],
  ['node_modules/lib/index.js', "db.execute('select * from entities');\n"],
  ['dist/queries.js', "db.execute('select * from entities');\n"],
  ['supabase/config.toml', '[api]\nenabled = true\nschemas = ["public", "graphql_public"]\n'],
]);

describe('scanHazards on a project tree', () => {
  let dir: string;
  beforeAll(() => {
    dir = writeTempTree(PROJECT);
  });
  afterAll(() => removeTemp(dir));

  it('reports raw SQL by file and line with the qualified name to use, and nothing from pgTable calls, strings, migrations or node_modules', () => {
    const report = scanHazards({
      root: dir,
      objects: [moved('entities'), moved('jobs')],
      exclude: [join(dir, 'drizzle')],
      grants: [],
    });
    expect(report.code.map((h) => `${h.file}:${h.line}: ${h.found} → use ${h.use} [${h.source}]`)).toEqual([
      'db/functions.sql:3: public.entities → use "growth"."entities" [sql-file]',
      'src/db/schema.ts:5: entities → use "growth"."entities" [sql-template]',
      'src/queries.ts:3: public.entities → use "growth"."entities" [sql-template]',
      'src/queries.ts:4: jobs → use "growth"."jobs" [query-string]',
      'src/queries.ts:9: "public"."jobs" → use "growth"."jobs" [sql-template]',
      'src/queries.ts:10: entities → use "growth"."entities" [query-string]',
      `supabase/functions/report/index.ts:3: from('entities') → use schema('growth').from('entities') [supabase-from]`,
    ]);
    expect(report.code[2]).toMatchObject({ column: 64 });
    // schema.ts, queries.ts, the edge function and functions.sql; not drizzle/, node_modules/ or dist/.
    expect(report.filesScanned).toBe(4);
  });

  it('warns that the Data API does not expose the target schema and lists the grants the API roles lack', () => {
    const report = scanHazards({ root: dir, objects: [moved('entities')], exclude: [], grants: ['authenticated'] });
    expect(report.supabase).toMatchObject({
      configPath: 'supabase/config.toml',
      exposedSchemas: ['public', 'graphql_public'],
      notExposed: ['growth'],
      rolesWithoutGrants: ['anon', 'service_role'],
    });
    expect(report.supabase!.grants).toContain('GRANT USAGE ON SCHEMA "growth" TO "anon";');
    expect(report.supabase!.grants).toContain('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "growth" TO "service_role";');
    expect(report.supabase!.grants.join('\n')).not.toContain('"authenticated"');
  });

  it('has no Supabase section without supabase/config.toml, and nothing to say about objects that stay in public', () => {
    const plain = writeTempTree(new Map([['q.sql', 'select * from entities;\n']]));
    try {
      const stay = { ...moved('entities'), from: 'public', to: 'public' };
      const report = scanHazards({ root: plain, objects: [stay], exclude: [], grants: [] });
      expect(report).toEqual({ code: [], filesScanned: 1 });
    } finally {
      removeTemp(plain);
    }
  });

  it('is printed by the CLI as file:line lines, and the run still writes nothing on --dry-run', () => {
    symlinkSync(join(REPO_ROOT, 'node_modules', 'drizzle-orm'), join(dir, 'node_modules', 'drizzle-orm'), 'dir');
    const before = hashTree(dir);
    const run = spawnSync(
      process.execPath,
      [join(REPO_ROOT, 'bin', 'drizzle-reschema.js'), 'move', 'src/db/schema.ts', '--to', 'growth', '--tables', 'entities,jobs', '--no-migration', '--dry-run'],
      { cwd: dir, encoding: 'utf8', env: { ...process.env, CI: 'true', NO_COLOR: '1', GITHUB_STEP_SUMMARY: '' } },
    );
    expect(run.status).toBe(0);
    expect(run.stderr).toContain('src/queries.ts:3: public.entities → use "growth"."entities"\n');
    expect(run.stderr).toContain(`supabase/functions/report/index.ts:3: from('entities') → use schema('growth').from('entities')\n`);
    expect(run.stderr).toContain("schema 'growth' is not in [api] schemas (public, graphql_public)");
    expect(hashTree(dir)).toEqual(before);
  });
});

describe('database hazards on a real Postgres server', () => {
  let db: Database;
  beforeAll(async () => {
    db = await openEmbeddedPostgres();
    await db.exec(`
      CREATE TABLE public.users (id int PRIMARY KEY);
      CREATE TABLE public.entities (id int PRIMARY KEY, owner_id int REFERENCES public.users(id), name text);
      CREATE TABLE public.jobs (id int PRIMARY KEY);
      CREATE TABLE public.audit (id serial PRIMARY KEY, note text);
      CREATE VIEW public.entity_names AS SELECT name FROM public.entities;
      CREATE MATERIALIZED VIEW public.job_count AS SELECT count(*) AS n FROM public.jobs;
      CREATE VIEW public.user_ids AS SELECT id FROM public.users;
      CREATE FUNCTION public.count_entities() RETURNS bigint LANGUAGE plpgsql AS $$
        BEGIN RETURN (SELECT count(*) FROM entities); END $$;
      CREATE FUNCTION public.count_users() RETURNS bigint LANGUAGE sql AS $$ SELECT count(*) FROM public.users $$;
      CREATE TYPE public.job_status AS ENUM ('queued', 'done');
      CREATE FUNCTION public.first_job() RETURNS text LANGUAGE plpgsql AS $$
        DECLARE s job_status; r jobs%ROWTYPE;
        BEGIN s := 'queued'; RETURN s::text; END $$;
      CREATE FUNCTION public.log_job() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN INSERT INTO public.audit (note) VALUES ('job'); PERFORM 1 FROM public.jobs; RETURN NEW; END $$;
      CREATE TRIGGER users_log AFTER INSERT ON public.users FOR EACH ROW EXECUTE FUNCTION public.log_job();
      ALTER TABLE public.users ENABLE ROW LEVEL SECURITY;
      CREATE POLICY owners ON public.users USING (EXISTS (SELECT 1 FROM public.entities e WHERE e.owner_id = users.id));
    `);
  });
  afterAll(async () => {
    await db?.close();
  });

  it('finds the views, functions, policies and triggers that name moved tables, and says which break', async () => {
    const catalog = await readCatalog(db.url!);
    const hazards = findDatabaseHazards(catalog, TARGETS);
    expect(hazards.map((h) => `${h.kind} ${h.name}: ${h.found} -> ${h.use} ${h.followsMove ? 'follows' : 'breaks'}`)).toEqual([
      'view public.entity_names: public.entities -> "growth"."entities" follows',
      'materializedView public.job_count: public.jobs -> "growth"."jobs" follows',
      'function public.count_entities(): entities -> "growth"."entities" breaks',
      // Declared types: the text matcher cannot tell them from a column, Postgres' parser can.
      'function public.first_job(): job_status -> "growth"."job_status" breaks',
      'function public.first_job(): jobs -> "growth"."jobs" breaks',
      'function public.log_job(): public.jobs -> "growth"."jobs" breaks',
      'policy public.users: owners: public.entities -> "growth"."entities" follows',
      'trigger public.users: users_log -> public.log_job(): public.jobs -> "growth"."jobs" breaks',
    ]);
  });

  it('reads the catalog without writing: a read-only transaction, and the database is unchanged', async () => {
    const before = await db.query('SELECT count(*)::int AS n FROM pg_class');
    await readCatalog(db.url!);
    expect(await db.query('SELECT count(*)::int AS n FROM pg_class')).toEqual(before);
  });

  it('fails with a one-line ToolError that does not show the password', async () => {
    const wrong = db.url!.replace(/:[^:@/]*@/, ':not-the-password@');
    const error = await readCatalog(wrong).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ToolError);
    expect((error as Error).message).toMatch(/^--database-url postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/postgres: cannot connect: /);
    expect((error as Error).message).not.toContain('not-the-password');
    expect((error as Error).message).not.toContain('\n');
  });
});
