/**
 * verify on a project whose migrations lean on the hosted database (issue 9):
 * the supabase-style fixture has policies to Supabase's roles calling
 * auth.uid()/auth.jwt(), a pgvector column with an hnsw index, a pg_trgm
 * index and a generated column calling a function defined outside Drizzle.
 * Each obstacle is handled automatically, handled by a prelude, or reported
 * on one line (file, statement, Postgres error, hint) with exit 2 and the
 * project untouched.
 */
import { appendFileSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../src/errors';
import { loadDrizzleConfig, rollbackPathFor } from '../src/generate/drizzleConfig';
import { loadMigrationSet } from '../src/verify/migrationSet';
import { projectPlatform } from '../src/verify/platform';
import { supabasePrelude } from '../src/verify/preludes/supabase';
import { diagnose, rolesCreatedBy, rolesNamedBy } from '../src/verify/replay';
import { buildParser, type MoveArgs, type VerifyArgs } from '../src/cli';
import { verifyMigration, type VerifyReport } from '../src/verify/verifyMigration';
import { copyFixtureProject, hashTree, removeTemp, REPO_ROOT, writeTempTree } from './helpers/tempProject';
import { runCliHere as cli, runKit } from './helpers/run';

const ROWS = '20';
const MOVE = ['move', 'src/db/schema/inbox.ts', 'src/db/schema/documents.ts', '--to', 'inbox', '--rows', ROWS];

const migrationsDir = (dir: string) => join(dir, 'supabase', 'migrations');
const migrationFile = (dir: string, suffix: string) => {
  const name = readdirSync(migrationsDir(dir)).find((f) => f.endsWith(`${suffix}.sql`));
  if (!name) throw new Error(`no migration *${suffix}.sql in the fixture`);
  return join('supabase', 'migrations', name);
};

/** Drops the project's own prelude list from package.json: the function is then nowhere. */
function withoutConfiguredPrelude(dir: string): void {
  const path = join(dir, 'package.json');
  const pkg = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  delete pkg['drizzle-reschema'];
  writeFileSync(path, `${JSON.stringify(pkg, null, 2)}\n`);
}

/** The run failed as a bad-input run must: exit 2, one line on stderr, nothing on disk changed. */
function expectReported(r: Awaited<ReturnType<typeof cli>>, before: Map<string, string>, dir: string): string {
  expect(r.status).toBe(2);
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^drizzle-reschema: /);
  expect(hashTree(dir)).toEqual(before);
  return lines[0]!;
}

