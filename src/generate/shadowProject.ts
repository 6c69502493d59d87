import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, isAbsolute, join, relative, sep } from 'node:path';
import { ConfigError } from '../errors';

/** Folders never copied into the shadow: dependencies, VCS data, build output. */
const NOT_COPIED = new Set(['node_modules', '.git', '.next', '.turbo', 'dist', 'build', 'coverage', '.cache']);
const NESTED_NOT_COPIED = new Set(['node_modules', '.git']);

/** Files of the folders above the project that decide how it loads: workspace manifests, base tsconfigs. */
const ANCESTOR_FILES = /^(package\.json|tsconfig(\..+)?\.json)$/;

/**
 * A throwaway copy of the project's sources in the system temp folder, with
 * the project's node_modules linked in. drizzle-kit runs there against the
 * rewritten schema files, so the user's tree is never written before the end.
 * Sources are copied rather than linked: Node resolves a linked module's
 * imports from its real path, which would load the old schema files.
 *
 * In a monorepo, packages resolve from every node_modules above the project
 * (drizzle-kit hoisted to the root, say), so the copy sits at the same depth
 * below a temp folder that mirrors those ancestors: each gets its
 * node_modules linked, and its manifest and tsconfigs (an `extends:
 * "../../tsconfig.base.json"`), as Node and drizzle-kit would find them.
 */
export class ShadowProject {
  /** The copy of the project. */
  readonly root: string;
  /** The temp folder standing for the topmost ancestor with a node_modules. */
  private readonly base: string;

  private constructor(
    readonly projectRoot: string,
    private readonly top: string,
  ) {
    this.base = claimShadowFolder();
    this.root = join(this.base, relative(top, projectRoot));
    process.once('SIGINT', this.onSignal);
    process.once('SIGTERM', this.onSignal);
  }

  /** Ctrl-C while drizzle-kit runs: remove the copy, then die of the signal as if never caught. */
  private readonly onSignal = (signal: NodeJS.Signals) => {
    this.dispose();
    process.kill(process.pid, signal);
  };

  /**
   * `beside`: folders of the workspace outside the project drizzle-kit reads
   * or writes (the migrations folder, another package a schema file is in),
   * copied at their place relative to the project, with their own
   * node_modules linked. Each must be below the topmost ancestor with a
   * node_modules (besideProject picks and checks them).
   */
  static create(projectRoot: string, beside: string[] = []): ShadowProject {
    const ancestors = foldersWithNodeModules(projectRoot);
    const shadow = new ShadowProject(projectRoot, ancestors.at(-1) ?? projectRoot);
    try {
      const outside = [...new Set(beside)].sort((a, b) => a.length - b.length);
      for (const [i, folder] of outside.entries()) {
        if (!existsSync(folder) || outside.slice(0, i).some((f) => isInside(folder, f))) continue;
        mkdirSync(dirname(shadow.map(folder)), { recursive: true });
        cpSync(folder, shadow.map(folder), { recursive: true, filter: (src) => !NESTED_NOT_COPIED.has(basename(src)) });
        if (existsSync(join(folder, 'node_modules'))) symlinkSync(join(folder, 'node_modules'), join(shadow.map(folder), 'node_modules'), 'dir');
      }
      mkdirSync(shadow.root, { recursive: true });
      for (const entry of readdirSync(projectRoot)) {
        if (NOT_COPIED.has(entry)) continue;
        cpSync(join(projectRoot, entry), join(shadow.root, entry), {
          recursive: true,
          // Below the top level only dependencies and VCS data are skipped: `src/build/` may hold schema files.
          filter: (src) => !NESTED_NOT_COPIED.has(basename(src)),
        });
      }
      for (let dir = dirname(projectRoot); ancestors.length > 0 && relative(shadow.top, dir).split(sep)[0] !== '..'; dir = dirname(dir)) {
        for (const entry of readdirSync(dir)) {
          if (ANCESTOR_FILES.test(entry)) symlinkSync(join(dir, entry), join(shadow.map(dir), entry));
        }
        if (dir === shadow.top) break;
      }
      for (const dir of ancestors) symlinkSync(join(dir, 'node_modules'), join(shadow.map(dir), 'node_modules'), 'dir');
    } catch (error) {
      shadow.dispose();
      throw error;
    }
    return shadow;
  }

  /** The shadow path of a project path. */
  map(path: string): string {
    return join(this.root, relative(this.projectRoot, path));
  }

  /** The project path of a shadow path. */
  unmap(path: string): string {
    return join(this.projectRoot, relative(this.root, path));
  }

  write(projectPath: string, content: string): void {
    writeFileSync(this.map(projectPath), content);
  }

  read(projectPath: string): string {
    return readFileSync(this.map(projectPath), 'utf8');
  }

  dispose(): void {
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
    rmSync(this.base, { recursive: true, force: true });
  }
}

/**
 * The same few temp folders, one per run at a time, rather than a new one per
 * run: drizzle-kit 1.0 loads the schema through jiti, whose transform cache
 * (in the project's node_modules/.cache/jiti) is keyed by each file's path
 * and checked against its content. At a path of its own every run missed it
 * (and left entries behind): drizzle-kit 1.0's generate took ~2.6 s instead of
 * ~1.6 s on the 000 fixture. A folder is claimed by creating it, so two runs
 * never share one; after SHADOW_SLOTS busy (or left by a killed run), a fresh one.
 */
const SHADOW_SLOTS = 4;

function claimShadowFolder(): string {
  for (let slot = 0; slot < SHADOW_SLOTS; slot++) {
    const folder = join(tmpdir(), `drizzle-reschema-shadow-${slot}`);
    try {
      mkdirSync(folder);
      return folder;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  return mkdtempSync(join(tmpdir(), 'drizzle-reschema-'));
}

/** The project's folder and those above it that hold a node_modules, nearest first, as Node searches them. */
function foldersWithNodeModules(from: string): string[] {
  const found: string[] = [];
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules');
    if (existsSync(candidate) && statSync(candidate).isDirectory()) found.push(dir);
    if (dirname(dir) === dir) return found;
  }
}

/** Whether `path` is `folder` or below it. */
function isInside(path: string, folder: string): boolean {
  const rel = relative(folder, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * The folder the shadow copies for `path`, a file or folder outside the
 * project that drizzle-kit reads or writes: `path` itself for a folder (the
 * migrations), the package a file is in (the nearest folder with a
 * package.json; its siblings are what it imports). It must be in the
 * workspace (below the topmost folder above the project with a node_modules,
 * where the shadow mirrors the layout) and must not hold the project.
 */
export function besideProject(path: string, root: string, what: string, kind: 'file' | 'folder'): string {
  let folder = kind === 'folder' ? path : dirname(path);
  if (kind === 'file') while (!existsSync(join(folder, 'package.json')) && dirname(folder) !== folder) folder = dirname(folder);
  const top = foldersWithNodeModules(root).at(-1) ?? root;
  if (!isInside(folder, top) || folder === top || isInside(root, folder)) {
    throw new ConfigError(
      `${what} (${path}) is outside the project (${root}) and not in a package of its workspace (${top}) drizzle-kit's copy can hold: run from a folder holding both, with a drizzle config there${kind === 'file' ? ', or pass --no-migration' : ''}`,
    );
  }
  return folder;
}

export function isInsideProject(path: string, root: string): boolean {
  return isInside(path, root) && path !== root;
}
