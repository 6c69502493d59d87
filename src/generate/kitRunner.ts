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
}

/** Blocks until a whole line arrives; undefined at end of input. Nothing else runs meanwhile anyway. */
function readLineSync(fd: number): string | undefined {
  const chunks: Buffer[] = [];
  const buffer = Buffer.alloc(4096);
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
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
    const chunk = Buffer.from(buffer.subarray(0, n));
    const newline = chunk.indexOf(10);
    if (newline >= 0) {
      chunks.push(chunk.subarray(0, newline));
      return Buffer.concat(chunks).toString('utf8');
    }
    chunks.push(chunk);
  }
}

/**
 * While the plan is still being made: load what drizzle-kit will load first
 * (esbuild, whose service starts on the first transform, and the project's
 * drizzle-orm/pg-core, which every Postgres schema file imports), so that its
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
  const bin = process.argv[2];
  if (!bin) throw new Error('usage: kitRunner <drizzle-kit bin> [project root]');
  warmUp(bin, process.argv[3]);
  const line = readLineSync(0);
  if (line === undefined) return;
  const request = JSON.parse(line) as KitRequest;
  process.chdir(request.cwd);
  process.argv = [process.execPath, bin, ...request.args];
  // Node's own entry point: drizzle-kit runs as the main module, as under `node <bin>`.
  (Module as unknown as { runMain(main?: string): void }).runMain(bin);
}

main();
