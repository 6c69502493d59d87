import { createHash } from 'node:crypto';
import { accessSync, constants, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import { basename, dirname, isAbsolute, join, sep } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { Script } from 'node:vm';

/**
 * A V8 code cache for the few very large CommonJS files a run loads
 * (TypeScript's compiler, drizzle-kit's bundle): compiling them costs
 * ~100 ms per process, reading V8's cached compilation of them a fraction of
 * that. Node 22 does this itself (module.enableCompileCache); Node 20 does not.
 *
 * The cache lives in `node_modules/.cache/drizzle-reschema` beside the
 * installed package, one entry per file, named by its path and by its size,
 * mtime and the Node version (V8 also rejects a stale entry itself, which is
 * then rewritten). Any
 * failure (read-only folder, no node_modules) only means no cache:
 * loading falls back to Node's own `require`.
 * DRIZZLE_RESCHEMA_COMPILE_CACHE=0 turns it off; set to an absolute path, it
 * names the folder instead.
 */

interface InternalModule {
  filename: string;
  paths: string[];
  loaded: boolean;
  exports: unknown;
  require(id: string): unknown;
}
interface ModuleStatics {
  _cache: Record<string, InternalModule>;
  _nodeModulePaths(from: string): string[];
  _resolveFilename(request: string, parent: InternalModule, isMain: boolean, options?: unknown): string;
  _extensions: Record<string, unknown>;
  wrap(source: string): string;
  new (id: string, parent?: unknown): InternalModule;
}
const NodeModule = Module as unknown as ModuleStatics;

/** V8 flags set at run time through setV8Flags. */
const v8Flags: string[] = [];

/** Sets V8 flags for the rest of the process (and keys cache entries by them). */
export function setV8Flags(flags: string): void {
  setFlagsFromString(flags);
  v8Flags.push(flags);
}

/** Scripts compiled here without a usable cache entry: their cache is written by `saveCompileCache`. */
const pending: { script: Script; cacheFile: string }[] = [];
let enabled = false;

/**
 * Turns the cache on for this process (the CLI does; a library caller's
 * process is its own business) and writes new entries when it exits.
 */
export function enableCompileCache(): void {
  if (enabled || process.env.DRIZZLE_RESCHEMA_COMPILE_CACHE === '0') return;
  enabled = true;
  process.once('exit', saveCompileCache);
}

export function compileCacheDir(): string | undefined {
  if (!enabled) return undefined;
  const override = process.env.DRIZZLE_RESCHEMA_COMPILE_CACHE;
  if (override && isAbsolute(override)) return override;
  // dist/ -> the package; inside an install the package sits in some node_modules.
  const packageRoot = dirname(__dirname);
  const marker = `${sep}node_modules${sep}`;
  const at = packageRoot.lastIndexOf(marker);
  const modules = at >= 0 ? packageRoot.slice(0, at + marker.length - 1) : join(packageRoot, 'node_modules');
  return join(modules, '.cache', 'drizzle-reschema');
}

/**
 * Compiles a CommonJS file (an absolute path) through the code cache;
 * undefined when the cache is off or unusable. Only for files that never call
 * `import()`: on Node 20 a script read from a code cache loses its dynamic
 * import callback (drizzle-kit's bundle, for one, cannot come through here).
 */
function compileWithCache(filename: string, cacheDir = compileCacheDir()): { run(): unknown } | undefined {
  if (!cacheDir) return undefined;
  let source: string;
  let cacheFile: string;
  try {
    const stat = statSync(filename);
    source = readFileSync(filename, 'utf8');
    const version = `${stat.size}\0${stat.mtimeMs}\0${process.version}\0${process.arch}`;
    // V8 rejects code cached under other flags: each flag set keeps its own entry.
    const flags = [...process.execArgv, ...v8Flags].join(' ');
    cacheFile = join(cacheDir, `${sha1(`${filename}\0${flags}`)}-${sha1(version)}.bin`);
  } catch {
    return undefined;
  }
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  // A shebang line is not JavaScript; Node strips it the same way.
  const script = new Script(NodeModule.wrap(source.replace(/^#!.*/, '')), {
    filename,
    ...(cachedData ? { cachedData } : {}),
  });
  if (!cachedData || script.cachedDataRejected) pending.push({ script, cacheFile });

  return {
    run() {
      const module = new NodeModule(filename, null);
      module.filename = filename;
      module.paths = NodeModule._nodeModulePaths(dirname(filename));
      const localRequire = Object.assign((id: string) => module.require(id), {
        resolve: (request: string, options?: unknown) => NodeModule._resolveFilename(request, module, false, options),
        main: require.main,
        cache: NodeModule._cache,
        extensions: NodeModule._extensions,
      });
      NodeModule._cache[filename] = module;
      try {
        const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
        wrapper.call(module.exports, module.exports, localRequire, module, filename, dirname(filename));
      } catch (error) {
        delete NodeModule._cache[filename];
        throw error;
      }
      module.loaded = true;
      return module.exports;
    },
  };
}

/**
 * Loads a CommonJS file through the code cache and puts it in
 * `require.cache`, so a later `require` of it, from anywhere, finds it
 * loaded. Already loaded (or the cache is off): does nothing.
 */
export function preloadWithCompileCache(filename: string): void {
  if (NodeModule._cache[filename]) return;
  compileWithCache(filename)?.run();
}

/**
 * Writes the cache entries that were missing or stale. Called once the
 * process has done its work, so the entry also holds the functions compiled
 * lazily on the way. Written to a temp name and renamed: concurrent runs
 * never read half a file.
 */
export function saveCompileCache(): void {
  for (const { script, cacheFile } of pending.splice(0)) {
    try {
      const dir = dirname(cacheFile);
      mkdirSync(dir, { recursive: true });
      // Checked first: serialising the compiled code is not free, and a read-only install never gets a cache.
      accessSync(dir, constants.W_OK);
      const temp = `${cacheFile}.${process.pid}.tmp`;
      writeFileSync(temp, script.createCachedData());
      renameSync(temp, cacheFile);
      // Entries for older versions of the same file under the same flags (an upgrade, another Node) go.
      const prefix = `${basename(cacheFile).split('-')[0]}-`;
      for (const entry of readdirSync(dir)) {
        if (entry.startsWith(prefix) && entry !== basename(cacheFile) && entry.endsWith('.bin')) rmSync(join(dir, entry), { force: true });
      }
    } catch {
      // No cache this time; the next run tries again.
    }
  }
}

function sha1(text: string): string {
  return createHash('sha1').update(text).digest('hex').slice(0, 20);
}
