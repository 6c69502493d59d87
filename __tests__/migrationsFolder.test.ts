/**
 * readMigrationsState on a real upstream folder whose prevId chain is broken
 * (simstudioai/sim: four heads, three parents missing, an introspect snapshot
 * with an all-zero id): the snapshot drizzle-kit 0.31 diffs against is the last
 * one by file name, and each migration's snapshot is the one named after its tag.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadDrizzleConfig } from '../src/generate/drizzleConfig';
import { readMigrationsState } from '../src/generate/migrationsFolder';
import { move } from '../src/move';
import { loadMigrationSet } from '../src/verify/migrationSet';
import { copyFixtureProject, PROJECTS_DIR, REALWORLD_DIR, removedAfterEach } from './helpers/tempProject';

const SIM = join(REALWORLD_DIR, 'simstudioai-sim');
const OUT = join(SIM, 'db', 'migrations');
const track = removedAfterEach();

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

describe('a journal entry written by hand, without a snapshot (fixtures/projects/hand-written-entry)', () => {
  it('is read with a warning, and stands for the schema of the snapshot before it, as drizzle-kit takes it (the newest entry must have its own: fixtures/bad/snapshot-missing)', () => {
    const root = join(PROJECTS_DIR, 'hand-written-entry');
    const state = readMigrationsState(join(root, 'drizzle'), root);
    expect(state.warnings).toEqual(['drizzle/0001_hand_written.sql has no snapshot (written by hand?): the schema after it is taken to be the one before it']);
    const set = loadMigrationSet(root, loadDrizzleConfig(root), () => join(root, 'none.sql'));
    expect(set.steps.map((s) => [s.tag, s.snapshot.id])).toEqual([
      ['0000_init', state.snapshots[0]!.snapshot.id],
      ['0001_hand_written', state.snapshots[0]!.snapshot.id],
      ['0002_after_hand_written', state.snapshots[1]!.snapshot.id],
    ]);
  });

  it('does not stop a move: it verifies, its index reported as drift already there', async () => {
    const dir = track(copyFixtureProject('hand-written-entry'));
    const result = await move({ cwd: dir, files: ['src/schema.ts'], to: 'app', rows: 20 });
    expect(result.verification?.ok).toBe(true);
    expect(result.warnings).toEqual(expect.arrayContaining([expect.stringContaining('drift already there before this migration')]));
    expect(readdirSync(join(dir, 'drizzle'))).toContain('0003_move_to_app.sql');
  });
});

it("reads a journal begun before drizzle-kit 0.21 and upgraded with `drizzle-kit up`: its header says dialect 'pg', which drizzle-kit 0.31 reads and keeps", () => {
  const root = track(copyFixtureProject('hand-written-entry'));
  const journal = join(root, 'drizzle', 'meta', '_journal.json');
  writeFileSync(journal, readFileSync(journal, 'utf8').replace('"version": "7",\n  "dialect": "postgresql"', '"version": "5",\n  "dialect": "pg"'));
  expect(readFileSync(journal, 'utf8')).toContain('"dialect": "pg"');
  expect(readMigrationsState(join(root, 'drizzle'), root).journal.entries.map((e) => e.tag)).toEqual(['0000_init', '0001_hand_written', '0002_after_hand_written']);
});
