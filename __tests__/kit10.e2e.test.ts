/**
 * drizzle-kit 1.0 projects (issue 14), end to end: the CLI on a temp copy of
 * `feature-planner-v1` whose node_modules holds drizzle-kit and drizzle-orm
 * 1.0.0-rc.5, then drizzle-kit 1.0 itself and drizzle-orm 1.0's migrator on
 * PGlite read what it wrote.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readMigrationsState } from '../src/generate/migrationsFolder';
import { relocateSnapshot, type Relocation } from '../src/generate/relocateSnapshot';
import { compareFingerprints, fingerprint, relocateFingerprint } from '../src/verify/fingerprint';
import { planSeed } from '../src/verify/seedRows';
import { movesBetween } from '../src/verify/verifyMigration';
import { copyKit10Project, kit10Bin } from './helpers/kit10Project';
import { PLANNER_MOVE, SPLIT_MOVE, type FixtureMove } from './helpers/cases';
import { fixtureDatabase, runCli } from './helpers/run';
import { PROJECTS_DIR, REPO_ROOT, copyFixtureProject, hashTree, removeTemp, removedAfterEach } from './helpers/tempProject';

const { schemaFile, out, to, moved } = PLANNER_MOVE;
const ROWS = 25;

function runKit10(cwd: string, args: string[]) {
  return spawnSync(process.execPath, [kit10Bin(), ...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: 'true' } });
}

/** drizzle-orm 1.0's own migrator, as the user's app runs it. */
async function migrate10(raw: unknown, folder: string): Promise<void> {
  const { drizzle } = require('drizzle-orm-v1/pglite');
  const { migrate } = require('drizzle-orm-v1/pglite/migrator');
  await migrate(drizzle({ client: raw }), { migrationsFolder: folder });
}

const CASES: Array<[string, FixtureMove]> = [
  ['feature-planner-v1', PLANNER_MOVE],
  ['schema-split-v1', SPLIT_MOVE],
];

