import { dirname } from 'node:path';
import type { FileEdit } from './rewriteSchemaFiles';

type Prettier = typeof import('prettier');

/**
 * Formats touched files with the project's own prettier config. A file is only
 * formatted when it was already formatted before the move: otherwise prettier
 * would rewrite lines the move does not concern.
 */
export async function formatFiles(edits: FileEdit[]): Promise<{ edits: FileEdit[]; formatted: string[] }> {
  if (edits.length === 0) return { edits, formatted: [] };
  // prettier 3 ships a CommonJS entry with the same async API.
  const prettier = require('prettier') as Prettier;
  const formatted: string[] = [];
  const out: FileEdit[] = [];
  // One config lookup per folder: each lookup walks up the tree (~180 stat calls).
  const configByDir = new Map<string, Promise<string | null>>();
  const configFor = (path: string) => {
    const dir = dirname(path);
    if (!configByDir.has(dir)) configByDir.set(dir, prettier.resolveConfigFile(path));
    return configByDir.get(dir)!;
  };
  await Promise.all(edits.map((e) => configFor(e.path)));
  for (const edit of edits) {
    const configFile = await configFor(edit.path);
    if (!configFile) {
      out.push(edit);
      continue;
    }
    const config = (await prettier.resolveConfig(edit.path, { config: configFile, editorconfig: true })) ?? {};
    const options = { ...config, filepath: edit.path };
    const bom = edit.before.startsWith('\ufeff');
    const strip = (s: string) => (bom ? s.slice(1) : s);
    const crlf = strip(edit.before).includes('\r\n');
    // prettier's endOfLine defaults to lf: keep the file's own line endings.
    const eolOptions = { ...options, endOfLine: crlf ? ('crlf' as const) : ('lf' as const) };
    if (!(await prettier.check(strip(edit.before), eolOptions))) {
      out.push(edit);
      continue;
    }
    const after = await prettier.format(strip(edit.after), eolOptions);
    formatted.push(edit.path);
    out.push({ ...edit, after: bom ? `\ufeff${after}` : after });
  }
  return { edits: out, formatted };
}
