import type { Relocation } from '../generate/relocateSnapshot';
import type { MigrationSource } from './routineRepairs';
import { loadPgParser } from './pgParser';

/**
 * A privilege on a table is reachable only with USAGE on its schema. A role
 * that the project's migrations granted something on a moved object (Supabase's
 * `GRANT INSERT ON public.profiles TO supabase_auth_admin`), and that could
 * use the source schema, reaches that object after the move only with USAGE
 * on the target schema: the move grants exactly that, nothing wider. Every
 * role can use `public` (Postgres grants USAGE on it to PUBLIC); another
 * source schema counts when the migrations grant USAGE on it to the role or
 * to PUBLIC. Decided from the migrations' text; verification then compares
 * each grant's reach before and after on the replayed database.
 */

type Node = Record<string, any>; // the parser's JSON AST

interface LibPgQuery {
  parseSync(sql: string): { stmts: Array<{ stmt: Node }> };
}

/** Per target schema, the roles that need USAGE on it to keep reaching what moved there. */
export async function usageCarriedOver(migrations: MigrationSource[], relocations: Relocation[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (relocations.length === 0) return out;
  await loadPgParser();
  const lib = require('libpg-query') as LibPgQuery;
  // `role schema.relation`, and `role schema` for USAGE on a schema ('' is PUBLIC).
  const onRelations = new Set<string>();
  const allInSchema = new Set<string>();
  const usage = new Set<string>();
  for (const m of migrations) {
    if (!/\bgrant\b/i.test(m.sql)) continue;
    let stmts: Array<{ stmt: Node }>;
    try {
      stmts = lib.parseSync(m.sql).stmts;
    } catch {
      continue; // its grants are not carried over; verification compares every grant's reach before and after
    }
    for (const { stmt } of stmts) {
      const g = stmt.GrantStmt as Node | undefined;
      if (!g) continue;
      const roles = ((g.grantees ?? []) as Node[]).map((r) => (r.RoleSpec?.roletype === 'ROLESPEC_PUBLIC' ? '' : (r.RoleSpec?.rolename as string | undefined)));
      const objects = (g.objects ?? []) as Node[];
      const keys: string[] = [];
      let into = onRelations;
      if (g.targtype === 'ACL_TARGET_OBJECT' && (g.objtype === 'OBJECT_TABLE' || g.objtype === 'OBJECT_SEQUENCE')) {
        for (const o of objects) keys.push(`${o.RangeVar?.schemaname ?? 'public'}.${o.RangeVar?.relname}`);
      } else if (g.targtype === 'ACL_TARGET_ALL_IN_SCHEMA') {
        into = allInSchema;
        for (const o of objects) keys.push(o.String?.sval as string);
      } else if (g.targtype === 'ACL_TARGET_OBJECT' && g.objtype === 'OBJECT_SCHEMA') {
        const privileges = ((g.privileges ?? []) as Node[]).map((p) => (p.AccessPriv?.priv_name as string | undefined)?.toLowerCase());
        if (privileges.length > 0 && !privileges.includes('usage')) continue;
        into = usage;
        for (const o of objects) keys.push(o.String?.sval as string);
      } else {
        continue;
      }
      for (const role of roles) {
        if (role === undefined) continue;
        for (const key of keys) {
          if (g.is_grant) into.add(`${role} ${key}`);
          else if (!g.privileges?.length) into.delete(`${role} ${key}`);
        }
      }
    }
  }
  const canUse = (role: string, schema: string) => schema === 'public' || usage.has(`${role} ${schema}`) || usage.has(` ${schema}`);
  const roles = new Set([...onRelations, ...allInSchema].map((k) => k.slice(0, k.indexOf(' '))));
  for (const r of relocations) {
    for (const role of roles) {
      // PUBLIC's privileges are not carried: USAGE to PUBLIC on the target would open it to every role.
      if (role === '' || !canUse(role, r.from)) continue;
      if (!onRelations.has(`${role} ${r.from}.${r.name}`) && !allInSchema.has(`${role} ${r.from}`)) continue;
      const list = out.get(r.to) ?? [];
      if (!list.includes(role)) list.push(role);
      out.set(r.to, list);
    }
  }
  return out;
}
