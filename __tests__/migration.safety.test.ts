/**
 * Safety of the migration-generating path (library `move`, plus one spawned
 * CLI run that uses dist/: build first with `npx tsc -p tsconfig.build.json`):
 * other pending changes ride along after the moves, a failure anywhere leaves
 * the tree byte-identical and no temp files or shadow folders behind, a dry
 * run writes nothing, and the migration, its grants and its rollback apply on
 * PGlite without losing a row.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { ConfigError, ToolError } from '../src/errors';
import type { Checkpoint } from '../src/faults';
import { move, type MoveOptions, type MoveResult } from '../src/move';
import { openEngine, type Database } from '../src/verify/database';
import { compareFingerprints, fingerprint } from '../src/verify/fingerprint';
import { REPO_ROOT, copyFixtureProject, hashTree, removeTemp } from './helpers/tempProject';
import { migrateAndSeed, migrateWith as migrate } from './helpers/run';
import { PLANNER_MOVE } from './helpers/cases';

const CLI = join(REPO_ROOT, 'bin', 'drizzle-reschema.js');
const KIT = join(REPO_ROOT, 'node_modules', 'drizzle-kit', 'bin.cjs');
const BREAKPOINT = '--> statement-breakpoint';

const PLANNER = { ...PLANNER_MOVE, usersFile: 'src/lib/db/schema/users.schema.ts', tables: PLANNER_MOVE.moved };
const SPLIT = { fixture: 'schema-split', schemaFile: 'src/db/schema/growth.ts', out: 'drizzle', to: 'growth' };

const moveIn = (dir: string, extra: Partial<MoveOptions> = {}): Promise<MoveResult> =>
  move({ cwd: dir, files: [PLANNER.schemaFile], to: PLANNER.to, verify: false, ...extra });

/** Files with their hashes and modes, and every folder (an empty folder left behind shows too); node_modules excluded. */
function snapshotTree(dir: string): { files: Map<string, string>; modes: Map<string, number>; dirs: string[] } {
  const dirs: string[] = [];
  const modes = new Map<string, number>();
  const walk = (current: string) => {
    for (const entry of readdirSync(current)) {
      if (entry === 'node_modules') continue;
      const path = join(current, entry);
      const stat = statSync(path);
      modes.set(relative(dir, path), stat.mode);
      if (!stat.isDirectory()) continue;
      dirs.push(relative(dir, path));
      walk(path);
    }
  };
  walk(dir);
  return { files: hashTree(dir), modes, dirs: dirs.sort() };
}

function expectUnchanged(dir: string, before: ReturnType<typeof snapshotTree>): void {
  const after = snapshotTree(dir);
  expect([...after.files.keys()].filter((f) => /\.reschema-.*\.tmp$/.test(f))).toEqual([]);
  expect(after.dirs).toEqual(before.dirs);
  expect(after.files).toEqual(before.files);
  expect(after.modes).toEqual(before.modes);
}

const shadowDirs = (folder = tmpdir()) => readdirSync(folder).filter((e) => e.startsWith('drizzle-reschema-'));

/**
 * The shadow folders this process creates while `body` runs. Other processes
 * (parallel Jest workers, a benchmark) may create and remove their own
 * drizzle-reschema-* folders in the same temp folder at any time, so the
 * before/after listing is only blamed for folders this run made (seen by
 * watching mkdtempSync and the mkdirSync that claims a fixed-name slot). A
 * slot's name is reused: another worker's move may claim the same folder name
 * once this run has removed it, so a folder is this run's only while it is
 * the very folder this run made (same inode and birth time).
 */
