/**
 * create-t3-app's pgTableCreator project (fixtures/realworld/t3-oss-create-t3-app),
 * its Auth.js tables moved into `auth`, then handed to the real drizzle-kit the
 * way a t3 user works: `db:push` against a real Postgres server. Its config has
 * `tablesFilter: ['project1_*']`, which drizzle-kit 0.31 matches against bare
 * table names in every schema: a move that renamed the tables, or a filter that
 * stopped seeing them in `auth`, would make push want to create them again.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadDrizzleConfig } from '../src/generate/drizzleConfig';
import { openEngine } from '../src/verify/database';
import { DRIZZLE_KIT, migrateWith, runCliHere, runKit } from './helpers/run';
import { copyRealworldProject, removedAfterEach } from './helpers/tempProject';

const track = removedAfterEach();
const TABLES = ['project1_user', 'project1_account', 'project1_session', 'project1_verification_token'];

it('a move of pgTableCreator tables is a pure SET SCHEMA, and drizzle-kit generate and push (tablesFilter) then see no change', async () => {
  const dir = track(copyRealworldProject('t3-oss-create-t3-app'));
  const moved = await runCliHere(dir, ['move', 'src/server/db/schema.ts', '--to', 'auth', '--tables', TABLES.join(','), '--no-verify']);
  expect(moved.stderr).toMatch(/moved 4 tables: public -> auth/);
  expect(moved.status).toBe(0);

  const schema = readFileSync(join(dir, 'src/server/db/schema.ts'), 'utf8');
  expect(schema).toMatch(/export const users = auth\.table\("project1_user", /);
  expect(schema).toMatch(/export const posts = createTable\(\n {2}"post",/);
  const sql = readFileSync(join(dir, 'drizzle/0001_move_to_auth.sql'), 'utf8').split('--> statement-breakpoint').map((s) => s.trim());
  // The four tables locked first (src/patch/lockOrder.ts), then nothing but the schema and the moves.
  expect(sql[0]).toMatch(/^\s*LOCK TABLE "public"\."project1_/m);
  expect(sql.slice(1)).toEqual(['CREATE SCHEMA "auth";', ...TABLES.map((t) => `ALTER TABLE "public"."${t}" SET SCHEMA "auth";`)]);
  expect(runKit(dir).stdout).toMatch(/No schema changes/);

  const db = await openEngine('postgres');
  try {
    await migrateWith(db, loadDrizzleConfig(dir).out);
    const tables = await db.query<{ t: string }>(
      "SELECT table_schema || '.' || table_name AS t FROM information_schema.tables WHERE table_name LIKE 'project1\\_%' ORDER BY 1",
    );
    expect(tables.map((r) => r.t)).toEqual([...TABLES.map((t) => `auth.${t}`).sort(), 'public.project1_post']);
    const push = spawnSync(process.execPath, [DRIZZLE_KIT, 'push', '--force', '--strict=false'], {
      cwd: dir,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, DATABASE_URL: db.url! },
    });
    expect({ status: push.status, said: /No changes detected/.test(push.stdout + push.stderr) }).toEqual({ status: 0, said: true });
  } finally {
    await db.close();
  }
}, 180_000);
