import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { ConfigError } from '../errors';
import { supabaseConfigFile, type DrizzleConfig } from '../generate/drizzleConfig';
import { ident } from '../sql/identifiers';
import { loadPgParser, parseStatements } from '../patch/pgParser';
import type { PgSnapshot } from '../generate/migrationsFolder';
import type { Database } from './database';
import { findDrift } from './drift';
import { userSchemas } from './fingerprint';
import { applyStatements, describeFailure, rolesCreatedBy, rolesNamedBy } from './replay';
import { supabasePrelude } from './preludes/supabase';

/** SQL run on the throwaway database before the migrations replay: what the hosting platform provides. */
export interface Prelude {
  /** Its path relative to the project root, for messages. */
  file: string;
  sql: string;
}

/** A hosting platform whose standard roles and helpers drizzle-reschema knows. */
export type Platform = 'supabase';

export interface PlatformOptions {
  platform?: Platform;
  preludes: Prelude[];
}

/** Where the project's own list of preludes lives: `"drizzle-reschema": { "prelude": [...] }` in its package.json. */
export const PRELUDE_CONFIG_KEY = 'drizzle-reschema';

/** A Supabase project has a supabase/config.toml (from `supabase init`; supabaseConfigFile), or migrations named the Supabase way. */
export function detectPlatform(root: string, config: Pick<DrizzleConfig, 'prefix' | 'out'>): Platform | undefined {
  return supabaseConfigFile(root, config.out) !== undefined || config.prefix === 'supabase' ? 'supabase' : undefined;
}

