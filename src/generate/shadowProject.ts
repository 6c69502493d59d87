import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { ConfigError } from '../errors';

/** Folders never copied into the shadow: dependencies, VCS data, build output. */
const NOT_COPIED = new Set(['node_modules', '.git', '.next', '.turbo', 'dist', 'build', 'coverage', '.cache']);
const NESTED_NOT_COPIED = new Set(['node_modules', '.git']);

/**
 * A throwaway copy of the project's sources in the system temp folder, with
 * the project's node_modules linked in. drizzle-kit runs there against the
 * rewritten schema files, so the user's tree is never written before the end.
 * Sources are copied rather than linked: Node resolves a linked module's
 * imports from its real path, which would load the old schema files.
 */
export class ShadowProject {
  readonly root: string;

  private constructor(readonly projectRoot: string) {
    this.root = mkdtempSync(join(tmpdir(), 'drizzle-reschema-'));
    process.once('SIGINT', this.onSignal);
    process.once('SIGTERM', this.onSignal);
  }

  /** Ctrl-C while drizzle-kit runs: remove the copy, then die of the signal as if never caught. */
  private readonly onSignal = (signal: NodeJS.Signals) => {
    this.dispose();
    process.kill(process.pid, signal);
  };

  static create(projectRoot: string): ShadowProject {
    const shadow = new ShadowProject(projectRoot);
    try {
      for (const entry of readdirSync(projectRoot)) {
        if (NOT_COPIED.has(entry)) continue;
        cpSync(join(projectRoot, entry), join(shadow.root, entry), {
          recursive: true,
          // Below the top level only dependencies and VCS data are skipped: `src/build/` may hold schema files.
          filter: (src) => !NESTED_NOT_COPIED.has(basename(src)),
        });
      }
      const modules = nearestNodeModules(projectRoot);
      if (modules) symlinkSync(modules, join(shadow.root, 'node_modules'), 'dir');
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
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** The project's node_modules, or a parent's (a hoisted monorepo). */
function nearestNodeModules(from: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules');
    if (existsSync(candidate) && statSync(candidate).isDirectory()) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

export function assertInsideProject(path: string, root: string, what: string): void {
  const rel = relative(root, path);
  if (rel.startsWith('..') || rel === '') throw new ConfigError(`${what} (${path}) must be inside the project (${root})`);
}
