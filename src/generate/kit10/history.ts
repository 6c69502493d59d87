import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
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

/**
 * The schema after each of `tags` (folders of `out`), as drizzle-kit 1.0's
 * `reconstruct()` rebuilds it from the snapshot chain (rc.5: snapshots after
 * the first are diffs, so no single file holds the schema). One call per
 * folder over the same files: each rebuilds along its own prevIds.
 */
export async function reconstructMigrations(kit: DrizzleKit, out: string, tags: string[], root: string): Promise<ReconstructedMigration[]> {
  if (tags.length === 0) return [];
  const files: Record<string, { id: string }> = {};
  for (const folder of migrationFolders(out)) {
    if (folder > tags.at(-1)!) continue;
    files[folder] = JSON.parse(readFileSync(join(out, folder, 'snapshot.json'), 'utf8')) as { id: string };
  }
  const api = postgresApi(kit);
  const rebuilt: ReconstructedMigration[] = [];
  for (const tag of tags) {
    let state: KitSchemaState;
    try {
      state = await api.reconstruct(files, files[tag]!.id);
    } catch (error) {
      throw new ConfigError(`${relative(root, join(out, tag, 'snapshot.json'))}: drizzle-kit ${kit.version} cannot rebuild the schema from the snapshots up to it: ${error instanceof Error ? error.message : String(error)}`);
    }
    rebuilt.push({ tag, state, snapshot: snapshotFromDdl(state) });
  }
  return rebuilt;
}
