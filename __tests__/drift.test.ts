/**
 * Drift, seeding scope, copy column order and review output, on a small
 * project whose history Postgres reshapes the way real ones do: a composite
 * primary key over a column the code leaves nullable, a UNIQUE that repeats
 * a primary key (CREATE TABLE drops it), a custom migration
 * (`drizzle-kit generate --custom`) that makes a schema of its own, a column
 * added by a later migration in the middle of the declaration, and a table
 * unrelated to the move whose CHECK the row generator cannot satisfy. Every
 * migration is drizzle-kit's own; every verification runs on PGlite.
 */
import { cpSync, readdirSync, readFileSync, symlinkSync, writeFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDrizzleConfig, rollbackPathFor } from '../src/generate/drizzleConfig';
import { move, MoveNotVerifiedError } from '../src/move';
import { BESIDE_GENERATE } from '../src/verify/earlyReplay';
import { loadMigrationSet, migrationStep, type MigrationSet } from '../src/verify/migrationSet';
import { verifyMigration } from '../src/verify/verifyMigration';
import { REPO_ROOT, hashTree, removeTemp } from './helpers/tempProject';
import { runCliHere, runKit } from './helpers/run';

const ROWS = 30;

const CONFIG = `import { defineConfig } from 'drizzle-kit';
export default defineConfig({ dialect: 'postgresql', schema: './src/db/schema.ts', out: './drizzle' });
`;

const schema = (extraTeamColumn: string, internal = '') => `import { sql } from 'drizzle-orm';
import { check, index, integer, pgSchema, pgTable, primaryKey, text, unique, uuid } from 'drizzle-orm/pg-core';
${internal}

export const teams = pgTable('teams', {
  id: uuid('id').primaryKey().defaultRandom(),${extraTeamColumn}
  name: text('name').notNull(),
}, (t) => [index('teams_name_idx').on(t.name)]);

export const members = pgTable('members', {
  teamId: uuid('team_id').notNull().references(() => teams.id),
  // Nullable in the code; Postgres makes it NOT NULL (it is in the primary key).
  userId: uuid('user_id'),
  role: text('role').notNull().default('member'),
}, (t) => [primaryKey({ name: 'members_pk', columns: [t.teamId, t.userId] }), unique('members_team_user_unique').on(t.teamId, t.userId)]);

export const tags = pgTable('tags', {
  // .unique() repeats the primary key: CREATE TABLE drops that constraint.
  id: integer('id').primaryKey().unique(),
  label: text('label'),
}, (t) => [check('tags_id_positive', sql\`\${t.id} > 0\`)]);

// Nothing to do with the move, and closed to new rows: no generated row satisfies its CHECK.
export const reviews = pgTable('reviews', {
  id: uuid('id').primaryKey().defaultRandom(),
  rating: integer('rating').notNull(),
}, (t) => [check('reviews_closed', sql\`\${t.rating} > 5 and \${t.rating} < 1\`)]);
`;

/** The project built migration by migration with the real drizzle-kit, as its team would have. */
function buildProject(): string {
  const dir = mkdtempSync(join(tmpdir(), 'reschema-drift-'));
  mkdirSync(join(dir, 'src', 'db'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'drift-fixture', private: true, dependencies: { 'drizzle-kit': '*', 'drizzle-orm': '*' } }));
  writeFileSync(join(dir, 'drizzle.config.ts'), CONFIG);
  cpSync(join(REPO_ROOT, 'fixtures', 'projects', 'schema-split', 'tsconfig.json'), join(dir, 'tsconfig.json'));
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  const kit = (args: string[]) => {
    const r = runKit(dir, args);
    if (r.status !== 0) throw new Error(`drizzle-kit ${args.join(' ')}: ${r.stdout}${r.stderr}`);
  };
  writeFileSync(join(dir, 'src', 'db', 'schema.ts'), schema(''));
  kit(['generate', '--name', 'init']);
  kit(['generate', '--custom', '--name', 'audit']);
  const custom = readdirSync(join(dir, 'drizzle')).find((f) => f.endsWith('_audit.sql'))!;
  writeFileSync(
    join(dir, 'drizzle', custom),
    'CREATE SCHEMA audit;\n--> statement-breakpoint\nCREATE TABLE audit.log (id integer, said text);\n--> statement-breakpoint\nCREATE SCHEMA internal;\n',
  );
  // A column added later, declared before `name`: ADD COLUMN puts it last in the table. And a table in
  // a pgSchema the code does not export: drizzle-kit writes no CREATE SCHEMA for it (the custom migration does).
  const internal = "const internal = pgSchema('internal');\nexport const jobs = internal.table('jobs', { id: uuid('id').primaryKey(), name: text('name') });\n";
  writeFileSync(join(dir, 'src', 'db', 'schema.ts'), schema("\n  slug: text('slug'),", internal));
  kit(['generate', '--name', 'slug']);
  return dir;
}

