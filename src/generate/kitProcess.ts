import { join } from 'node:path';

/** What drizzle-kit's process gets: no TTY games, no colour codes in what we parse. */
export const KIT_PROCESS_ENV = { CI: 'true', NO_COLOR: '1', FORCE_COLOR: '0', TERM: 'dumb' };

/**
 * drizzle-kit runs for well under a second or two: V8's optimising compiler
 * costs it more CPU than it saves (000 fixture: ~0.40 s -> ~0.33 s; 1,000
 * tables: ~1.1 s -> ~0.95 s). Only the JIT's tiering changes, never what runs.
 */
export const KIT_NODE_FLAGS = ['--no-opt'];

/** The compiled program of a drizzle-kit process started ahead (kitRunner.ts). */
export const KIT_RUNNER = join(__dirname, 'kitRunner.js');
