import { readdirSync, type Dirent } from 'node:fs';
import { join } from 'node:path';

export interface WalkFilter {
  /** Whether to walk into this folder. */
  enter(entry: Dirent, path: string): boolean;
  /** Whether to list this file. */
  keep(entry: Dirent, path: string): boolean;
}

/**
 * The files under `dir`, depth first in directory order: the folders `enter`
 * accepts are walked, the files `keep` accepts are listed. Symbolic links are
 * neither (a link can lead out of the project, or in a circle); a folder that
 * cannot be read is skipped.
 */
export function* walkFiles(dir: string, filter: WalkFilter): Generator<string> {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (filter.enter(entry, path)) yield* walkFiles(path, filter);
    } else if (entry.isFile() && filter.keep(entry, path)) {
      yield path;
    }
  }
}
