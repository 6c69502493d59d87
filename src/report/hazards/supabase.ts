import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { supabaseConfigFile } from '../../generate/drizzleConfig';
import { grantStatements } from '../../patch/grants';
import type { SupabaseAdvice } from '../types';

/** The roles PostgREST switches to: every table it serves needs their grants. */
export const SUPABASE_API_ROLES = ['anon', 'authenticated', 'service_role'];
/** What PostgREST exposes when `[api] schemas` is not set. */
const DEFAULT_EXPOSED = ['public', 'graphql_public'];

/**
 * For a Supabase project (one with supabase/config.toml): which target
 * schemas the Data API does not expose, and the grants its roles need on
 * them (the statements `--grant anon --grant authenticated --grant service_role`
 * would add to the migration).
 */
export function supabaseAdvice(root: string, targetSchemas: string[], grantedRoles: string[], migrationsFolder = join(root, 'supabase', 'migrations')): SupabaseAdvice | undefined {
  const path = supabaseConfigFile(root, migrationsFolder);
  if (!path) return undefined;
  const schemas = targetSchemas.filter((s) => s !== 'public');
  const exposedSchemas = readApiSchemas(readFileSync(path, 'utf8')) ?? DEFAULT_EXPOSED;
  const rolesWithoutGrants = SUPABASE_API_ROLES.filter((role) => !grantedRoles.includes(role));
  return {
    configPath: relative(root, path),
    exposedSchemas,
    notExposed: schemas.filter((s) => !exposedSchemas.includes(s)),
    rolesWithoutGrants: schemas.length > 0 ? rolesWithoutGrants : [],
    // Exactly what --grant <role> would add to the migration.
    grants: schemas.flatMap((schema) => rolesWithoutGrants.flatMap((role) => grantStatements(schema, role))),
  };
}

/**
 * `schemas = [...]` in the `[api]` table of a Supabase config: just enough
 * TOML for that key (strings, comments, an array over several lines).
 * Undefined when the key is absent.
 */
export function readApiSchemas(toml: string): string[] | undefined {
  let section = '';
  const lines = toml.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = stripComment(lines[i]!).trim();
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) {
      section = header[1]!.trim();
      continue;
    }
    if (section !== 'api') continue;
    const key = /^schemas\s*=\s*(.*)$/.exec(line);
    if (!key) continue;
    let value = key[1]!;
    while (!value.includes(']') && i + 1 < lines.length) value += ` ${stripComment(lines[++i]!)}`;
    const array = /^\[(.*)\]$/s.exec(value.trim());
    // Not an array: Supabase's CLI will say so itself; fall back to its default.
    if (!array) return undefined;
    return [...array[1]!.matchAll(/"((?:[^"\\]|\\.)*)"|'([^']*)'/g)].map((m) => m[1] ?? m[2]!);
  }
  return undefined;
}

/** `# comment` outside of strings. */
function stripComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#') return line.slice(0, i);
  }
  return line;
}
