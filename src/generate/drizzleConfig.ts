import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { minimatch } from 'minimatch';
import { ConfigError } from '../errors';
import { evaluateConfigModule } from './configModule';

/** The file names drizzle-kit looks for, in its order. */
export const CONFIG_FILE_NAMES = [
  'drizzle.config.ts',
  'drizzle.config.js',
  'drizzle.config.json',
  'drizzle.config.mjs',
  'drizzle.config.cjs',
  'drizzle.config.mts',
  'drizzle.config.cts',
];

export type MigrationPrefix = 'index' | 'timestamp' | 'supabase' | 'unix' | 'none';

/** The parts of a drizzle config this tool reads; drizzle-kit reads the rest itself. */
export interface DrizzleConfig {
  path: string;
  dialect: string;
  /** Absolute path of the migrations folder. */
  out: string;
  prefix: MigrationPrefix;
  breakpoints: boolean;
  /** Where the applied-migrations table lives (`__drizzle_migrations` in `drizzle` by default). */
  migrationsTable: string;
  migrationsSchema: string;
  casing?: string;
  raw: Record<string, unknown>;
}

export function findConfigFile(root: string, explicit?: string): string {
  if (explicit) {
    const path = isAbsolute(explicit) ? explicit : resolve(root, explicit);
    if (!existsSync(path)) throw new ConfigError(`${relative(root, path) || path}: drizzle config not found`);
    return path;
  }
  for (const name of CONFIG_FILE_NAMES) {
    const path = join(root, name);
    if (existsSync(path)) return path;
  }
  throw new ConfigError(
    `no drizzle config in ${root} (looked for ${CONFIG_FILE_NAMES.slice(0, 3).join(', ')}, ...): pass --config, or --no-migration to rewrite the schema files only`,
  );
}

/**
 * Evaluates the config the way drizzle-kit does (configModule.ts), without writing.
 */
export function loadDrizzleConfig(root: string, explicit?: string): DrizzleConfig {
  const path = findConfigFile(root, explicit);
  const display = relative(root, path) || path;
  let raw: Record<string, unknown>;
  try {
    raw = path.endsWith('.json') ? JSON.parse(readFileSync(path, 'utf8')) : evaluateConfigModule(path);
  } catch (error) {
    throw new ConfigError(`${display}: cannot be loaded: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  }
  if (!raw || typeof raw !== 'object') throw new ConfigError(`${display}: does not export a config object`);
  const dialect = String(raw.dialect ?? '');
  if (dialect !== 'postgresql') {
    throw new ConfigError(`${display}: dialect is '${dialect || 'unset'}'; drizzle-reschema works with 'postgresql'`);
  }
  const migrations = (raw.migrations ?? {}) as Record<string, unknown>;
  const prefix = (migrations.prefix ?? 'index') as MigrationPrefix;
  if (!['index', 'timestamp', 'supabase', 'unix', 'none'].includes(prefix)) {
    throw new ConfigError(`${display}: unknown migrations.prefix '${String(prefix)}'`);
  }
  const outDir = typeof raw.out === 'string' ? raw.out : 'drizzle';
  return {
    path,
    dialect,
    // drizzle-kit resolves `out` against the working directory, which is the project root here.
    out: resolve(root, outDir),
    prefix,
    breakpoints: raw.breakpoints !== false,
    migrationsTable: typeof migrations.table === 'string' ? migrations.table : '__drizzle_migrations',
    migrationsSchema: typeof migrations.schema === 'string' ? migrations.schema : 'drizzle',
    ...(typeof raw.casing === 'string' ? { casing: raw.casing } : {}),
    raw,
  };
}

/**
 * The Supabase CLI's config.toml of the project: `supabase/config.toml` at
 * the root, else beside a migrations folder that is a `supabase/migrations`
 * (onlook's config in packages/db writes to apps/backend/supabase/migrations).
 * Undefined when there is neither.
 */
export function supabaseConfigFile(root: string, out: string): string | undefined {
  const candidates = [join(root, 'supabase', 'config.toml'), ...(basename(out) === 'migrations' && basename(dirname(out)) === 'supabase' ? [join(dirname(out), 'config.toml')] : [])];
  return candidates.find((path) => existsSync(path));
}

/**
 * Whether drizzle-kit reads `path` as a schema file. Its `schema` option is a
 * path or a list of them, each a file, a folder (whose files it reads, one
 * level deep) or a glob (a folder it matches counts as that folder), resolved
 * against its working directory, the project root.
 */
export function readsSchemaFile(config: Pick<DrizzleConfig, 'raw'>, root: string, path: string): boolean {
  const entries = [config.raw.schema].flat().filter((e): e is string => typeof e === 'string');
  const posix = (p: string) => relative(root, p).split(sep).join('/');
  return entries.some((entry) => {
    const target = resolve(root, entry);
    if (existsSync(target)) return statSync(target).isDirectory() ? dirname(path) === target : target === path;
    const pattern = posix(target);
    return minimatch(posix(path), pattern) || minimatch(posix(dirname(path)), pattern);
  });
}

/**
 * A file that goes with the migration `tag` but is not one (`rollback`,
 * `drop-source`): beside it, outside the journal. Supabase's CLI applies every
 * `<timestamp>_*.sql` in its folder, so with that prefix such files go into a
 * subfolder it does not read.
 */
export function besideMigration(config: Pick<DrizzleConfig, 'out' | 'prefix'>, tag: string, suffix: 'rollback' | 'drop-source'): string {
  const dir = config.prefix === 'supabase' ? join(config.out, 'rollbacks') : config.out;
  return join(dir, `${tag}.${suffix}.sql`);
}

export function rollbackPathFor(config: Pick<DrizzleConfig, 'out' | 'prefix'>, tag: string): string {
  return besideMigration(config, tag, 'rollback');
}
