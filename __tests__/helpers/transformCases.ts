import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const TRANSFORMS_DIR = join(__dirname, '..', '..', 'fixtures', 'transforms');

/**
 * A fixture pair. Single-file: `<case>.input.ts` with `<case>.output.ts` (the
 * expected result) or `<case>.error.txt` (a fragment of the expected error).
 * Multi-file: `<case>/input/**` with `<case>/output/**` or `<case>/error.txt`.
 * The files to move are those whose first line is `// @reschema <args>`; the
 * args are the CLI's (`--to x --tables a,b`).
 */
export interface TransformCase {
  name: string;
  /** relative path -> content */
  input: Map<string, string>;
  expected?: Map<string, string>;
  expectedError?: string;
}

function readTree(dir: string, prefix = ''): Map<string, string> {
  const files = new Map<string, string>();
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) for (const [k, v] of readTree(path, `${prefix}${entry}/`)) files.set(k, v);
    else files.set(`${prefix}${entry}`, readFileSync(path, 'utf8'));
  }
  return files;
}

export function loadTransformCases(): TransformCase[] {
  const cases: TransformCase[] = [];
  for (const entry of readdirSync(TRANSFORMS_DIR).sort()) {
    const path = join(TRANSFORMS_DIR, entry);
    if (statSync(path).isDirectory()) {
      const errorFile = join(path, 'error.txt');
      cases.push({
        name: entry,
        input: readTree(join(path, 'input')),
        ...(existsSync(join(path, 'output')) ? { expected: readTree(join(path, 'output')) } : {}),
        ...(existsSync(errorFile) ? { expectedError: readFileSync(errorFile, 'utf8').trim() } : {}),
      });
      continue;
    }
    const match = /^(.*)\.input\.(tsx?|js)$/.exec(entry);
    if (!match) continue;
    const [, name, ext] = match as unknown as [string, string, string];
    const file = `schema.${ext}`;
    const outputPath = join(TRANSFORMS_DIR, `${name}.output.${ext}`);
    const errorPath = join(TRANSFORMS_DIR, `${name}.error.txt`);
    cases.push({
      name,
      input: new Map([[file, readFileSync(path, 'utf8')]]),
      ...(existsSync(outputPath) ? { expected: new Map([[file, readFileSync(outputPath, 'utf8')]]) } : {}),
      ...(existsSync(errorPath) ? { expectedError: readFileSync(errorPath, 'utf8').trim() } : {}),
    });
  }
  return cases;
}

/** `// @reschema --to x --tables a,b` -> { files, args } */
export function caseArguments(input: Map<string, string>): { files: string[]; args: string[] } {
  const files: string[] = [];
  let args: string[] = [];
  for (const [path, content] of input) {
    const first = content.replace(/^\ufeff/, '').split(/\r?\n/, 1)[0] ?? '';
    const match = /^\/\/ @reschema(.*)$/.exec(first);
    if (!match) continue;
    files.push(path);
    args = match[1]!.trim().split(/\s+/).filter(Boolean);
  }
  return { files, args };
}
