import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { readMigrationsState, type PgSnapshot } from '../../src/generate/migrationsFolder';
import { openEngine, type Database, type EngineName } from '../../src/verify/database';
import { planSeed } from '../../src/verify/seedRows';
import { REPO_ROOT } from './tempProject';

export const CLI = join(REPO_ROOT, 'bin', 'drizzle-reschema.js');
export const DRIZZLE_KIT = join(REPO_ROOT, 'node_modules', 'drizzle-kit', 'bin.cjs');

/** What a CLI run in the tests sees: CI, and none of this machine's DATABASE_URL or GITHUB_STEP_SUMMARY. */
const CLI_ENV = { CI: 'true', DATABASE_URL: '', GITHUB_STEP_SUMMARY: '' };

/**
 * The CLI as a user in CI runs it: a child process with stdin closed and
 * CI=true, without the DATABASE_URL or GITHUB_STEP_SUMMARY this machine may have.
 */
export function runCli(cwd: string, args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [CLI, ...args], {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...CLI_ENV, ...env },
  });
}

/**
 * The same command run by the CLI's own `run()` in this process, with what
 * it writes captured: for tests of what a command does, not of its being a
 * process (those spawn it, with runCli). In the same environment (CI=true,
 * no DATABASE_URL or GITHUB_STEP_SUMMARY, `env` on top), in `cwd`, and with
 * the exit code it leaves, as runCli returns them. A spawned CLI costs about
 * 0.6 s more CPU a run (Node's start, loading TypeScript, prettier and
 * PGlite, PGlite's first start): kit10.e2e's 19 runs, alternating, took 58
 * and 61 s of CPU spawned, 46 and 43 s here. What only a process shows
 * (stdin closed, what Node itself prints, a crash) stays with runCli and the
 * files' own spawns: cli.e2e, bad-inputs, check-mode, migration.e2e,
 * workspaces, preflight's password test and others.
 */
export async function runCliHere(cwd: string, args: string[], env: Record<string, string> = {}): Promise<{ status: number; stdout: string; stderr: string }> {
  const { run } = require('../../src/cli') as typeof import('../../src/cli');
  const overrides: Record<string, string> = { ...CLI_ENV, ...env };
  const savedEnv = Object.fromEntries(Object.keys(overrides).map((k) => [k, process.env[k]]));
  const savedCwd = process.cwd();
  const savedExitCode = process.exitCode;
  const writes = { stdout: process.stdout.write, stderr: process.stderr.write };
  const captured = { stdout: '', stderr: '' };
  const capture = (stream: 'stdout' | 'stderr') =>
    ((chunk: string | Uint8Array) => {
      captured[stream] += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      return true;
    }) as typeof process.stdout.write;
  try {
    Object.assign(process.env, overrides);
    process.chdir(cwd);
    process.exitCode = undefined;
    process.stdout.write = capture('stdout');
    process.stderr.write = capture('stderr');
    await run(args);
    return { status: Number(process.exitCode ?? 0), ...captured };
  } finally {
    process.stdout.write = writes.stdout;
    process.stderr.write = writes.stderr;
    process.exitCode = savedExitCode;
    process.chdir(savedCwd);
    for (const [k, v] of Object.entries(savedEnv)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/** The project's own drizzle-kit (`generate` by default), as a user runs it. */
export function runKit(cwd: string, args: string[] = ['generate']) {
  return spawnSync(process.execPath, [DRIZZLE_KIT, ...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * For a describe block: a fresh database on `engine`, with the role the
 * fixtures' `--grant app_user` names, opened before the block's tests and
 * closed after them. Its tests read it through the returned function.
 */
export function fixtureDatabase(engine: EngineName): () => Database & { raw?: unknown } {
  let db: (Database & { raw?: unknown }) | undefined;
  beforeAll(async () => {
    db = await openEngine(engine);
    await db.exec('CREATE ROLE app_user');
  }, 120_000);
  afterAll(async () => db?.close());
  return () => db!;
}

/** Applies a migrations folder with drizzle-orm's own migrator, as the user's app would. */
export async function migrateWith(db: Database & { raw?: unknown }, folder: string): Promise<void> {
  if (db.engine === 'pglite') {
    const { drizzle } = require('drizzle-orm/pglite');
    const { migrate } = require('drizzle-orm/pglite/migrator');
    await migrate(drizzle(db.raw), { migrationsFolder: folder });
  } else {
    const { drizzle } = require('drizzle-orm/node-postgres');
    const { migrate } = require('drizzle-orm/node-postgres/migrator');
    const database = drizzle(db.url!);
    try {
      await migrate(database, { migrationsFolder: folder });
    } finally {
      // Also when the migration fails: an open pool would outlive the server.
      await database.$client.end();
    }
  }
}

/**
 * The database as the user's has it before the move: the baseline migrations
 * applied by drizzle's migrator, then `rows` generated rows in every table.
 * Returns the baseline's latest snapshot (the state the rows were made for).
 */
export async function migrateAndSeed(db: Database & { raw?: unknown }, baseline: string, rows: number): Promise<PgSnapshot> {
  await migrateWith(db, baseline);
  const snapshot = readMigrationsState(baseline, baseline).head!.snapshot;
  const seed = planSeed(snapshot, rows);
  for (const statement of [...seed.inserts, ...seed.updates]) await db.exec(statement);
  return snapshot;
}
