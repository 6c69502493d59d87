import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ToolError } from '../../errors';
import type { DrizzleConfig } from '../drizzleConfig';
import type { DrizzleKit, KitRun } from '../drizzleKit';
import type { KitAdapter, KitGenerateRequest, KitHistory, KitMigration } from '../kitAdapter';
import type { KitSchemaState } from './ddlSnapshot';
import { readSnapshotFiles, reconstructMigrations, type ReconstructedMigration } from './history';
import { migrationFolders, readKit10Folder } from './folder';
import type { PgSnapshot } from '../migrationsFolder';
import type { Relocation } from '../relocateSnapshot';
import { copyHints, isKitMoveStatement, isKitSourceDrop, moveHints, openQuestionError } from './hints';
import { kit10Process, startKit10Early, type SdkAnswer } from './sdkProcess';
import { keepViewsAcrossMoves, type KitView } from './views';

const BREAKPOINT = '--> statement-breakpoint';

/**
 * drizzle-kit 1.0, checked on 1.0.0-rc.5 (folder layout in ./folder.ts). Its
 * snapshots are never edited: the moves are told through its own hints
 * (./hints.ts). It runs through its SDK (./sdkProcess.ts), whose `generate`
 * answers what `generate --output json` prints: a `status` of `ok` (with
 * `migration_path`), `no_changes` (nothing written) or `missing_hints`
 * (nothing written).
 */
export function kit10Adapter(kit: DrizzleKit): KitAdapter {
  return {
    kit,
    line: '1.0 (<timestamp>_<name>/migration.sql)',
    checkFolder: (config, root) => void readKit10Folder(config.out, root, kit.version),
    generate: (request) => generate(kit, request),
    startEarly: (root) => startKit10Early(kit, root),
    besideMigration,
    readHistory: (config, root) => readHistory(kit, config, root),
    migrator: { byName: true },
    rollbackNote: "-- drizzle-orm's migrator reads only migration.sql: run this by hand, then delete this migration's folder.",
  };
}

async function readHistory(kit: DrizzleKit, config: DrizzleConfig, root: string): Promise<KitHistory> {
  const migrations = readKit10Folder(config.out, root, kit.version);
  const tags = migrations.map((m) => m.tag);
  const display = (tag: string) => relative(root, join(config.out, tag, 'snapshot.json'));
  const rebuilt = tags.length > 0 ? await reconstructMigrations(kit, readSnapshotFiles(config.out, tags.at(-1)!), tags, display) : [];
  const last = migrations.length - 1;
  return {
    // drizzle-orm 1.0's migrator splits every migration.sql on breakpoints (rc.5).
    steps: migrations.map((m, i) => ({ tag: m.tag, when: m.when, sqlFile: m.sqlFile, breakpoints: true, snapshot: rebuilt[i]!.snapshot })),
    head: last >= 0 ? { file: migrations[last]!.snapshotFile, snapshot: rebuilt[last]!.snapshot } : undefined,
    warnings: [],
  };
}

/**
 * Inside the migration's own folder: drizzle-orm 1.0's migrator reads only
 * `<folder>/migration.sql`, and drizzle-kit's `generate` and `check` read only
 * `migration.sql` and `snapshot.json` there (checked on rc.5).
 */
function besideMigration(config: Pick<DrizzleConfig, 'out'>, tag: string, suffix: 'rollback' | 'drop-source'): string {
  return join(config.out, tag, `${suffix}.sql`);
}