describe('handled automatically: Supabase roles and auth stubs, pgvector, pg_trgm (and the prelude package.json names)', () => {
  let dir: string;
  beforeAll(() => {
    dir = copyFixtureProject('supabase-style');
  });
  afterAll(() => removeTemp(dir));

  it('move verifies the migration before writing it, and verify then passes on PGlite with every obstacle provided', async () => {
    const moved = await cli(dir, MOVE);
    expect(moved.stderr).toMatch(/ok: kept \d+ schemas?, \d+ tables \(rows and checksums\)/);
    expect(moved.status).toBe(0);
    const r = await cli(dir, ['verify', '--rows', ROWS, '--format', 'json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const report = (JSON.parse(r.stdout) as { details: VerifyReport }).details;
    expect(report.ok).toBe(true);
    // pgvector loads into PGlite itself: no fallback to a server that lacks it.
    expect(report.engine).toBe('pglite');
    expect(report.moves.filter((m) => m.kind === 'table').map((m) => m.name).sort()).toEqual(['documents', 'inbox']);
    expect(report.tables).toEqual(
      expect.arrayContaining([
        { object: 'public.documents -> inbox.documents', before: `${ROWS} rows`, after: `${ROWS} rows`, ok: true },
        { object: 'public.inbox -> inbox.inbox', before: `${ROWS} rows`, after: `${ROWS} rows`, ok: true },
      ]),
    );
    // The platform's stubs are not the migrations' objects: neither compared nor drift.
    expect(report.tables.map((t) => t.object)).not.toContain('auth.users');
    expect(report.drift).toEqual([]);
    expect(report.checked.policy).toEqual({ objects: 4, differing: 0 });
    // The hnsw, gin (tsvector) and gin_trgm_ops indexes among them.
    expect(report.checked.index).toEqual({ objects: 7, differing: 0 });
    expect(report.rollback).toMatchObject({ ok: true });
    expect(report.notes).toEqual(
      expect.arrayContaining([
        'extensions vector, pg_trgm loaded on PGlite',
        expect.stringMatching(/^Supabase project: created roles anon, authenticated, service_role, .*; stubs auth\.uid\(\), auth\.jwt\(\), auth\.role\(\), auth\.email\(\); auth\.users \(id, email\); storage \(storage\.buckets, storage\.objects, storage\.foldername\(\), .*\); realtime \(realtime\.messages, realtime\.topic\(\), .*\) in the throwaway database/),
        'ran the prelude supabase/prelude.sql before the migrations',
      ]),
    );
  }, 120_000);
});

describe('handled by a prelude: a function defined outside Drizzle', () => {
  let dir: string;
  beforeAll(() => {
    dir = copyFixtureProject('supabase-style');
    withoutConfiguredPrelude(dir);
  });
  afterAll(() => removeTemp(dir));

  it('without it, verify stops with exit 2 naming the migration, the statement, the error and what to put in a prelude', async () => {
    const before = hashTree(dir);
    const line = expectReported(await cli(dir, ['verify', '--rows', ROWS]), before, dir);
    expect(line).toBe(
      `drizzle-reschema: cannot apply the migration on a fresh database: ${migrationFile(dir, '_init')}: statement 4 (CREATE TABLE "inbox" () failed: ` +
        'function generate_inbox_fts(text, text) does not exist; hint: generate_inbox_fts(text, text) is defined outside your migrations: ' +
        'define it (a stub with that signature is enough) in a prelude file (--prelude <file.sql>, or "drizzle-reschema": { "prelude": [...] } in package.json)',
    );
  }, 60_000);

  it('without it, move stops at the replay with exit 2 and writes nothing', async () => {
    const before = hashTree(dir);
    const line = expectReported(await cli(dir, MOVE), before, dir);
    expect(line).toContain(`cannot replay the migrations on a fresh database: ${migrationFile(dir, '_init')}: statement 4 (CREATE TABLE "inbox" () failed`);
    expect(line).toContain('hint: generate_inbox_fts(text, text) is defined outside your migrations');
  }, 60_000);

  it('with --prelude, verify passes (exit 0) and says it ran the prelude', async () => {
    const r = await cli(dir, ['verify', '--rows', ROWS, '--prelude', 'supabase/prelude.sql', '--format', 'json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const report = (JSON.parse(r.stdout) as { details: VerifyReport }).details;
    expect(report.ok).toBe(true);
    expect(report.notes).toContain('ran the prelude supabase/prelude.sql before the migrations');
  }, 60_000);

  it('never reports success for a migration it could not apply: the library call rejects instead of returning a report', async () => {
    const config = loadDrizzleConfig(dir);
    const set = loadMigrationSet(dir, config, (tag) => rollbackPathFor(config, tag));
    const outcome = await verifyMigration(set, { rows: 5, ...projectPlatform(dir, config) }).catch((error: unknown) => error);
    expect(outcome).toBeInstanceOf(ConfigError);
    expect((outcome as ConfigError).message).toMatch(/generate_inbox_fts\(text, text\) does not exist/);
  }, 60_000);
});

describe('reported clearly: exit 2, one line naming file, statement and error, nothing written', () => {
  let dir: string;
  let extensionsSql: string;
  let original: string;
  beforeAll(() => {
    dir = copyFixtureProject('supabase-style');
    extensionsSql = join(dir, migrationFile(dir, '_enable_extensions'));
    original = readFileSync(extensionsSql, 'utf8');
  });
  afterEach(() => writeFileSync(extensionsSql, original));
  afterAll(() => removeTemp(dir));

  /** Appends statements to the project's first (custom) migration, as a hand-edited or introspected history would hold them. */
  const appendToFirstMigration = (...statements: string[]) =>
    appendFileSync(extensionsSql, statements.map((s) => `--> statement-breakpoint\n${s}\n`).join(''));

  it('an operator class that does not fit its column (text_ops on uuid, a drizzle-kit pull leftover)', async () => {
    appendToFirstMigration('CREATE TABLE "legacy" ("id" uuid NOT NULL);', 'CREATE INDEX "legacy_id_idx" ON "legacy" USING btree ("id" text_ops);');
    const before = hashTree(dir);
    const line = expectReported(await cli(dir, ['verify', '--rows', ROWS]), before, dir);
    expect(line).toBe(
      `drizzle-reschema: cannot replay the migrations on a fresh database: ${migrationFile(dir, '_enable_extensions')}: statement 4 ` +
        '(CREATE INDEX "legacy_id_idx" ON "legacy" USING btree ("id" text_ops);) failed: operator class "text_ops" does not accept data type uuid; ' +
        'hint: the index asks for the operator class text_ops, which does not fit a uuid column (drizzle-kit pull writes such .op() leftovers; ' +
        'the database it read never ran this statement): remove the .op(...) from the index in the schema and the operator class from this migration',
    );
  }, 60_000);

  it('a table declared as pgTable("auth.users") whose primary key name clashes with public.users\'', async () => {
    appendToFirstMigration(
      'CREATE TABLE "users" ("id" uuid NOT NULL, CONSTRAINT "users_pkey" PRIMARY KEY("id"));',
      'CREATE TABLE "auth.users" (\n\t"id" uuid NOT NULL,\n\tCONSTRAINT "users_pkey" PRIMARY KEY("id")\n);',
    );
    const before = hashTree(dir);
    const line = expectReported(await cli(dir, ['verify', '--rows', ROWS]), before, dir);
    expect(line).toContain(`${migrationFile(dir, '_enable_extensions')}: statement 4 (CREATE TABLE "auth.users" () failed: relation "users_pkey" already exists`);
    expect(line).toContain('hint: "auth.users" is one table named auth.users in the public schema');
    expect(line).toContain('declare it with pgSchema("auth").table("users", ...)');
  }, 60_000);

  it('an extension neither engine ships (postgis): named with its migration and statement, before any database starts', async () => {
    appendToFirstMigration('CREATE EXTENSION IF NOT EXISTS postgis;');
    const before = hashTree(dir);
    const line = expectReported(await cli(dir, MOVE), before, dir);
    expect(line).toBe(
      `drizzle-reschema: cannot replay the migrations on a fresh database: ${migrationFile(dir, '_enable_extensions')}: statement 3 ` +
        '(CREATE EXTENSION IF NOT EXISTS postgis;) needs the extension postgis: PGlite does not ship it, and the embedded Postgres server does not ship it; ' +
        'hint: verify on a server that has it with --database-url <url> (inside a transaction, rolled back), or move with --no-verify',
    );
  }, 60_000);

  it('--engine postgres when only PGlite has the extension (pgvector): says which engine has it', async () => {
    const before = hashTree(dir);
    const line = expectReported(await cli(dir, ['verify', '--engine', 'postgres']), before, dir);
    expect(line).toBe(
      `drizzle-reschema: cannot replay the migrations on a fresh database: ${migrationFile(dir, '_enable_extensions')}: statement 1 ` +
        '(CREATE EXTENSION IF NOT EXISTS vector;) needs the extension vector, and the embedded Postgres server does not ship it; hint: --engine pglite has it',
    );
  });

  it('a prelude statement that fails names the prelude file and its statement', async () => {
    writeFileSync(join(dir, 'platform.sql'), "CREATE SCHEMA private;\nCREATE FUNCTION private.teams() RETURNS int LANGUAGE plv8 AS $$ return 1 $$;\n");
    const before = hashTree(dir);
    const line = expectReported(await cli(dir, ['verify', '--rows', ROWS, '--prelude', 'platform.sql']), before, dir);
    expect(line).toBe(
      'drizzle-reschema: the prelude failed on a fresh database: platform.sql: statement 2 (CREATE FUNCTION private.teams() RETURNS int LANGUAGE plv8 AS $$ return 1 $$;) ' +
        'failed: language "plv8" does not exist; hint: the language plv8 comes from an extension your platform installs: CREATE EXTENSION plv8 in a prelude file ' +
        '(--prelude <file.sql>, or "drizzle-reschema": { "prelude": [...] } in package.json) if the engine has it, or verify on your server with --database-url',
    );
  }, 60_000);

  it('a prelude file that does not exist, from the command line or from package.json', async () => {
    const before = hashTree(dir);
    expect(expectReported(await cli(dir, ['verify', '--prelude', 'db/missing.sql']), before, dir)).toBe(
      'drizzle-reschema: db/missing.sql: prelude file not found (named by --prelude)',
    );
    const pkg = join(dir, 'package.json');
    const saved = readFileSync(pkg, 'utf8');
    try {
      writeFileSync(pkg, saved.replace('"supabase/prelude.sql"', '"supabase/gone.sql"'));
      const edited = hashTree(dir);
      expect(expectReported(await cli(dir, MOVE), edited, dir)).toBe(
        'drizzle-reschema: supabase/gone.sql: prelude file not found (named by package.json "drizzle-reschema".prelude)',
      );
    } finally {
      writeFileSync(pkg, saved);
    }
  }, 60_000);
});

describe('what a bare database says, diagnosed', () => {
  it('tells the platform gaps (something to provide) from the migration\'s own faults (something to fix)', () => {
    expect(diagnose('role "authenticated" does not exist', '42704')).toMatchObject({ platformGap: true });
    expect(diagnose('function auth.uid() does not exist', '42883')?.hint).toMatch(/supabase\/config\.toml/);
    expect(diagnose('schema "private" does not exist', '3F000')).toMatchObject({ platformGap: true });
    expect(diagnose('operator class "text_ops" does not accept data type uuid', '42804')).toMatchObject({ platformGap: false });
    expect(diagnose('relation "users_pkey" already exists', '42P07', 'CREATE TABLE "users" ()')?.hint).toMatch(/share one namespace per schema/);
    // The table itself there already: an earlier migration its snapshot never saw made it (miurla/morphic's hand-written 0012-0015).
    expect(diagnose('relation "files" already exists', '42P07', 'CREATE TABLE "files" (\n\t"id" text PRIMARY KEY NOT NULL\n);')?.hint).toMatch(
      /the table files is there before this migration creates it: an earlier migration made it that its snapshot does not know/,
    );
    expect(diagnose('relation "files" already exists', '42P07', 'CREATE TABLE "chat"."files" ()')?.hint).toMatch(/catch the snapshot up first/);
    expect(diagnose('column "x" does not exist', '42703')).toBeUndefined();
  });

  it('knows the roles a migration names as an owner', async () => {
    expect(rolesNamedBy(['ALTER FUNCTION public.f() OWNER TO supabase_admin;', 'ALTER TABLE "t" OWNER TO "Owner";', 'ALTER TABLE t ADD COLUMN owner text;'])).toEqual([
      'supabase_admin',
      'Owner',
    ]);
  });

  it('knows the roles a migration creates itself, so it does not create them first', async () => {
    expect(rolesCreatedBy(['CREATE ROLE "admin" NOLOGIN;', 'create user reporter;', 'CREATE USER MAPPING FOR bob SERVER s;'])).toEqual(['admin', 'reporter']);
  });
});

describe('--prelude on the command line', () => {
  it('is repeatable on verify and on move, and passed on as given', async () => {
    let verifyArgs: VerifyArgs | undefined;
    let moveArgs: MoveArgs | undefined;
    const handlers = {
      move: async (a: MoveArgs) => void (moveArgs = a),
      verify: async (a: VerifyArgs) => void (verifyArgs = a),
    };
    await buildParser(['verify', '--prelude', 'db/a.sql', '--prelude', 'db/b.sql'], handlers).parseAsync();
    expect(verifyArgs?.prelude).toEqual(['db/a.sql', 'db/b.sql']);
    await buildParser(['move', 'src/db/schema.ts', '--to', 'x', '--prelude', 'db/a.sql'], handlers).parseAsync();
    expect(moveArgs?.prelude).toEqual(['db/a.sql']);
    await buildParser(['verify'], handlers).parseAsync();
    expect(verifyArgs?.prelude).toBeUndefined();
  });
});

describe("a Supabase project that declares auth.users with the platform's columns (onlook-dev/onlook)", () => {
  const schema = [
    `import { jsonb, pgSchema, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';`,
    `export const authUsers = pgSchema('auth').table('users', { id: uuid('id').primaryKey(), email: text('email').notNull(), emailConfirmedAt: timestamp('email_confirmed_at', { withTimezone: true }), rawUserMetaData: jsonb('raw_user_meta_data') });`,
    `export const profiles = pgTable('profiles', { id: uuid('id').primaryKey().references(() => authUsers.id, { onDelete: 'cascade' }), name: text('name') });`,
  ].join('\n');
  // At the root, as `supabase init` lays it out; and onlook's own layout: the config in packages/db, the
  // Supabase folder (config.toml, migrations) in apps/backend, and no 'supabase' prefix.
  it.each([
    ['supabase/config.toml at the root', '', 'supabase', "'./supabase/migrations'", ", migrations: { prefix: 'supabase' }"],
    ['config.toml beside the migrations of another package', 'packages/db/', 'apps/backend/supabase', "'../../apps/backend/supabase/migrations'", ''],
  ])("verifies (%s): the stub of auth.users (id, email) stands in for the platform's table, and what the schema says of the real one is not drift", async (_layout, pkg, supabase, out, prefix) => {
    const dir = writeTempTree(
      new Map([
        [`${supabase}/config.toml`, 'project_id = "probe"\n'],
        [`${pkg}drizzle.config.ts`, `export default { dialect: 'postgresql', schema: './src/schema.ts', out: ${out}, schemaFilter: ['public']${prefix} };\n`],
        [`${pkg}src/schema.ts`, schema],
      ]),
    );
    try {
      const project = join(dir, pkg);
      symlinkSync(join(REPO_ROOT, 'node_modules'), join(project, 'node_modules'), 'dir');
      expect(runKit(project).status).toBe(0);
      // The platform makes auth: as Supabase projects do, its CREATEs are taken out of the migration; the snapshot keeps auth.users.
      const migrations = join(dir, supabase, 'migrations');
      const migration = join(migrations, readdirSync(migrations).find((f) => f.endsWith('.sql'))!);
      const statements = readFileSync(migration, 'utf8').split('--> statement-breakpoint');
      const kept = statements.filter((st) => !/CREATE (SCHEMA|TABLE) "auth"/.test(st));
      expect(statements.length - kept.length).toBeGreaterThan(0);
      // What Supabase projects' migrations write next to their tables: a bucket, and policies on Storage and Realtime.
      const platformSql = [
        `INSERT INTO storage.buckets (id, name, public) VALUES ('avatars', 'avatars', true);`,
        `CREATE POLICY "own avatars" ON storage.objects FOR SELECT TO authenticated USING (bucket_id = 'avatars' AND (storage.foldername(name))[1] = auth.uid()::text);`,
        `CREATE POLICY "room members" ON realtime.messages FOR SELECT TO authenticated USING (realtime.topic() = 'room' AND extension = 'broadcast');`,
      ];
      writeFileSync(migration, [...kept, ...platformSql].join('--> statement-breakpoint\n'));
      const config = loadDrizzleConfig(project);
      const platform = projectPlatform(project, config);
      expect(platform.platform).toBe('supabase');
      const report = await verifyMigration(loadMigrationSet(project, config, (tag) => rollbackPathFor(config, tag)), { rows: 5, ...platform });
      expect({ ok: report.ok, checked: report.driftChecked, drift: report.drift, existing: report.driftExisting }).toEqual({ ok: true, checked: true, drift: [], existing: [] });
    } finally {
      removeTemp(dir);
    }
  }, 60_000);
});

it("leaves Storage or Realtime whole to a project whose migrations or preludes make any part of it (rphlmr's prelude makes realtime.messages)", () => {
  const none = supabasePrelude({ roles: [], schemas: [], tables: [] }).sql;
  expect(none).toContain('CREATE TABLE IF NOT EXISTS realtime.messages');
  expect(none).toContain('CREATE TABLE IF NOT EXISTS storage.objects');
  const own = supabasePrelude({ roles: [], schemas: [], tables: ['realtime.messages'] }, { schemas: ['auth'], tables: [], functions: ['storage.foldername'] }).sql;
  expect(own).not.toMatch(/realtime\.|storage\./);
  // A prelude's `CREATE SCHEMA IF NOT EXISTS auth` keeps the auth stubs, as it always did.
  expect(own).toContain('auth.uid()');
  expect(own).toContain('auth.users');
});

