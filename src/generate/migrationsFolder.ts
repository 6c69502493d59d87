import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { ConfigError } from '../errors';
import { resolveDrizzleKit } from './drizzleKit';

export interface JournalEntry {
  idx: number;
  version: string;
  when: number;
  tag: string;
  breakpoints: boolean;
}

export interface Journal {
  version: string;
  dialect: string;
  entries: JournalEntry[];
}

/** A drizzle-kit postgres snapshot (version 7); only the parts this tool reads are typed. */
export interface PgSnapshot {
  id: string;
  prevId: string;
  version: string;
  dialect: string;
  tables: Record<string, SnapshotTable>;
  enums: Record<string, { name: string; schema: string; values: string[] }>;
  schemas: Record<string, string>;
  sequences: Record<string, { name: string; schema: string; [key: string]: unknown }>;
  views: Record<string, { name: string; schema: string; materialized?: boolean; [key: string]: unknown }>;
  [key: string]: unknown;
}

export interface SnapshotTable {
  name: string;
  schema: string;
  columns: Record<string, SnapshotColumn>;
  indexes: Record<string, { name: string; [key: string]: unknown }>;
  foreignKeys: Record<string, SnapshotForeignKey>;
  [key: string]: unknown;
}

export interface SnapshotColumn {
  name: string;
  type: string;
  typeSchema?: string;
  primaryKey: boolean;
  notNull: boolean;
  identity?: { name: string; schema: string; type: string; [key: string]: unknown };
  generated?: { as: string; type: string };
  [key: string]: unknown;
}

/** A column's type without its array dimensions (`color[]`, `int[3][3]`): the enum or base type it names. */
export const elementType = (column: Pick<SnapshotColumn, 'type'>): string => column.type.replace(/(\[\d*\])+$/, '');

export interface SnapshotForeignKey {
  name: string;
  tableFrom: string;
  tableTo: string;
  schemaTo?: string;
  columnsFrom: string[];
  columnsTo: string[];
  onDelete?: string;
  onUpdate?: string;
}

/** What the migrations folder says about the database as the last migration left it. */
export interface MigrationsState {
  out: string;
  journal: Journal;
  /**
   * The snapshot drizzle-kit diffs the schema against: the last of meta/'s
   * snapshots by file name (which is the head of the prevId chain when the
   * chain is whole).
   */
  head: { path: string; snapshot: PgSnapshot } | undefined;
  /** Every snapshot of meta/, checked, in file-name order. */
  snapshots: Array<{ path: string; snapshot: PgSnapshot }>;
  /** Each journal entry's snapshot (`<tag prefix>_snapshot.json`), by tag; entries without one are absent. */
  snapshotByTag: Map<string, { path: string; snapshot: PgSnapshot }>;
  /** What is odd about the folder but does not stop drizzle-kit (a broken prevId chain). */
  warnings: string[];
}

const SUPPORTED_SNAPSHOT_VERSION = '7';

