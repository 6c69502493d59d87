/**
 * How `npm test` spreads its files over the workers: the slowest start first,
 * on a clean clone (no record of a last run) as on a machine that has one.
 * The sequencer is jest's own, sorting the real files of this folder.
 */
import { existsSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { removeTemp } from './helpers/tempProject';

type Sequencer = {
  sort(tests: unknown[]): Array<{ path: string }>;
  cacheResults(tests: unknown[], results: unknown): void;
};
const SlowestFirst = require('./helpers/testSequencer') as { new (): Sequencer; SECONDS: Record<string, number> };
const config = require('../jest.config.js') as { maxWorkers: number };

const cacheDirectory = mkdtempSync(join(tmpdir(), 'reschema-suite-order-'));
afterAll(() => removeTemp(cacheDirectory));

/** This folder's test files as jest hands them to a sequencer, and one added since the estimates. */
function suite(cache: boolean) {
  const context = {
    config: { cache, cacheDirectory, id: 'suite-order', haste: {} },
    hasteFS: { getSize: (path: string) => (existsSync(path) ? statSync(path).size : 0) },
  };
  return [...readdirSync(__dirname).filter((f) => f.endsWith('.test.ts')), 'added-this-round.test.ts'].map((f) => ({ path: join(__dirname, f), context }));
}
const order = (tests: Array<{ path: string }>) => tests.map((t) => basename(t.path));

describe('the order of the test files', () => {
  it('on a clean clone: the slowest measured files first, not the largest', () => {
    const sorted = order(new SlowestFirst().sort(suite(false)));
    // A file not measured yet may be slow: it goes first.
    expect(sorted.slice(0, 4)).toEqual(['added-this-round.test.ts', 'tamper.test.ts', 'realworld.test.ts', 'verify.test.ts']);
  });

  it('names only files that exist (a renamed file would lose its place)', () => {
    expect(Object.keys(SlowestFirst.SECONDS).filter((f) => !existsSync(join(__dirname, f)))).toEqual([]);
  });

  it("jest's record of the last run outranks the estimates", () => {
    const tests = suite(true);
    const quick = tests.find((t) => t.path.endsWith('identifiers.test.ts'))!;
    new SlowestFirst().cacheResults(tests, { testResults: [{ testFilePath: quick.path, numFailingTests: 0, skipped: false, perfStats: { runtime: 90_000 } }] });
    expect(order(new SlowestFirst().sort(suite(true))).slice(0, 2)).toEqual(['added-this-round.test.ts', 'identifiers.test.ts']);
  });

  it('runs files on at least two workers', () => {
    expect(config.maxWorkers).toBeGreaterThanOrEqual(2);
  });
});
