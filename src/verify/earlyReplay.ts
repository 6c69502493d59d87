import type { DrizzleConfig } from '../generate/drizzleConfig';
import type { EngineName } from './database';
import { chooseEngine } from './engineChoice';
import { loadProjectMigrationSet, type MigrationSet } from './migrationSet';
import { createNamedRoles, platformFacts, parsedStatements, rolesToCreate } from './platform';
import { supabasePrelude } from './preludes/supabase';
import { extensionsCreatedBy, rolesCreatedBy } from './replay';
import { replayedDatabase, replayInputFor, type ReplayedDatabase, type ReplayInput } from './replayedDatabase';
import { drizzleSchemasOf } from './drift';
import { Timer, type VerifyOptions } from './verifyReport';

/** The phases the early replay timed, as the report names them: they ran while drizzle-kit generated. */
export const BESIDE_GENERATE = ' (beside drizzle-kit)';

/**
 * The replay before the migration under test, made as if that migration were
 * still to be written. drizzle-kit takes most of a second to write it, in its
 * own process; what the verification replays before it (the engine started,
 * the platform prepared, every migration on disk replayed, their drift
 * measured) does not depend on it. So `move` starts that replay first, and
 * the verification claims it once the migration is patched; `verify` makes
 * the same one in line (replayBeforeTarget), so both share the cached replay.
 * When the migration asks for something the replay was not prepared with (an
 * extension not loaded, a platform stub it changes, a role it creates that an
 * earlier one named), the claim is refused and the verification replays with
 * the migration prepared for from the start.
 */
export interface EarlyReplay {
  /** The project's migrations on disk, as the replay read them; undefined when they could not be read (the verification says why). */
  onDisk(): Promise<MigrationSet | undefined>;
  /** The replayed database for `set` (those migrations, then the one under test), ready for it; undefined when it cannot serve it (then closed). */
  claim(set: MigrationSet, engine: EngineName, extensions: string[], notes: string[], timings: Record<string, number>): Promise<ReplayedDatabase | undefined>;
  /** Closes the database unless it was claimed. */
  discard(): Promise<void>;
}

interface Replayed {
  set: MigrationSet;
  input: ReplayInput;
  engine: EngineName;
  extensions: string[];
  replayed: ReplayedDatabase;
  notes: string[];
  timer: Timer;
}

/**
 * Starts the replay of the project's migrations on disk (`read`, when the
 * caller has read them), as `verifyMigration(set, options)` would replay them
 * for a migration after them.
 */
export function startEarlyReplay(root: string, config: DrizzleConfig, options: VerifyOptions, read?: MigrationSet): EarlyReplay {
  const onDisk = (read ? Promise.resolve(read) : loadProjectMigrationSet(root, config)).then(
    (set) => ({ ...set, target: set.steps.length - 1, rollback: undefined }),
    () => undefined,
  );
  return replayBefore(onDisk, options, true);
}

/**
 * The same replay for a set whose migration under test is its last one, run
 * now: its predecessors replayed as if the migration were still to be
 * written, then the roles only it names. So `verify` of a migration shares
 * the cached replay `move` made before writing it, and every edit of a
 * migration under test shares one.
 */
export function replayBeforeTarget(set: MigrationSet, options: VerifyOptions): EarlyReplay {
  return replayBefore(Promise.resolve({ ...set, steps: set.steps.slice(0, set.target), target: set.target - 1, rollback: undefined }), options, false);
}

