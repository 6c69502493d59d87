import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ToolError } from '../../errors';
import type { DrizzleConfig } from '../drizzleConfig';
import { runDrizzleKit, type DrizzleKit, type KitRun } from '../drizzleKit';
import type { KitAdapter, KitGenerateRequest, KitHistory, KitMigration } from '../kitAdapter';
import type { KitSchemaState } from './ddlSnapshot';
import { readSnapshotFiles, reconstructMigrations, type ReconstructedMigration } from './history';
import { migrationFolders, readKit10Folder } from './folder';
import type { PgSnapshot } from '../migrationsFolder';
import type { Relocation } from '../relocateSnapshot';
import { copyHints, isKitMoveStatement, isKitSourceDrop, moveHints, openQuestionError, type UnresolvedItem } from './hints';
import { keepViewsAcrossMoves, type KitView } from './views';

const BREAKPOINT = '--> statement-breakpoint';

/**
 * drizzle-kit 1.0, checked on 1.0.0-rc.5 (folder layout in ./folder.ts). Its
 * snapshots are never edited: the moves are told through its own hints
 * (./hints.ts). `generate --output json` prints one JSON line whose `status` is
 * `ok` (with `migration_path`), `no_changes` (nothing written) or
 * `missing_hints` (exit 2, nothing written).
 */
export function kit10Adapter(kit: DrizzleKit): KitAdapter {
  return {
    kit,
    line: '1.0 (<timestamp>_<name>/migration.sql)',
    checkFolder: (config, root) => void readKit10Folder(config.out, root, kit.version),
    generate: (request) => generate(kit, request),
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

interface KitAnswer {
  status: string;
  migration_path?: string;
  unresolved?: UnresolvedItem[];
}

async function generate(kit: DrizzleKit, request: KitGenerateRequest): Promise<KitMigration> {
  const { cwd, configArg, out, name, describe } = request;
  const before = readKit10Folder(request.config.out, request.root, kit.version);
  const args = ['generate', '--config', configArg, '--name', name, '--output', 'json'];
  const copy = request.strategy === 'copy';
  const hints = copy ? copyHints(request.relocations) : moveHints(request.relocations);
  const answer = await generateOnce(kit, hints.length > 0 ? [...args, '--hints', JSON.stringify(hints)] : args, cwd, describe);
  if (answer.status === 'missing_hints') throw openQuestionError(answer.unresolved ?? []);
  if (answer.status === 'no_changes') {
    const custom = await runDrizzleKit(kit, ['generate', '--custom', '--config', configArg, '--name', name], cwd);
    if (custom.code !== 0) throw new ToolError(`drizzle-kit ${kit.version} generate --custom failed (exit ${custom.code}): ${describe(custom)}`);
  } else if (answer.status !== 'ok') {
    throw new ToolError(`drizzle-kit ${kit.version} generate answered status '${answer.status}'`);
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

async function generateOnce(kit: DrizzleKit, args: string[], cwd: string, describe: (run: KitRun) => string): Promise<KitAnswer> {
  const run = await runDrizzleKit(kit, args, cwd);
  const line = run.stdout
    .split('\n')
    .map((l) => l.trim())
    .reverse()
    .find((l) => l.startsWith('{'));
  let answer: KitAnswer | undefined;
  try {
    answer = line ? (JSON.parse(line) as KitAnswer) : undefined;
  } catch {
    answer = undefined;
  }
  const expectedCode = answer?.status === 'missing_hints' ? 2 : 0;
  if (!answer || run.code !== expectedCode) {
    throw new ToolError(`drizzle-kit ${kit.version} generate failed (exit ${run.code}): ${describe(run)}`);
  }
  return answer;
}
