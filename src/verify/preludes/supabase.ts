/**
 * What a Supabase database has before any migration of the project runs, as
 * far as migrations lean on it: the standard roles, the `auth` helpers that
 * policies call, Storage's buckets and objects, and Realtime's messages.
 * Stubs, for the throwaway database only: `auth.uid()` and friends read the
 * request settings PostgREST would set, so they return NULL there, and
 * `auth.users` has just the columns foreign keys point at.
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

/**
 * Storage and Realtime, as far as migrations lean on them: the buckets a
 * migration inserts, the objects table policies are written on, and the
 * helpers those policies and triggers call. Keyed by schema.
 */
const PLATFORM_SCHEMAS: Record<string, { tables: Record<string, string>; functions: string[] }> = {
  storage: {
    tables: {
      buckets:
        'id text PRIMARY KEY, name text NOT NULL, owner uuid, public boolean DEFAULT false, file_size_limit bigint, allowed_mime_types text[], created_at timestamptz DEFAULT now(), updated_at timestamptz DEFAULT now()',
      objects:
        'id uuid PRIMARY KEY DEFAULT gen_random_uuid(), bucket_id text REFERENCES storage.buckets (id), name text, owner uuid, metadata jsonb, created_at timestamptz DEFAULT now(), updated_at timestamptz DEFAULT now()',
    },
    functions: [
      `storage.foldername(name text) RETURNS text[] LANGUAGE sql IMMUTABLE AS $$ SELECT (string_to_array(name, '/'))[1:greatest(array_length(string_to_array(name, '/'), 1) - 1, 0)] $$`,
      `storage.filename(name text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT (string_to_array(name, '/'))[array_length(string_to_array(name, '/'), 1)] $$`,
      `storage.extension(name text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT reverse(split_part(reverse(name), '.', 1)) $$`,
    ],
  },
  realtime: {
    tables: {
      messages:
        'id uuid NOT NULL DEFAULT gen_random_uuid(), topic text NOT NULL, extension text NOT NULL, payload jsonb, event text, private boolean DEFAULT false, updated_at timestamp NOT NULL DEFAULT now(), inserted_at timestamp NOT NULL DEFAULT now(), PRIMARY KEY (id, inserted_at)',
    },
    functions: [
      `realtime.topic() RETURNS text LANGUAGE sql STABLE AS $$ SELECT nullif(current_setting('realtime.topic', true), '') $$`,
      `realtime.send(payload jsonb, event text, topic text, private boolean DEFAULT true) RETURNS void LANGUAGE plpgsql AS $$ BEGIN END $$`,
      `realtime.broadcast_changes(topic_name text, event_name text, operation text, table_name text, table_schema text, new record, old record, level text DEFAULT 'ROW') RETURNS void LANGUAGE plpgsql AS $$ BEGIN END $$`,
    ],
  },
};

export interface SupabasePrelude {
  sql: string;
  /** What it creates, for the report's notes. */
  created: string[];
}

/**
 * The SQL, leaving out what the project's own migrations (or preludes)
 * create (a role, the `auth` schema, `auth.users`, Storage or Realtime):
 * those would clash with them.
 */
export function supabasePrelude(
  madeByMigrations: { roles: string[]; schemas: string[]; tables: string[]; functions?: string[] },
  madeByPreludes: { schemas: string[]; tables: string[]; functions: string[] } = { schemas: [], tables: [], functions: [] },
): SupabasePrelude {
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
    if (![...madeByMigrations.tables, ...madeByPreludes.tables].includes('auth.users')) {
      parts.push('CREATE TABLE IF NOT EXISTS auth.users (id uuid PRIMARY KEY, email text);');
      created.push('auth.users (id, email)');
    }
  }
  for (const [schema, { tables, functions }] of Object.entries(PLATFORM_SCHEMAS)) {
    // Made, or partly made, by the project (its migrations or preludes): all of it is left to the project,
    // as before these stubs, so that a prelude written for it does not clash with them.
    const own = [...madeByMigrations.tables, ...(madeByMigrations.functions ?? []), ...madeByPreludes.tables, ...madeByPreludes.functions];
    if ([...madeByMigrations.schemas, ...madeByPreludes.schemas].includes(schema) || own.some((name) => name.startsWith(`${schema}.`))) continue;
    parts.push(`CREATE SCHEMA IF NOT EXISTS ${schema};`);
    const made = Object.keys(tables).filter((t) => !madeByMigrations.tables.includes(`${schema}.${t}`));
    for (const t of made) parts.push(`CREATE TABLE IF NOT EXISTS ${schema}.${t} (${tables[t]});`);
    for (const f of functions) parts.push(`CREATE OR REPLACE FUNCTION ${f};`);
    created.push(`${schema} (${[...made.map((t) => `${schema}.${t}`), ...functions.map((f) => f.slice(0, f.indexOf('(')) + '()')].join(', ')})`);
  }
  return { sql: parts.join('\n'), created };
}
