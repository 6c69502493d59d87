import type { Span } from '../plan/types';

/** A replacement of `text.slice(start, end)`; an insertion when start === end. */
export interface TextEdit {
  start: number;
  end: number;
  text: string;
}

/**
 * Applies all edits in one pass (edits at the same offset keep their order).
 * One string build per file is what keeps the rewrite linear: a ts-morph
 * `replaceWithText` per call re-parses the file each time.
 */
export function applyTextEdits(text: string, edits: TextEdit[]): string {
  const ordered = edits.map((edit, order) => ({ edit, order })).sort((a, b) => a.edit.start - b.edit.start || a.order - b.order);
  let out = '';
  let cursor = 0;
  for (const { edit } of ordered) {
    if (edit.start < cursor) {
      throw new Error(`overlapping edits at offset ${edit.start} (internal error)`);
    }
    out += text.slice(cursor, edit.start) + edit.text;
    cursor = edit.end;
  }
  return out + text.slice(cursor);
}

/**
 * The runs of consecutive statements (sorted spans of `text`) that no edit
 * touches, each from its first statement's start to its last one's end. An
 * edit touching a statement's edge (an insertion right after it, say) counts
 * as touching it.
 */
export function untouchedRuns(text: string, statements: Span[], edits: TextEdit[]): string[] {
  const touched = new Array<boolean>(statements.length).fill(false);
  for (const edit of edits) {
    // The first statement that ends at or after the edit's start.
    let low = 0;
    let high = statements.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (statements[middle]!.end < edit.start) low = middle + 1;
      else high = middle;
    }
    for (let i = low; i < statements.length && statements[i]!.start <= edit.end; i++) touched[i] = true;
  }
  const runs: string[] = [];
  let run: Span | undefined;
  statements.forEach((statement, i) => {
    if (touched[i]) {
      if (run) runs.push(text.slice(run.start, run.end));
      run = undefined;
    } else if (run) run.end = statement.end;
    else run = { ...statement };
  });
  if (run) runs.push(text.slice(run.start, run.end));
  return runs;
}
