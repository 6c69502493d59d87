import { spawnSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import ts from 'typescript';
import { loadTransformCases } from './helpers/transformCases';
import { REPO_ROOT, removeTemp, writeTempTree } from './helpers/tempProject';

/**
 * The expected outputs must also run, not only type-check: tsc accepts a
 * pgSchema used above its `const` line, or read through an import cycle, and
 * both throw while the schema files load (drizzle-kit included). Each case's
 * files, after the move, are compiled to CommonJS and each one is loaded
 * first in a fresh module registry, so that every entry order is tried.
 *
 * Cases whose imports need tsconfig `paths` are left to the type-checker.
 */

const cases = loadTransformCases().filter(
  (c) => c.expected !== undefined && ![...c.input.values()].some((text) => text.includes('"paths"')),
);

/** Runs in a child process: loads every file of every case, one entry at a time. */
const LOADER = `
const { readdirSync } = require('node:fs');
const { join } = require('node:path');
const root = process.env.RESCHEMA_LOAD_ROOT;
const results = {};
for (const name of readdirSync(root)) {
  if (name === 'node_modules') continue;
  const caseDir = join(root, name);
  const files = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (path.endsWith('.js')) files.push(path);
    }
  };
  walk(caseDir);
  results[name] = [];
  for (const file of files) {
    for (const key of Object.keys(require.cache)) if (key.startsWith(caseDir)) delete require.cache[key];
    try {
      require(file);
    } catch (error) {
      results[name].push(file.slice(caseDir.length + 1) + ': ' + String(error && error.message).split('\\n')[0]);
    }
  }
}
process.stdout.write(JSON.stringify(results));
`;

let root: string;
let failures: Record<string, string[]>;

beforeAll(() => {
  root = writeTempTree(new Map());
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(root, 'node_modules'), 'dir');
  for (const testCase of cases) {
    const files = new Map([...testCase.input, ...testCase.expected!]);
    for (const [path, text] of files) {
      if (!/\.[cm]?[tj]s$/.test(path)) continue;
      const { outputText } = ts.transpileModule(text, {
        // `./users.ts` specifiers (cases that import with .ts) load as the compiled `./users.js`.
        compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true, rewriteRelativeImportExtensions: true },
        fileName: path,
      });
      const out = join(root, testCase.name, path.replace(/\.[cm]?ts$/, '.js'));
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, outputText);
    }
  }
  const run = spawnSync(process.execPath, ['-e', LOADER], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, RESCHEMA_LOAD_ROOT: root },
  });
  if (run.status !== 0) throw new Error(`loader failed: ${run.stderr}`);
  failures = JSON.parse(run.stdout) as Record<string, string[]>;
});

afterAll(() => removeTemp(root));

it('finds cases to load', () => {
  expect(cases.length).toBeGreaterThan(10);
});

it.each(cases.map((c) => [c.name]))('the expected output of %s loads in any order', (name) => {
  expect(failures[name]).toEqual([]);
});
