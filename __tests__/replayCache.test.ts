import { existsSync, mkdtempSync, readdirSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { replayCache } from '../src/verify/replayCache';
import { removeTemp } from './helpers/tempProject';

/**
 * The replay cache keeps the eight most recently used replays: a hit counts
 * as a use, and a save past eight removes the least recently used one (its
 * data folder and its state). Real files in a cache folder of the test's own.
 */
describe('the replay cache', () => {
  const saved = process.env.XDG_CACHE_HOME;
  const home = mkdtempSync(join(tmpdir(), 'reschema-replay-cache-'));
  const folder = join(home, 'drizzle-reschema');
  beforeAll(() => {
    process.env.XDG_CACHE_HOME = home;
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.XDG_CACHE_HOME;
    else process.env.XDG_CACHE_HOME = saved;
    removeTemp(home);
  });

  const state = { baseline: { schemas: [], objects: [] }, notes: [] };
  const listing = () => (existsSync(folder) ? readdirSync(folder).filter((f) => f.startsWith('replay-')) : []);
  /** Saves the replay of `key` as last used `minutesAgo` minutes ago. */
  async function save(key: string, minutesAgo: number): Promise<void> {
    const before = new Set(listing());
    await replayCache({ key })!.save(async () => new Blob([`data folder of ${key}`]), state);
    const at = Date.now() / 1000 - minutesAgo * 60;
    for (const f of listing().filter((f) => !before.has(f))) utimesSync(join(folder, f), at, at);
  }
  const has = (key: string) => replayCache({ key })!.hit !== undefined;

  it('keeps the eight most recently used, a hit counting as a use', async () => {
    const keys = Array.from({ length: 8 }, (_, i) => `replay ${i}`);
    // Used in the order of the keys, a minute apart, the first one longest ago.
    for (const [i, key] of keys.entries()) await save(key, 10 - i);
    expect(listing()).toHaveLength(16);
    // A hit on the oldest makes it the newest: the next save removes "replay 1", now the least recently used.
    expect(await replayCache({ key: 'replay 0' })!.hit!.data.text()).toBe('data folder of replay 0');
    await save('replay 8', 0);
    expect(listing()).toHaveLength(16);
    expect(has('replay 1')).toBe(false);
    expect(['replay 0', ...keys.slice(2), 'replay 8'].filter(has)).toHaveLength(8);
  });
});
