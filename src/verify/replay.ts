import type { Database } from './database';

/** A statement Postgres refused: where it is and why. */
export interface StatementFailure {
  file: string;
  /** 1-based position of the statement in its file. */
  statement: number;
  firstLine: string;
  message: string;
  code?: string;
  hint?: string;
  /** Something the hosted database has and the migrations do not make (a role, function, schema, extension). */
  platformGap?: boolean;
  /** What Postgres says the error is about, when it says (a constraint violation names both). */
  table?: string;
  constraint?: string;
  detail?: string;
}

/**
 * Why a bare database refused a statement, when the reason is known: the hint
 * (what to put in a prelude, or what to fix), and whether the gap is the
 * platform's (something the hosted database has and the migrations do not
 * make) rather than the migration's own.
 */
export interface Diagnosis {
  hint: string;
  platformGap: boolean;
}

const PRELUDE = 'a prelude file (--prelude <file.sql>, or "drizzle-reschema": { "prelude": [...] } in package.json)';

export function diagnose(message: string, code?: string, sql = ''): Diagnosis | undefined {
  const role = /role "([^"]+)" does not exist/.exec(message);
  if (role) return { platformGap: true, hint: `the role ${role[1]} is made by your platform, not your migrations: create it in ${PRELUDE} (CREATE ROLE ${role[1]} NOLOGIN;)` };
  const fn = /function (.+?) does not exist/.exec(message);
  if (fn && /^auth\./.test(fn[1]!)) {
    return {
      platformGap: true,
      hint: `${fn[1]} is Supabase's: drizzle-reschema stubs the auth helpers when the project has supabase/config.toml (or migrations.prefix 'supabase'); otherwise define it in ${PRELUDE}`,
    };
  }
  if (fn) return { platformGap: true, hint: `${fn[1]} is defined outside your migrations: define it (a stub with that signature is enough) in ${PRELUDE}` };
  const schema = /schema "([^"]+)" does not exist/.exec(message);
  if (schema) return { platformGap: true, hint: `the schema ${schema[1]} is made outside your migrations: CREATE SCHEMA ${schema[1]} (and what the migrations use from it) in ${PRELUDE}` };
  const extension = /extension "([^"]+)" is not available|could not open extension control file .*\/([^/]+)\.control/.exec(message);
  if (extension) {
    return {
      platformGap: true,
      hint: `the extension ${extension[1] ?? extension[2]} is not available on this engine: try the other --engine, or verify on a server that has it with --database-url`,
    };
  }
  const language = /language "([^"]+)" does not exist/.exec(message);
  if (language) {
    return {
      platformGap: true,
      hint: `the language ${language[1]} comes from an extension your platform installs: CREATE EXTENSION ${language[1]} in ${PRELUDE} if the engine has it, or verify on your server with --database-url`,
    };
  }
  const opclass = /operator class "([^"]+)" does not accept data type (.+)$/.exec(message);
  if (opclass || ((code === '42704' || code === '42804') && /operator class/.test(message))) {
    const [, name = 'it names', type = 'its column type'] = opclass ?? [];
    return {
      platformGap: false,
      hint: `the index asks for the operator class ${name}, which does not fit a ${type} column (drizzle-kit pull writes such .op() leftovers; the database it read never ran this statement): remove the .op(...) from the index in the schema and the operator class from this migration`,
    };
  }
  const taken = /relation "([^"]+)" already exists/.exec(message);
  if (taken) {
    const dotted = /(?:create\s+table|alter\s+table)\s+(?:if\s+not\s+exists\s+)?(?:only\s+)?"([^".]+)\.([^"]+)"/i.exec(sql);
    const created = /create\s+table\s+(?:"[^"]+"\s*\.\s*)?"([^"]+)"/i.exec(sql);
    return {
      platformGap: false,
      hint: created?.[1] === taken[1]
        ? `the table ${taken[1]} is there before this migration creates it: an earlier migration made it that its snapshot does not know (one written by hand, say), so drizzle-kit writes its CREATE again; catch the snapshot up first (drizzle-kit generate writes that CREATE in a migration of its own: empty its SQL, keep its snapshot), then move. Or another table's index or constraint has that name: rename one of them in the schema`
        : dotted
        ? `"${dotted[1]}.${dotted[2]}" is one table named ${dotted[1]}.${dotted[2]} in the public schema (pgTable("${dotted[1]}.${dotted[2]}") from drizzle-kit pull), not ${dotted[2]} in the ${dotted[1]} schema, so its ${taken[1]} clashes with another table's: declare it with pgSchema("${dotted[1]}").table("${dotted[2]}", ...), or leave it out of the schema if your platform makes it`
        : `tables, indexes and constraints share one namespace per schema, and ${taken[1]} is taken twice: rename one of them in the schema (introspected tables keep their original constraint names)`,
    };
  }
  return undefined;
}

/** What to put in a prelude (or what to fix) for the errors a bare database gives platform-made migrations. */
export function hintFor(message: string, code?: string, sql?: string): string | undefined {
  return diagnose(message, code, sql)?.hint;
}

/** `table growth.jobs, constraint jobs_rating_check`: the object a failure is about, when Postgres named it. */
export function culprit(f: StatementFailure): string {
  return [f.table ? `table ${f.table}` : '', f.constraint ? `constraint ${f.constraint}` : ''].filter(Boolean).join(', ');
}

export function describeFailure(f: StatementFailure): string {
  return `${f.file}: statement ${f.statement} (${f.firstLine}) failed: ${f.message}${f.hint ? `; hint: ${f.hint}` : ''}`;
}

export const firstLine = (sql: string) => {
  const line = sql.split('\n').find((l) => l.trim() !== '' && !l.trim().startsWith('--')) ?? sql;
  return line.trim().length > 100 ? `${line.trim().slice(0, 97)}...` : line.trim();
};

/**
 * Runs the statements of one file in one transaction, like drizzle's
 * migrator: all or nothing. Returns the failure (the transaction rolled back)
 * or undefined.
 */
export async function applyStatements(
  db: Database,
  file: string,
  statements: string[],
  options: { transaction?: boolean } = {},
): Promise<StatementFailure | undefined> {
  const transaction = options.transaction !== false;
  if (transaction) await db.exec('BEGIN');
  for (const [i, sql] of statements.entries()) {
    try {
      await db.exec(sql);
    } catch (error) {
      if (transaction) await db.exec('ROLLBACK').catch(() => undefined);
      const e = error as { message?: string; code?: string; schema?: string; table?: string; constraint?: string; detail?: string };
      const message = (e.message ?? String(error)).split('\n')[0]!;
      const diagnosis = diagnose(message, e.code, sql);
      return {
        file,
        statement: i + 1,
        firstLine: firstLine(sql),
        message,
        ...(e.code ? { code: e.code } : {}),
        ...(diagnosis ? { hint: diagnosis.hint, platformGap: diagnosis.platformGap } : {}),
        ...(e.table ? { table: e.schema ? `${e.schema}.${e.table}` : e.table } : {}),
        ...(e.constraint ? { constraint: e.constraint } : {}),
        ...(e.detail ? { detail: e.detail.split('\n')[0]! } : {}),
      };
    }
  }
  if (transaction) await db.exec('COMMIT');
  return undefined;
}

/** Extensions the SQL creates, in order of first appearance. */
export function extensionsCreatedBy(sqls: string[]): string[] {
  const names: string[] = [];
  const pattern = /create\s+extension\s+(?:if\s+not\s+exists\s+)?(?:"((?:[^"]|"")+)"|([A-Za-z_][\w-]*))/gi;
  for (const sql of sqls) {
    for (const m of sql.replace(/--[^\n]*/g, '').matchAll(pattern)) {
      const name = m[1] !== undefined ? m[1].replace(/""/g, '"') : m[2]!.toLowerCase();
      if (!names.includes(name)) names.push(name);
    }
  }
  return names;
}

