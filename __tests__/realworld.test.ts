/**
 * The real-world corpus (issue 13): open-source Drizzle Postgres projects,
 * copied unmodified at a pinned commit (fixtures/realworld/<repo>/ORIGIN.md),
 * each moved the way a new user would: the default `move`, verification on.
 * A project's reschema.json names the slice; adding a project adds no code.
 *
 * Each case checks what the user needs from the move: exit 0; drizzle-kit then
 * sees no changes; tsc says what it said before; and every row of the moved
 * tables is still there, byte for byte, after drizzle-orm's own migrator
 * applied the new migration to a database that held rows before it.
 *
 * A case the tool cannot pass yet says so (`"fails": { "reason", "match" }`):
 * it passes while it fails with a message matching `match`, and turns red
 * when it fails another way or starts passing (then the marker must go).
 *
 * REALWORLD_NO_VERIFY=1 runs every case with `--no-verify` and without its
 * marker: what the rewrite, generate and patch stages give on their own.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { loadDrizzleConfig, type DrizzleConfig } from '../src/generate/drizzleConfig';
import { readMigrationsState } from '../src/generate/migrationsFolder';
import { applySeed, planSeed } from '../src/verify/seedRows';
import { seedableSnapshot } from '../src/verify/seedCatalog';
import { openPglite, type Database } from '../src/verify/database';
import { preparePlatform, projectPlatform } from '../src/verify/platform';
import { migrateWith, runCliHere, runKit } from './helpers/run';
import { copyRealworldProject, hashTree, REALWORLD_DIR, REPO_ROOT, removedAfterEach } from './helpers/tempProject';
import { typecheckProject } from './helpers/typecheck';

interface RealworldCase {
  name: string;
  files: string[];
  to?: string;
  tables?: string[];
  /** schema -> SQL names, as `--map schema=a,b`. */
  map?: Record<string, string[]>;
  /** Schema the tables live in before the move (default public). */
  from?: string;
  /** The tables whose rows are compared, when the move names none (it then moves the whole files). */
  checkTables?: string[];
  rows: number;
  /** A case the tool cannot pass yet: why, and a regular expression its failure matches. */
  fails?: { reason: string; match: string };
}

const NO_VERIFY = process.env.REALWORLD_NO_VERIFY === '1';

const projects = readdirSync(REALWORLD_DIR, { withFileTypes: true })
  .filter((e) => e.isDirectory() && existsSync(join(REALWORLD_DIR, e.name, 'reschema.json')))
  .map((e) => e.name)
  .sort();

function casesOf(project: string): RealworldCase[] {
  const file = JSON.parse(readFileSync(join(REALWORLD_DIR, project, 'reschema.json'), 'utf8')) as { cases: RealworldCase[] };
  return file.cases;
}

function moveArgs(c: RealworldCase): string[] {
  const args = ['move', ...c.files];
  if (c.to) args.push('--to', c.to);
  if (c.tables) args.push('--tables', c.tables.join(','));
  for (const [schema, names] of Object.entries(c.map ?? {})) args.push('--map', `${schema}=${names.join(',')}`);
  return [...args, ...(NO_VERIFY ? ['--no-verify'] : ['--rows', String(c.rows)])];
}

/** Where each moved table lives before and after, as [from, to, name]. */
function movedTables(c: RealworldCase): Array<[string, string, string]> {
  const from = c.from ?? 'public';
  const moved: Array<[string, string, string]> = (c.tables ?? c.checkTables ?? []).map((t) => [from, c.to!, t]);
  for (const [schema, names] of Object.entries(c.map ?? {})) for (const t of names) moved.push([from, schema, t]);
  return moved;
}

const quoted = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** Row count and a digest of every row's text: equal digests mean the same rows, byte for byte. */
async function rowsOf(db: Database, schema: string, table: string): Promise<string> {
  const [r] = await db.query<{ n: string; digest: string }>(
    `SELECT count(*)::text AS n, md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS digest FROM ${quoted(schema)}.${quoted(table)} t`,
  );
  return `${r!.n} rows, ${r!.digest}`;
}

async function schemasOf(db: Database): Promise<string[]> {
  const rows = await db.query<{ name: string }>(`SELECT nspname AS name FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema' ORDER BY 1`);
  return rows.map((r) => r.name);
}