describe.each(CASES)('move on %s (drizzle-kit 1.0.0-rc.5)', (fixture, c) => {
  const { schemaFile, out, to, moved } = c;
  let dir: string;
  let baseline: string;
  let cli: ReturnType<typeof runCli>;
  let folder: string;

  beforeAll(() => {
    dir = copyKit10Project(fixture);
    baseline = `${dir}-baseline`;
    cpSync(join(dir, out), baseline, { recursive: true });
    cli = runCli(dir, ['move', schemaFile, '--to', to, '--no-verify', '--format', 'json']);
    folder = readdirSync(join(dir, out)).find((f) => f.endsWith(`_move_to_${to}`)) ?? '';
  }, 120_000);
  afterAll(() => {
    removeTemp(dir);
    removeTemp(baseline);
  });

  it('exits 0 and writes the 1.0 way: one migration folder with the rollback inside, no journal', () => {
    expect(cli.stderr).not.toMatch(/error/i);
    expect(cli.status).toBe(0);
    expect(readdirSync(join(dir, out, folder)).sort()).toEqual(['migration.sql', 'rollback.sql', 'snapshot.json']);
    expect(existsSync(join(dir, out, 'meta'))).toBe(false);
    const sql = readFileSync(join(dir, out, folder, 'migration.sql'), 'utf8');
    const statements = sql.split('--> statement-breakpoint').map((s) => s.trim());
    // The moved tables locked first (src/patch/lockOrder.ts), then drizzle-kit's CREATE SCHEMA.
    expect(statements[0]).toMatch(/^\s*LOCK TABLE "public"\./m);
    expect(statements[1]).toBe(`CREATE SCHEMA "${to}";`);
    // Each move once, qualified: drizzle-kit's own unqualified SET SCHEMA is left out for ours.
    for (const table of moved) expect(statements.filter((s) => s.includes(`"${table}" SET SCHEMA`))).toEqual([`ALTER TABLE "public"."${table}" SET SCHEMA "${to}";`]);
    expect(sql).not.toMatch(/\bDROP\b/);
    const report = JSON.parse(cli.stdout);
    expect(report.migration.drizzleKit).toEqual({ version: '1.0.0-rc.5', source: 'project', line: expect.stringMatching(/^1\.0 /) });
    expect(report.files.find((f: { path: string }) => f.path.endsWith(`${folder}/snapshot.json`)).role).toBe('snapshot');
  });

  it('leaves drizzle-kit 1.0 with nothing to generate, and its check content with the rollback in the folder', () => {
    expect(existsSync(join(dir, out, folder, 'rollback.sql'))).toBe(true);
    const generate = runKit10(dir, ['generate', '--output', 'json']);
    expect(generate.status).toBe(0);
    expect(JSON.parse(generate.stdout.trim().split('\n').pop()!)).toEqual({ status: 'no_changes', dialect: 'postgresql' });
    const check = runKit10(dir, ['check']);
    expect(check.status).toBe(0);
    expect(check.stdout + check.stderr).not.toMatch(/error|conflict/i);
  });

  describe('applied with drizzle-orm 1.0 migrator on PGlite', () => {
    const database = fixtureDatabase('pglite');

    it('keeps every row, index, constraint and sequence; FKs and identity still work', async () => {
      const db = database() as ReturnType<typeof database> & { raw: unknown };
      await migrate10(db.raw, baseline);
      // The 0.31 fixture (c.fixture) has the same schema files, so its snapshot describes this database too
      // (the seeder reads drizzle-kit 0.x snapshots); the fingerprint check below would catch a mismatch.
      const previous = readMigrationsState(join(PROJECTS_DIR, c.fixture, out), PROJECTS_DIR).head!.snapshot;
      const seed = planSeed(previous, ROWS);
      for (const statement of [...seed.inserts, ...seed.updates]) await db.exec(statement);
      const before = await fingerprint(db, ['public']);
      expect(before.get(`table public.${moved[0]}`)!.rows).toBe(ROWS);
      await migrate10(db.raw, join(dir, out));
      const relocations = (JSON.parse(cli.stdout) as { moves: Relocation[] }).moves.map(({ kind, name, from, to }) => ({ kind, name, from, to }));
      const next = relocateSnapshot(previous, relocations).snapshot;
      const moves = movesBetween(previous, next);
      expect(moves.filter((m) => m.kind === 'table').map((m) => m.name).sort()).toEqual([...moved].sort());
      const after = await fingerprint(db, ['public', to]);
      const { differences, added } = compareFingerprints(relocateFingerprint(before, moves), after);
      expect(differences).toEqual([]);
      expect(added.filter((e) => !(e.kind === 'schema' && e.name === to))).toEqual([]);
      for (const table of moved) expect(after.get(`table ${to}.${table}`)!.rows).toBe(ROWS);

      await expect(db.exec(`UPDATE "${to}"."${c.fkToUsers.table}" SET "${c.fkToUsers.column}" = '00000000-0000-0000-0000-000000000000'`)).rejects.toThrow(/foreign key/i);
      const more = planSeed(next, 1, ROWS + 1);
      for (const statement of more.inserts) await db.exec(statement);
      const grown = await fingerprint(db, ['public', to]);
      for (const table of moved) expect(grown.get(`table ${to}.${table}`)!.rows).toBe(ROWS + 1);
    }, 120_000);
  });
});

