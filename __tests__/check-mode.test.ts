import Ajv from 'ajv';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, copyFixtureProject, hashTree, removeTemp } from './helpers/tempProject';

/**
 * --check and the CI outputs through the installed CLI (dist/: `npm test`
 * builds first), on temp copies of the schema-split project.
 */

const BIN = join(REPO_ROOT, 'bin', 'drizzle-reschema.js');
const GROWTH = 'src/db/schema/growth.ts';

function cli(cwd: string, args: string[], env: Record<string, string> = {}) {
  const run = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CI: 'true', GITHUB_STEP_SUMMARY: '', ...env },
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

beforeAll(() => {
  if (!existsSync(join(REPO_ROOT, 'dist', 'cli.js'))) throw new Error('dist/ is missing: run `npm run build` first');
});

describe('move --check', () => {
  let dir: string;
  beforeEach(() => {
    dir = copyFixtureProject('schema-split');
  });
  afterEach(() => removeTemp(dir));

  it('exits 1 with one line per object before the move, 0 after a real move, and writes nothing either time', () => {
    const pristine = hashTree(dir);
    const before = cli(dir, ['move', GROWTH, '--to', 'growth', '--check']);
    expect(before.code).toBe(1);
    expect(before.stdout.trimEnd().split('\n')).toEqual([
      `${GROWTH}:29: sequence 'invoice_number_seq' is in 'public', not 'growth': the schema file would change`,
      `${GROWTH}:34: table 'entities' is in 'public', not 'growth': the schema file would change`,
      `${GROWTH}:50: table 'artifacts' is in 'public', not 'growth': the schema file would change`,
      `${GROWTH}:72: table 'jobs' is in 'public', not 'growth': the schema file would change`,
      `${GROWTH}:94: table 'microsites' is in 'public', not 'growth': the schema file would change`,
      `${GROWTH}:117: table 'generation_jobs' is in 'public', not 'growth': the schema file would change`,
    ]);
    expect(before.stderr).toMatch(/check failed: 6 items not in the target state\n$/);
    expect(hashTree(dir)).toEqual(pristine);

    const moved = cli(dir, ['move', GROWTH, '--to', 'growth', '--no-verify']);
    expect(moved.code).toBe(0);
    const done = hashTree(dir);
    expect(done).not.toEqual(pristine);

    // A passing check names every object too, with where the code and the migrations have it.
    const after = cli(dir, ['move', GROWTH, '--to', 'growth', '--check']);
    expect(after.code).toBe(0);
    const snapshot = '(drizzle/meta/0001_snapshot.json)';
    expect(after.stdout.trimEnd().split('\n')).toEqual([
      `${GROWTH}:30: sequence 'invoice_number_seq' is in 'growth', in the code and in the latest migration snapshot ${snapshot}`,
      `${GROWTH}:35: table 'entities' is in 'growth', in the code and in the latest migration snapshot ${snapshot}`,
      `${GROWTH}:51: table 'artifacts' is in 'growth', in the code and in the latest migration snapshot ${snapshot}`,
      `${GROWTH}:73: table 'jobs' is in 'growth', in the code and in the latest migration snapshot ${snapshot}`,
      `${GROWTH}:95: table 'microsites' is in 'growth', in the code and in the latest migration snapshot ${snapshot}`,
      `${GROWTH}:118: table 'generation_jobs' is in 'growth', in the code and in the latest migration snapshot ${snapshot}`,
    ]);
    expect(after.stderr).toMatch(/check passed: already in the target state\n$/);
    expect(hashTree(dir)).toEqual(done);

    const json = cli(dir, ['move', GROWTH, '--to', 'growth', '--check', '--format', 'json']);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout);
    const validate = new Ajv().compile(JSON.parse(readFileSync(join(REPO_ROOT, 'schema', 'report.schema.json'), 'utf8')));
    expect(validate(report)).toBe(true);
    expect(report).toMatchObject({ mode: 'check', written: false, check: { ok: true, reasons: [] } });
    expect(report.check.inPlace).toEqual(after.stdout.trimEnd().split('\n'));
  });

  it('exits 1 when the schema files are moved but no migration says so, until --no-migration leaves migrations out', () => {
    expect(cli(dir, ['move', GROWTH, '--to', 'growth', '--no-migration']).code).toBe(0);
    const rewritten = hashTree(dir);
    const run = cli(dir, ['move', GROWTH, '--to', 'growth', '--check']);
    expect(run.code).toBe(1);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(6);
    expect(lines[1]).toBe(
      `${GROWTH}:35: table 'entities' is in 'growth' in the code, but the latest migration snapshot (drizzle/meta/0000_snapshot.json) has it in 'public': a migration is missing`,
    );
    const filesOnly = cli(dir, ['move', GROWTH, '--to', 'growth', '--check', '--no-migration']);
    expect(filesOnly.code).toBe(0);
    expect(filesOnly.stdout.trimEnd().split('\n')).toHaveLength(6);
    expect(filesOnly.stdout).toContain(`${GROWTH}:35: table 'entities' is in 'growth'\n`);
    expect(hashTree(dir)).toEqual(rewritten);
  });

  it('halfway: one line per object, those still to move and those already moved', () => {
    expect(cli(dir, ['move', GROWTH, '--to', 'growth', '--tables', 'entities', '--no-migration']).code).toBe(0);
    const run = cli(dir, ['move', GROWTH, '--to', 'growth', '--check', '--no-migration']);
    expect(run.code).toBe(1);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(6);
    expect(lines.filter((l) => l.endsWith('the schema file would change'))).toHaveLength(5);
    expect(lines[5]).toBe(`${GROWTH}:37: table 'entities' is in 'growth'`);
    expect(run.stderr).toMatch(/check failed: 5 items not in the target state\n$/);
  });

  it('keeps exit code 2 for bad input, which is not a failed check', () => {
    const run = cli(dir, ['move', 'src/db/schema/nope.ts', '--to', 'growth', '--check']);
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n').filter(Boolean)).toEqual([expect.stringMatching(/nope\.ts: no such file/)]);
  });
});

describe('--format markdown and GITHUB_STEP_SUMMARY', () => {
  let dir: string;
  beforeEach(() => {
    dir = copyFixtureProject('schema-split');
  });
  afterEach(() => removeTemp(dir));

  it('prints the review summary on stdout and appends it to the step summary, keeping what was there', () => {
    const summary = join(dir, '..', `${dir.split(/[\\/]/).pop()}-summary.md`);
    writeFileSync(summary, '# Tests\n\nall green\n');
    try {
      const before = hashTree(dir);
      const run = cli(dir, ['move', GROWTH, '--to', 'growth', '--dry-run', '--format', 'markdown'], { GITHUB_STEP_SUMMARY: summary });
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^## drizzle-reschema: move to `growth` \(dry run\)\n/);
      for (const block of ['```mermaid\n', '```diff\n', '```sql\n']) expect(run.stdout).toContain(block);
      expect(readFileSync(summary, 'utf8')).toBe(`# Tests\n\nall green\n${run.stdout}\n`);
      expect(hashTree(dir)).toEqual(before);

      // A text run in CI appends the same summary; the terminal output stays text.
      const check = cli(dir, ['move', GROWTH, '--to', 'growth', '--check'], { GITHUB_STEP_SUMMARY: summary });
      expect(check.code).toBe(1);
      expect(check.stdout).not.toContain('##');
      expect(readFileSync(summary, 'utf8')).toContain('## drizzle-reschema: move to `growth` (check)\n\n**Check failed**: 6 items not in the target state.');
    } finally {
      removeTemp(summary);
    }
  });
});
