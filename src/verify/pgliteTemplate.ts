import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * A fresh PGlite runs initdb in WebAssembly: about 2 s on a quiet machine,
 * 10 to 20 s on a loaded one, for every verification. Restoring the data
 * folder of a fresh start takes a fifth of that. So the first start on a
 * machine saves its data folder, taken before any SQL ran, and later starts
 * restore it. One file per PGlite version, in the user's cache folder
 * (`$XDG_CACHE_HOME`, else `~/.cache`), which no one else may write: a
 * planted data folder would be the database that verification trusts.
 */
export function templatePath(): string | undefined {
  return inCacheFolder(templateName);
}

const templateName = (pgliteVersion: string) => `pglite-${pgliteVersion}-${TEMPLATE_LAYOUT}.tar`;

/**
 * The WAL segment size initdb gives the throwaway database, in MB (Postgres'
 * default is 16). Every data folder starts with a whole segment and keeps it
 * in every saved copy: with 16MB, that zero-filled file was 16 of a fresh
 * folder's 40 MB and 32 of a 60-table replay's 65 MB, copied at every save
 * and restore. With 1MB segments they are 31 and 33 MB, and a restore of that
 * replay took 219 instead of 283 ms. Old segments are removed at checkpoints,
 * not renamed for reuse (wal_recycle=off), at initdb too: with reuse, initdb
 * left six renamed 1MB segments of its own WAL in every data folder.
 */
export const WAL_SEGMENT_MB = 1;

/**
 * initdb makes three databases, each a copy of the same 7.4 MB of catalogs:
 * template0, template1 and postgres, the one PGlite opens. The two templates
 * only serve CREATE DATABASE, which nothing verification runs can use
 * (drizzle's migrator applies every migration in a transaction, where
 * Postgres refuses it). So a fresh cluster drops them before it is saved,
 * and a checkpoint writes that out and removes the WAL before it: the
 * template shrinks from 31 to 10.5 MB (initdb's renamed segments gone too),
 * and a start from it took 126 instead of 210 ms, CPU 178 instead of 294 ms
 * (medians of 9 alternating starts).
 */
export const DROP_TEMPLATE_DATABASES = [
  'ALTER DATABASE template0 IS_TEMPLATE false',
  'DROP DATABASE template0',
  'ALTER DATABASE template1 IS_TEMPLATE false',
  'DROP DATABASE template1',
  'CHECKPOINT',
];

/** What the template's name says of the data folder in it: this version's template of another layout is removed when this one is saved. */
const TEMPLATE_LAYOUT = `wal${WAL_SEGMENT_MB}mb-notemplates`;

/** This PGlite version's templates of other layouts (older names) in the cache folder. */
function otherLayouts(): string[] {
  const dir = cacheFolder();
  const current = templatePath();
  if (!dir || !current) return [];
  const version = pgliteVersion();
  return readdirSync(dir)
    .filter((f) => f === `pglite-${version}.tar` || (f.startsWith(`pglite-${version}-`) && f.endsWith('.tar')))
    .map((f) => join(dir, f))
    .filter((f) => f !== current);
}

/** A file of the cache folder named after the installed PGlite version; undefined without either. */
function inCacheFolder(name: (pgliteVersion: string) => string): string | undefined {
  const dir = cacheFolder();
  try {
    return dir && join(dir, name(pgliteVersion()));
  } catch {
    return undefined;
  }
}

/** The user's own cache folder for this tool, or undefined when another user could write into it. */
export function cacheFolder(): string | undefined {
  try {
    const dir = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'drizzle-reschema');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const owner = statSync(dir);
    if ((process.getuid && owner.uid !== process.getuid()) || (owner.mode & 0o077) !== 0) return undefined;
    return dir;
  } catch {
    return undefined;
  }
}

export function pgliteVersion(): string {
  return (JSON.parse(readFileSync(pglitePackageJson(), 'utf8')) as { version: string }).version;
}

/** PGlite's `exports` hide its package.json: found from its main file. */
function pglitePackageJson(): string {
  for (let dir = dirname(require.resolve('@electric-sql/pglite')); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'package.json');
    if (dirname(dir) === dir) throw new Error('PGlite package.json not found');
  }
}

export interface PgliteTemplate {
  /** The saved data folder, when there is one. */
  data: Blob | undefined;
  /** Saves the data folder of a database that has run no SQL yet (once per machine and version). */
  save(dump: () => Promise<Blob>): Promise<void>;
  /** The saved data folder did not start: remove it. */
  discard(): void;
}

export function pgliteTemplate(): PgliteTemplate {
  const path = templatePath();
  const data = path && existsSync(path) ? new Blob([readFileSync(path)]) : undefined;
  let saved = data !== undefined;
  return {
    data,
    async save(dump) {
      if (!path || saved) return;
      saved = true;
      try {
        const tar = Buffer.from(await (await dump()).arrayBuffer());
        const partial = `${path}.${process.pid}.partial`;
        writeFileSync(partial, tar, { mode: 0o600 });
        renameSync(partial, path);
        for (const other of otherLayouts()) rmSync(other, { force: true });
      } catch {
        // Only a speed-up: the next start is a fresh one again.
      }
    },
    discard() {
      saved = false;
      if (path) rmSync(path, { force: true });
    },
  };
}