function replayBefore(before: Promise<MigrationSet | undefined>, options: VerifyOptions, besideGenerate: boolean): EarlyReplay {
  // A replay that fails is the verification's to report: it replays again, and says so.
  const replay: Promise<Replayed | undefined> = before.then((set) => (set ? replaySteps(set, options) : undefined)).catch(() => undefined);
  let claimed = false;
  return {
    onDisk: () => before,
    async claim(set, engine, extensions, notes, timings) {
      const started = performance.now();
      const early = await replay;
      claimed = true;
      if (!early) return undefined;
      const preludes = (await Promise.all((options.preludes ?? []).map((p) => parsedStatements(p.sql)))).flat();
      const fits = serves(early, set, engine, extensions, preludes, options);
      if (fits) {
        try {
          // The roles only the migration under test and its rollback name: the replay before it did not need them.
          const upToTarget = set.steps.slice(0, set.target + 1);
          const statements = [...upToTarget.flatMap((s) => s.statements), ...(set.rollback?.statements ?? [])];
          await createNamedRoles(early.replayed.db, rolesToCreate(statements, preludes), early.notes);
        } catch {
          await early.replayed.db.close();
          return undefined;
        }
      }
      for (const [phase, ms] of Object.entries(early.timer.timings)) {
        const name = besideGenerate ? `${phase}${BESIDE_GENERATE}` : phase;
        timings[name] = (timings[name] ?? 0) + ms;
      }
      if (besideGenerate) timings['waiting for the replay'] = Math.round(performance.now() - started);
      if (!fits) {
        await early.replayed.db.close();
        return undefined;
      }
      notes.push(...early.notes);
      return early.replayed;
    },
    async discard() {
      if (claimed) return;
      claimed = true;
      await (await replay)?.replayed.db.close();
    },
  };
}

/**
 * Runs `fn` with the replay started when there is a verification to run
 * (`options`), and closes that database unless the verification claimed it,
 * whatever `fn` does.
 */
export async function withEarlyReplay<T>(
  root: string,
  config: DrizzleConfig,
  options: VerifyOptions | undefined,
  fn: (early: EarlyReplay | undefined) => Promise<T>,
  read?: MigrationSet,
): Promise<T> {
  const early = options ? startEarlyReplay(root, config, options, read) : undefined;
  try {
    return await fn(early);
  } finally {
    await early?.discard();
  }
}

/** Every step of `set` replayed, as the verification of a migration after them would replay them. */
async function replaySteps(set: MigrationSet, options: VerifyOptions): Promise<Replayed> {
  const notes: string[] = [];
  const timer = new Timer();
  const engine = chooseEngine(options.engine ?? 'pglite', set, options.preludes ?? [], []);
  const extensions = extensionsCreatedBy([...(options.preludes ?? []).map((p) => p.sql), ...set.steps.map((s) => s.sql)]).filter((e) => e !== 'plpgsql');
  const last = set.steps.at(-1);
  // Every step replayed, the last one's snapshot for the drift: the migration under test comes after them.
  const input = replayInputFor({ ...set, target: set.steps.length }, last?.snapshot);
  const replayed = await replayedDatabase(input, options, engine, extensions, [...(options.excludeSchemas ?? [])], notes, timer);
  return { set, input, engine, extensions, replayed, notes, timer };
}

/** Whether the early replay is the one `verifyMigration` would have made for `set`. */
function serves(early: Replayed, set: MigrationSet, engine: EngineName, extensions: string[], preludes: string[], options: VerifyOptions): boolean {
  const before = early.set.steps;
  if (set.target !== before.length || set.target !== set.steps.length - 1) return false;
  if (!before.every((s, i) => s.file === set.steps[i]!.file && s.hash === set.steps[i]!.hash)) return false;
  if (engine !== early.engine || !extensions.every((e) => early.extensions.includes(e))) return false;
  const target = set.steps[set.target]!;
  const added = [...target.statements, ...(set.rollback?.statements ?? [])];
  const all = [...early.input.prepared, ...added];
  // The Supabase stubs skip what the migrations make themselves.
  if (options.platform === 'supabase') {
    const stubs = (statements: string[]) => supabasePrelude(platformFacts(statements).madeByMigrations).sql;
    if (stubs(all) !== stubs(early.input.prepared)) return false;
  }
  // A schema the platform made that the new snapshot names would be compared, not left out.
  const named = drizzleSchemasOf(target.snapshot);
  if (early.replayed.baseline.schemas.some((s) => named.has(s))) return false;
  // A role the replay created because earlier migrations named it, which the migration under test creates.
  const created = rolesCreatedBy(added);
  return !rolesToCreate(early.input.prepared, preludes).some((r) => created.includes(r));
}
