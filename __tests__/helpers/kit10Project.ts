import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PROJECTS_DIR, REPO_ROOT } from './tempProject';

const REPO_MODULES = join(REPO_ROOT, 'node_modules');
/** The 1.0 toolchain installed beside 0.31 as npm aliases (package.json devDependencies). */
const KIT_V1 = join(REPO_MODULES, 'drizzle-kit-v1');
const ORM_V1 = join(REPO_MODULES, 'drizzle-orm-v1');

/**
 * A node_modules where `drizzle-kit` and `drizzle-orm` are the 1.0 line and
 * everything else is the repo's, built once per machine and shared. drizzle-kit
 * is a real copy, not a link: Node resolves a linked package's own imports
 * from its real path, so a linked drizzle-kit-v1 would load the repo's
 * drizzle-orm 0.45 instead of 1.0.
 */
export function kit10NodeModules(): string {
  // Named node_modules: the copied drizzle-kit finds drizzle-orm by walking up to it. One per
  // checkout: its links point into this checkout's node_modules, which another may outlive.
  const checkout = createHash('sha256').update(REPO_ROOT).digest('hex').slice(0, 12);
  const target = join(tmpdir(), `reschema-kit10-1.0.0-rc.5-${checkout}`, 'node_modules');
  if (existsSync(target)) return target;
  mkdirSync(dirname(target), { recursive: true });
  const building = mkdtempSync(`${target}.building-`);
  for (const entry of readdirSync(REPO_MODULES)) {
    if (entry === 'drizzle-kit' || entry === 'drizzle-orm' || entry === '.bin') continue;
    symlinkSync(join(REPO_MODULES, entry), join(building, entry));
  }
  cpSync(KIT_V1, join(building, 'drizzle-kit'), { recursive: true });
  symlinkSync(ORM_V1, join(building, 'drizzle-orm'), 'dir');
  try {
    renameSync(building, target);
  } catch {
    // Another test process built it first.
    rmSync(building, { recursive: true, force: true });
  }
  return target;
}

/** A temp copy of a `*-v1` fixture project, with drizzle-kit and drizzle-orm 1.0 in its node_modules. */
export function copyKit10Project(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `reschema-${name}-`));
  cpSync(join(PROJECTS_DIR, name), dir, { recursive: true });
  symlinkSync(kit10NodeModules(), join(dir, 'node_modules'), 'dir');
  return dir;
}

/** A project copied for 0.31 (copyFixtureProject) switched to drizzle-kit and drizzle-orm 1.0, as a team upgrading does. */
export function useKit10(dir: string): void {
  rmSync(join(dir, 'node_modules'), { force: true });
  symlinkSync(kit10NodeModules(), join(dir, 'node_modules'), 'dir');
}

/** The drizzle-kit 1.0 CLI as the test projects resolve it. */
export function kit10Bin(): string {
  return join(kit10NodeModules(), 'drizzle-kit', 'bin.cjs');
}
