import { spawn, type ChildProcess, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ToolError } from '../errors';
import { takePrespawnedKitProcess } from '../processMode';
import { KIT_NODE_FLAGS, KIT_PROCESS_ENV, KIT_RUNNER } from './kitProcess';

export interface DrizzleKit {
  version: string;
  bin: string;
  /** Where it was found: the project's own, or the one drizzle-reschema ships with. */
  source: 'project' | 'bundled';
}

/** The project's own drizzle-kit when it has one, so its conventions and version hold; else ours. */
export function resolveDrizzleKit(projectRoot: string): DrizzleKit {
  for (const [source, from] of [
    ['project', projectRoot],
    ['bundled', __dirname],
  ] as const) {
    const manifestPath = findPackageManifest('drizzle-kit', from);
    if (!manifestPath) continue;
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { version: string; bin?: Record<string, string> | string };
    const binRel = typeof manifest.bin === 'string' ? manifest.bin : (manifest.bin?.['drizzle-kit'] ?? 'bin.cjs');
    return { version: manifest.version, bin: join(dirname(manifestPath), binRel), source };
  }
  throw new ToolError('drizzle-kit is not installed in the project (npm install -D drizzle-kit)');
}

/** Node's lookup, done by hand: drizzle-kit's `exports` do not expose its package.json. */
function findPackageManifest(name: string, from: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name, 'package.json');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

export interface KitRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

const KIT_ENV = KIT_PROCESS_ENV;
const NODE_FLAGS = KIT_NODE_FLAGS;
const DEFAULT_TIMEOUT_MS = 300_000;

/**
 * Runs drizzle-kit with an argument array (user input never reaches a shell),
 * stdin closed and CI=true: it must never wait for an answer.
 */
export function runDrizzleKit(kit: DrizzleKit, args: string[], cwd: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<KitRun> {
  const child = spawn(process.execPath, [...NODE_FLAGS, kit.bin, ...args], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...KIT_ENV },
  });
  return collect(child, timeoutMs);
}

export { KIT_RUNNER };

export interface GatedKitRun {
  result: Promise<KitRun>;
  go(): void;
  cancel(): void;
}

/** A drizzle-kit process started ahead of its work (see kitRunner.ts). */
export interface StartedDrizzleKit {
  kit: DrizzleKit;
  /** Hands it its arguments; once only. */
  run(args: string[], cwd: string, timeoutMs?: number): Promise<KitRun>;
  /**
   * Hands it its arguments before its project is ready: it starts (loads its
   * bundle and the config, which must already be in place) and waits at its
   * first read of any other file under `cwd` until `go()`. `cancel()` ends it.
   */
  runGated(args: string[], cwd: string, allow: string[], timeoutMs?: number): GatedKitRun;
  /** Ends it if it never got work or is still running; harmless after it finished. */
  dispose(): void;
}

/**
 * Starts Node while the plan is still being made: its start-up (~40-50 ms)
 * then overlaps the plan instead of following it. Once given its arguments
 * it runs drizzle-kit exactly as `runDrizzleKit` does. (Compiling drizzle-kit's
 * bundle ahead is not possible on Node 20: a script from V8's code cache
 * loses its `import()` callback, and drizzle-kit imports drizzle-orm/version.)
 */
export function startDrizzleKit(kit: DrizzleKit, root?: string): StartedDrizzleKit {
  // The process the CLI started at once is told which drizzle-kit it runs; otherwise one starts now.
  const prespawned = takePrespawnedKitProcess();
  if (prespawned) prespawned.stdin!.write(`${JSON.stringify({ bin: kit.bin, root })}\n`);
  const child = (prespawned ??
    spawn(process.execPath, [...NODE_FLAGS, KIT_RUNNER, kit.bin, ...(root ? [root] : [])], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...KIT_ENV },
    })) as ChildProcessWithoutNullStreams;
  // A process that could not start or died while waiting is replaced by a fresh one in run().
  let gone = false;
  child.on('error', () => (gone = true));
  child.on('exit', () => (gone = true));
  child.stdin.on('error', () => {});
  let started = false;
  return {
    kit,
    run(args, cwd, timeoutMs = DEFAULT_TIMEOUT_MS) {
      if (started) throw new Error('startDrizzleKit: run() called twice');
      started = true;
      if (gone) return runDrizzleKit(kit, args, cwd, timeoutMs);
      const result = collect(child, timeoutMs);
      child.stdin.end(`${JSON.stringify({ args, cwd })}\n`);
      return result;
    },
    runGated(args, cwd, allow, timeoutMs = DEFAULT_TIMEOUT_MS) {
      if (started) throw new Error('startDrizzleKit: run() called twice');
      started = true;
      // A process already gone: run a fresh one once the project is ready.
      if (gone) {
        let go!: () => void;
        const ready = new Promise<void>((resolve) => (go = resolve));
        return { result: ready.then(() => runDrizzleKit(kit, args, cwd, timeoutMs)), go, cancel: () => undefined };
      }
      const result = collect(child, timeoutMs);
      child.stdin.write(`${JSON.stringify({ args, cwd, gate: cwd, allow })}\n`);
      return {
        result,
        go: () => child.stdin.end('go\n'),
        cancel: () => {
          child.stdin.end('stop\n');
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        },
      };
    },
    dispose() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

function collect(child: ChildProcess, timeoutMs: number): Promise<KitRun> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new ToolError(`drizzle-kit could not be started: ${error.message}`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * drizzle-kit's first error line (`Error: Cannot find module 'x'`, `TypeError: ...`):
 * what follows it is a stack, and the last lines are its least useful part.
 */
export function kitErrorLine(run: KitRun): string | undefined {
  return kitOutputLines(run).find((l) => /^([A-Z]\w*)?Error\b|^error:/.test(l));
}

/** For an error message: drizzle-kit's first error line, else the last meaningful lines of its output. */
export function kitOutputExcerpt(run: KitRun): string {
  return kitErrorLine(run) ?? (kitOutputLines(run).slice(-3).join(' | ') || '(no output)');
}

function kitOutputLines(run: KitRun): string[] {
  return `${run.stderr}\n${run.stdout}`
    .replace(/\u001b\[[0-9;]*[A-Za-z]/g, '')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}
