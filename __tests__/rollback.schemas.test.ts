/**
 * The rollback drops the schema the move's migration created, unless another
 * statement of that migration put an object of its own there (the moves back
 * leave it in place, so a DROP SCHEMA would fail the whole rollback). Decided
 * by what each statement does, as Postgres' parser reads it: a policy on
 * another schema's table whose expression names the moved table, or an index
 * on the moved table, puts nothing there (rphlmr's `ALTER POLICY ... ON
 * realtime.messages` naming "chat"."rooms_users" kept its `chat` schema).
 * Each migration and its rollback run on real PGlite; the copy strategy's,
 * by the verification of a real move.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { move } from '../src/move';
import { patchMigration } from '../src/patch/patchMigration';
import { schemasWrittenBy, loadPgParser } from '../src/patch/pgParser';
import { openPglite, type Database } from '../src/verify/database';
import { copyFixtureProject, removedAfterEach } from './helpers/tempProject';

const SETUP = `
  CREATE SCHEMA realtime;
  CREATE TABLE realtime.messages (id serial PRIMARY KEY, topic text NOT NULL);
  ALTER TABLE realtime.messages ENABLE ROW LEVEL SECURITY;
  CREATE POLICY "read rooms" ON realtime.messages USING (true);
  CREATE TABLE public.rooms (id serial PRIMARY KEY, topic text NOT NULL);
`;

async function schemas(db: Database): Promise<string[]> {
  const rows = await db.query<{ name: string }>(`SELECT nspname AS name FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema' ORDER BY 1`);
  return rows.map((r) => r.name);
}

let db: Database;
beforeAll(async () => {
  db = await openPglite([]);
  await db.exec(SETUP);
}, 30_000);
afterAll(() => db?.close());

/** The move of public.rooms to chat with drizzle-kit's `other` statements, migrated and rolled back inside a transaction then undone. */
async function migrateAndRollBack(other: string[]): Promise<{ rollbackSql: string; after: string[] }> {
  const { sql, rollbackSql } = await patchMigration({
    statements: ['CREATE SCHEMA "chat";\n', ...other],
    breakpoints: false,
    relocations: [{ kind: 'table', name: 'rooms', from: 'public', to: 'chat' }],
    grants: [],
    tag: '0001_move_to_chat',
  });
  await db.exec('BEGIN');
  try {
    await db.exec(sql);
    await db.exec(rollbackSql);
    return { rollbackSql, after: await schemas(db) };
  } finally {
    await db.exec('ROLLBACK');
  }
}

it('drops the schema it created when the other statements only name it: a policy elsewhere, an index on the moved table', async () => {
  const { rollbackSql, after } = await migrateAndRollBack([
    'ALTER POLICY "read rooms" ON "realtime"."messages" TO public USING (exists (select 1 from "chat"."rooms" where "chat"."rooms"."topic" = "realtime"."messages"."topic"));',
    'CREATE INDEX "rooms_topic_idx" ON "chat"."rooms" USING btree ("topic");',
  ]);
  expect(rollbackSql).toMatch(/^DROP SCHEMA "chat";$/m);
  expect(after).toEqual(['public', 'realtime']);
});

it('keeps it, and rolls back, when another statement creates a table there', async () => {
  const { rollbackSql, after } = await migrateAndRollBack(['CREATE TABLE "chat"."notes" ("id" serial PRIMARY KEY);']);
  expect(rollbackSql).toMatch(/^-- DROP SCHEMA "chat"; left out: other statements of this migration put objects in it\.$/m);
  expect(after).toEqual(['chat', 'public', 'realtime']);
});

it('reads where each kind of statement puts its object', async () => {
  await loadPgParser();
  const cases: Array<[string, string[]]> = [
    ['CREATE TABLE "chat"."t" (id int)', ['chat']],
    ['CREATE TABLE t (id int)', []],
    ['CREATE TYPE "chat"."s" AS ENUM (\'a\')', ['chat']],
    ['CREATE TYPE chat.c AS (a int)', ['chat']],
    ['CREATE DOMAIN chat.d AS int', ['chat']],
    ['CREATE SEQUENCE "chat"."q"', ['chat']],
    ['CREATE VIEW "chat"."v" AS (select 1)', ['chat']],
    ['CREATE MATERIALIZED VIEW "chat"."m" AS (select 1)', ['chat']],
    ['CREATE FUNCTION chat.f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$', ['chat']],
    ['CREATE EXTENSION IF NOT EXISTS vector WITH SCHEMA chat', ['chat']],
    ['ALTER TABLE public.other SET SCHEMA chat', ['chat']],
    ['CREATE SCHEMA x CREATE TABLE t (id int)', ['x']],
    ['CREATE INDEX i ON "chat"."t" (id)', []],
    ['CREATE POLICY p ON "chat"."t" USING (true)', []],
    ['ALTER TABLE "chat"."t" ADD COLUMN "n" text', []],
    ['ALTER POLICY p ON realtime.messages USING (exists (select 1 from "chat"."t"))', []],
  ];
  expect(cases.map(([sql]) => [sql, schemasWrittenBy(sql)])).toEqual(cases);
});

const track = removedAfterEach();

it('--strategy copy keeps it too when the same run adds a table there, so its verified rollback applies', async () => {
  // seed 004, with a table already declared in the growth schema the move takes growth.ts to.
  const dir = track(copyFixtureProject('schema-split'));
  const users = join(dir, 'src/db/schema/users.ts');
  writeFileSync(
    users,
    readFileSync(users, 'utf8').replace(
      'import { pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";',
      'import { pgSchema, pgTable, serial, text, timestamp, uuid } from "drizzle-orm/pg-core";\n\nexport const growthSchema = pgSchema("growth");\nexport const notes = growthSchema.table("notes", { id: serial("id").primaryKey() });',
    ),
  );
  const result = await move({ cwd: dir, files: ['src/db/schema/growth.ts'], to: 'growth', strategy: 'copy', rows: 20, dryRun: true });
  expect(result.verification?.rollback).toMatchObject({ ok: true });
  const rollbackSql = result.changes.find((c) => c.path.endsWith('.rollback.sql'))!.after!;
  expect(rollbackSql).toMatch(/^-- DROP SCHEMA "growth"; left out: other statements of this migration put objects in it\.$/m);
}, 120_000);
