/**
 * `npm test` spreads its files over at least two workers: jest's default
 * (cores - 1) is one file at a time on a 2-core machine. Its workers run
 * without V8's garbage collection of WebAssembly code: on Node 24 a process
 * that starts and closes many PGlite instances (a worker runs dozens of files,
 * each loading PGlite anew) can die of a V8 check failure when that collection
 * frees code (`Check failed: jit_page_->allocations_.erase(addr) == 1` in
 * ThreadIsolation::UnregisterWasmAllocation; nodejs/node#64500). It killed a
 * worker of this suite once, on Node 24.22.3.
 */
const config = require('../jest.config.js') as { maxWorkers: number };

it('runs test files on at least two workers', () => {
  expect(config.maxWorkers).toBeGreaterThanOrEqual(2);
});

it("runs its workers with --no-wasm-code-gc (they inherit the jest process's flags)", () => {
  expect(process.execArgv).toContain('--no-wasm-code-gc');
});
