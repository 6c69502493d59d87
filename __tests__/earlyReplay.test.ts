/**
 * The replay `move` starts beside drizzle-kit (src/verify/earlyReplay.ts):
 * claimed, it must give the very report the replay made after generation
 * gives; when the migration under test needs what the early replay was not
 * prepared with, it must be refused and the verification replay again.
 */
import { loadDrizzleConfig, rollbackPathFor } from '../src/generate/drizzleConfig';
import { move } from '../src/move';
import { BESIDE_GENERATE, startEarlyReplay, type EarlyReplay } from '../src/verify/earlyReplay';
import { loadMigrationSet, migrationStep, type MigrationSet } from '../src/verify/migrationSet';
import { verifyMigration, type VerifyOptions, type VerifyReport } from '../src/verify/verifyMigration';
import { bookkeeping } from '../src/verify/verifyProject';
import { PLANNER_MOVE } from './helpers/cases';
import { copyFixtureProject, removeTemp } from './helpers/tempProject';

/** Refuses every claim: the verification replays with the migration under test prepared for from the start, as it did before the early replay. */
const NO_EARLY: EarlyReplay = { onDisk: async () => undefined, claim: async () => undefined, discard: async () => undefined };

/** The report without what differs by design: the phase timings and the replay cache's note. */
const comparable = (r: VerifyReport) => ({ ...r, timingsMs: {}, notes: r.notes.filter((n) => !/not replayed again/.test(n)).sort() });
const besideDrizzleKit = (r: VerifyReport) => Object.keys(r.timingsMs).filter((k) => k.endsWith(BESIDE_GENERATE));

/** The migration under test with statements appended. */
function appended(set: MigrationSet, sql: string): MigrationSet {
  const t = set.steps[set.target]!;
  const steps = [...set.steps];
  steps[set.target] = migrationStep(t.tag, t.when, t.file, `${t.sql}\n--> statement-breakpoint\n${sql}`, t.snapshot);
  return { ...set, steps };
}

describe('the replay started beside drizzle-kit', () => {
  let before: string;
  let after: string;
  let set: MigrationSet;
  let options: VerifyOptions;
  beforeAll(async () => {
    // `before`: the project as the move finds it (its migrations on disk); `after`: the same with the move's migration written.
    before = copyFixtureProject(PLANNER_MOVE.fixture);
    after = copyFixtureProject(PLANNER_MOVE.fixture);
    await move({ cwd: after, files: [PLANNER_MOVE.schemaFile], to: PLANNER_MOVE.to, verify: false });
    const config = loadDrizzleConfig(after);
    set = loadMigrationSet(after, config, (tag) => rollbackPathFor(config, tag));
    options = { rows: 50, ...bookkeeping(config) };
  }, 120_000);
  afterAll(() => [before, after].forEach(removeTemp));

  const early = () => startEarlyReplay(before, loadDrizzleConfig(before), options);

  it('is claimed, and the report is the one a replay after generation gives', async () => {
    const claimed = await verifyMigration(set, options, early());
    const replayed = await verifyMigration(set, options, NO_EARLY);
    expect(besideDrizzleKit(claimed)).toEqual(expect.arrayContaining([`start${BESIDE_GENERATE}`]));
    expect(claimed.timingsMs).not.toHaveProperty('start');
    expect(claimed.timingsMs).toHaveProperty(['waiting for the replay']);
    expect(besideDrizzleKit(replayed)).toEqual([]);
    expect(claimed.ok).toBe(true);
    expect(comparable(claimed)).toEqual(comparable(replayed));
    // verify's own replay before the migration (no early one given) is the same one, run in line.
    const inline = await verifyMigration(set, options);
    expect(besideDrizzleKit(inline)).toEqual([]);
    expect(comparable(inline)).toEqual(comparable(replayed));
  }, 60_000);

  it('creates, when claimed, the roles only the migration under test names, as the replay after generation does', async () => {
    const granting = appended(set, `GRANT USAGE ON SCHEMA "${PLANNER_MOVE.to}" TO early_replay_role`);
    const claimed = await verifyMigration(granting, options, early());
    const replayed = await verifyMigration(granting, options, NO_EARLY);
    expect(besideDrizzleKit(claimed).length).toBeGreaterThan(0);
    expect(claimed.notes.join('\n')).toMatch(/created role early_replay_role in the throwaway database/);
    expect(comparable(claimed)).toEqual(comparable(replayed));
  }, 60_000);

  it('a hand edit that loses rows fails the same when the early replay is claimed', async () => {
    const losing = appended(set, `DELETE FROM "${PLANNER_MOVE.to}"."${PLANNER_MOVE.moved[0]}"`);
    const claimed = await verifyMigration(losing, options, early());
    expect(besideDrizzleKit(claimed).length).toBeGreaterThan(0);
    expect(claimed.ok).toBe(false);
    expect(claimed.differences.map((d) => d.object).join('\n')).toContain(PLANNER_MOVE.moved[0]);
    expect(comparable(claimed)).toEqual(comparable(await verifyMigration(losing, options, NO_EARLY)));
  }, 60_000);

  it('is refused for a migration that needs an extension it did not load: the verification replays again', async () => {
    const extension = appended(set, 'CREATE EXTENSION IF NOT EXISTS citext');
    const refused = await verifyMigration(extension, options, early());
    expect(refused.timingsMs).toHaveProperty('start');
    expect(comparable(refused)).toEqual(comparable(await verifyMigration(extension, options, NO_EARLY)));
  }, 60_000);
});
