/**
 * The CLI's processes, as a user's machine sees them. drizzle-kit 0.31 runs
 * after the plan, once, as its own CLI (`node <drizzle-kit bin> generate ...`
 * in a copy of the project), and a run that fails before it starts none.
 * drizzle-kit 1.0's process starts before the plan and runs its SDK
 * (bin/drizzle-kit-sdk.js), and ends with the run however it ends. A run
 * leaves nothing in the temp folder. The spawned CLI is the compiled one
 * (dist/: build first).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import Module from 'node:module';
import { join } from 'node:path';
import { copyKit10Project } from './helpers/kit10Project';
import { REPO_ROOT, copyFixtureProject, hashTree, removedAfterEach } from './helpers/tempProject';

const CLI = join(REPO_ROOT, 'bin', 'drizzle-reschema.js');
const SCHEMA_FILE = 'src/lib/db/schema/feature-planner.schema.ts';
const MIGRATIONS = 'src/lib/db/migrations';

beforeAll(() => {
  if (!existsSync(join(REPO_ROOT, 'dist', 'cli.js'))) throw new Error('dist/ is missing: run `npm run build` first');
});

const track = removedAfterEach();

/** Node >= 22.1 has module.enableCompileCache; Node 20 runs without a cache, and skips these. */
const withCompileCache = typeof (Module as { enableCompileCache?: unknown }).enableCompileCache === 'function' ? it : it.skip;

/**
 * Runs the CLI with a preload that appends every child process it spawns to
 * a file (command and arguments, one JSON line each): the CLI's own process
 * only, since a preload given on the command line is not inherited.
 */
function runRecordingSpawns(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const dir = track(mkdtempSync(join(tmpdir(), 'reschema-spawns-')));
  const log = join(dir, 'spawns.jsonl');
  const recorder = join(dir, 'record-spawns.js');
  writeFileSync(
    recorder,
    `const cp = require('node:child_process');
     const fs = require('node:fs');
     for (const name of ['spawn', 'spawnSync', 'execFile', 'execFileSync', 'fork']) {
       const original = cp[name];
       cp[name] = function (command, args, options, ...rest) {
         const env = (options && options.env) || process.env;
         const child = original.call(this, command, args, options, ...rest);
         fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify({ command, args: Array.isArray(args) ? args : [], compileCache: env.NODE_COMPILE_CACHE, pid: child && child.pid }) + '\\n');
         return child;
       };
     }`,
  );
  const run = spawnSync(process.execPath, ['-r', recorder, CLI, ...args], { cwd, encoding: 'utf8', env: { ...process.env, CI: 'true', ...env } });
  const spawns = existsSync(log)
    ? readFileSync(log, 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { command: string; args: string[]; compileCache?: string; pid?: number })
    : [];
  return { run, spawns };
}

describe("the CLI's processes", () => {
  it("runs drizzle-kit once, after the plan, as its own CLI in a copy of the project", () => {
    const dir = track(copyFixtureProject('feature-planner'));
    const { run, spawns } = runRecordingSpawns(dir, ['move', SCHEMA_FILE, '--to', 'feature_planner', '--no-verify']);
    expect(run.stderr).toContain('written');
    expect(run.status).toBe(0);
    expect(spawns).toHaveLength(1);
    const [kit] = spawns;
    expect(kit!.command).toBe(process.execPath);
    expect(kit!.args[0]).toMatch(/[/\\]node_modules[/\\]drizzle-kit[/\\]bin\.cjs$/);
    expect(kit!.args.slice(1)).toEqual(['generate', '--config', 'drizzle.config.ts', '--name', 'move_to_feature_planner']);
    expect(readdirSync(join(dir, MIGRATIONS)).some((f) => f.endsWith('_move_to_feature_planner.sql'))).toBe(true);
  });

  withCompileCache(
    "keeps Node's compile cache in the temp folder, and hands it to drizzle-kit's process",
    () => {
      const dir = track(copyFixtureProject('feature-planner'));
      const temp = track(mkdtempSync(join(tmpdir(), 'reschema-tmpdir-')));
      const { run, spawns } = runRecordingSpawns(dir, ['move', SCHEMA_FILE, '--to', 'feature_planner', '--no-verify'], { TMPDIR: temp });
      expect(run.status).toBe(0);
      const cache = join(temp, 'node-compile-cache');
      expect(spawns.map((s) => s.compileCache)).toEqual([cache]);
      // One folder per Node version, holding an entry per module compiled (TypeScript, prettier, drizzle-kit, ...).
      const [versionDir] = readdirSync(cache);
      expect(readdirSync(join(cache, versionDir!)).length).toBeGreaterThan(10);
    },
  );

  it('starts no process when the run fails before the plan is made', () => {
    const dir = track(copyFixtureProject('feature-planner'));
    const before = hashTree(dir);
    const { run, spawns } = runRecordingSpawns(dir, ['move', 'src/lib/db/schema/missing.schema.ts', '--to', 'feature_planner']);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/missing\.schema\.ts/);
    expect(spawns).toEqual([]);
    expect(hashTree(dir)).toEqual(before);
  });

  it('leaves nothing in the temp folder: no tsx cache entries for files of a copy nobody reads again', () => {
    const dir = track(copyFixtureProject('feature-planner'));
    const temp = track(mkdtempSync(join(tmpdir(), 'reschema-tmpdir-')));
    const run = spawnSync(process.execPath, [CLI, 'move', SCHEMA_FILE, '--to', 'feature_planner', '--no-verify'], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, CI: 'true', TMPDIR: temp },
    });
    expect(run.status).toBe(0);
    expect(run.stderr).toContain('written');
    expect(readdirSync(join(dir, MIGRATIONS)).some((f) => f.endsWith('_move_to_feature_planner.sql'))).toBe(true);
    // The shadow copies are gone too; Node's own compile cache (Node >= 22.1) is the only thing allowed to stay.
    expect(readdirSync(temp).filter((entry) => entry !== 'node-compile-cache')).toEqual([]);
  });
});