async function generate(kit: DrizzleKit, request: KitGenerateRequest): Promise<KitMigration> {
  const { cwd, configArg, out, name, describe } = request;
  const before = readKit10Folder(request.config.out, request.root, kit.version);
  const copy = request.strategy === 'copy';
  const hints = copy ? copyHints(request.relocations) : moveHints(request.relocations);
  const sdk = kit10Process(kit, request.root);
  try {
    const answer = await sdk.generate(cwd, { config: configArg, name, ...(hints.length > 0 ? { hints } : {}) }, describe);
    if (answer.status === 'missing_hints') throw openQuestionError(answer.unresolved ?? []);
    if (answer.status === 'no_changes') {
      const custom = await sdk.generate(cwd, { config: configArg, name, custom: true }, describe);
      if (custom.status !== 'ok') throw answerError(kit, 'generate --custom', custom, describe);
    } else if (answer.status !== 'ok') {
      throw answerError(kit, 'generate', answer, describe);
    }
  } finally {
    sdk.stop();
  }

  const added = migrationFolders(out).filter((tag) => !before.some((m) => m.tag === tag));
  if (added.length !== 1) throw new ToolError(`drizzle-kit ${kit.version} wrote ${added.length} migration folders, expected one`);
  const written = readKit10Folder(out, cwd, kit.version).find((m) => m.tag === added[0])!;
  const sql = readFileSync(join(out, written.sqlFile), 'utf8');
  const breakpoints = request.config.breakpoints;
  const statements = breakpoints ? sql.split(BREAKPOINT) : sql.split(/(?<=;)\s*\n/);
  const trimmed = statements.map((s) => s.trim()).filter(Boolean);
  // The schema before and after, rebuilt only when asked (verification, copy, views): loading
  // drizzle-kit/api-postgres and rebuilding cost ~1 s, which move --no-verify does not need.
  // The new snapshot is read now, since the project copy is gone by then; the earlier ones are the
  // project's own (the copy's are the same files), read only if a rebuild is asked for.
  const snapshotText = readFileSync(join(out, written.snapshotFile), 'utf8');
  const files = () => ({ ...readSnapshotFiles(request.config.out, before.at(-1)!.tag), [written.tag]: JSON.parse(snapshotText) as { id: string } });
  const where = (tag: string) => (tag === written.tag ? join(relative(cwd, out), tag, 'snapshot.json') : relative(request.root, join(request.config.out, tag, 'snapshot.json')));
  let rebuilding: Promise<ReconstructedMigration[]> | undefined;
  const rebuild = () => (rebuilding ??= reconstructMigrations(kit, files(), [before.at(-1)!.tag, written.tag], where));
  // The objects drizzle-kit took a hint for, which need SQL: for a move, those it wrote SET SCHEMA for;
  // for a copy, those its previous snapshot holds.
  const held = copy ? (await rebuild())[0]!.snapshot : undefined;
  const applied = held
    ? request.relocations.filter((r) => holds(held, r))
    : request.relocations.filter((r) => trimmed.some((s) => isKitMoveStatement(s, [r])));
  let kept = trimmed.filter((s) => !(copy ? isKitSourceDrop(s, applied) : isKitMoveStatement(s, applied)));
  if (!copy && applied.length > 0 && kept.some((s) => /^DROP (MATERIALIZED )?VIEW /.test(s))) {
    const [previous, next] = await rebuild();
    kept = keepViewsAcrossMoves(kept, viewsOf(previous!.state), viewsOf(next!.state), applied);
  }
  return {
    tag: written.tag,
    sqlFile: written.sqlFile,
    sql: kept.join(breakpoints ? `\n${BREAKPOINT}\n` : '\n'),
    breakpoints,
    relocations: applied,
    snapshots: async () => {
      const [previous, next] = await rebuild();
      return { previous: previous!.snapshot, next: next!.snapshot };
    },
    files: [{ file: written.snapshotFile, after: snapshotText }],
    when: written.when,
    warnings: [],
  };
}

function holds(snapshot: PgSnapshot, r: Relocation): boolean {
  const key = `${r.from}.${r.name}`;
  if (r.kind === 'table') return key in snapshot.tables;
  if (r.kind === 'enum') return key in snapshot.enums;
  if (r.kind === 'sequence') return key in (snapshot.sequences ?? {});
  return Boolean(snapshot.views?.[key] && Boolean(snapshot.views[key]!.materialized) === (r.kind === 'materializedView'));
}

function viewsOf(state: KitSchemaState): KitView[] {
  return state.ddl.filter((e) => e.entityType === 'views') as unknown as KitView[];
}

/** drizzle-kit's own failure (`{ status: 'error', error: { code, message } }`), worded as its CLI prints it. */
function answerError(kit: DrizzleKit, command: string, answer: SdkAnswer, describe: (run: KitRun) => string): ToolError {
  const said = answer.error ? `Error: ${answer.error.message ?? answer.error.code}` : `status '${answer.status}'`;
  return new ToolError(`drizzle-kit ${kit.version} ${command} failed (${answer.error?.code ?? answer.status}): ${describe({ code: null, stdout: '', stderr: said })}`);
}
