/**
 * What a Supabase database has before any migration of the project runs, as
 * far as migrations lean on it: the standard roles, and the `auth` helpers
 * that policies call. Stubs, for the throwaway database only: `auth.uid()` and
 * friends read the request settings PostgREST would set, so they return NULL
 * there, and `auth.users` has just the columns foreign keys point at.
 */

/** Supabase's standard roles (all NOLOGIN here: nobody logs in to a throwaway database). */
export const SUPABASE_ROLES = ['anon', 'authenticated', 'service_role', 'authenticator', 'supabase_admin', 'supabase_auth_admin', 'dashboard_user'];

/** The `auth` helpers' signatures, as Supabase declares them. */
const AUTH_FUNCTIONS: Array<{ signature: string; returns: string; body: string }> = [
  { signature: 'auth.uid()', returns: 'uuid', body: `SELECT nullif(current_setting('request.jwt.claim.sub', true), '')::uuid` },
  { signature: 'auth.jwt()', returns: 'jsonb', body: `SELECT nullif(current_setting('request.jwt.claims', true), '')::jsonb` },
  { signature: 'auth.role()', returns: 'text', body: `SELECT nullif(current_setting('request.jwt.claim.role', true), '')` },
  { signature: 'auth.email()', returns: 'text', body: `SELECT nullif(current_setting('request.jwt.claim.email', true), '')` },
];

export interface SupabasePrelude {
  sql: string;
  /** What it creates, for the report's notes. */
  created: string[];
}

/**
 * The SQL, leaving out what the project's own migrations create (a role, the
 * `auth` schema, `auth.users`): those would clash with the migrations.
 */
export function supabasePrelude(madeByMigrations: { roles: string[]; schemas: string[]; tables: string[] }): SupabasePrelude {
  const roles = SUPABASE_ROLES.filter((r) => !madeByMigrations.roles.includes(r));
  const parts: string[] = [];
  const created: string[] = [];
  if (roles.length) {
    // Guarded: a prelude of the user's, or an earlier step, may have made some.
    const creates = roles.map((r) => `  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${r}') THEN CREATE ROLE ${r} NOLOGIN; END IF;`);
    parts.push(`DO $$\nBEGIN\n${creates.join('\n')}\nEND\n$$;`);
    created.push(`roles ${roles.join(', ')}`);
  }
  if (!madeByMigrations.schemas.includes('extensions')) parts.push('CREATE SCHEMA IF NOT EXISTS extensions;');
  if (!madeByMigrations.schemas.includes('auth')) {
    parts.push('CREATE SCHEMA IF NOT EXISTS auth;');
    for (const f of AUTH_FUNCTIONS) {
      parts.push(`CREATE OR REPLACE FUNCTION ${f.signature} RETURNS ${f.returns} LANGUAGE sql STABLE AS $$ ${f.body} $$;`);
    }
    created.push(`stubs ${AUTH_FUNCTIONS.map((f) => f.signature).join(', ')}`);
    if (!madeByMigrations.tables.includes('auth.users')) {
      parts.push('CREATE TABLE IF NOT EXISTS auth.users (id uuid PRIMARY KEY, email text);');
      created.push('auth.users (id, email)');
    }
  }
  return { sql: parts.join('\n'), created };
}