/** Whether a process is gone (or a zombie nobody reaped yet), within a few seconds of its parent's end. */
function ended(pid: number): boolean {
  for (const until = Date.now() + 5000; Date.now() < until; ) {
    let state: string;
    try {
      state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]![0]!;
    } catch {
      return true;
    }
    if (state === 'Z') return true;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
  }
  return false;
}

describe("the CLI's processes on drizzle-kit 1.0", () => {
  const SDK_WORKER = join(REPO_ROOT, 'bin', 'drizzle-kit-sdk.js');

  it("starts drizzle-kit's process before the plan, one for the run, and runs its SDK there", () => {
    const dir = track(copyKit10Project('feature-planner-v1'));
    const { run, spawns } = runRecordingSpawns(dir, ['move', SCHEMA_FILE, '--to', 'feature_planner', '--no-verify']);
    expect(run.stderr).toContain('written');
    expect(run.status).toBe(0);
    expect(spawns.map((s) => [s.command, ...s.args])).toEqual([[process.execPath, SDK_WORKER, expect.stringMatching(/[/\\]node_modules[/\\]drizzle-kit[/\\]cli\.js$/)]]);
    expect(readdirSync(join(dir, MIGRATIONS)).some((f) => f.endsWith('_move_to_feature_planner'))).toBe(true);
    expect(ended(spawns[0]!.pid!)).toBe(true);
  });

  withCompileCache(
    "leaves drizzle-kit's bundle in Node's compile cache: the process exits by itself, which a killed one does not (Node writes the cache as it exits)",
    () => {
      const dir = track(copyKit10Project('feature-planner-v1'));
      const cache = track(mkdtempSync(join(tmpdir(), 'reschema-compile-cache-')));
      const { run, spawns } = runRecordingSpawns(dir, ['move', SCHEMA_FILE, '--to', 'feature_planner', '--no-verify'], { NODE_COMPILE_CACHE: cache });
      expect(run.status).toBe(0);
      expect(ended(spawns[0]!.pid!)).toBe(true);
      // Node says, per module, whether it found the module's compiled code in the cache.
      const bundle = realpathSync(spawns[0]!.args[1]!);
      const load = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(bundle)})`], {
        encoding: 'utf8',
        env: { ...process.env, NODE_COMPILE_CACHE: cache, NODE_DEBUG_NATIVE: 'COMPILE_CACHE' },
      });
      expect(load.status).toBe(0);
      // Node 22: `cache for <file> was accepted`; Node 24: `V8 code cache for CommonJS <file> was accepted`.
      const escaped = bundle.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      expect(`${load.stdout}${load.stderr}`).toMatch(new RegExp(`cache for (CommonJS )?${escaped} was accepted`));
    },
  );

  it('a run that fails in the plan ends the process it started, and leaves the tree byte-identical', () => {
    const dir = track(copyKit10Project('feature-planner-v1'));
    const before = hashTree(dir);
    const { run, spawns } = runRecordingSpawns(dir, ['move', SCHEMA_FILE, '--to', 'feature_planner', '--no-verify'], { DRIZZLE_RESCHEMA_FAIL_AT: 'plan:done' });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/injected failure at plan:done/);
    expect(spawns.map((s) => s.args[0])).toEqual([SDK_WORKER]);
    expect(ended(spawns[0]!.pid!)).toBe(true);
    expect(hashTree(dir)).toEqual(before);
  });

  it("names drizzle-kit's first error line when its SDK fails (a schema file imports a package not installed): exit 2, tree byte-identical", () => {
    const dir = track(copyKit10Project('feature-planner-v1'));
    const index = join(dir, 'src/lib/db/schema/index.ts');
    writeFileSync(index, `import 'no-such-package';\n${readFileSync(index, 'utf8')}`);
    const before = hashTree(dir);
    const { run } = runRecordingSpawns(dir, ['move', SCHEMA_FILE, '--to', 'feature_planner', '--no-verify']);
    expect(run.status).toBe(2);
    expect(run.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^drizzle-reschema: drizzle-kit 1\.\S+ generate failed \(\w+\): Error: Cannot find module 'no-such-package'$/)]);
    expect(hashTree(dir)).toEqual(before);
  });
});
