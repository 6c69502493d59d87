import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';

export const REPO_ROOT = join(__dirname, '..', '..');
export const PROJECTS_DIR = join(REPO_ROOT, 'fixtures', 'projects');
export const REALWORLD_DIR = join(REPO_ROOT, 'fixtures', 'realworld');

/** A temp copy of a fixture project (never the fixture itself), with the repo's node_modules linked in. */
export function copyFixtureProject(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `reschema-${name}-`));
  cpSync(join(PROJECTS_DIR, name), dir, { recursive: true });
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

/** The same for a project of the real-world corpus (`fixtures/realworld/<name>`). */
export function copyRealworldProject(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `reschema-rw-${name}-`));
  cpSync(join(REALWORLD_DIR, name), dir, { recursive: true });
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

export function writeTempTree(files: Map<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'reschema-case-'));
  for (const [path, content] of files) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

/**
 * For a test file: temp folders handed to the returned function are removed
 * after each test. It returns the folder, so `track(copyFixtureProject(...))`.
 */
export function removedAfterEach(): (dir: string) => string {
  const temps: string[] = [];
  afterEach(() => {
    for (const dir of temps.splice(0)) removeTemp(dir);
  });
  return (dir) => {
    temps.push(dir);
    return dir;
  };
}

export function removeTemp(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Every file under dir (node_modules excluded) -> sha256, to prove a tree is byte-identical. */
export function hashTree(dir: string): Map<string, string> {
  const hashes = new Map<string, string>();
  const walk = (current: string) => {
    for (const entry of readdirSync(current)) {
      if (entry === 'node_modules') continue;
      const path = join(current, entry);
      if (statSync(path).isDirectory()) walk(path);
      else hashes.set(relative(dir, path), createHash('sha256').update(readFileSync(path)).digest('hex'));
    }
  };
  walk(dir);
  return hashes;
}

export function readTree(dir: string, paths: Iterable<string>): Map<string, string> {
  return new Map([...paths].map((p) => [p, readFileSync(join(dir, p), 'utf8')]));
}
