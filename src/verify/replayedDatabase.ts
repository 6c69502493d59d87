import { ConfigError } from '../errors';
import { openEngine, openPglite, type Database, type EngineName } from './database';
import type { PgSnapshot } from '../generate/migrationsFolder';
import { findDrift, type Drift } from './drift';
import type { MigrationSet, MigrationStep } from './migrationSet';
import { platformBaseline, platformFacts, preparePlatform, type PlatformBaseline } from './platform';
import { replayCache, type ReplayCache, type ReplayedState } from './replayCache';
import { applyStatements, describeFailure } from './replay';
import type { Timer, VerifyOptions } from './verifyReport';

export interface ReplayedDatabase {
  db: Database;
  /** What the platform preparation left before any migration ran (platform.ts). */
  baseline: PlatformBaseline;
  /** Drift against the snapshot `driftAgainst` named: what was there before the migration under test. */
  driftBefore: Drift[];
}

/** What a replay is made of. */
export interface ReplayInput {
  /** The migrations replayed, in order. */
  steps: MigrationStep[];
  /** The snapshots the platform baseline reads the Drizzle schemas from (the cache keys on them too). */
  snapshots: PgSnapshot[];
  /** Every statement that will run: the roles they name are created before the replay. */
  prepared: string[];
  /** The snapshot the replayed database's drift is measured against (the last replayed one), when drift is checked. */
  driftAgainst: PgSnapshot | undefined;
}

/** The replay before the migration under test: its predecessors, with its own statements and its rollback's prepared for. */
export function replayInputFor(set: MigrationSet, driftAgainst: PgSnapshot | undefined): ReplayInput {
  const upToTarget = set.steps.slice(0, set.target + 1);
  return {
    steps: set.steps.slice(0, set.target),
    snapshots: upToTarget.map((s) => s.snapshot),
    prepared: [...upToTarget.flatMap((s) => s.statements), ...(set.rollback?.statements ?? [])],
    driftAgainst,
  };
}

/**
 * A throwaway database as it is right before the migration under test: the
 * platform prepared, then every earlier migration replayed; on PGlite, that
 * same state restored from the replay cache when this very replay was saved
 * before (replayCache.ts), and saved when it was not, with the drift it
 * has against `driftAgainst` (the previous snapshot, when drift is checked):
 * the same state has the same drift. `exclude` is read, not changed. What the
 * preparation made goes to `notes`. The caller closes the database.
 */
export async function replayedDatabase(
  input: ReplayInput,
  options: VerifyOptions,
  engine: EngineName,
  extensions: string[],
  exclude: string[],
  notes: string[],
  timer: Timer,
): Promise<ReplayedDatabase> {
  const { steps, snapshots, prepared, driftAgainst } = input;
  const cache =
    engine === 'pglite'
      ? replayCache({
          extensions,
          platform: options.platform ?? null,
          preludes: options.preludes ?? [],
          exclude,
          // What the preparation reads from the statements, not the statements: a migration under test edited
          // by hand (the tamper cases), or regenerated, shares the replay before it.
          prepared: platformFacts(prepared),
          replayed: steps.map((s) => [s.file, s.statements]),
          // Without their ids: drizzle-kit gives the snapshot of every new generate a random one.
          snapshots: snapshots.map(({ id: _id, prevId: _prevId, ...rest }) => rest),
        })
      : undefined;
  const drift = async (db: Database, baseline: PlatformBaseline) =>
    driftAgainst ? (await timer.time('drift', () => findDrift(db, driftAgainst, [...exclude, ...baseline.schemas]))).drift : [];
  const restored = cache?.hit ? await restore(cache, extensions, notes, timer) : undefined;
  if (restored) {
    const saved = cache!.hit!.state.driftBefore;
    return { ...restored, driftBefore: driftAgainst ? (saved ?? (await drift(restored.db, restored.baseline))) : [] };
  }

  const db = await timer.time('start', () => openEngine(engine, extensions));
  try {
    const notesBefore = notes.length;
    const baseline = await timer.time('prelude', async () => {
      await preparePlatform(db, prepared, { ...(options.platform ? { platform: options.platform } : {}), preludes: options.preludes ?? [] }, notes);
      return platformBaseline(db, snapshots, exclude);
    });
    await timer.time('replay', async () => {
      for (const step of steps) {
        const failure = await applyStatements(db, step.file, step.statements);
        if (failure) throw new ConfigError(`cannot replay the migrations on a fresh database: ${describeFailure(failure)}`);
      }
    });
    const made = notes.slice(notesBefore);
    const driftBefore = await drift(db, baseline);
    const dump = db.dump;
    if (cache && dump && (await onlyDiskState(db))) {
      const state: ReplayedState = { baseline: { schemas: baseline.schemas, objects: [...baseline.objects] }, notes: made, ...(driftAgainst ? { driftBefore } : {}) };
      await timer.time('cache', () => cache.save(dump, state));
    }
    return { db, baseline, driftBefore };
  } catch (error) {
    await db.close();
    throw error;
  }
}

async function restore(cache: ReplayCache, extensions: string[], notes: string[], timer: Timer): Promise<Omit<ReplayedDatabase, 'driftBefore'> | undefined> {
  const { data, state } = cache.hit!;
  try {
    const db = await timer.time('start', () => openPglite(extensions, data));
    notes.push(...state.notes, 'the migrations before this one were not replayed again: their state came from the cache, keyed by their content');
    return { db, baseline: { schemas: state.baseline.schemas, objects: new Set(state.baseline.objects) } };
  } catch {
    cache.discard();
    return undefined;
  }
}

/**
 * Whether everything the replay left is in the data folder: a migration that
 * ran `SET search_path` or `SET ROLE` changed the session too, which a saved
 * data folder would not bring back.
 */
async function onlyDiskState(db: Database): Promise<boolean> {
  const [row] = await db.query<{ clean: boolean }>(
    `SELECT current_user = session_user AND NOT EXISTS (SELECT 1 FROM pg_settings WHERE source = 'session') AS clean`,
  );
  return row?.clean === true;
}