describe('drizzle-kit line and folder layout must match', () => {
  const track = removedAfterEach();

  it('a 0.x folder under drizzle-kit 1.0 is exit 2 naming drizzle-kit up, nothing written', () => {
    const dir = track(copyKit10Project('feature-planner-v1'));
    removeTemp(join(dir, out));
    cpSync(join(PROJECTS_DIR, 'feature-planner', out), join(dir, out), { recursive: true });
    const before = hashTree(dir);
    const cli = runCli(dir, ['move', schemaFile, '--to', to, '--no-verify']);
    expect(cli.status).toBe(2);
    expect(cli.stderr.trim().split('\n')).toHaveLength(1);
    expect(cli.stderr).toMatch(/src\/lib\/db\/migrations: is a drizzle-kit 0\.x migrations folder .*1\.0\.0-rc\.5.*drizzle-kit up/);
    expect(hashTree(dir)).toEqual(before);
  });

  it('a 1.0 folder under drizzle-kit 0.31 is exit 2 naming the 1.0 layout, not a missing journal', () => {
    const dir = track(copyFixtureProject('feature-planner-v1'));
    const before = hashTree(dir);
    const cli = runCli(dir, ['move', schemaFile, '--to', to, '--no-verify']);
    expect(cli.status).toBe(2);
    expect(cli.stderr.trim().split('\n')).toHaveLength(1);
    expect(cli.stderr).toMatch(/is a drizzle-kit 1\.0 migrations folder .*drizzle-kit up/);
    expect(cli.stderr).not.toMatch(/no migrations yet/);
    expect(hashTree(dir)).toEqual(before);
  });
});

describe('what does not read drizzle-kit 1.0 folders yet says so', () => {
  const track = removedAfterEach();

  it.each([
    ['move (default verification)', ['move', schemaFile, '--to', to], /verifying a migration of drizzle-kit 1\.0\.0-rc\.5 is not built yet: pass --no-verify/],
    // After the move: a --check that read no migration would wrongly say it is missing (exit 1).
    ['move --check after a move', ['move', schemaFile, '--to', to, '--check'], /is a drizzle-kit 1\.0 migrations folder .*read only drizzle-kit 0\.x folders so far/],
    ['verify', ['verify'], /is a drizzle-kit 1\.0 migrations folder .*read only drizzle-kit 0\.x folders so far/],
  ])('%s: exit 2, one line, nothing written', (_name, args, message) => {
    const dir = track(copyKit10Project('feature-planner-v1'));
    if (args.includes('--check')) expect(runCli(dir, ['move', schemaFile, '--to', to, '--no-verify']).status).toBe(0);
    const before = hashTree(dir);
    const cli = runCli(dir, args as string[]);
    expect(cli.stderr.trim().split('\n')).toHaveLength(1);
    expect(cli.stderr).toMatch(message as RegExp);
    expect(cli.stderr).not.toMatch(/no migrations yet|missing/);
    expect(cli.status).toBe(2);
    expect(hashTree(dir)).toEqual(before);
  }, 60_000);
});

describe('pending changes of the user under drizzle-kit 1.0', () => {
  const track = removedAfterEach();
  const usersFile = join('src', 'lib', 'db', 'schema', 'users.schema.ts');

  it("a pending rename drizzle-kit asks about is exit 2 naming it and the hint, nothing written", () => {
    const dir = track(copyKit10Project('feature-planner-v1'));
    writeFileSync(join(dir, usersFile), readFileSync(join(dir, usersFile), 'utf8').replace("pgTable('users'", "pgTable('accounts'"));
    const before = hashTree(dir);
    const cli = runCli(dir, ['move', schemaFile, '--to', to, '--no-verify']);
    expect(cli.status).toBe(2);
    expect(cli.stderr.trim().split('\n')).toHaveLength(1);
    expect(cli.stderr).toContain('table "public"."accounts" is a rename or a new table');
    expect(cli.stderr).toContain(`--hints '[{"type":"create","kind":"table","entity":["public","accounts"]}]'`);
    expect(hashTree(dir)).toEqual(before);
  }, 60_000);

  it('other pending changes are kept in the same migration', () => {
    const dir = track(copyKit10Project('feature-planner-v1'));
    writeFileSync(
      join(dir, usersFile),
      readFileSync(join(dir, usersFile), 'utf8').replace("username: varchar('username', { length: 100 }),", "username: varchar('username', { length: 100 }),\n  bio: varchar('bio', { length: 500 }),"),
    );
    const cli = runCli(dir, ['move', schemaFile, '--to', to, '--no-verify']);
    expect(cli.stderr).not.toMatch(/error/i);
    expect(cli.status).toBe(0);
    const folder = readdirSync(join(dir, out)).find((f) => f.endsWith('_move_to_feature_planner'))!;
    const sql = readFileSync(join(dir, out, folder, 'migration.sql'), 'utf8');
    expect(sql).toMatch(/ALTER TABLE "users" ADD COLUMN "bio" varchar\(500\);/);
    expect(sql).toContain(`ALTER TABLE "public"."feature_plans" SET SCHEMA "${to}";`);
    expect(cli.stderr).toContain('migration by drizzle-kit 1.0.0-rc.5, line 1.0 (<timestamp>_<name>/migration.sql)\n');
    expect(JSON.parse(runKit10(dir, ['generate', '--output', 'json']).stdout.trim().split('\n').pop()!).status).toBe('no_changes');
  }, 60_000);
});

