import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Drift } from './drift';
import { cacheFolder, pgliteVersion } from './pgliteTemplate';

/** What preparing the platform found, saved with the data folder: a hit must report what a replay would. */
export interface ReplayedState {
  /** The platform baseline (platform.ts): schemas left out, objects already there before any migration. */
  baseline: { schemas: string[]; objects: string[] };
  /** The notes the preparation wrote (roles created, preludes run). */
  notes: string[];
  /** Drift against the previous snapshot, when it was measured (it is in the key). */
  driftBefore?: Drift[];
}

export interface ReplayCache {
  /** The saved data folder of this very replay, and what its preparation found. */
  hit: { data: Blob; state: ReplayedState } | undefined;
  save(dump: () => Promise<Blob>, state: ReplayedState): Promise<void>;
  /** The saved data folder did not start: remove it. */
  discard(): void;
}

/**
 * Replays kept, the most recently used first: one project's moves, and a few
 * others (a monorepo's packages). Each is a data folder of 10 to 14 MB since
 * the template databases are gone (pgliteTemplate.ts), so eight take less
 * room than four did (about 45 MB each).
 */
const KEPT = 8;

/**
 * Replaying a project's migrations on PGlite takes as long as starting it
 * (sim's 59: 1.5 s of CPU), and the next `move` on the same project replays
 * the same ones. So the state after the platform preparation and the replay
 * is saved, under a hash of everything that shaped it: the PGlite version,
 * the extensions, the preludes, the platform, the excluded schemas, every
 * statement of the migrations replayed, every snapshot up to the one under
 * test, what the platform preparation reads from the one under test and its
 * rollback (the roles they name are created first), and this tool's own
 * verify code. Any change is another key, so an entry is never
 * stale; it is in the folder only the user can write, as the template is.
 */
export function replayCache(key: unknown): ReplayCache | undefined {
  const dir = cacheFolder();
  if (!dir) return undefined;
  let hash: string;
  try {
    hash = createHash('sha256').update(JSON.stringify([pgliteVersion(), ownCode(), key])).digest('hex').slice(0, 32);
  } catch {
    return undefined;
  }
  const tar = join(dir, `replay-${hash}.tar`);
  const json = join(dir, `replay-${hash}.json`);
  return {
    hit: read(tar, json),
    async save(dump, state) {
      try {
        const data = Buffer.from(await (await dump()).arrayBuffer());
        // The state first: a tar without its state is never read, a state without its tar neither.
        writeAtomically(json, JSON.stringify(state));
        writeAtomically(tar, data);
        prune(dir);
      } catch {
        // Only a speed-up: the next run replays again.
      }
    },
    discard() {
      rmSync(tar, { force: true });
      rmSync(json, { force: true });
    },
  };
}

function read(tar: string, json: string): ReplayCache['hit'] {
  try {
    if (!existsSync(tar) || !existsSync(json)) return undefined;
    const state = JSON.parse(readFileSync(json, 'utf8')) as ReplayedState;
    const data = new Blob([readFileSync(tar)]);
    const now = new Date();
    utimesSync(tar, now, now);
    return { data, state };
  } catch {
    return undefined;
  }
}

function writeAtomically(path: string, data: string | Buffer): void {
  const partial = `${path}.${process.pid}.partial`;
  writeFileSync(partial, data, { mode: 0o600 });
  renameSync(partial, path);
}

/** Keeps the KEPT most recently used replays. */
function prune(dir: string): void {
  const replays = readdirSync(dir)
    .filter((f) => /^replay-[0-9a-f]+\.tar$/.test(f))
    .map((f) => ({ f, at: statSync(join(dir, f)).mtimeMs }))
    .sort((a, b) => b.at - a.at);
  for (const { f } of replays.slice(KEPT)) {
    rmSync(join(dir, f), { force: true });
    rmSync(join(dir, f.replace(/\.tar$/, '.json')), { force: true });
  }
}

/** The verify stage's own code (this folder, as built): another build of it may replay differently. */
function ownCode(): string {
  const hash = createHash('sha256');
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/\.(js|ts)$/.test(entry.name)) hash.update(entry.name).update(readFileSync(path));
    }
  };
  walk(__dirname);
  return hash.digest('hex');
}