let template: string;
beforeAll(() => {
  template = buildProject();
}, 120_000);
afterAll(() => removeTemp(template));

function copyProject(): string {
  const dir = mkdtempSync(join(tmpdir(), 'reschema-drift-copy-'));
  cpSync(template, dir, { recursive: true, filter: (src) => !src.endsWith('node_modules') });
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

const MOVE = { files: ['src/db/schema.ts'], to: 'org', tables: ['teams', 'members'], rows: ROWS };

describe('a verified move on a schema Postgres reshapes', () => {
  it('passes: PK columns NOT NULL, the repeated UNIQUE dropped, an unexported pgSchema Drizzle\'s, the custom schema outside Drizzle, the unrelated table not seeded', async () => {
    const dir = copyProject();
    try {
      const result = await move({ cwd: dir, ...MOVE, dryRun: true });
      const report = result.verification!;
      expect(report.ok).toBe(true);
      expect(report.drift).toEqual([]);
      // Modelled, not merely tolerated as "already there".
      expect(report.driftExisting).toEqual([]);
      expect(report.driftChecked).toBe(true);
      expect(report.outsideDrizzle).toEqual(['audit']);
      expect(report.notes.join('\n')).toMatch(/outside Drizzle .*schema audit/);
      // Rows only where the move needs them: the moved tables (members -> teams are both moved).
      expect(report.seededTables).toEqual(['public.members', 'public.teams']);
      expect(report.notes.join('\n')).toContain('generated rows in 2 of 5 tables');
      // move replays beside drizzle-kit (src/verify/earlyReplay.ts): those phases are marked so.
      const beside = BESIDE_GENERATE;
      expect(report.timingsMs).toEqual(
        expect.objectContaining({ [`start${beside}`]: expect.any(Number), seed: expect.any(Number), drift: expect.any(Number) }),
      );
      // Replayed, or restored from the replay cache an earlier run filled (said in a note).
      const restored = report.notes.some((n) => n.includes('their state came from the cache'));
      if (!restored) expect(report.timingsMs[`replay${beside}`]).toEqual(expect.any(Number));
    } finally {
      removeTemp(dir);
    }
  }, 120_000);

  it('a pending added column rides along with the move, and verifies', async () => {
    const dir = copyProject();
    try {
      const file = join(dir, 'src', 'db', 'schema.ts');
      writeFileSync(file, readFileSync(file, 'utf8').replace("role: text('role')", "note: text('note'),\n  role: text('role')"));
      const result = await move({ cwd: dir, ...MOVE, dryRun: true });
      expect(result.migration!.otherChanges).toEqual(['ALTER TABLE "org"."members" ADD COLUMN "note" text;']);
      const report = result.verification!;
      expect(report.differences).toEqual([]);
      expect(report.rollback).toMatchObject({ ok: true, differences: [] });
      expect(report.ok).toBe(true);
      expect(report.added).toContain('column org.members.note');
    } finally {
      removeTemp(dir);
    }
  }, 120_000);

  it('--strategy copy gives the new table the old one\'s real column order (slug was added last) and verifies', async () => {
    const dir = copyProject();
    try {
      const result = await move({ cwd: dir, ...MOVE, strategy: 'copy', dryRun: true });
      const create = result.migration!.sql.split('--> statement-breakpoint').find((s) => s.includes('CREATE TABLE "org"."teams"'))!;
      const columns = [...create.matchAll(/^\t"(\w+)"/gm)].map((m) => m[1]);
      expect(columns).toEqual(['id', 'name', 'slug']);
      expect(result.verification!.differences).toEqual([]);
      expect(result.verification!.rollback?.ok).toBe(true);
      expect(result.verification!.ok).toBe(true);
    } finally {
      removeTemp(dir);
    }
  }, 120_000);
});

describe('a move over drift an older migration left', () => {
  it('writes, exit 0, with a warning naming the drifted object', async () => {
    const dir = copyProject();
    try {
      expect(runKit(dir, ['generate', '--custom', '--name', 'hand_fix']).status).toBe(0);
      const custom = readdirSync(join(dir, 'drizzle')).find((f) => f.endsWith('_hand_fix.sql'))!;
      writeFileSync(join(dir, 'drizzle', custom), 'ALTER TABLE "tags" ADD COLUMN "legacy" text;\n');
      const r = await runCliHere(dir, ['move', 'src/db/schema.ts', '--to', 'org', '--tables', 'teams,members', '--rows', '10']);
      expect(r.stderr).toMatch(/^warning: drift already there before this migration .*column public\.tags\.legacy \(expected absent, found text\)/m);
      expect(r.status).toBe(0);
      expect(readdirSync(join(dir, 'drizzle')).some((f) => f.endsWith('_move_to_org.sql'))).toBe(true);
    } finally {
      removeTemp(dir);
    }
  }, 120_000);
});

describe('drift: what the migration introduces fails, what was there is a warning', () => {
  let dir: string;
  let set: MigrationSet;
  beforeAll(async () => {
    dir = copyProject();
    await move({ cwd: dir, ...MOVE, verify: false });
    const config = loadDrizzleConfig(dir);
    set = loadMigrationSet(dir, config, (tag) => rollbackPathFor(config, tag));
  }, 120_000);
  afterAll(() => removeTemp(dir));

  const run = (s: MigrationSet) => verifyMigration(s, { rows: 5, excludeSchemas: ['drizzle'] });
  const withSql = (edit: (sql: string) => string): MigrationSet => {
    const t = set.steps[set.target]!;
    const steps = [...set.steps];
    steps[set.target] = migrationStep(t.tag, t.when, t.file, edit(t.sql), t.snapshot);
    return { ...set, steps };
  };
  const withEarlier = (sql: string): MigrationSet => {
    const prev = set.steps[set.target - 1]!;
    const extra = migrationStep('0003_hand_edit', prev.when + 1, 'hand-edit.sql', sql, prev.snapshot);
    return { ...set, steps: [...set.steps.slice(0, set.target), extra, ...set.steps.slice(set.target)], target: set.target + 1 };
  };

  it('an older migration the snapshot does not match is a warning naming the object; the move verifies', async () => {
    const report = await run(withEarlier('ALTER TABLE "public"."tags" ADD COLUMN "legacy" text;\n--> statement-breakpoint\nALTER TABLE "public"."teams" ALTER COLUMN "name" SET DEFAULT \'x\';'));
    expect(report.drift).toEqual([]);
    expect(report.driftExisting).toEqual(
      expect.arrayContaining([
        { object: 'column public.tags.legacy', expected: 'absent', actual: 'text' },
        // Drift on a moved table is recognised after the move, in its new schema.
        { object: 'column org.teams.name default', expected: 'none', actual: "'x'::text" },
      ]),
    );
    expect(report.notes.join('\n')).toMatch(/drift already there before this migration .*column public\.tags\.legacy/);
    expect(report.ok).toBe(true);
  }, 60_000);

  it('the same drift introduced by the migration fails it', async () => {
    const report = await run(withSql((sql) => `${sql}\n--> statement-breakpoint\nALTER TABLE "public"."tags" ADD COLUMN "legacy" text;`));
    expect(report.drift).toContainEqual({ object: 'column public.tags.legacy', expected: 'absent', actual: 'text' });
    expect(report.ok).toBe(false);
  }, 60_000);

  it('compares definitions, not names: a default, an index method and predicate, a check body, a foreign-key action', async () => {
    const edits = [
      'ALTER TABLE "org"."members" ALTER COLUMN "role" SET DEFAULT \'owner\';',
      'DROP INDEX "org"."teams_name_idx";',
      'CREATE INDEX "teams_name_idx" ON "org"."teams" USING hash ("name") WHERE "name" <> \'\';',
      'ALTER TABLE "public"."tags" DROP CONSTRAINT "tags_id_positive";',
      'ALTER TABLE "public"."tags" ADD CONSTRAINT "tags_id_positive" CHECK ("id" >= 0);',
      'ALTER TABLE "org"."members" DROP CONSTRAINT "members_team_id_teams_id_fk";',
      'ALTER TABLE "org"."members" ADD CONSTRAINT "members_team_id_teams_id_fk" FOREIGN KEY ("team_id") REFERENCES "org"."teams"("id") ON DELETE CASCADE;',
    ];
    const report = await run(withSql((sql) => [sql, ...edits].join('\n--> statement-breakpoint\n')));
    const objects = report.drift.map((d) => d.object);
    expect(objects).toEqual(
      expect.arrayContaining([
        'column org.members.role default',
        'index org.teams_name_idx definition',
        'constraint public.tags.tags_id_positive definition',
        'constraint org.members.members_team_id_teams_id_fk definition',
      ]),
    );
    expect(report.drift).toContainEqual({ object: 'column org.members.role default', expected: "'member'::text", actual: "'owner'::text" });
    expect(report.drift.find((d) => d.object === 'index org.teams_name_idx definition')!.actual).toMatch(/USING hash \(name\) WHERE \(name <> ''::text\)/);
    expect(report.drift.find((d) => d.object.startsWith('constraint org.members.members_team'))).toMatchObject({
      expected: expect.stringContaining('on delete no action'),
      actual: expect.stringContaining('on delete cascade'),
    });
    expect(report.ok).toBe(false);
  }, 60_000);

  it('the verify command says drift was not checked when newer migrations follow, never "none"', async () => {
    const r = await runCliHere(dir, ['verify', '--migration', 'slug', '--rows', '5']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('drift against the latest snapshot: not checked');
    expect(r.stdout).not.toMatch(/drift against the latest snapshot: none/);
  }, 60_000);
});

describe('a failed verification still prints the review', () => {
  /** The move drops members.role with it: the migration loses data, and verification says so. */
  function losingProject(): string {
    const dir = copyProject();
    const file = join(dir, 'src', 'db', 'schema.ts');
    writeFileSync(file, readFileSync(file, 'utf8').replace("  role: text('role').notNull().default('member'),\n", ''));
    return dir;
  }

  it.each([
    ['json', ['--dry-run', '--format', 'json']],
    ['json (no dry run)', ['--format', 'json']],
  ])('--format %s: the diff, the SQL, the rollback and the failed verification; exit 1; nothing written', async (_name, flags) => {
    const dir = losingProject();
    try {
      const before = hashTree(dir);
      const r = await runCliHere(dir, ['move', 'src/db/schema.ts', '--to', 'org', '--tables', 'teams,members', '--rows', '10', ...flags]);
      expect(r.status).toBe(1);
      const report = JSON.parse(r.stdout);
      expect(report.written).toBe(false);
      expect(report.diff).toContain("+export const members = org.table('members', {");
      expect(report.migration.sql).toContain('ALTER TABLE "public"."members" SET SCHEMA "org";');
      expect(report.migration.sql).toContain('DROP COLUMN "role"');
      expect(report.migration.rollbackSql).toContain('ALTER TABLE "org"."members" SET SCHEMA "public";');
      expect(report.verification.summary.ok).toBe(false);
      expect(report.verification.rows).toContainEqual(expect.objectContaining({ object: 'org.members', ok: false, after: expect.stringContaining('columns gone: role') }));
      expect(r.stderr).toMatch(/^drizzle-reschema: .*did not verify on pglite: .*org\.members.*columns gone: role.*; nothing written\n$/);
      expect(hashTree(dir)).toEqual(before);
    } finally {
      removeTemp(dir);
    }
  }, 120_000);

  it('--format markdown: the review with the verification as one section', async () => {
    const dir = losingProject();
    try {
      const r = await runCliHere(dir, ['move', 'src/db/schema.ts', '--to', 'org', '--tables', 'teams,members', '--rows', '10', '--dry-run', '--format', 'markdown']);
      expect(r.status).toBe(1);
      for (const section of ['### Schema files', '### Migration', '<summary>Rollback', '### Verification']) expect(r.stdout).toContain(section);
      expect(r.stdout).toMatch(/❌ \d+ of \d+ checks? failed/);
      expect(r.stdout).toContain('DROP COLUMN "role"');
    } finally {
      removeTemp(dir);
    }
  }, 120_000);

  it('text --dry-run: the diff and the failed verification on stdout, one line on stderr', async () => {
    const dir = losingProject();
    try {
      const r = await runCliHere(dir, ['move', 'src/db/schema.ts', '--to', 'org', '--tables', 'teams,members', '--rows', '10', '--dry-run']);
      expect(r.status).toBe(1);
      expect(r.stdout).toContain("+export const members = org.table('members', {");
      expect(r.stdout).toContain('+ALTER TABLE "public"."members" SET SCHEMA "org";');
      expect(r.stdout).toContain('FAILED');
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^drizzle-reschema: .*did not verify on pglite: /);
    } finally {
      removeTemp(dir);
    }
  }, 120_000);

  it('the library throws MoveNotVerifiedError carrying the would-be result', async () => {
    const dir = losingProject();
    try {
      const error = await move({ cwd: dir, ...MOVE, rows: 10 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MoveNotVerifiedError);
      const { result } = error as MoveNotVerifiedError;
      expect(result.written).toBe(false);
      expect(result.migration!.rollbackSql).toContain('SET SCHEMA "public"');
    } finally {
      removeTemp(dir);
    }
  }, 120_000);
});

describe('messages say whose fault a failure is', () => {
  it('generated rows a moved table refuses: the test data, naming the table and the constraint (exit 2, nothing written)', async () => {
    const dir = copyProject();
    try {
      const before = hashTree(dir);
      const r = await runCliHere(dir, ['move', 'src/db/schema.ts', '--to', 'org', '--tables', 'reviews', '--rows', '10']);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/the test data, not the migration: .*table public\.reviews, constraint (check )?reviews_closed/);
      expect(hashTree(dir)).toEqual(before);
    } finally {
      removeTemp(dir);
    }
  }, 120_000);
});