async function watchShadows<T>(body: () => Promise<T>): Promise<{ outcome: PromiseSettledResult<T>; created: string[]; leftover: string[] }> {
  const fs = require('node:fs') as typeof import('node:fs');
  const original = fs.mkdtempSync;
  const originalMkdir = fs.mkdirSync;
  const created: string[] = [];
  const identity = new Map<string, string>();
  const identityOf = (path: string) => {
    const st = fs.statSync(path, { throwIfNoEntry: false });
    return st && `${st.ino}@${st.birthtimeMs}`;
  };
  const record = (path: string) => {
    created.push(path);
    identity.set(path, identityOf(path) ?? '');
  };
  const spy = jest.spyOn(fs, 'mkdtempSync').mockImplementation(((prefix: string, options?: unknown) => {
    const path = (original as (p: string, o?: unknown) => string)(prefix, options);
    if (basename(path).startsWith('drizzle-reschema-')) record(path);
    return path;
  }) as typeof fs.mkdtempSync);
  // The project copy first claims one of a few fixed folders (shadowProject.ts), with mkdirSync.
  const mkdirSpy = jest.spyOn(fs, 'mkdirSync').mockImplementation(((path: string, options?: unknown) => {
    const made = (originalMkdir as (p: string, o?: unknown) => string | undefined)(path, options);
    if (typeof path === 'string' && /^drizzle-reschema-shadow-\d+$/.test(basename(path)) && !created.includes(path)) record(path);
    return made;
  }) as typeof fs.mkdirSync);
  let outcome: PromiseSettledResult<T>;
  try {
    outcome = { status: 'fulfilled', value: await body() };
  } catch (reason) {
    outcome = { status: 'rejected', reason };
  } finally {
    spy.mockRestore();
    mkdirSpy.mockRestore();
  }
  // Still there and still the folder this run made: a folder of the same name made since is another run's.
  const leftover = created.filter((p) => existsSync(p) && identityOf(p) === identity.get(p)).map((p) => basename(p));
  return { outcome, created, leftover };
}

