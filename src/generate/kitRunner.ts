/**
 * The program of a drizzle-kit process started before its work is known:
 *
 *   node kitRunner.js <drizzle-kit bin>
 *
 * Node starts while drizzle-reschema is still planning; then it waits for one line on stdin,
 * `{"args": [...], "cwd": "..."}`, and runs drizzle-kit exactly as
 * `node <bin> <args>` in `cwd` would. stdin reaching its end first (the run
 * needed no migration, or failed) ends it quietly.
 */
import { readSync } from 'node:fs';
import Module from 'node:module';

interface KitRequest {
  args: string[];
  cwd: string;
  /**
   * Set when drizzle-kit starts before its project is ready: the first time it
   * reads a file under `gate` (its project folder) other than those in `allow`
   * (the config it loads first), it waits for a second line, `go` (the files
   * are in place) or anything else (give up).
   */
  gate?: string;
  allow?: string[];
}

/** Makes drizzle-kit's first read of its project wait for `go` on stdin; one wait, then the hooks come off. */
function gateProjectReads(gate: string, allow: string[]): void {
  const fs = require('node:fs') as Record<string, unknown>;
  const names = ['readFileSync', 'readdirSync', 'existsSync', 'statSync', 'lstatSync', 'openSync', 'readFile', 'readdir'];
  const originals = new Map(names.map((n) => [n, fs[n]]));
  const allowed = new Set(allow);
  const modules = `${gate}/node_modules`;
  const needsWait = (path: unknown) => {
    if (typeof path !== 'string' && !(path instanceof URL)) return false;
    const p = String(path instanceof URL ? path.pathname : path);
    return p.startsWith(`${gate}/`) && !allowed.has(p) && p !== modules && !p.startsWith(`${modules}/`);
  };
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    for (const [n, f] of originals) fs[n] = f;
    const line = readLineSync(0);
    if (line?.trim() !== 'go') process.exit(0); // the run needs no drizzle-kit after all
  };
  for (const [n, original] of originals) {
    if (typeof original !== 'function') continue;
    fs[n] = function gated(this: unknown, path: unknown, ...rest: unknown[]) {
      if (needsWait(path)) release();
      return (original as (...args: unknown[]) => unknown).call(this, path, ...rest);
    };
  }
}

/** Bytes read past the last line returned: the next line may already be in them. */
let pending: Buffer = Buffer.alloc(0);

/** Blocks until a whole line arrives; undefined at end of input. Nothing else runs meanwhile anyway. */
function readLineSync(fd: number): string | undefined {
  const buffer = Buffer.alloc(4096);
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    const newline = pending.indexOf(10);
    if (newline >= 0) {
      const line = pending.subarray(0, newline).toString('utf8');
      pending = Buffer.from(pending.subarray(newline + 1));
      return line;
    }
    let n: number;
    try {
      n = readSync(fd, buffer, 0, buffer.length, null);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // Windows reports the end of a pipe as an error.
      if (code === 'EOF') return undefined;
      if (code !== 'EAGAIN') throw error;
      Atomics.wait(pause, 0, 0, 2);
      continue;
    }
    if (n === 0) return undefined;
    pending = Buffer.concat([pending, buffer.subarray(0, n)]);
  }
}

/**
 * While the plan is still being made: load what drizzle-kit will load first
 * (esbuild, whose first transform also brings its binary into memory, and the
 * project's drizzle-orm/pg-core, which every Postgres schema file imports), so that its
 * run does not pay for them. Node's module cache makes drizzle-kit's own
 * require() of them free; anything that fails here only means no warm-up.
 */
function warmUp(bin: string, root: string | undefined): void {
  try {
    const fromKit = Module.createRequire(bin);
    const esbuild = fromKit('esbuild') as { transformSync(code: string, options: object): unknown };
    esbuild.transformSync('export const a: number = 1;', { loader: 'ts', format: 'cjs' });
  } catch {
    // drizzle-kit loads it itself.
  }
  if (!root) return;
  try {
    Module.createRequire(`${root}/package.json`)('drizzle-orm/pg-core');
  } catch {
    // not installed where the project is: drizzle-kit says so itself.
  }
}

function main(): void {
  let bin = process.argv[2];
  let root = process.argv[3];
  if (!bin) {
    // Started before the project was known: the first line says which drizzle-kit, and where.
    const hello = readLineSync(0);
    if (hello === undefined) return;
    ({ bin, root } = JSON.parse(hello) as { bin: string; root?: string });
  }
  warmUp(bin, root);
  const line = readLineSync(0);
  if (line === undefined) return;
  const request = JSON.parse(line) as KitRequest;
  if (request.gate) gateProjectReads(request.gate, request.allow ?? []);
  process.chdir(request.cwd);
  process.argv = [process.execPath, bin, ...request.args];
  // Node's own entry point: drizzle-kit runs as the main module, as under `node <bin>`.
  (Module as unknown as { runMain(main?: string): void }).runMain(bin);
}

main();
