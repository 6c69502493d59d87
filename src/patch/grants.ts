import { ident, quoteLiteral } from '../sql/identifiers';

/** What `--grant <role>` gives on a target schema. */
export function grantStatements(schema: string, role: string): string[] {
  const s = ident(schema);
  const r = ident(role);
  return [
    `GRANT USAGE ON SCHEMA ${s} TO ${r};`,
    `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${s} TO ${r};`,
    `GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA ${s} TO ${r};`,
    `ALTER DEFAULT PRIVILEGES IN SCHEMA ${s} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${r};`,
    `ALTER DEFAULT PRIVILEGES IN SCHEMA ${s} GRANT USAGE, SELECT ON SEQUENCES TO ${r};`,
  ];
}

/*
 * The rollback must take away what the grants gave and nothing else: a table
 * moved in keeps its own privileges (Supabase's grants to anon, authenticated
 * and service_role, a grant from an earlier migration), and a role that held
 * SELECT before the move must hold it after the rollback. Only the database
 * knows, when the migration runs, what each role held, so the migration writes
 * that down (in the target schema's comment, the one place that goes with the
 * schema and that drizzle-kit does not compare) right before it grants, and
 * the rollback revokes only what is not written there, then puts the comment
 * back as it was. Relations are recorded by oid, which SET SCHEMA keeps.
 */

/** The DO block with a dollar-quote delimiter that no name inside it can close early. */
export function doBlock(sql: string): string {
  let tag = 'reschema';
  const body = sql.replace(/\$reschema\$/g, '');
  for (let i = 1; body.includes(`$${tag}$`); i++) tag = `reschema${i}`;
  return sql.replace(/\$reschema\$/g, `$${tag}$`);
}

const rolesArray = (roles: string[]) => `ARRAY[${roles.map(quoteLiteral).join(', ')}]::text[]`;

/** Every privilege a role holds directly in the schema, as `role PRIVILEGE ON SCHEMA|<oid>|DEFAULT <r|S>`. */
function heldPrivileges(schema: string, roles: string[]): string {
  const n = `(SELECT oid FROM pg_namespace WHERE nspname = ${quoteLiteral(schema)})`;
  const role = 'pg_get_userbyid(a.grantee)';
  return `SELECT ${role} || ' ' || a.privilege_type || ' ON SCHEMA' AS held
       FROM pg_namespace n, aclexplode(n.nspacl) a WHERE n.oid = ${n} AND ${role} = ANY (${rolesArray(roles)})
     UNION ALL
     SELECT ${role} || ' ' || a.privilege_type || ' ON ' || c.oid
       FROM pg_class c, aclexplode(c.relacl) a WHERE c.relnamespace = ${n} AND ${role} = ANY (${rolesArray(roles)})
     UNION ALL
     SELECT ${role} || ' ' || a.privilege_type || ' ON DEFAULT ' || d.defaclobjtype::text
       FROM pg_default_acl d, aclexplode(d.defaclacl) a
       WHERE d.defaclnamespace = ${n} AND d.defaclrole = (SELECT oid FROM pg_roles WHERE rolname = current_user) AND ${role} = ANY (${rolesArray(roles)})`;
}

/** The migration's statement, right before its grants on `schema`. */
export function recordHeldPrivileges(schema: string, roles: string[], tag: string): string {
  return doBlock(`-- What the --grant roles already hold in this schema, kept in its comment for the rollback, which revokes only what the grants below add.
DO $reschema$
BEGIN
  EXECUTE format('COMMENT ON SCHEMA %I IS %L', ${quoteLiteral(schema)}, (
    SELECT jsonb_build_object(
      'drizzle-reschema', ${quoteLiteral(`privileges held before ${tag}; its rollback reads and removes this`)},
      'comment', obj_description((SELECT oid FROM pg_namespace WHERE nspname = ${quoteLiteral(schema)}), 'pg_namespace'),
      'held', coalesce(jsonb_agg(h.held), '[]'::jsonb))::text
    FROM (${heldPrivileges(schema, roles)}) h));
END $reschema$;`);
}

/** The rollback's statement, before the moves back: revokes what the grants added, restores the comment. */
export function revokeGrantedPrivileges(schema: string, roles: string[], tag: string): string {
  const s = quoteLiteral(schema);
  const n = `(SELECT oid FROM pg_namespace WHERE nspname = ${s})`;
  return doBlock(`-- Revokes what the migration granted to the --grant roles in this schema, and only that: what they held before stays.
DO $reschema$
DECLARE
  before jsonb := (SELECT obj_description(oid, 'pg_namespace')::jsonb FROM pg_namespace WHERE nspname = ${s});
  granted record;
BEGIN
  IF before IS NULL OR NOT before ? 'held' THEN
    RAISE EXCEPTION 'schema % has no record of the privileges held before % (its comment): was the migration applied?', ${s}, ${quoteLiteral(tag)};
  END IF;
  FOR granted IN
    SELECT 1 AS step, format('%s %s ON DEFAULT %s', r, v.p, v.t) AS key,
           format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I REVOKE %s ON %s FROM %I', ${s}, v.p, CASE v.t WHEN 'r' THEN 'TABLES' ELSE 'SEQUENCES' END, r) AS sql
      FROM unnest(${rolesArray(roles)}) r,
           (VALUES ('r', 'SELECT'), ('r', 'INSERT'), ('r', 'UPDATE'), ('r', 'DELETE'), ('S', 'USAGE'), ('S', 'SELECT')) v(t, p)
    UNION ALL
    SELECT 2, format('%s %s ON %s', r, p, c.oid),
           format('REVOKE %s ON %s %I.%I FROM %I', p, CASE c.relkind WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END, ${s}, c.relname, r)
      FROM unnest(${rolesArray(roles)}) r, pg_class c,
           unnest(CASE c.relkind WHEN 'S' THEN ARRAY['USAGE', 'SELECT'] ELSE ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE'] END) p
      WHERE c.relnamespace = ${n} AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
    UNION ALL
    SELECT 3, format('%s USAGE ON SCHEMA', r), format('REVOKE USAGE ON SCHEMA %I FROM %I', ${s}, r) FROM unnest(${rolesArray(roles)}) r
    ORDER BY 1
  LOOP
    IF NOT (before -> 'held') ? granted.key THEN
      EXECUTE granted.sql;
    END IF;
  END LOOP;
  EXECUTE format('COMMENT ON SCHEMA %I IS %L', ${s}, before ->> 'comment');
END $reschema$;`);
}

/**
 * The migration's grant statements for every target schema and role (each
 * schema's record of what the roles held first), and the rollback's revokes.
 */
export function grantsAndRecord(schemas: string[], roles: string[], tag: string): { grants: string[]; revokes: string[] } {
  if (roles.length === 0) return { grants: [], revokes: [] };
  return {
    grants: schemas.flatMap((schema) => [recordHeldPrivileges(schema, roles, tag), ...roles.flatMap((role) => grantStatements(schema, role))]),
    revokes: schemas.map((schema) => revokeGrantedPrivileges(schema, roles, tag)),
  };
}
