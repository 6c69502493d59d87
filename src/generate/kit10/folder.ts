import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ConfigError } from '../../errors';

/**
 * drizzle-kit 1.0's migrations folder, checked on 1.0.0-rc.5: no journal; one
 * folder `<YYYYMMDDHHMMSS>_<name>/` per migration holding `migration.sql` and
 * `snapshot.json`. Snapshots are version 9 (rc.4 wrote version 8): the first
 * is a base, each later one a diff (`deltas`) against its `prevIds`.
 */
export const MIGRATION_FOLDER = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})_.+$/;
const SNAPSHOT_VERSION = '9';

export interface Kit10Migration {
  /** The folder's name, which drizzle-orm 1.0's migrator records. */
  tag: string;
  /** Relative to the migrations folder. */
  sqlFile: string;
  snapshotFile: string;
  /** The folder's timestamp (UTC), in ms. */
  when: number;
}

export function migrationFolders(out: string): string[] {
  if (!existsSync(out)) return [];
  return readdirSync(out, { withFileTypes: true })
    .filter((e) => e.isDirectory() && MIGRATION_FOLDER.test(e.name) && existsSync(join(out, e.name, 'migration.sql')))
    .map((e) => e.name)
    .sort();
}

export function folderTime(tag: string): number {
  const [, y, mo, d, h, mi, s] = MIGRATION_FOLDER.exec(tag)!.map(Number);
  return Date.UTC(y!, mo! - 1, d!, h!, mi!, s!);
}

/** The project's migrations, oldest first; a ConfigError naming the fix when the folder is not 1.0's. */
export function readKit10Folder(out: string, root: string, kitVersion: string): Kit10Migration[] {
  const display = relative(root, out) || out;
  if (existsSync(join(out, 'meta', '_journal.json'))) {
    throw new ConfigError(
      `${display}: is a drizzle-kit 0.x migrations folder (meta/_journal.json) but the project's drizzle-kit is ${kitVersion}; run \`npx drizzle-kit up\` to convert it to the 1.0 layout first`,
    );
  }
  const tags = migrationFolders(out);
  if (tags.length === 0) {
    throw new ConfigError(
      `${display}: no migrations yet (no <YYYYMMDDHHMMSS>_<name>/migration.sql), so nothing records where the objects live today; run drizzle-kit generate once to baseline, or pass --no-migration`,
    );
  }
  return tags.map((tag) => {
    const snapshotFile = `${tag}/snapshot.json`;
    const path = join(out, snapshotFile);
    if (!existsSync(path)) throw new ConfigError(`${display}/${tag}: has migration.sql but no snapshot.json`);
    let version: unknown;
    try {
      version = (JSON.parse(readFileSync(path, 'utf8')) as { version?: unknown }).version;
    } catch (error) {
      throw new ConfigError(`${display}/${snapshotFile}: is not valid JSON (${error instanceof Error ? error.message : String(error)})`);
    }
    if (version !== SNAPSHOT_VERSION) {
      throw new ConfigError(
        `${display}/${snapshotFile}: snapshot version ${String(version)}, but drizzle-kit ${kitVersion} writes version ${SNAPSHOT_VERSION}; run \`npx drizzle-kit up\` to upgrade the folder`,
      );
    }
    return { tag, sqlFile: `${tag}/migration.sql`, snapshotFile, when: folderTime(tag) };
  });
}
