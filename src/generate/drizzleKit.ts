import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ToolError } from '../errors';

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

/**
 * What drizzle-kit's process gets: no TTY games, no colour codes in what we
 * parse, and two settings of the tsx/esbuild pair that compiles the config
 * and schema files for it, neither of which changes what they compile:
 *
 * - no tsx disk cache. Its entries (in the temp folder, kept ~8 days) are
 *   keyed by each file's path: drizzle-kit runs here in a fresh copy of the
 *   project every time, so no entry could ever be read again, and each run
 *   would add one per schema file to a folder every start-up lists whole.
 * - esbuild's synchronous calls each run its binary once (ESBUILD_WORKER_THREADS=0)
 *   instead of through a worker thread it starts first: a handful of files
 *   cost ~8 ms each that way, against ~50 ms for the worker's start-up.
 */
export const KIT_ENV = {
  CI: 'true',
  NO_COLOR: '1',
  FORCE_COLOR: '0',
  TERM: 'dumb',
  TSX_DISABLE_CACHE: '1',
  ESBUILD_WORKER_THREADS: '0',
};

export const DEFAULT_TIMEOUT_MS = 300_000;

/**
 * Runs drizzle-kit as its own CLI, `node <bin> <args>` in `cwd`, with an
 * argument array (user input never reaches a shell), stdin closed and
 * CI=true: it must never wait for an answer.
 */
export function runDrizzleKit(kit: DrizzleKit, args: string[], cwd: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<KitRun> {
  const child = spawn(process.execPath, [kit.bin, ...args], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...KIT_ENV },
  });
  return collect(child, timeoutMs);
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
