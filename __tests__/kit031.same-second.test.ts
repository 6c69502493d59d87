/**
 * drizzle-kit 0.31 names a snapshot after its migration's prefix alone: with
 * `prefix: 'timestamp'` (or 'supabase', 'unix') a migration written in the
 * same second as the newest one overwrites that one's snapshot, and the move
 * was refused with "wrote unexpected files" (the load tests' policy migration
 * and move landed in one second on CI). The move waits for a free second.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { secondPrefix, untilFreshSecond } from '../src/generate/kit031/adapter';
import { copyFixtureProject, removedAfterEach, writeTempTree } from './helpers/tempProject';
import { runCliHere } from './helpers/run';

const track = removedAfterEach();
const MIGRATIONS = 'src/lib/db/migrations';

it("names a second as drizzle-kit 0.31 does: UTC digits for 'timestamp' and 'supabase', Unix seconds for 'unix', none for 'index'", () => {
  const at = new Date('2026-12-02T04:17:27.912Z');
  expect(secondPrefix('timestamp', at)).toBe('20261202041727');
  expect(secondPrefix('supabase', at)).toBe('20261202041727');
  expect(secondPrefix('unix', at)).toBe(String(Math.floor(at.getTime() / 1000)));
  expect(secondPrefix('index', at)).toBeUndefined();
  expect(secondPrefix('none', at)).toBeUndefined();
});

it("waits past a second whose snapshot name is taken, and not at all for a free one or for the 'index' prefix", async () => {
  const meta = track(writeTempTree(new Map([['20261202041727_snapshot.json', '{}']])));
  let clock = new Date('2026-12-02T04:17:27.400Z').getTime();
  const slept: number[] = [];
  const sleep = async (ms: number) => {
    slept.push(ms);
    clock += ms;
  };
  await untilFreshSecond('timestamp', meta, () => new Date(clock), sleep);
  expect(slept).toEqual([601]);
  expect(secondPrefix('timestamp', new Date(clock))).toBe('20261202041728');
  await untilFreshSecond('timestamp', meta, () => new Date(clock), sleep);
  clock = new Date('2026-12-02T04:17:27.400Z').getTime();
  await untilFreshSecond('index', meta, () => new Date(clock), sleep);
  expect(slept).toEqual([601]);
});

/** Empty migrations, as `drizzle-kit generate --custom` writes them, named for the coming seconds. */
function addMigrationsForComingSeconds(dir: string, count: number): string[] {
  const folder = join(dir, MIGRATIONS);
  const journalPath = join(folder, 'meta', '_journal.json');
  const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as { entries: Array<{ idx: number; version: string; when: number; tag: string; breakpoints: boolean }> };
  const last = journal.entries[journal.entries.length - 1]!;
  let snapshot = JSON.parse(readFileSync(join(folder, 'meta', `${last.tag.split('_')[0]}_snapshot.json`), 'utf8')) as { id: string; prevId: string };
  const names: string[] = [];
  const start = Date.now();
  for (let i = 0; i < count; i++) {
    const prefix = secondPrefix('timestamp', new Date(start + i * 1000))!;
    snapshot = { ...snapshot, prevId: snapshot.id, id: randomUUID() };
    writeFileSync(join(folder, 'meta', `${prefix}_snapshot.json`), JSON.stringify(snapshot, null, 2));
    writeFileSync(join(folder, `${prefix}_custom_${i}.sql`), '-- Custom SQL migration file, put your code below! --\n');
    journal.entries.push({ idx: last.idx + 1 + i, version: '7', when: start + i * 1000, tag: `${prefix}_custom_${i}`, breakpoints: true });
    names.push(`${prefix}_snapshot.json`);
  }
  writeFileSync(journalPath, JSON.stringify(journal, null, 2));
  return names;
}

it('moves in a project whose newest migrations were written this second and the next two, overwriting none of their snapshots', async () => {
  const dir = track(copyFixtureProject('feature-planner'));
  const taken = addMigrationsForComingSeconds(dir, 3);
  const meta = join(dir, MIGRATIONS, 'meta');
  const before = new Map(taken.map((f) => [f, readFileSync(join(meta, f), 'utf8')]));
  const r = await runCliHere(dir, ['move', 'src/lib/db/schema/feature-planner.schema.ts', '--to', 'feature_planner', '--no-verify']);
  expect(r.stderr).not.toMatch(/unexpected files/);
  expect(r.status).toBe(0);
  for (const [f, text] of before) expect(readFileSync(join(meta, f), 'utf8')).toBe(text);
  const snapshots = readdirSync(meta).filter((f) => f.endsWith('_snapshot.json'));
  expect(snapshots).toHaveLength(2 + 3 + 1);
  const moved = readdirSync(join(dir, MIGRATIONS)).find((f) => f.endsWith('_move_to_feature_planner.sql'))!;
  expect(snapshots).toContain(`${moved.split('_')[0]}_snapshot.json`);
});
