import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ToolError } from '../../errors';
import type { DrizzleConfig } from '../drizzleConfig';
import { runDrizzleKit, type DrizzleKit, type KitRun } from '../drizzleKit';
import type { KitAdapter, KitGenerateRequest, KitMigration } from '../kitAdapter';
import { migrationFolders, readKit10Folder } from './folder';
import { isKitMoveStatement, moveHints, openQuestionError, type UnresolvedItem } from './hints';
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
  if (request.strategy === 'copy') {
    throw new ToolError(`--strategy copy is not built for drizzle-kit ${kit.version} yet; use the default move strategy`);
  }
  const before = readKit10Folder(request.config.out, request.root, kit.version);
  const args = ['generate', '--config', configArg, '--name', name, '--output', 'json'];
  const hints = moveHints(request.relocations);
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
  // The moves drizzle-kit took a hint for: objects its previous snapshot holds, which need SQL.
  const applied = request.relocations.filter((r) => trimmed.some((s) => isKitMoveStatement(s, [r])));
  let kept = trimmed.filter((s) => !isKitMoveStatement(s, applied));
  if (applied.length > 0 && kept.some((s) => /^DROP (MATERIALIZED )?VIEW /.test(s))) {
    const [viewsBefore, viewsAfter] = await Promise.all([viewsOf(kit, request.config.out, written.tag, false), viewsOf(kit, out, written.tag, true)]);
    kept = keepViewsAcrossMoves(kept, viewsBefore, viewsAfter, applied);
  }
  return {
    tag: written.tag,
    sqlFile: written.sqlFile,
    sql: kept.join(breakpoints ? `\n${BREAKPOINT}\n` : '\n'),
    breakpoints,
    relocations: applied,
    previous: undefined,
    next: undefined,
    files: [{ file: written.snapshotFile, after: readFileSync(join(out, written.snapshotFile), 'utf8') }],
    when: written.when,
    warnings: [],
  };
}

/**
 * The views of the schema the migrations folder describes, before or after
 * migration `tag`, rebuilt by drizzle-kit's own `reconstruct()` from
 * `drizzle-kit/api-postgres` (rc.5: snapshots keyed by folder, the head's id): its
 * snapshots after the first are diffs, so no single file holds a view's definition.
 */
async function viewsOf(kit: DrizzleKit, out: string, tag: string, includeTag: boolean): Promise<KitView[]> {
  const files: Record<string, { id: string }> = {};
  for (const folder of migrationFolders(out)) {
    if (folder > tag || (folder === tag && !includeTag)) continue;
    files[folder] = JSON.parse(readFileSync(join(out, folder, 'snapshot.json'), 'utf8')) as { id: string };
  }
  const head = Object.keys(files).sort().pop();
  if (!head) return [];
  const api = require(join(dirname(kit.bin), 'api-postgres.js')) as {
    reconstruct(files: Record<string, unknown>, id?: string): Promise<{ ddl: Array<{ entityType: string }> }>;
  };
  const state = await api.reconstruct(files, files[head]!.id);
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
