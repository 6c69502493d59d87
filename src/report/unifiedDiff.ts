import { createTwoFilesPatch } from 'diff';
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
      const patch = createTwoFilesPatch(
        change.before === undefined ? '/dev/null' : `a/${rel}`,
        `b/${rel}`,
        change.before ?? '',
        change.after,
        undefined,
        undefined,
        { context: 3 },
      );
      // Drop the "Index:" / "====" preamble createTwoFilesPatch writes.
      return patch.replace(/^={3,}\n/m, '').replace(/^Index: .*\n/m, '');
    })
    .join('');
}