describe('views over moved tables under drizzle-kit 1.0', () => {
  const track = removedAfterEach();
  const database = fixtureDatabase('pglite');

  it('keeps them (no DROP VIEW), with their OID, rows and grants', async () => {
    const dir = track(copyKit10Project('feature-planner-v1'));
    writeFileSync(
      join(dir, 'src/lib/db/schema/views.schema.ts'),
      [
        "import { sql } from 'drizzle-orm';",
        "import { pgMaterializedView, pgView } from 'drizzle-orm/pg-core';",
        "import { featurePlans } from './feature-planner.schema';",
        "export const planTitles = pgView('plan_titles').as((qb) => qb.select({ id: featurePlans.id }).from(featurePlans));",
        "export const planCount = pgMaterializedView('plan_count').as((qb) => qb.select({ n: sql<number>`count(*)`.as('n') }).from(featurePlans));",
        '',
      ].join('\n'),
    );
    writeFileSync(join(dir, 'src/lib/db/schema/index.ts'), `${readFileSync(join(dir, 'src/lib/db/schema/index.ts'), 'utf8')}export * from './views.schema';\n`);
    expect(runKit10(dir, ['generate', '--name', 'views']).status).toBe(0);
    const baseline = track(`${dir}-baseline`);
    cpSync(join(dir, out), baseline, { recursive: true });

    const cli = runCli(dir, ['move', schemaFile, '--to', to, '--no-verify']);
    expect(cli.stderr).not.toMatch(/error/i);
    expect(cli.status).toBe(0);
    const folder = readdirSync(join(dir, out)).find((f) => f.endsWith('_move_to_feature_planner'))!;
    expect(readFileSync(join(dir, out, folder, 'migration.sql'), 'utf8')).not.toMatch(/VIEW/);
    expect(JSON.parse(runKit10(dir, ['generate', '--output', 'json']).stdout.trim().split('\n').pop()!).status).toBe('no_changes');

    const db = database() as ReturnType<typeof database> & { raw: unknown };
    await migrate10(db.raw, baseline);
    const previous = readMigrationsState(join(PROJECTS_DIR, 'feature-planner', out), PROJECTS_DIR).head!.snapshot;
    const seed = planSeed(previous, ROWS);
    for (const statement of [...seed.inserts, ...seed.updates]) await db.exec(statement);
    await db.exec('REFRESH MATERIALIZED VIEW "plan_count"');
    await db.exec('GRANT SELECT ON "plan_titles" TO app_user');
    const oids = `SELECT relname, oid::int AS oid FROM pg_class WHERE relname IN ('plan_titles', 'plan_count') ORDER BY relname`;
    const before = await db.query<{ relname: string; oid: number }>(oids);
    const rowsBefore = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM "plan_titles"');
    expect(rowsBefore[0]!.n).toBeGreaterThan(0);

    await migrate10(db.raw, join(dir, out));
    expect(await db.query(oids)).toEqual(before);
    expect(await db.query('SELECT count(*)::int AS n FROM "public"."plan_titles"')).toEqual(rowsBefore);
    expect(await db.query('SELECT n::int AS n FROM "public"."plan_count"')).toEqual(rowsBefore);
    const [grant] = await db.query<{ ok: boolean }>(`SELECT has_table_privilege('app_user', '"public"."plan_titles"', 'SELECT') AS ok`);
    expect(grant!.ok).toBe(true);
  }, 120_000);
});
