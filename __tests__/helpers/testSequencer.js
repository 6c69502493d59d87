const Sequencer = require('@jest/test-sequencer').default;
const { basename } = require('node:path');

/**
 * Seconds the slow files took in a full run (Node 20, one worker, a quiet
 * 2-core machine, 2026-12-01). jest runs the slowest files first from its own
 * record of the last run; a clean clone has none and would start by file
 * size, which puts a 60-second file last, alone on one worker, while the
 * others wait. So these stand in until jest has its own record.
 */
const SECONDS = {
  'tamper.test.ts': 35,
  'realworld.test.ts': 33,
  'verify.test.ts': 31,
  'drift.test.ts': 21,
  'bad-inputs.test.ts': 20,
  'strategy-copy.e2e.test.ts': 18,
  'verify.earned.test.ts': 15,
  'verify.realrepos.test.ts': 14,
  'seedRows.property.test.ts': 13,
  'kit10.e2e.test.ts': 13,
  'migration.safety.test.ts': 12,
  'pglite-template.test.ts': 12,
  'preflight.test.ts': 10,
  'npm-pack.e2e.test.ts': 8,
  'relocation.e2e.test.ts': 7,
  'back-to-public.e2e.test.ts': 7,
  'migration.e2e.test.ts': 6,
  'oracle.test.ts': 6,
  'copy-rollback.e2e.test.ts': 6,
  'check-mode.test.ts': 6,
  'migration.atomicity.test.ts': 6,
};
/** A file not measured yet (most take 1 to 4 s). */
const UNKNOWN_SECONDS = 3;

class SlowestFirst extends Sequencer {
  time(test) {
    return super.time(test) ?? (SECONDS[basename(test.path)] ?? UNKNOWN_SECONDS) * 1000;
  }
}

SlowestFirst.SECONDS = SECONDS;
module.exports = SlowestFirst;
