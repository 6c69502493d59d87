import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { InputError, ToolError } from '../../errors';
import { besideMigration, type DrizzleConfig, type MigrationPrefix } from '../drizzleConfig';
import { kitErrorLine, runDrizzleKit, type DrizzleKit } from '../drizzleKit';
import type { KitAdapter, KitGenerateRequest, KitHistory, KitMigration } from '../kitAdapter';
import { elementType, readMigrationsState, type Journal, type PgSnapshot } from '../migrationsFolder';
import { hideRelocatedObjects, relocateSnapshot, type Relocation } from '../relocateSnapshot';

/**
 * drizzle-kit 0.x, checked on 0.31: a journal (`meta/_journal.json`) lists
 * the migrations; each is `<tag>.sql` with `meta/<idx>_snapshot.json`.
 * `generate` with nothing to say writes nothing and prints "No schema
 * changes"; `generate --custom` then writes an empty migration with the same
 * naming, snapshot and journal entry.
 */
export function kit031Adapter(kit: DrizzleKit): KitAdapter {
  return {
    kit,
    line: '0.x (meta/_journal.json)',
    checkFolder: (config, root) => void readMigrationsState(config.out, root),
    generate: (request) => generate(kit, request),
    besideMigration,
    readHistory: async (config, root) => readKit031History(config, root),
    migrator: { byName: false },
    rollbackNote: '-- Not in the journal: run it by hand, then delete the migration, its snapshot and journal entry.',
  };
}

export function readKit031History(config: DrizzleConfig, root: string): KitHistory {
  const state = readMigrationsState(config.out, root);
  const steps = state.journal.entries.map((e) => ({
    tag: e.tag,
    when: e.when,
    sqlFile: `${e.tag}.sql`,
    breakpoints: e.breakpoints,
    // Each entry's own snapshot file, as drizzle-kit names it: a prevId chain broken upstream
    // (see readMigrationsState) does not say which snapshot goes with which migration.
    snapshot: state.snapshotByTag.get(e.tag)?.snapshot,
  }));
  const head = state.head ? { file: relative(config.out, state.head.path), snapshot: state.head.snapshot } : undefined;
  return { steps, head, warnings: state.warnings };
}

async function generate(kit: DrizzleKit, request: KitGenerateRequest): Promise<KitMigration> {
  const { cwd, configArg, out, name, describe } = request;
  const state = readMigrationsState(request.config.out, request.root);
  let relocations: Relocation[] = [];
  if (state.head) {
    const doctor = request.strategy === 'copy' ? hideRelocatedObjects : relocateSnapshot;
    const doctored = doctor(state.head.snapshot, request.relocations);
    relocations = doctored.applied;
    writeFileSync(join(out, relative(request.config.out, state.head.path)), JSON.stringify(doctored.snapshot, null, 2));
  }
  const before = listFiles(out);
  await untilFreshSecond(request.config.prefix, join(out, 'meta'));
  const run = await runDrizzleKit(kit, ['generate', '--config', configArg, '--name', name], cwd);
  // drizzle-kit 0.31 exits 0 when a schema file fails to load, printing only the error.
  if (run.code !== 0 || (listFiles(out).length === before.length && kitErrorLine(run))) {
    throw new ToolError(`drizzle-kit ${kit.version} generate failed (exit ${run.code}): ${describe(run)}`);
  }
  let added = listFiles(out).filter((f) => !before.includes(f));
  if (added.length === 0) {
    // Written nothing: either there was nothing but the move to say (then an empty custom
    // migration carries it), or drizzle-kit wanted an answer only a TTY can give.
    if (!/No schema changes/i.test(run.stdout + run.stderr)) {
      throw new ToolError(
        `drizzle-kit ${kit.version} generate wrote nothing and did not report an unchanged schema; it probably needs an answer (a rename?) that only a terminal can give. Resolve other pending schema changes with drizzle-kit first. drizzle-kit said: ${describe(run)}`,
      );
    }
    await untilFreshSecond(request.config.prefix, join(out, 'meta'));
    const custom = await runDrizzleKit(kit, ['generate', '--custom', '--config', configArg, '--name', name], cwd);
    added = listFiles(out).filter((f) => !before.includes(f));
    if (custom.code !== 0 || added.length === 0) {
      throw new ToolError(`drizzle-kit ${kit.version} generate --custom failed (exit ${custom.code}): ${describe(custom)}`);
    }
  }

  const journalFile = 'meta/_journal.json';
  const journalText = readFileSync(join(out, journalFile), 'utf8');
  const journal = JSON.parse(journalText) as Journal;
  const entry = journal.entries[journal.entries.length - 1];
  if (!entry || journal.entries.length !== state.journal.entries.length + 1) {
    throw new ToolError(`drizzle-kit ${kit.version} did not add exactly one journal entry`);
  }
  const sqlFile = `${entry.tag}.sql`;
  const snapshotFile = added.find((f) => f.startsWith('meta/') && f.endsWith('_snapshot.json'));
  if (!added.includes(sqlFile) || !snapshotFile || added.length !== 2) {
    throw new ToolError(`drizzle-kit ${kit.version} wrote unexpected files: ${added.join(', ')}`);
  }
  const snapshotText = readFileSync(join(out, snapshotFile), 'utf8');
  refuseUnqualifiedEnumColumns(JSON.parse(snapshotText) as PgSnapshot, relocations);
  return {
    tag: entry.tag,
    sqlFile,
    sql: readFileSync(join(out, sqlFile), 'utf8'),
    breakpoints: entry.breakpoints,
    relocations,
    snapshots: async () => ({ previous: state.head?.snapshot, next: JSON.parse(snapshotText) as PgSnapshot }),
    files: [
      { file: snapshotFile, after: snapshotText },
      { file: journalFile, after: journalText },
    ],
    when: entry.when,
    warnings: state.warnings,
  };
}