function readJson<T>(path: string, root: string): T {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (error) {
    throw new ConfigError(`${relative(root, path)}: is not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
}

/** A migration folder in drizzle-kit 1.0's layout (`<YYYYMMDDHHMMSS>_<name>/migration.sql`, rc.5), if any. */
function kit10Migration(out: string): string | undefined {
  return existsSync(out) ? readdirSync(out).find((f) => /^\d{14}_.+$/.test(f) && existsSync(join(out, f, 'migration.sql'))) : undefined;
}

/** No migration of either drizzle-kit line yet: no journal, no 1.0 migration folder. */
export function hasNoMigrations(out: string): boolean {
  return !existsSync(join(out, 'meta', '_journal.json')) && kit10Migration(out) === undefined;
}

export function readMigrationsState(out: string, root: string): MigrationsState {
  const display = relative(root, out) || out;
  const journalPath = join(out, 'meta', '_journal.json');
  if (!existsSync(journalPath)) {
    const v1 = kit10Migration(out);
    if (v1) {
      // drizzle-kit 1.0's layout (checked on 1.0.0-rc.5): one folder per migration, no journal.
      const kit = resolveDrizzleKit(root);
      throw new ConfigError(
        kit.version.startsWith('0.')
          ? `${display}: is a drizzle-kit 1.0 migrations folder (${v1}/migration.sql, no meta/_journal.json) but the project's drizzle-kit is ${kit.version}; install drizzle-kit 1.0 in the project (\`drizzle-kit up\` converts 0.x folders to 1.0, not back)`
          : `${display}: is a drizzle-kit 1.0 migrations folder (${v1}/migration.sql), and this reads drizzle-kit 0.x journals only: read it through the project's adapter (kitAdapter.projectAdapter)`,
      );
    }
    throw new ConfigError(
      `${display}: no migrations yet (no meta/_journal.json), so nothing records where the objects live today; run drizzle-kit generate once to baseline, or pass --no-migration`,
    );
  }
  const journal = readJson<Journal>(journalPath, root);
  if (!journal || !Array.isArray(journal.entries)) {
    throw new ConfigError(`${relative(root, journalPath)}: has no entries array; it is not a drizzle-kit journal`);
  }
  // 'pg' is what drizzle-kit before 0.21 wrote; `drizzle-kit up` keeps it, and 0.31 reads and keeps it too (Dokploy's folder has it).
  if (journal.dialect !== 'postgresql' && journal.dialect !== 'pg') {
    throw new ConfigError(`${relative(root, journalPath)}: dialect '${journal.dialect}', expected 'postgresql'`);
  }
  for (const entry of journal.entries) {
    if (!existsSync(join(out, `${entry.tag}.sql`))) {
      throw new ConfigError(`${relative(root, journalPath)}: lists '${entry.tag}' but ${display}/${entry.tag}.sql is missing`);
    }
  }

  const metaDir = join(out, 'meta');
  // drizzle-kit 0.31 (prepareOutFolder) reads every file of meta/ not starting with `_` as a snapshot.
  const names = readdirSync(metaDir).filter((f) => !f.startsWith('_')).sort();
  const stray = names.find((f) => !f.endsWith('_snapshot.json'));
  if (stray !== undefined) {
    throw new ConfigError(
      `${relative(root, join(metaDir, stray))}: drizzle-kit reads every file of meta/ whose name does not start with _ as a snapshot, and this is not one; move it out of meta/`,
    );
  }
  const snapshots = names.map((f) => ({ path: join(metaDir, f), snapshot: readJson<PgSnapshot>(join(metaDir, f), root) }));
  for (const { path, snapshot } of snapshots) {
    if (snapshot.version !== SUPPORTED_SNAPSHOT_VERSION) {
      throw new ConfigError(
        `${relative(root, path)}: snapshot version ${snapshot.version} (this tool reads version ${SUPPORTED_SNAPSHOT_VERSION}, drizzle-kit 0.2x-0.31); it was written by another drizzle-kit`,
      );
    }
    if (!snapshot.tables || !snapshot.enums || typeof snapshot.id !== 'string') {
      throw new ConfigError(`${relative(root, path)}: is not a drizzle-kit snapshot`);
    }
  }
  if (snapshots.length > journal.entries.length) {
    throw new ConfigError(
      `${display}: the journal lists ${journal.entries.length} migrations but meta/ holds ${snapshots.length} snapshots`,
    );
  }
  const byFile = new Map(snapshots.map((s) => [basename(s.path), s]));
  const snapshotByTag = new Map<string, { path: string; snapshot: PgSnapshot }>();
  const warnings: string[] = [];
  for (const entry of journal.entries) {
    // drizzle-kit names an entry's snapshot after the tag's prefix (its `drop` command finds it so).
    const snapshot = byFile.get(`${entry.tag.split('_')[0]}_snapshot.json`);
    if (snapshot) snapshotByTag.set(entry.tag, snapshot);
    // A migration written by hand and added to the journal: drizzle-kit diffs against the last snapshot and never asks for this one's.
    else warnings.push(`${display}/${entry.tag}.sql has no snapshot (written by hand?): the schema after it is taken to be the one before it`);
  }
  // Without the newest entry's snapshot, drizzle-kit diffs against an older one and writes the changes since then again.
  const last = journal.entries.at(-1);
  if (last && !snapshotByTag.has(last.tag)) {
    throw new ConfigError(
      `${display}: the journal's newest migration, ${last.tag}, has no snapshot (meta/${last.tag.split('_')[0]}_snapshot.json): drizzle-kit would diff against an older one and write what came since again; restore it, or record the schema after it with drizzle-kit generate --custom`,
    );
  }
  return { out, journal, head: snapshots.at(-1), snapshots, snapshotByTag, warnings: [...warnings, ...chainWarnings(snapshots, display)] };
}

/**
 * drizzle-kit 0.31 diffs against the last snapshot by file name
 * (preparePrevSnapshot) and checks the prevId links only for a collision: two
 * snapshots naming the same parent stop its `generate` (validateWithReport).
 * That is refused here too. Any other break (a parent that is not in meta/, a
 * chain with dead ends, a last file that is not the chain's head) is what
 * upstream folders often have after a hand-edit or a merge: drizzle-kit
 * carries on, and so does this tool, with one warning.
 */
function chainWarnings(snapshots: Array<{ path: string; snapshot: PgSnapshot }>, display: string): string[] {
  if (snapshots.length === 0) return [];
  const name = (s: { path: string }) => `meta/${basename(s.path)}`;
  const children = new Map<string, Array<{ path: string }>>();
  for (const s of snapshots) children.set(s.snapshot.prevId, [...(children.get(s.snapshot.prevId) ?? []), s]);
  for (const [prevId, siblings] of children) {
    if (siblings.length > 1) {
      throw new ConfigError(
        `${display}: ${siblings.map(name).join(' and ')} have the same prevId ${prevId}: the folder has diverged (a merge?), and drizzle-kit refuses it too; remove one of the branches (drizzle-kit drop) and generate again`,
      );
    }
  }
  const ids = new Set(snapshots.map((s) => s.snapshot.id));
  // The first snapshot's parent is drizzle-kit's empty one (an all-zero id, or "" from introspect).
  const orphans = snapshots.slice(1).filter((s) => !ids.has(s.snapshot.prevId));
  const deadEnds = snapshots.slice(0, -1).filter((s) => !children.has(s.snapshot.id));
  if (orphans.length === 0 && deadEnds.length === 0) return [];
  const breaks = [
    ...(orphans.length > 0 ? [`${orphans.map(name).join(', ')} ${orphans.length > 1 ? 'name parents' : 'names a parent'} not in meta/`] : []),
    ...(deadEnds.length > 0 ? [`${deadEnds.map(name).join(', ')} ${deadEnds.length > 1 ? 'have' : 'has'} no child`] : []),
  ];
  return [
    `${display}: the snapshots' prevId chain is broken (${breaks.join('; ')}); like drizzle-kit, this tool takes the last snapshot by file name, ${name(snapshots.at(-1)!)}, as the schema the database has`,
  ];
}