/** The prelude paths package.json lists, as written. */
export function configuredPreludePaths(root: string): string[] {
  const path = join(root, 'package.json');
  if (!existsSync(path)) return [];
  let pkg: Record<string, unknown>;
  try {
    pkg = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new ConfigError(`package.json: not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  const section = pkg[PRELUDE_CONFIG_KEY];
  if (section === undefined) return [];
  const prelude = (section as { prelude?: unknown } | null)?.prelude;
  if (prelude === undefined) return [];
  const paths = typeof prelude === 'string' ? [prelude] : prelude;
  if (!Array.isArray(paths) || !paths.every((p) => typeof p === 'string')) {
    throw new ConfigError(`package.json: "${PRELUDE_CONFIG_KEY}".prelude must be a path or a list of paths to .sql files`);
  }
  return paths;
}

/** Reads the prelude files; relative paths resolve from the project root. */
export function readPreludes(root: string, paths: string[], origin: string): Prelude[] {
  return paths.map((p) => {
    const path = isAbsolute(p) ? p : resolve(root, p);
    const file = relative(root, path) || p;
    if (!existsSync(path)) throw new ConfigError(`${file}: prelude file not found (named by ${origin})`);
    return { file, sql: readFileSync(path, 'utf8') };
  });
}

/**
 * What the throwaway database needs from the platform: the project's
 * configured preludes, then those given on the command line (each file once),
 * and the platform detected.
 */
export function projectPlatform(root: string, config: Pick<DrizzleConfig, 'prefix' | 'out'>, cliPreludes: string[] = []): PlatformOptions {
  const configured = readPreludes(root, configuredPreludePaths(root), `package.json "${PRELUDE_CONFIG_KEY}".prelude`);
  const given = readPreludes(root, cliPreludes, '--prelude').filter((p) => !configured.some((c) => c.file === p.file));
  const platform = detectPlatform(root, config);
  return { ...(platform ? { platform } : {}), preludes: [...configured, ...given] };
}

/** A file's statements (a prelude, a rollback), as Postgres' parser splits them; text it cannot parse goes whole, so the server names the error. */
export async function parsedStatements(sql: string): Promise<string[]> {
  await loadPgParser();
  try {
    return parseStatements(sql).map((s) => s.sql);
  } catch {
    return sql.trim() === '' ? [] : [sql];
  }
}

const unquote = (name: string) => (name.startsWith('"') ? name.slice(1, -1).replace(/""/g, '"') : name.toLowerCase());
const NAME = '("(?:[^"]|"")+"|[A-Za-z_][\\w$]*)';

/** Schemas, and schema-qualified tables and functions (`schema.name`), the statements create. */
function createdBy(statements: string[]): { schemas: string[]; tables: string[]; functions: string[] } {
  const text = statements.join('\n').replace(/--[^\n]*/g, '');
  const schemas = [...text.matchAll(new RegExp(`create\\s+schema\\s+(?:if\\s+not\\s+exists\\s+)?${NAME}`, 'gi'))].map((m) => unquote(m[1]!));
  const tables = [...text.matchAll(new RegExp(`create\\s+table\\s+(?:if\\s+not\\s+exists\\s+)?${NAME}\\s*\\.\\s*${NAME}`, 'gi'))].map(
    (m) => `${unquote(m[1]!)}.${unquote(m[2]!)}`,
  );
  const functions = [...text.matchAll(new RegExp(`create\\s+(?:or\\s+replace\\s+)?function\\s+${NAME}\\s*\\.\\s*${NAME}`, 'gi'))].map(
    (m) => `${unquote(m[1]!)}.${unquote(m[2]!)}`,
  );
  return { schemas, tables, functions };
}

/**
 * All that preparePlatform reads from the migrations' statements: what they
 * create, and the roles they name. The replay cache keys on it, so two
 * migrations under test that differ otherwise share the replay before them.
 */
export function platformFacts(statements: string[]) {
  return { madeByMigrations: { ...createdBy(statements), roles: rolesCreatedBy(statements) }, rolesNamed: rolesNamedBy(statements) };
}

/**
 * Makes the throwaway database look like the platform's before the replay:
 * the platform's standard roles and stubs, the roles that grants and policies
 * name, then the user's preludes. `statements`: every statement that will run
 * (migrations and rollback). Says what it made in `notes`.
 */
export async function preparePlatform(db: Database, statements: string[], options: PlatformOptions, notes: string[]): Promise<void> {
  const preludes = await Promise.all(options.preludes.map(async (p) => ({ ...p, statements: await parsedStatements(p.sql) })));
  const fromPreludes = preludes.flatMap((p) => p.statements);
  const { madeByMigrations } = platformFacts(statements);

  if (options.platform === 'supabase') {
    // What the user's preludes make is theirs too: a prelude written for Realtime before the stubs had it must not clash.
    const built = supabasePrelude(madeByMigrations, createdBy(fromPreludes));
    const failure = await applyStatements(db, 'the built-in Supabase prelude', [built.sql], { transaction: false });
    if (failure) throw new ConfigError(`cannot prepare the throwaway database: ${describeFailure(failure)}`);
    if (built.created.length) notes.push(`Supabase project: created ${built.created.join('; ')} in the throwaway database (your platform makes them)`);
  }

  await createNamedRoles(db, rolesToCreate(statements, fromPreludes), notes);

  for (const prelude of preludes) {
    const failure = await applyStatements(db, prelude.file, prelude.statements, { transaction: false });
    if (failure) throw new ConfigError(`the prelude failed on a fresh database: ${describeFailure(failure)}`);
  }
  if (preludes.length) notes.push(`ran the prelude${preludes.length > 1 ? 's' : ''} ${preludes.map((p) => p.file).join(', ')} before the migrations`);
}

/** The roles grants and policies name, in the statements or the preludes, that neither creates: the platform's, which the throwaway database lacks. */
export function rolesToCreate(statements: string[], fromPreludes: string[]): string[] {
  const { madeByMigrations, rolesNamed } = platformFacts(statements);
  const creates = new Set([...madeByMigrations.roles, ...rolesCreatedBy(fromPreludes)]);
  return [...new Set([...rolesNamed, ...rolesNamedBy(fromPreludes)])].filter((r) => !creates.has(r));
}

/** Creates those of `roles` the database does not have yet, NOLOGIN, and says so. */
export async function createNamedRoles(db: Database, roles: string[], notes: string[]): Promise<void> {
  const existing = new Set((await db.query<{ name: string }>('SELECT rolname AS name FROM pg_roles')).map((r) => r.name));
  const missing = roles.filter((r) => !existing.has(r));
  for (const role of missing) await db.exec(`CREATE ROLE ${ident(role)} NOLOGIN`);
  if (missing.length) {
    notes.push(`created role${missing.length > 1 ? 's' : ''} ${missing.join(', ')} in the throwaway database (named by grants or policies; your platform makes them)`);
  }
}

/** What the platform preparation left before any migration ran: not the migrations' to check. */
export interface PlatformBaseline {
  /** Schemas only the platform uses (no snapshot names them): left out of every comparison. */
  schemas: string[];
  /** Drift-style names (`table public.x`) of the objects already there, in the schemas still compared. */
  objects: Set<string>;
}

/** Taken right after preparePlatform, on the database the migrations have not touched yet. */
export async function platformBaseline(db: Database, snapshots: PgSnapshot[], exclude: string[]): Promise<PlatformBaseline> {
  const named = new Set(['public']);
  for (const s of snapshots) {
    for (const schema of Object.values(s.schemas ?? {})) named.add(schema);
    for (const o of [...Object.values(s.tables), ...Object.values(s.enums), ...Object.values(s.sequences ?? {}), ...Object.values(s.views ?? {})]) {
      named.add(o.schema || 'public');
    }
  }
  const schemas = (await userSchemas(db, exclude)).filter((s) => !named.has(s));
  const empty: PgSnapshot = { ...snapshots[0]!, tables: {}, enums: {}, schemas: {}, sequences: {}, views: {} };
  const present = (await findDrift(db, empty, [...exclude, ...schemas], { drizzleSchemas: named, definitions: false })).drift;
  return { schemas, objects: new Set(present.filter((d) => d.expected === 'absent').map((d) => d.object)) };
}
