const { availableParallelism, cpus } = require('node:os');

/**
 * One worker per core, at least two. jest's default (cores - 1) runs the
 * files one at a time on a 2-core machine, each waiting in turn on its own
 * child processes (the CLI, drizzle-kit, tsc, Postgres). Ten of the slower
 * files on the shared 2-core box (load average 9 to 17, so rough): 298 s
 * with one worker, 262 s with two, 325 s with three, where single files
 * also grew toward their timeouts.
 */
const workers = Math.max(2, availableParallelism?.() ?? cpus().length);

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/__tests__'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
  },
  maxWorkers: workers,
  testTimeout: 120000,
};
