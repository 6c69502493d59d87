import type { Relocation } from '../generate/relocateSnapshot';
import { InputError } from '../errors';
import { qualified, quoteLiteral } from '../sql/identifiers';
import { doBlock } from './grants';

/*
 * Expand/contract (`move --compat`): old app instances, whose Drizzle code
 * writes the unqualified `"orders"`, keep working during a rolling deploy
 * through a view of the same name left in the old schema over the moved table.
 *
 * A view that is a plain `SELECT *` of one table is automatically updatable:
 * INSERT, UPDATE, DELETE, RETURNING and ON CONFLICT pass through, and a column
 * an INSERT omits (or writes as DEFAULT) gets the base table's default,
 * identity or generated value, because the view has no default of its own to
 * put in its place (checked on PGlite 17 and Postgres 15/18 by
 * __tests__/compat.test.ts). So nothing is carried to the view but access:
 *
 * - `security_invoker = true`: the caller's own privileges and RLS policies
 *   apply to the base table, so the view shows no row the caller could not see
 *   in the table. Postgres 14 and older do not know the option and refuse the
 *   statement: the migration fails, in its transaction, and changes nothing.
 * - the table's grants, read from the catalog when the migration runs (the
 *   table keeps them through SET SCHEMA), and its owner, so the roles that
 *   could use the table can use the view and no other.
 *
 * Every view carries a marker comment, so that verify, drift, --check, the
 * reports and `contract` know it from any other view.
 */

/** The start of every compat view's comment. */
export const COMPAT_MARKER = 'drizzle-reschema compat:';

export interface CompatView {
  /** Where the old code looks: the table's old schema and name. */
  schema: string;
  name: string;
  /** The moved table the view reads and writes. */
  over: { schema: string; name: string };
}

/** The views `--compat` leaves: one per moved table, in its old schema, under its old name. */
export function compatViewsFor(relocations: Relocation[]): CompatView[] {
  return relocations
    .filter((r) => r.kind === 'table')
    .map((r) => ({ schema: r.from, name: r.name, over: { schema: r.to, name: r.name } }));
}

/** `drizzle-reschema compat: view over "billing"."orders" for code that predates <tag>, made <date>; drop with contract`. */
export function compatComment(view: CompatView, tag: string, date: string): string {
  return `${COMPAT_MARKER} view over ${qualified(view.over.schema, view.over.name)} for code that predates ${tag}, made ${date}; drizzle-reschema contract drops it`;
}

/** The day a marker says its view was made, or undefined when the comment is not a marker. */
export function compatDate(comment: string): string | undefined {
  return comment.startsWith(COMPAT_MARKER) ? /, made (\d{4}-\d{2}-\d{2})/.exec(comment)?.[1] : undefined;
}

/** The migration's statements for one view: create it, mark it, give it the table's owner and grants. */
export function createCompatView(view: CompatView, tag: string, date: string): string[] {
  const v = qualified(view.schema, view.name);
  const t = qualified(view.over.schema, view.over.name);
  return [
    `CREATE VIEW ${v} WITH (security_invoker = true) AS SELECT * FROM ${t};`,
    `COMMENT ON VIEW ${v} IS ${quoteLiteral(compatComment(view, tag, date))};`,
    copyAccess(v, t),
  ];
}

/**
 * The table's owner and grants onto the view, as the catalog has them when the
 * migration runs (a grant from an earlier migration or from the platform is in
 * no file this tool reads). The owner is changed only when it differs from the
 * role running the migration, which then must be allowed to (as for any ALTER).
 */
function copyAccess(view: string, table: string): string {
  return doBlock(`-- The view gets the table's owner and grants, no more: old code keeps exactly the access it had.
DO $reschema$
DECLARE
  t regclass := ${quoteLiteral(table)}::regclass;
  owner name := (SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = t);
  g record;
BEGIN
  IF owner <> current_user THEN
    EXECUTE format('ALTER VIEW %s OWNER TO %I', ${quoteLiteral(view)}, owner);
  END IF;
  FOR g IN
    SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END AS grantee, a.privilege_type, a.is_grantable
      FROM pg_class c, aclexplode(c.relacl) a WHERE c.oid = t AND a.grantee <> c.relowner
  LOOP
    EXECUTE format('GRANT %s ON %s TO %s%s', g.privilege_type, ${quoteLiteral(view)}, g.grantee, CASE WHEN g.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END);
  END LOOP;
END $reschema$;`);
}

/** What drops a view (rollback, contract): RESTRICT, so a view someone built on it stops the drop rather than vanish. */
export function dropCompatView(view: Pick<CompatView, 'schema' | 'name'>): string {
  return `DROP VIEW ${qualified(view.schema, view.name)};`;
}

/** The date part of a migration's time, as the marker writes it. */
export function markerDate(when: number | undefined): string {
  return new Date(when ?? Date.now()).toISOString().slice(0, 10);
}

/** A schema the move empties is dropped by drizzle-kit (its pgSchema declaration went), but its views need it. */
export function refuseEmptiedSchemas(views: CompatView[], droppedSchemas: string[]): void {
  const needed = droppedSchemas.filter((s) => views.some((v) => v.schema === s));
  if (needed.length === 0) return;
  throw new InputError(
    `--compat: the move empties schema ${needed.join(', ')}, so drizzle-kit drops it with its pgSchema declaration, but its compat views would live there: keep the declaration exported, or move without --compat`,
  );
}