function kitGenerate(dir: string) {
  const kit = spawnSync(process.execPath, [KIT, 'generate'], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return { code: kit.status, output: kit.stdout + kit.stderr };
}

function edit(path: string, from: string, to: string): void {
  const text = readFileSync(path, 'utf8');
  expect(text.split(from)).toHaveLength(2); // exactly one occurrence
  writeFileSync(path, text.replace(from, to));
}

describe('a move with other pending schema changes in the same run', () => {
  let dir: string;
  let result: MoveResult;
  const addColumn = 'ALTER TABLE "feature_planner"."feature_plans" ADD COLUMN "notes" text;';
  const createAudit = 'CREATE TABLE "audit_log" (\n\t"id" serial PRIMARY KEY NOT NULL\n);';

  beforeAll(async () => {
    dir = copyFixtureProject(PLANNER.fixture);
    edit(
      join(dir, PLANNER.schemaFile),
      "originalRequest: text('original_request').notNull(),\n",
      "originalRequest: text('original_request').notNull(),\n    notes: text('notes'),\n",
    );
    edit(join(dir, PLANNER.usersFile), 'import { pgTable, timestamp,', 'import { pgTable, serial, timestamp,');
    writeFileSync(
      join(dir, PLANNER.usersFile),
      `${readFileSync(join(dir, PLANNER.usersFile), 'utf8')}\nexport const auditLog = pgTable('audit_log', { id: serial('id').primaryKey() });\n`,
    );
    result = await moveIn(dir);
  });
  afterAll(() => removeTemp(dir));

  it('keeps them, after the moves, and reports them as other changes', () => {
    const statements = result.migration!.sql.split(BREAKPOINT).map((s) => s.trim());
    expect(statements[0]).toMatch(/^\s*LOCK TABLE "public"\./m);
    expect(statements[1]).toBe('CREATE SCHEMA "feature_planner";');
    const lastMove = Math.max(...statements.map((s, i) => (/ SET SCHEMA "feature_planner";$/.test(s) ? i : -1)));
    expect(lastMove).toBeGreaterThan(0);
    for (const table of PLANNER.tables) expect(statements).toContain(`ALTER TABLE "public"."${table}" SET SCHEMA "feature_planner";`);
    expect(statements.indexOf(addColumn)).toBeGreaterThan(lastMove);
    expect(statements.indexOf(createAudit)).toBeGreaterThan(lastMove);
    expect([...result.migration!.otherChanges].sort()).toEqual([addColumn, createAudit].sort());
    expect(readFileSync(join(dir, result.migration!.sqlPath), 'utf8')).toBe(result.migration!.sql);
  });

  it('leaves drizzle-kit with nothing to generate', () => {
    const kit = kitGenerate(dir);
    expect(kit.code).toBe(0);
    expect(kit.output).toContain('No schema changes');
  });

  it('applies on PGlite: the new column is in feature_planner.feature_plans, audit_log in public', async () => {
    const db = (await openEngine('pglite')) as Database & { raw: unknown };
    try {
      await migrate(db, join(dir, PLANNER.out));
      const columns = await db.query<{ schema: string; table: string; column: string; type: string }>(
        `SELECT table_schema AS schema, table_name AS table, column_name AS column, data_type AS type
         FROM information_schema.columns WHERE column_name = 'notes' OR table_name = 'audit_log' ORDER BY 1, 2, 3`,
      );
      expect(columns).toEqual([
        { schema: 'feature_planner', table: 'feature_plans', column: 'notes', type: 'text' },
        { schema: 'public', table: 'audit_log', column: 'id', type: 'integer' },
      ]);
    } finally {
      await db.close();
    }
  });
});

describe('a failure anywhere leaves the tree as it was', () => {
  let dir: string;
  beforeEach(() => {
    dir = copyFixtureProject(PLANNER.fixture);
  });
  afterEach(() => removeTemp(dir));

  // Every checkpoint a migration-generating run passes (verify:start belongs to the verify stage, not run here).
  const POINTS: { point: Checkpoint; shadow: boolean }[] = [
    { point: 'plan:done', shadow: false },
    { point: 'rewrite:done', shadow: false },
    { point: 'generate:before-kit', shadow: true },
    { point: 'generate:after-kit', shadow: true },
    { point: 'patch:done', shadow: true },
    { point: 'write:staged', shadow: true },
    { point: 'write:renamed', shadow: true },
  ];

  it.each(POINTS)('failAt $point', async ({ point, shadow }) => {
    const before = snapshotTree(dir);
    const { outcome, created, leftover } = await watchShadows(() => moveIn(dir, { failAt: point }));
    expect(outcome.status).toBe('rejected');
    expect((outcome as PromiseRejectedResult).reason).toMatchObject({ name: 'InjectedFault', point });
    expectUnchanged(dir, before);
    expect(created).toHaveLength(shadow ? 1 : 0);
    expect(leftover).toEqual([]);
  });

  it('the CLI with DRIZZLE_RESCHEMA_FAIL_AT=write:renamed exits non-zero and writes nothing', () => {
    // The child gets a temp folder of its own, so a plain before/after listing is exact.
    const childTmp = mkdtempSync(join(tmpdir(), 'reschema-safety-tmp-'));
    try {
      const before = snapshotTree(dir);
      const cli = spawnSync(process.execPath, [CLI, 'move', PLANNER.schemaFile, '--to', PLANNER.to, '--no-verify'], {
        cwd: dir,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, CI: 'true', TMPDIR: childTmp, DRIZZLE_RESCHEMA_FAIL_AT: 'write:renamed' },
      });
      expect(cli.status).not.toBe(0);
      expect(cli.status).not.toBeNull();
      expect(cli.stderr).toContain('injected failure at write:renamed');
      expectUnchanged(dir, before);
      expect(shadowDirs(childTmp)).toEqual([]);
    } finally {
      removeTemp(childTmp);
    }
  });

  it('drizzle-kit failing (the config names a missing schema file) -> ToolError naming project paths', async () => {
    edit(join(dir, 'drizzle.config.ts'), "schema: './src/lib/db/schema/index.ts'", "schema: './src/lib/db/schema/missing.ts'");
    const before = snapshotTree(dir);
    const { outcome, created, leftover } = await watchShadows(() => moveIn(dir));
    expect(outcome.status).toBe('rejected');
    const error = (outcome as PromiseRejectedResult).reason as Error;
    expect(error).toBeInstanceOf(ToolError);
    expect(error.message).toMatch(/drizzle-kit .*generate failed/);
    // drizzle-kit ran in the shadow copy; the message must not send the user to that deleted folder.
    expect(created).toHaveLength(1);
    expect(error.message).not.toContain(created[0]!);
    expectUnchanged(dir, before);
    expect(leftover).toEqual([]);
  });

  // As root (the usual container user) a 0o555 folder is still writable, so this proves nothing
  // there; the next case forces a real write failure in a way root cannot bypass.
  const probeReadOnly = (): boolean => {
    const probe = mkdtempSync(join(tmpdir(), 'reschema-probe-'));
    try {
      chmodSync(probe, 0o555);
      writeFileSync(join(probe, 'x'), '');
      return false;
    } catch {
      return true;
    } finally {
      chmodSync(probe, 0o755);
      rmSync(probe, { recursive: true, force: true });
    }
  };
  const ifReadOnlyWorks = probeReadOnly() ? it : it.skip;
  ifReadOnlyWorks('a read-only migrations folder -> rejects, tree unchanged', async () => {
    const out = join(dir, PLANNER.out);
    const before = snapshotTree(dir);
    chmodSync(out, 0o555);
    try {
      const { outcome, leftover } = await watchShadows(() => moveIn(dir));
      expect(outcome.status).toBe('rejected');
      expect(leftover).toEqual([]);
    } finally {
      chmodSync(out, 0o755);
    }
    expectUnchanged(dir, before);
  });

  it('a real write failure while staging (the rollbacks/ folder is a file) -> rejects, tree unchanged', async () => {
    // With the supabase prefix the rollback goes to <out>/rollbacks/; a file of that name makes
    // staging fail with ENOTDIR after the schema file and the migration were already staged.
    edit(join(dir, 'drizzle.config.ts'), "prefix: 'timestamp'", "prefix: 'supabase'");
    writeFileSync(join(dir, PLANNER.out, 'rollbacks'), 'not a folder\n');
    const before = snapshotTree(dir);
    const { outcome, leftover } = await watchShadows(() => moveIn(dir));
    expect(outcome.status).toBe('rejected');
    const error = (outcome as PromiseRejectedResult).reason as Error;
    expect(error).toBeInstanceOf(ToolError);
    expect(error.message).toContain(`${join(dir, PLANNER.out, 'rollbacks')}/`);
    expect(error.message).toMatch(/ENOTDIR.*nothing written/);
    expectUnchanged(dir, before);
    expect(leftover).toEqual([]);
  });

  it('no migrations folder yet -> ConfigError "no migrations yet"', async () => {
    rmSync(join(dir, PLANNER.out), { recursive: true });
    const before = snapshotTree(dir);
    const { outcome, leftover } = await watchShadows(() => moveIn(dir));
    expect(outcome.status).toBe('rejected');
    const error = (outcome as PromiseRejectedResult).reason as Error;
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(/no migrations yet/);
    expectUnchanged(dir, before);
    expect(leftover).toEqual([]);
  });
});

