const Sequencer = require('@jest/test-sequencer').default;
const { basename } = require('node:path');

/**
 * Seconds each file took in a full run (Node 20, one worker, a quiet 2-core
 * machine, 2026-12-01). jest runs the slowest files first from its own record
 * of the last run; a clean clone has none and would go by file size, which
 * starts the 35-second tamper file 28th of 46 (a short file over a corpus).
 * So these stand in until jest has its own record.
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
  'multi-schema.e2e.test.ts': 4,
  'faults.pipeline.test.ts': 4,
  'cli.e2e.test.ts': 4,
  'rollback.grants.test.ts': 4,
  'report.test.ts': 4,
  'workspaces.e2e.test.ts': 4,
  'verify.live.test.ts': 3,
  'import-style.test.ts': 3,
  'speed-paths.test.ts': 3,
  'tableCreator.kit.test.ts': 3,
  'seedRows.test.ts': 2,
  'relocateFingerprint.test.ts': 2,
  'format.test.ts': 2,
  'enum-follow.e2e.test.ts': 2,
  'embedded-server.test.ts': 2,
  'probes.test.ts': 1,
  'hazards.test.ts': 1,
  'transforms.test.ts': 1,
  'seedCatalog.test.ts': 1,
  'identifiers.test.ts': 1,
  'transforms.load.test.ts': 1,
  'cli-args.test.ts': 1,
  'migrationsFolder.test.ts': 1,
  'kitAdapter.test.ts': 1,
  'kit10.views.test.ts': 1,
  'suite-order.test.ts': 1,
};

/**
 * A file in neither record is new: it runs first, as jest runs files it has
 * no time for, since it may be slow and a quick one costs little anywhere.
 */
class SlowestFirst extends Sequencer {
  time(test) {
    const recorded = super.time(test);
    if (recorded !== undefined) return recorded;
    const measured = SECONDS[basename(test.path)];
    return measured === undefined ? undefined : measured * 1000;
  }
}

SlowestFirst.SECONDS = SECONDS;
module.exports = SlowestFirst;
