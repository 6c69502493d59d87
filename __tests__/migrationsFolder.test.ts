/**
 * readMigrationsState on a real upstream folder whose prevId chain is broken
 * (simstudioai/sim: four heads, three parents missing, an introspect snapshot
 * with an all-zero id): the snapshot drizzle-kit 0.31 diffs against is the last
 * one by file name, and each migration's snapshot is the one named after its tag.
 */
import { join } from 'node:path';
import { loadDrizzleConfig } from '../src/generate/drizzleConfig';
import { readMigrationsState } from '../src/generate/migrationsFolder';
import { loadMigrationSet } from '../src/verify/migrationSet';
import { REALWORLD_DIR } from './helpers/tempProject';

const SIM = join(REALWORLD_DIR, 'simstudioai-sim');
const OUT = join(SIM, 'db', 'migrations');

it('takes the last snapshot by file name as the head, and warns once about the broken chain', () => {
  const state = readMigrationsState(OUT, SIM);
  expect(state.head?.path).toBe(join(OUT, 'meta', '0059_snapshot.json'));
  expect(state.head?.snapshot.id).toMatch(/^e60969b2/);
  expect(state.warnings).toEqual([
    "db/migrations: the snapshots' prevId chain is broken (meta/0009_snapshot.json, meta/0030_snapshot.json, meta/0041_snapshot.json name parents not in meta/; meta/0008_snapshot.json, meta/0028_snapshot.json, meta/0040_snapshot.json have no child); like drizzle-kit, this tool takes the last snapshot by file name, meta/0059_snapshot.json, as the schema the database has",
  ]);
});

it("gives each journal entry the snapshot named after its tag, across the chain's breaks", () => {
  const state = readMigrationsState(OUT, SIM);
  expect(state.snapshotByTag.size).toBe(state.journal.entries.length);
  const set = loadMigrationSet(SIM, loadDrizzleConfig(SIM), () => join(SIM, 'none.sql'));
  const at = (tag: string) => set.steps.find((s) => s.tag === tag)!.snapshot.id.slice(0, 8);
  // 0009 and 0030 begin the pieces after two breaks; 0030 follows 0028 in the journal (idx 29 is absent).
  expect([at('0008_quick_paladin'), at('0009_cynical_bullseye'), at('0028_absent_triton'), at('0030_happy_joseph')]).toEqual([
    '1e6e54f4',
    '7e51973f',
    'a696f7a7',
    '416bb8cf',
  ]);
  expect(set.steps.map((s) => s.tag)).toEqual(state.journal.entries.map((e) => e.tag));
  expect(set.target).toBe(set.steps.length - 1);
});
