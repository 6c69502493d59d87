/**
 * The adversarial corpus: every folder under fixtures/bad/ is one case, a
 * small project tree plus a case.json saying what the tool is given and what
 * must come out (see fixtures/bad/README.md). Adding a case adds no code.
 *
 * Each case runs the CLI's `run()` in-process (the same parser, pipeline and
 * one-line error printing as bin/drizzle-reschema.js, without a node start
 * per case), or spawns bin/drizzle-reschema.js when case.json says `"spawn":
 * true` (build first). In every case the tree (contents, modes, symlinks) is
 * byte-identical afterwards and no temporary file is left in it.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { run } from '../src/cli';
import { PROJECTS_DIR, REPO_ROOT } from './helpers/tempProject';

const BAD_DIR = join(REPO_ROOT, 'fixtures', 'bad');
const CLI = join(REPO_ROOT, 'bin', 'drizzle-reschema.js');

type SetupStep =
  | { chmod: { path: string; mode: string } }
  | { symlink: { path: string; target: string } }
  | { generate: { path: string; tables: number } }
  | { remove: string }
  | { write: { path: string; content: string } }
  | { replace: { path: string; from: string; to: string } }
  | { crlf: string }
  | { bom: string };

interface BadCase {
  description: string;
  /** A project under fixtures/projects to start from; the case's tree/ is laid over it. */
  base?: string;
  /** CLI arguments; `--cwd <temp dir>` is appended. */
  args: string[];
  setup?: SetupStep[];
  /** Spawn bin/drizzle-reschema.js instead of calling run() in-process. */
  spawn?: boolean;
  exit: 0 | 1 | 2;
  /** For exit 2: fragments the one-line `drizzle-reschema: ...` message must contain (file, line, object). */
  message?: string[];
  /** ... or a regular expression it must match. */
  messageRegex?: string;
  /** For legitimate inputs: fragments stdout (the diff) and stderr (the summary) must contain. */
  stdout?: string[];
  stderr?: string[];
  /** Fragments the output must not contain. */
  notStdout?: string[];
}

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

function loadCases(): { name: string; dir: string; spec: BadCase }[] {
  return readdirSync(BAD_DIR)
    .filter((name) => existsSync(join(BAD_DIR, name, 'case.json')))
    .sort()
    .map((name) => ({ name, dir: join(BAD_DIR, name), spec: JSON.parse(readFileSync(join(BAD_DIR, name, 'case.json'), 'utf8')) as BadCase }));
}

/** A generated schema file of `tables` tables (a "huge generated file"). */
function generatedSchema(tables: number): string {
  const lines = ["import { integer, pgTable, serial, text, timestamp } from 'drizzle-orm/pg-core';", ''];
  for (let i = 0; i < tables; i++) {
    lines.push(
      `export const generated${i} = pgTable('generated_${i}', {`,
      `  id: serial('id').primaryKey(),`,
      `  name: text('name').notNull(),`,
      `  parentId: integer('parent_id'),`,
      `  createdAt: timestamp('created_at').defaultNow(),`,
      '});',
      '',
    );
  }
  return lines.join('\n');
}

function applySetup(root: string, steps: SetupStep[]): void {
  for (const step of steps) {
    if ('chmod' in step) chmodSync(join(root, step.chmod.path), parseInt(step.chmod.mode, 8));
    else if ('symlink' in step) {
      mkdirSync(dirname(join(root, step.symlink.path)), { recursive: true });
      symlinkSync(step.symlink.target, join(root, step.symlink.path));
    } else if ('generate' in step) {
      mkdirSync(dirname(join(root, step.generate.path)), { recursive: true });
      writeFileSync(join(root, step.generate.path), generatedSchema(step.generate.tables));
    } else if ('remove' in step) rmSync(join(root, step.remove), { recursive: true, force: true });
    else if ('write' in step) {
      mkdirSync(dirname(join(root, step.write.path)), { recursive: true });
      writeFileSync(join(root, step.write.path), step.write.content);
    } else if ('replace' in step) {
      const path = join(root, step.replace.path);
      const text = readFileSync(path, 'utf8');
      if (!text.includes(step.replace.from)) throw new Error(`setup: '${step.replace.from}' not in ${step.replace.path}`);
      writeFileSync(path, text.replace(step.replace.from, step.replace.to));
    } else if ('crlf' in step) {
      const path = join(root, step.crlf);
      writeFileSync(path, readFileSync(path, 'utf8').replace(/\r?\n/g, '\r\n'));
    } else if ('bom' in step) {
      const path = join(root, step.bom);
      writeFileSync(path, `\ufeff${readFileSync(path, 'utf8')}`);
    } else throw new Error(`unknown setup step ${JSON.stringify(step)}`);
  }
}