describe('dry run', () => {
  it('returns the TS changes and the migration SQL in the diff, and writes nothing', async () => {
    const dir = copyFixtureProject(PLANNER.fixture);
    try {
      const before = snapshotTree(dir);
      const migrationsBefore = readdirSync(join(dir, PLANNER.out)).sort();
      const { outcome, created, leftover } = await watchShadows(() => moveIn(dir, { dryRun: true }));
      expect(outcome.status).toBe('fulfilled');
      const result = (outcome as PromiseFulfilledResult<MoveResult>).value;
      expect(result.written).toBe(false);
      expect(result.diff).toContain(`+++ b/${PLANNER.schemaFile}`);
      expect(result.diff).toContain("+export const featurePlanner = pgSchema('feature_planner');");
      expect(result.diff).toMatch(/^\+export const featurePlans = featurePlanner\.table\(/m);
      expect(result.diff).toContain(`+++ b/${result.migration!.sqlPath}`);
      expect(result.diff).toContain('+ALTER TABLE "public"."feature_plans" SET SCHEMA "feature_planner";');
      expect(result.diff).toContain('+ALTER TABLE "feature_planner"."feature_plans" SET SCHEMA "public";');
      expectUnchanged(dir, before);
      expect(readdirSync(join(dir, PLANNER.out)).sort()).toEqual(migrationsBefore);
      expect(created).toHaveLength(1);
      expect(leftover).toEqual([]);
    } finally {
      removeTemp(dir);
    }
  });
});

describe('--lock-timeout and --grant, then the rollback', () => {
  let dir: string;
  let baseline: string;
  let result: MoveResult;
  beforeAll(async () => {
    dir = copyFixtureProject(PLANNER.fixture);
    baseline = `${dir}-baseline`;
    cpSync(join(dir, PLANNER.out), baseline, { recursive: true });
    result = await moveIn(dir, { lockTimeoutMs: 3000, grant: ['authenticated'] });
  });
  afterAll(() => {
    removeTemp(dir);
    removeTemp(baseline);
  });

  it('puts SET lock_timeout first and grants last; the rollback moves everything back, then drops the schema', () => {
    const statements = result.migration!.sql.split(BREAKPOINT).map((s) => s.trim());
    expect(statements[0]).toBe("SET LOCAL lock_timeout = '3000ms';");
    // Then every moved table locked at once, referencing tables first (src/patch/lockOrder.ts).
    expect(statements[1]).toMatch(/^\s*LOCK TABLE "public"\."[a-z_]+"(, "public"\."[a-z_]+"){7} IN ACCESS EXCLUSIVE MODE;$/m);
    expect(statements[2]).toBe('CREATE SCHEMA "feature_planner";');
    const usage = statements.indexOf('GRANT USAGE ON SCHEMA "feature_planner" TO "authenticated";');
    expect(usage).toBeGreaterThan(statements.indexOf('ALTER TABLE "public"."plan_execution_logs" SET SCHEMA "feature_planner";'));
    expect(statements).toContain(
      'ALTER DEFAULT PRIVILEGES IN SCHEMA "feature_planner" GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO "authenticated";',
    );
    expect(statements).toContain('ALTER DEFAULT PRIVILEGES IN SCHEMA "feature_planner" GRANT USAGE, SELECT ON SEQUENCES TO "authenticated";');
    expect(result.migration!.otherChanges).toEqual([]);

    const rollback = result.migration!.rollbackSql.trim().split('\n');
    expect(readFileSync(join(dir, result.migration!.rollbackPath), 'utf8')).toBe(result.migration!.rollbackSql);
    expect(result.migration!.rollbackPath).toBe(join(PLANNER.out, `${result.migration!.tag}.rollback.sql`));
    const drop = rollback.indexOf('DROP SCHEMA "feature_planner";');
    expect(drop).toBe(rollback.length - 1);
    for (const table of PLANNER.tables) {
      const back = rollback.indexOf(`ALTER TABLE "feature_planner"."${table}" SET SCHEMA "public";`);
      expect(back).toBeGreaterThan(-1);
      expect(back).toBeLessThan(drop);
    }
  });

  it('on PGlite, migrate then roll back: public is as it was before the move, row for row', async () => {
    const db = (await openEngine('pglite')) as Database & { raw: unknown };
    try {
      await db.exec('CREATE ROLE authenticated');
      await migrateAndSeed(db, baseline, 10);
      const before = await fingerprint(db, ['public']);
      expect(before.get('table public.feature_plans')!.rows).toBe(10);

      await migrate(db, join(dir, PLANNER.out));
      const moved = await fingerprint(db, ['public', PLANNER.to]);
      expect(moved.get(`table ${PLANNER.to}.feature_plans`)!.rows).toBe(10);
      const [granted] = await db.query<{ ok: boolean }>(
        `SELECT has_table_privilege('authenticated', '"feature_planner"."feature_plans"', 'SELECT') AS ok`,
      );
      expect(granted!.ok).toBe(true);

      await db.exec(result.migration!.rollbackSql);
      const after = await fingerprint(db, ['public']);
      expect(compareFingerprints(before, after).differences).toEqual([]);
      expect(await db.query(`SELECT 1 FROM pg_namespace WHERE nspname = 'feature_planner'`)).toEqual([]);
    } finally {
      await db.close();
    }
  });
});

describe('migration prefixes', () => {
  let dir: string;
  beforeEach(() => {
    dir = copyFixtureProject(SPLIT.fixture);
  });
  afterEach(() => removeTemp(dir));

  const setPrefix = (prefix: string) =>
    edit(join(dir, 'drizzle.config.ts'), 'out: "./drizzle",', `out: "./drizzle",\n  migrations: { prefix: "${prefix}" },`);
  const journalTags = () =>
    (JSON.parse(readFileSync(join(dir, SPLIT.out, 'meta', '_journal.json'), 'utf8')) as { entries: { idx: number; tag: string }[] }).entries;

  it('unix: the new migration is named by unix seconds and the journal gets its entry', async () => {
    setPrefix('unix');
    const from = Math.floor(Date.now() / 1000);
    const result = await move({ cwd: dir, files: [SPLIT.schemaFile], to: SPLIT.to });
    const until = Math.floor(Date.now() / 1000);
    const tag = result.migration!.tag;
    const [, seconds] = /^(\d{10})_move_to_growth$/.exec(tag) ?? [];
    expect(Number(seconds)).toBeGreaterThanOrEqual(from);
    expect(Number(seconds)).toBeLessThanOrEqual(until);
    expect(journalTags()).toEqual([expect.objectContaining({ idx: 0, tag: '0000_init' }), expect.objectContaining({ idx: 1, tag })]);
    expect(result.migration!.sqlPath).toBe(join(SPLIT.out, `${tag}.sql`));
    expect(existsSync(join(dir, SPLIT.out, `${tag}.sql`))).toBe(true);
    expect(existsSync(join(dir, SPLIT.out, 'meta', `${seconds}_snapshot.json`))).toBe(true);
    expect(result.migration!.rollbackPath).toBe(join(SPLIT.out, `${tag}.rollback.sql`));
    expect(existsSync(join(dir, result.migration!.rollbackPath))).toBe(true);
  });

  it('supabase: the rollback goes under <out>/rollbacks/, out of the folder Supabase applies', async () => {
    setPrefix('supabase');
    const result = await move({ cwd: dir, files: [SPLIT.schemaFile], to: SPLIT.to, verify: false });
    const tag = result.migration!.tag;
    expect(tag).toMatch(/^\d{14}_move_to_growth$/);
    expect(journalTags().map((e) => e.tag)).toEqual(['0000_init', tag]);
    expect(result.migration!.rollbackPath).toBe(join(SPLIT.out, 'rollbacks', `${tag}.rollback.sql`));
    expect(readFileSync(join(dir, result.migration!.rollbackPath), 'utf8')).toBe(result.migration!.rollbackSql);
    // Only journal migrations at the top of the folder.
    expect(readdirSync(join(dir, SPLIT.out)).filter((f) => f.endsWith('.sql')).sort()).toEqual(['0000_init.sql', `${tag}.sql`]);
    // drizzle-kit does not mind the extra folder.
    const kit = kitGenerate(dir);
    expect(kit.code).toBe(0);
    expect(kit.output).toContain('No schema changes');
  });
});