const NOT_ROLES = new Set(['public', 'current_user', 'session_user', 'current_role']);

/**
 * Roles that GRANT, REVOKE, ALTER DEFAULT PRIVILEGES, CREATE POLICY and
 * ALTER ... OWNER TO statements name: a hosted platform makes them (Supabase's `authenticated`,
 * say), the migrations do not.
 */
export function rolesNamedBy(statements: string[]): string[] {
  const roles: string[] = [];
  for (const raw of statements) {
    for (const statement of raw.replace(/--[^\n]*/g, '').split(/;\s*(?=\S)/)) {
      const s = statement.trim();
      let list: string | undefined;
      if (/^(grant|alter\s+default\s+privileges)\b/i.test(s)) list = /\bto\s+([\s\S]+?)(?:\s+with\s+grant\s+option|\s+granted\s+by\b|;|$)/i.exec(s)?.[1];
      else if (/^revoke\b/i.test(s)) list = /\bfrom\s+([\s\S]+?)(?:\s+granted\s+by\b|\s+cascade|\s+restrict|;|$)/i.exec(s)?.[1];
      else if (/^create\s+policy\b/i.test(s)) list = /\bto\s+([\s\S]+?)(?:\s+using\b|\s+with\s+check\b|;|$)/i.exec(s)?.[1];
      // ALTER TABLE/FUNCTION/... OWNER TO supabase_admin, as dumps of hosted databases write it.
      else if (/^alter\b/i.test(s)) list = /\bowner\s+to\s+("(?:[^"]|"")+"|[A-Za-z_][\w$]*)/i.exec(s)?.[1];
      if (!list) continue;
      for (const part of list.split(',')) {
        const name = part.trim().replace(/^group\s+/i, '');
        const role = /^"((?:[^"]|"")+)"$/.exec(name)?.[1]?.replace(/""/g, '"') ?? (/^[A-Za-z_][\w$]*$/.test(name) ? name.toLowerCase() : undefined);
        if (role && !NOT_ROLES.has(role) && !roles.includes(role)) roles.push(role);
      }
    }
  }
  return roles;
}

/** Roles the statements create themselves (CREATE ROLE / CREATE USER / CREATE GROUP). */
export function rolesCreatedBy(statements: string[]): string[] {
  const roles: string[] = [];
  const pattern = /\bcreate\s+(?:role|user(?!\s+mapping\b)|group)\s+(?:"((?:[^"]|"")+)"|([A-Za-z_][\w$]*))/gi;
  for (const sql of statements) {
    for (const m of sql.replace(/--[^\n]*/g, '').matchAll(pattern)) {
      const role = m[1] !== undefined ? m[1].replace(/""/g, '"') : m[2]!.toLowerCase();
      if (!roles.includes(role)) roles.push(role);
    }
  }
  return roles;
}