/** Path -> kind, mode and content hash (or link target), node_modules excluded: byte-identical means equal. */
function fingerprintTree(root: string): Map<string, string> {
  const entries = new Map<string, string>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      if (name === 'node_modules') continue;
      const path = join(dir, name);
      const stat = lstatSync(path);
      const rel = relative(root, path);
      const mode = (stat.mode & 0o7777).toString(8);
      if (stat.isSymbolicLink()) entries.set(rel, `link ${readlinkSync(path)}`);
      else if (stat.isDirectory()) {
        entries.set(rel, `dir ${mode}`);
        walk(path);
      } else entries.set(rel, `file ${mode} ${createHash('sha256').update(readFileSync(path)).digest('hex')}`);
    }
  };
  walk(root);
  return entries;
}

function prepare(dir: string, spec: BadCase): string {
  const root = mkdtempSync(join(tmpdir(), 'reschema-bad-'));
  if (spec.base) cpSync(join(PROJECTS_DIR, spec.base), root, { recursive: true });
  if (existsSync(join(dir, 'tree'))) cpSync(join(dir, 'tree'), root, { recursive: true });
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(root, 'node_modules'), 'dir');
  applySetup(root, spec.setup ?? []);
  return root;
}

async function runInProcess(argv: string[]): Promise<Outcome> {
  let stdout = '';
  let stderr = '';
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  const err = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  const previous = process.exitCode;
  process.exitCode = undefined;
  try {
    await run(argv);
    return { code: Number(process.exitCode ?? 0), stdout, stderr };
  } finally {
    process.exitCode = previous;
    out.mockRestore();
    err.mockRestore();
  }
}

function runSpawned(argv: string[], cwd: string): Outcome {
  const child = spawnSync(process.execPath, [CLI, ...argv], {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CI: 'true', NO_COLOR: '1' },
  });
  return { code: child.status ?? -1, stdout: child.stdout, stderr: child.stderr };
}

const cases = loadCases();

it('the corpus holds at least 40 cases', () => {
  expect(cases.length).toBeGreaterThanOrEqual(40);
});

describe.each(cases.map((c) => [c.name, c] as const))('%s', (_name, { dir, spec }) => {
  let root: string;
  beforeEach(() => {
    root = prepare(dir, spec);
  });
  afterEach(() => {
    // Undo read-only modes so the temp folder can be removed.
    for (const step of spec.setup ?? []) if ('chmod' in step) chmodSync(join(root, step.chmod.path), 0o755);
    rmSync(root, { recursive: true, force: true });
  });

  it(`${spec.description} -> exit ${spec.exit}, tree byte-identical`, async () => {
    const before = fingerprintTree(root);
    const argv = [...spec.args, '--cwd', root];
    const outcome = spec.spawn ? runSpawned(argv, root) : await runInProcess(argv);

    expect({ code: outcome.code, stderr: outcome.stderr }).toEqual({ code: spec.exit, stderr: expect.any(String) });
    // Known failures print no stack trace, whatever the exit code.
    expect(outcome.stderr).not.toMatch(/^\s+at /m);
    expect(outcome.stderr).not.toContain('unexpected error');
    if (spec.exit !== 0) {
      const [first, ...rest] = outcome.stderr.trimEnd().split('\n');
      expect(first).toMatch(/^drizzle-reschema: /);
      // One line; a usage error may add the pointer to --help.
      expect(rest.filter((l) => !l.startsWith("Run 'drizzle-reschema --help'"))).toEqual([]);
      for (const fragment of spec.message ?? []) expect(first).toContain(fragment);
      if (spec.messageRegex) expect(first).toMatch(new RegExp(spec.messageRegex));
    }
    for (const fragment of spec.stdout ?? []) expect(outcome.stdout).toContain(fragment);
    for (const fragment of spec.stderr ?? []) expect(outcome.stderr).toContain(fragment);
    for (const fragment of spec.notStdout ?? []) expect(outcome.stdout).not.toContain(fragment);

    const after = fingerprintTree(root);
    expect([...after.keys()].filter((p) => /\.tmp$|\.reschema-|drizzle-reschema-/.test(p))).toEqual([]);
    expect(after).toEqual(before);
  });
});
