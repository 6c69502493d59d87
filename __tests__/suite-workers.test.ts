/**
 * `npm test` spreads its files over at least two workers: jest's default
 * (cores - 1) is one file at a time on a 2-core machine.
 */
const config = require('../jest.config.js') as { maxWorkers: number };

it('runs test files on at least two workers', () => {
  expect(config.maxWorkers).toBeGreaterThanOrEqual(2);
});
