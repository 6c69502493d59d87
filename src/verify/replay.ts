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
}

/** What to put in a prelude (or which engine to use) for the errors a bare database gives platform-made migrations. */
export function hintFor(message: string, code?: string): string | undefined {
  const role = /role "([^"]+)" does not exist/.exec(message);
  if (role) return `the role ${role[1]} is made by your platform, not your migrations: create it in a --prelude file (CREATE ROLE ${role[1]} NOLOGIN;)`;
  const fn = /function (.+?) does not exist/.exec(message);
  if (fn) return `${fn[1]} is defined outside your migrations: define it (a stub is enough) in a --prelude file`;
  const schema = /schema "([^"]+)" does not exist/.exec(message);
  if (schema) return `the schema ${schema[1]} is made outside your migrations: CREATE SCHEMA ${schema[1]} in a --prelude file`;
  const extension = /extension "([^"]+)" is not available|could not open extension control file .*\/([^/]+)\.control/.exec(message);
  if (extension) return `the extension ${extension[1] ?? extension[2]} is not available on this engine: try --engine postgres`;
  if (code === '42704' && /operator class/.test(message)) return 'an index names an operator class that does not fit its column type: fix the index in the schema';
  return undefined;
}

export function describeFailure(f: StatementFailure): string {
  return `${f.file}: statement ${f.statement} (${f.firstLine}) failed: ${f.message}${f.hint ? `; hint: ${f.hint}` : ''}`;
}

const firstLine = (sql: string) => {
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
      const e = error as { message?: string; code?: string };
      const message = (e.message ?? String(error)).split('\n')[0]!;
      const hint = hintFor(message, e.code);
      return {
        file,
        statement: i + 1,
        firstLine: firstLine(sql),
        message,
        ...(e.code ? { code: e.code } : {}),
        ...(hint ? { hint } : {}),
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
 * Roles that GRANT, REVOKE, ALTER DEFAULT PRIVILEGES and CREATE POLICY
 * statements name: a hosted platform makes them (Supabase's `authenticated`,
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
