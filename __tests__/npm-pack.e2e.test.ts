import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECTS_DIR, removedAfterEach, REPO_ROOT } from './helpers/tempProject';

/**
 * drizzle-reschema as a user gets it: `npm pack`, then `npm i -D` of the
 * tarball in a fresh copy of the Supabase-style project (pgvector, pg_trgm,
 * policies), with its own drizzle-orm and drizzle-kit, then `npx
 * drizzle-reschema move` with verification. Packages come from npm's cache
 * (the registry for what it lacks). Slow (an install): one run.
 */
const track = removedAfterEach();
/** The npm that runs the tests (`npm run jest` sets npm_execpath), run by this Node. */
const NPM: [string, string[]] = process.env.npm_execpath?.endsWith('.js') ? [process.execPath, [process.env.npm_execpath]] : ['npm', []];
const version = (name: string) => (JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;

function npm(args: string[], cwd: string, options: SpawnSyncOptions = {}) {
  const r = spawnSync(NPM[0], [...NPM[1], ...args], { cwd, encoding: 'utf8', timeout: 600_000, ...options });
  return { status: r.status, stdout: String(r.stdout), stderr: String(r.stderr) };
}

describe('installed from npm into a project', () => {
  it('packs, installs without overrides and moves with verification, pgvector included', () => {
    const work = track(mkdtempSync(join(tmpdir(), 'reschema-pack-')));
    const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
    // An `overrides` entry applies only in this repository, never in a project that installs the package.
    expect(manifest.overrides).toBeUndefined();

    // dist/ is what `npm run build` (run before the tests) made; prepare would rebuild it.
    const pack = npm(['pack', '--ignore-scripts', '--pack-destination', work, '--json'], REPO_ROOT);
    expect(pack.status).toBe(0);
    const [packed] = JSON.parse(pack.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
    const paths = packed!.files.map((f) => f.path);
    expect(paths).toEqual(expect.arrayContaining(['bin/drizzle-reschema.js', 'dist/index.js', 'dist/cli.js', 'package.json']));
    expect(paths.filter((p) => !/^(bin|dist)\//.test(p) && !/^(package\.json|README\.md|LICENSE)$/.test(p))).toEqual([]);

    const project = join(work, 'project');
    cpSync(join(PROJECTS_DIR, 'supabase-style'), project, { recursive: true });
    const install = npm(
      [
        'install',
        '--save-dev',
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        // The server engine's 60 MB of binaries are not needed for a PGlite run.
        '--omit=optional',
        join(work, packed!.filename),
        `drizzle-orm@${version('drizzle-orm')}`,
        `drizzle-kit@${version('drizzle-kit')}`,
      ],
      project,
    );
    expect(install.stderr).not.toMatch(/ERESOLVE|peer dep|invalid/i);
    expect(install.status).toBe(0);

    // One PGlite, the one pglite-pgvector's peer asks for.
    const pglites = npm(['ls', '@electric-sql/pglite', '--all', '--parseable'], project);
    expect(pglites.status).toBe(0);
    expect(pglites.stdout.trim().split('\n')).toEqual([join(project, 'node_modules', '@electric-sql', 'pglite')]);

    const migrations = join(project, 'supabase', 'migrations');
    const before = readdirSync(migrations);
    const move = npm(['exec', '--offline', '--', 'drizzle-reschema', 'move', 'src/db/schema/inbox.ts', 'src/db/schema/documents.ts', '--to', 'inbox', '--rows', '20'], project, {
      env: { ...process.env, CI: 'true', DATABASE_URL: '', GITHUB_STEP_SUMMARY: '' },
    });
    expect(move.stderr).toMatch(/ok: kept .*tables \(rows and checksums\)/);
    expect(move.status).toBe(0);
    const added = readdirSync(migrations).filter((f) => !before.includes(f));
    expect(added.some((f) => f.endsWith('_move_to_inbox.sql'))).toBe(true);
  }, 600_000);
});
