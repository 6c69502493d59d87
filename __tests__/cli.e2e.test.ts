import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECTS_DIR, REPO_ROOT, copyFixtureProject, hashTree, removeTemp } from './helpers/tempProject';
import { typecheckProject } from './helpers/typecheck';

/**
 * The installed CLI end to end: `node bin/drizzle-reschema.js` on temp copies
 * of the fixture projects. It runs the built code in dist/ (`npm test` builds
 * first); run `npx tsc -p tsconfig.build.json` before running this file alone.
 */

const BIN = join(REPO_ROOT, 'bin', 'drizzle-reschema.js');

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runNode(args: string[], cwd: string): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CI: 'true' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const cli = (cwd: string, ...args: string[]) => runNode([BIN, ...args], cwd);
const count = (text: string, needle: string) => text.split(needle).length - 1;

beforeAll(() => {
  if (!existsSync(join(REPO_ROOT, 'dist', 'cli.js'))) {
    throw new Error('dist/ is missing: run `npx tsc -p tsconfig.build.json` (npm test does it) first');
  }
});

describe('drizzle-reschema move on the feature-planner project', () => {
  const SCHEMA_DIR = join('src', 'lib', 'db', 'schema');
  const PLANNER = join(SCHEMA_DIR, 'feature-planner.schema.ts');
  const ORIGINAL = join(PROJECTS_DIR, 'feature-planner');
  let dir: string;
  beforeEach(() => {
    dir = copyFixtureProject('feature-planner');
  });
  afterEach(() => removeTemp(dir));

  it('moves the file to feature_planner, keeps the project type-checking, and a second run does nothing', async () => {
    const first = await cli(dir, 'move', PLANNER, '--to', 'feature_planner', '--no-migration');
    expect(first).toMatchObject({ code: 0 });
    expect(first.stderr).toMatch(/11 enums, 8 tables: public -> feature_planner/);

    const planner = readFileSync(join(dir, PLANNER), 'utf8');
    expect(planner).toContain("export const featurePlanner = pgSchema('feature_planner')");
    expect(count(planner, 'featurePlanner.table(')).toBe(8);
    expect(count(planner, 'featurePlanner.enum(')).toBe(11);
    expect(planner).not.toMatch(/\bpgTable\b|\bpgEnum\b/);
    for (const untouched of ['users.schema.ts', 'relations.schema.ts', 'index.ts']) {
      expect(readFileSync(join(dir, SCHEMA_DIR, untouched))).toEqual(readFileSync(join(ORIGINAL, SCHEMA_DIR, untouched)));
    }

    // What `tsc --noEmit -p tsconfig.json` prints (helpers/typecheck.ts): nothing.
    expect(typecheckProject(dir)).toBe('');

    const before = hashTree(dir);
    const second = await cli(dir, 'move', PLANNER, '--to', 'feature_planner', '--no-migration');
    expect(second.code).toBe(0);
    expect(second.stderr).toMatch(/nothing to do/);
    expect(hashTree(dir)).toEqual(before);
  });

  it('--dry-run prints a unified diff and writes nothing', async () => {
    const before = hashTree(dir);
    const run = await cli(dir, 'move', PLANNER, '--to', 'feature_planner', '--no-migration', '--dry-run');
    expect(run.code).toBe(0);
    const path = PLANNER.split('\\').join('/');
    expect(run.stdout).toContain(`--- a/${path}\n+++ b/${path}\n@@ `);
    expect(run.stdout).toContain("\n+export const featurePlanner = pgSchema('feature_planner');\n");
    expect(run.stdout).toContain("\n-export const complexityEnum = pgEnum('complexity', ENUMS.FEATURE_PLAN.COMPLEXITY);\n");
    expect(run.stdout).toContain('\n+export const featurePlans = featurePlanner.table(\n');
    expect(run.stderr).toMatch(/nothing written/);
    expect(hashTree(dir)).toEqual(before);
  });

  it('rejects an invalid --to with exit code 2 and one line on stderr, changing nothing', async () => {
    const before = hashTree(dir);
    const run = await cli(dir, 'move', PLANNER, '--to', 'bad name', '--no-migration');
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    const lines = run.stderr.split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/--to: 'bad name' is not a valid schema name/);
    expect(hashTree(dir)).toEqual(before);
  });

  it('names a missing file with exit code 2, changing nothing', async () => {
    const before = hashTree(dir);
    const run = await cli(dir, 'move', join(SCHEMA_DIR, 'nope.schema.ts'), '--to', 'feature_planner', '--no-migration');
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n').filter(Boolean)).toEqual([
      expect.stringMatching(/nope\.schema\.ts: no such file/),
    ]);
    expect(hashTree(dir)).toEqual(before);
  });
});

describe('drizzle-reschema move on the schema-split project', () => {
  let dir: string;
  beforeEach(() => {
    dir = copyFixtureProject('schema-split');
  });
  afterEach(() => removeTemp(dir));

  it('moves growth.ts to the growth schema and the project still type-checks', async () => {
    const run = await cli(dir, 'move', 'src/db/schema/growth.ts', '--to', 'growth', '--no-migration');
    expect(run.code).toBe(0);
    const growth = readFileSync(join(dir, 'src/db/schema/growth.ts'), 'utf8');
    expect(growth).toContain('export const growth = pgSchema("growth");');
    expect(growth).toContain('growth.sequence("invoice_number_seq"');
    expect(count(growth, 'growth.table(')).toBe(5);

    // What `tsc --noEmit -p tsconfig.json` prints (helpers/typecheck.ts): nothing.
    expect(typecheckProject(dir)).toBe('');
  });
});

describe('drizzle-reschema --help', () => {
  it('prints usage and exits 0', async () => {
    const run = await cli(REPO_ROOT, '--help');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('drizzle-reschema');
    expect(run.stdout).toContain('move <files..>');
    expect(run.stderr).toBe('');
  });
});