/** The rollback files under the migrations folder: the fixtures have none, so these are the move's. */
function rollbackFiles(folder: string): string[] {
  return readdirSync(folder, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.rollback.sql'))
    .map((f) => join(folder, f));
}

const migrationStatements = (folder: string) =>
  readdirSync(folder)
    .filter((f) => f.endsWith('.sql'))
    .flatMap((f) => readFileSync(join(folder, f), 'utf8').split('--> statement-breakpoint'));

function extensionsCreatedIn(folder: string): string[] {
  const names = new Set<string>();
  for (const sql of migrationStatements(folder)) {
    for (const m of sql.matchAll(/create\s+extension\s+(?:if\s+not\s+exists\s+)?"?([\w-]+)"?/gi)) {
      names.add(m[1]!.toLowerCase());
    }
  }
  return [...names];
}

/** tsc's diagnostics (helpers/typecheck.ts), with the temp folder's path taken out so two copies compare equal. */
function typecheck(dir: string): string {
  return typecheckProject(dir).split(dir).join('<project>');
}

describe.each(projects)('real-world project %s', (project) => {
  const track = removedAfterEach();

  for (const c of casesOf(project).map((c) => (NO_VERIFY ? { ...c, fails: undefined } : c))) {
    const title = c.fails ? `${c.name} (fails until fixed: ${c.fails.reason})` : c.name;
    it(title, async () => {
      if (!c.fails) return moveKeepsEverything(project, c, track);
      const failure = await moveKeepsEverything(project, c, track).then(
        () => 'it passes now: remove its "fails" marker from reschema.json',
        (error: unknown) => describeError(error),
      );
      expect(failure).toMatch(new RegExp(c.fails.match));
    }, 300_000);
  }
});

/**
 * The upstream migrations applied as drizzle-orm's migrator applies them (its
 * own reading of the journal, one transaction, its bookkeeping table), but over
 * Postgres' simple protocol, as node-postgres sends them to the user's server:
 * drizzle's PGlite driver uses the extended protocol, which refuses the several
 * statements hand-written migrations put between two breakpoints. The move's
 * own migration then goes through drizzle's migrator itself.
 */
async function applyAsDrizzleWould(db: Database, folder: string, config: DrizzleConfig): Promise<void> {
  const { readMigrationFiles } = require('drizzle-orm/migrator') as typeof import('drizzle-orm/migrator');
  const table = `${quoted(config.migrationsSchema)}.${quoted(config.migrationsTable)}`;
  await db.exec(`CREATE SCHEMA IF NOT EXISTS ${quoted(config.migrationsSchema)}`);
  await db.exec(`CREATE TABLE IF NOT EXISTS ${table} (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at bigint)`);
  await db.exec('BEGIN');
  for (const migration of readMigrationFiles({ migrationsFolder: folder })) {
    for (const statement of migration.sql) await db.exec(statement);
    await db.query(`INSERT INTO ${table} (hash, created_at) VALUES ($1, $2)`, [migration.hash, migration.folderMillis]);
  }
  await db.exec('COMMIT');
}

/** The message and its causes: drizzle's migrator wraps Postgres' error in a "Failed query" one. */
function describeError(error: unknown): string {
  const messages: string[] = [];
  for (let e = error; e !== undefined && e !== null; e = (e as { cause?: unknown }).cause) {
    messages.push(e instanceof Error ? e.message : String(e));
    if (!(e instanceof Error)) break;
  }
  return messages.join(' <- caused by: ');
}

async function moveKeepsEverything(project: string, c: RealworldCase, track: (dir: string) => string): Promise<void> {
  const dir = track(copyRealworldProject(project));
  const config = loadDrizzleConfig(dir);
  const out = config.out;

  // The user's database before the move: what the platform has (Supabase's roles and auth
  // schema, the project's preludes), upstream migrations applied by drizzle's migrator, rows in every table.
  const db = await openPglite(extensionsCreatedIn(out));
  try {
    await preparePlatform(db, migrationStatements(out), projectPlatform(dir, config), []);
    await applyAsDrizzleWould(db, out, config);
    // Seeded as verification seeds: from what the replayed database has, since upstream migrations drift from their snapshots.
    await applySeed(db, planSeed(await seedableSnapshot(db, readMigrationsState(out, out).head!.snapshot), c.rows));
    const before = new Map<string, string>();
    for (const [from, , table] of movedTables(c)) before.set(table, await rowsOf(db, from, table));
    const schemasBefore = await schemasOf(db);

    const moved = await runCliHere(dir, moveArgs(c));
    if (moved.status !== 0) throw new Error(`move exited ${moved.status}: ${moved.stderr.trim().split('\n').slice(-3).join(' | ')}`);

    const tree = hashTree(dir);
    const kit = runKit(dir);
    expect(kit.status).toBe(0);
    expect(kit.stdout).toMatch(/No schema changes/);
    expect(hashTree(dir)).toEqual(tree);

    await migrateWith(db, out);
    for (const [, to, table] of movedTables(c)) expect(`${to}.${table}: ${await rowsOf(db, to, table)}`).toBe(`${to}.${table}: ${before.get(table)}`);

    // The rollback, run by hand as its header says, puts the rows back and leaves no schema the move created.
    for (const file of rollbackFiles(out)) await db.exec(readFileSync(file, 'utf8'));
    for (const [from, , table] of movedTables(c)) expect(`${from}.${table}: ${await rowsOf(db, from, table)}`).toBe(`${from}.${table}: ${before.get(table)}`);
    expect(await schemasOf(db)).toEqual(schemasBefore);
  } finally {
    await db.close();
  }

  const after = typecheck(dir);
  // Most upstream projects type-check here; one that does not must say the same after the move.
  if (after !== '') expect(after).toBe(typecheck(track(copyRealworldProject(project))));
}

it('every real-world project records where it came from', () => {
  for (const project of projects) {
    const origin = readFileSync(join(REALWORLD_DIR, project, 'ORIGIN.md'), 'utf8');
    expect({ project, commit: /\b[0-9a-f]{40}\b/.test(origin), licence: /licen[cs]e/i.test(origin) }).toEqual({ project, commit: true, licence: true });
    expect(readdirSync(join(REALWORLD_DIR, project)).some((f) => /^(LICEN[CS]E|COPYING)/i.test(f))).toBe(true);
  }
  expect(relative(REPO_ROOT, REALWORLD_DIR)).toBe(join('fixtures', 'realworld'));
});
