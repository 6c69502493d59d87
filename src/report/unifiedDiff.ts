import { formatPatch, structuredPatch, type StructuredPatch } from 'diff';
import { relative } from 'node:path';

export interface FileChange {
  path: string;
  /** Undefined for a new file. */
  before: string | undefined;
  after: string;
}

/** A git-style unified diff of every change, paths relative to the project root. */
export function unifiedDiff(changes: FileChange[], root: string): string {
  return changes
    .map((change) => {
      const rel = relative(root, change.path).split('\\').join('/');
      const patch = formatPatch(patchOf(change, change.before === undefined ? '/dev/null' : `a/${rel}`, `b/${rel}`));
      // Drop the "Index:" / "====" preamble the patch format writes.
      return patch.replace(/^={3,}\n/m, '').replace(/^Index: .*\n/m, '');
    })
    .join('');
}

/** Lines the change adds and removes. */
export function changedLines(change: FileChange): { additions: number; deletions: number } {
  let additions = 0;
  let deletions = 0;
  for (const hunk of patchOf(change).hunks) {
    for (const line of hunk.lines) {
      if (line.startsWith('+')) additions++;
      else if (line.startsWith('-')) deletions++;
    }
  }
  return { additions, deletions };
}

/**
 * Each change's line diff, computed once: the review diff, the report's line
 * counts and its schema section all read the same one (a diff of a large file
 * with many changed lines takes seconds). The names only label it.
 */
const patches = new WeakMap<FileChange, StructuredPatch>();
function patchOf(change: FileChange, oldName = 'a', newName = 'b'): StructuredPatch {
  let patch = patches.get(change);
  if (!patch) {
    patch = structuredPatch(oldName, newName, change.before ?? '', change.after, undefined, undefined, { context: 3 });
    patches.set(change, patch);
  }
  return { ...patch, oldFileName: oldName, newFileName: newName };
}
