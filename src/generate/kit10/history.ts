import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ConfigError } from '../../errors';
import type { DrizzleKit } from '../drizzleKit';
import type { PgSnapshot } from '../migrationsFolder';
import { snapshotFromDdl, type KitSchemaState } from './ddlSnapshot';
import { migrationFolders } from './folder';

interface KitPostgresApi {
  reconstruct(files: Record<string, unknown>, id?: string): Promise<KitSchemaState>;
}

const apis = new Map<string, KitPostgresApi>();

/** `drizzle-kit/api-postgres` of the project's own drizzle-kit, loaded once per run (it takes ~0.4 s). */
function postgresApi(kit: DrizzleKit): KitPostgresApi {
  const path = join(dirname(kit.bin), 'api-postgres.js');
  let api = apis.get(path);
  if (!api) {
    api = require(path) as KitPostgresApi;
    apis.set(path, api);
  }
  return api;
}

/** One migration folder with the schema as it stands after it, rebuilt by drizzle-kit and in 0.x's shape. */
export interface ReconstructedMigration {
  tag: string;
  /** drizzle-kit's own state (the views keeper compares its rows). */
  state: KitSchemaState;
  snapshot: PgSnapshot;
}

/** Each folder's snapshot.json up to `lastTag`, by folder name, as `reconstruct()` takes them (read now, rebuilt later). */
export type SnapshotFiles = Record<string, { id: string }>;

export function readSnapshotFiles(out: string, lastTag: string): SnapshotFiles {
  const files: SnapshotFiles = {};
  for (const folder of migrationFolders(out)) {
    if (folder <= lastTag) files[folder] = JSON.parse(readFileSync(join(out, folder, 'snapshot.json'), 'utf8')) as { id: string };
  }
  return files;
}

/**
 * The schema after each of `tags`, as drizzle-kit 1.0's `reconstruct()`
 * rebuilds it from the snapshot chain (rc.5: snapshots after the first are
 * diffs, so no single file holds the schema). One call per folder over the
 * same files: each rebuilds along its own prevIds. `display` names a folder's
 * snapshot in messages.
 */
export async function reconstructMigrations(
  kit: DrizzleKit,
  files: SnapshotFiles,
  tags: string[],
  display: (tag: string) => string,
): Promise<ReconstructedMigration[]> {
  if (tags.length === 0) return [];
  const api = postgresApi(kit);
  const rebuilt: ReconstructedMigration[] = [];
  for (const tag of tags) {
    let state: KitSchemaState;
    try {
      state = await api.reconstruct(files, files[tag]!.id);
    } catch (error) {
      throw new ConfigError(`${display(tag)}: drizzle-kit ${kit.version} cannot rebuild the schema from the snapshots up to it: ${error instanceof Error ? error.message : String(error)}`);
    }
    rebuilt.push({ tag, state, snapshot: snapshotFromDdl(state) });
  }
  return rebuilt;
}
