import { join } from 'node:path';

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
export const KIT_PROCESS_ENV = {
  CI: 'true',
  NO_COLOR: '1',
  FORCE_COLOR: '0',
  TERM: 'dumb',
  TSX_DISABLE_CACHE: '1',
  ESBUILD_WORKER_THREADS: '0',
};

/**
 * drizzle-kit runs for well under a second or two: V8's optimising compiler
 * costs it more CPU than it saves (000 fixture: ~0.40 s -> ~0.33 s; 1,000
 * tables: ~1.1 s -> ~0.95 s). Only the JIT's tiering changes, never what runs.
 */
export const KIT_NODE_FLAGS = ['--no-opt'];

/** The compiled program of a drizzle-kit process started ahead (kitRunner.ts). */
export const KIT_RUNNER = join(__dirname, 'kitRunner.js');
