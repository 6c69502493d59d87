import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
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
  /** The newest snapshot: the head of the prevId chain. */
  head: { path: string; snapshot: PgSnapshot } | undefined;
  /** Every snapshot of meta/, checked, in no particular order. */
  snapshots: Array<{ path: string; snapshot: PgSnapshot }>;
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
          : `${display}: is a drizzle-kit 1.0 migrations folder (${v1}/migration.sql); verify, --check and preflight read only drizzle-kit 0.x folders so far (move --no-verify works; \`drizzle-kit up\` has no way back)`,
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
  if (journal.dialect !== 'postgresql') {
    throw new ConfigError(`${relative(root, journalPath)}: dialect '${journal.dialect}', expected 'postgresql'`);
  }
  for (const entry of journal.entries) {
    if (!existsSync(join(out, `${entry.tag}.sql`))) {
      throw new ConfigError(`${relative(root, journalPath)}: lists '${entry.tag}' but ${display}/${entry.tag}.sql is missing`);
    }
  }

  const metaDir = join(out, 'meta');
  const snapshots = readdirSync(metaDir)
    .filter((f) => f.endsWith('_snapshot.json'))
    .map((f) => ({ path: join(metaDir, f), snapshot: readJson<PgSnapshot>(join(metaDir, f), root) }));
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
  if (snapshots.length !== journal.entries.length) {
    throw new ConfigError(
      `${display}: the journal lists ${journal.entries.length} migrations but meta/ holds ${snapshots.length} snapshots`,
    );
  }
  const parents = new Set(snapshots.map((s) => s.snapshot.prevId));
  const heads = snapshots.filter((s) => !parents.has(s.snapshot.id));
  if (snapshots.length > 0 && heads.length !== 1) {
    throw new ConfigError(`${display}: the snapshots' prevId chain has ${heads.length} heads; the folder has diverged (a merge?)`);
  }
  return { out, journal, head: heads[0], snapshots };
}
