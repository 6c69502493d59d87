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