/**
 * drizzle-kit 0.31 records the schema of a column's enum (`typeSchema`) only
 * for an enum made from a list of values: for one made from a TypeScript enum
 * (`pgEnum('color', Color)`) it writes the bare type name, and every later
 * migration it writes names that type unqualified (`ADD COLUMN "shade"
 * "color"`), which Postgres finds only in `public`. Out of `public`, the next
 * such migration fails; refused before anything is written. drizzle-kit 1.0
 * records the schema.
 */
function refuseUnqualifiedEnumColumns(next: PgSnapshot, relocations: Relocation[]): void {
  for (const r of relocations) {
    if (r.kind !== 'enum' || r.to === 'public') continue;
    const columns = Object.values(next.tables).flatMap((t) =>
      Object.values(t.columns)
        .filter((c) => elementType(c) === r.name && c.typeSchema === undefined)
        .map((c) => `${t.schema || 'public'}.${t.name}.${c.name}`),
    );
    if (columns.length === 0) continue;
    throw new InputError(
      `enum ${r.name} is made from a TypeScript enum (pgEnum('${r.name}', SomeEnum)): drizzle-kit 0.31 writes the type of its columns without a schema (${columns.join(', ')}), so out of public its next migrations name a type Postgres does not find; declare it with its values (pgEnum('${r.name}', [...])), or move with drizzle-kit 1.0`,
    );
  }
}

/**
 * The prefix drizzle-kit 0.31 gives a migration written at `at`, for the
 * prefixes that are the clock's second (its prepareMigrationMetadata: UTC
 * `YYYYMMDDHHMMSS`, or Unix seconds); none for 'index' and 'none'.
 */
export function secondPrefix(prefix: MigrationPrefix, at: Date): string | undefined {
  if (prefix === 'timestamp' || prefix === 'supabase') return at.toISOString().replace(/\D/g, '').slice(0, 14);
  if (prefix === 'unix') return String(Math.floor(at.getTime() / 1000));
  return undefined;
}

/**
 * drizzle-kit 0.31 names a snapshot after its migration's prefix alone, so
 * with a prefix of the clock's second a migration written in the same second
 * as the newest one overwrites that one's snapshot (a `drizzle-kit generate`
 * just before the move, or a script running both). Waits for a second whose
 * snapshot name is free: at most the rest of this one.
 */
export async function untilFreshSecond(
  prefix: MigrationPrefix,
  metaDir: string,
  now: () => Date = () => new Date(),
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((done) => setTimeout(done, ms)),
): Promise<void> {
  let taken = secondPrefix(prefix, now());
  while (taken !== undefined && existsSync(join(metaDir, `${taken}_snapshot.json`))) {
    await sleep(1000 - (now().getTime() % 1000) + 1);
    taken = secondPrefix(prefix, now());
  }
}

function listFiles(dir: string, prefix = ''): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`],
  );
}
