import type { PgSnapshot } from '../generate/migrationsFolder';
import { grantStatements } from '../patch/grants';
import { entryKey, type Entry, type Fingerprint, type FingerprintDifference } from './fingerprint';

/**
 * What a move may add besides the objects it moves: the target schemas, the
 * objects drizzle-kit writes for other pending changes (tables, columns,
 * indexes, constraints, enums, sequences, views, and the policies the schema
 * declares), and for each `--grant` role the privileges `grantStatements`
 * gives. Anything else it adds widens access or changes behaviour (a trigger,
 * a rule, a function, a grant to PUBLIC or of more than those privileges) and
 * is a failure naming the object.
 */
export interface AllowedAdditions {
  /** The `--grant` roles. */
  grantRoles: string[];
  /** The snapshot after the migration: its policies may appear. */
  snapshot: PgSnapshot;
  /**
   * `schema:role` of the grants that moved into a schema with their objects:
   * USAGE on that schema for that role restores the reach it had, it widens nothing.
   */
  movedGrants: Set<string>;
}

/** Privileges `--grant` gives on tables and sequences. */
const GRANTED = new Set(['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'USAGE']);
/** The same as ACL letters (`aclitem`): r=SELECT a=INSERT w=UPDATE d=DELETE U=USAGE. */
const GRANTED_LETTERS = /^[rawdU]+$/;

/**
 * The `--grant` roles of a migration read from disk, where the plan is gone:
 * the roles it gives every one of the statements `--grant` writes for one of
 * its schemas. A hand edit that grants a role less than that set still has to
 * stay within it to pass.
 */
export function grantRolesOf(sql: string, schemas: string[]): string[] {
  const candidates = new Set<string>();
  for (const m of sql.matchAll(/GRANT USAGE ON SCHEMA \S+ TO ("(?:[^"]|"")+"|[^\s;]+);/g)) {
    candidates.add(m[1]!.startsWith('"') ? m[1]!.slice(1, -1).replace(/""/g, '"') : m[1]!);
  }
  return [...candidates].filter((role) => schemas.some((schema) => grantStatements(schema, role).every((g) => sql.includes(g))));
}

/** What `grantStatements` gives a role on each kind of relation of the schema. */
const GRANTED_ON = { table: ['DELETE', 'INSERT', 'SELECT', 'UPDATE'], sequence: ['SELECT', 'USAGE'] };

/**
 * A role that already held privileges on a moved object, and is a `--grant`
 * role of its target schema, holds after the migration what it had plus what
 * the grants give (and reaches the schema): the expected grant entries are
 * widened to that, in place, so that only a grant beyond it is a difference.
 * The rollback is compared with the state before, unwidened.
 */
export function widenByGrants(expected: Fingerprint, grantRoles: string[], targets: Set<string>, creator: string): void {
  if (grantRoles.length === 0) return;
  const roles = new Set(grantRoles);
  for (const [key, e] of expected) {
    if (e.kind === 'default privileges' && targets.has(e.schema)) {
      const letters = e.name === `tables created by ${creator}` ? 'arwd' : e.name === `sequences created by ${creator}` ? 'rU' : undefined;
      if (letters) expected.set(key, { ...e, value: widenAcl(e.value, grantRoles, letters, creator) });
      continue;
    }
    const grantee = e.name.slice(e.name.lastIndexOf(':') + 1);
    if (e.kind !== 'grant' || !targets.has(e.schema) || !roles.has(grantee)) continue;
    const held = e.value.replace(/ \(no USAGE.*\)$/, '').split(',');
    const isSequence = expected.has(entryKey({ kind: 'sequence', schema: e.schema, name: e.table ?? '' }));
    const given = GRANTED_ON[isSequence ? 'sequence' : 'table'].filter((p) => !held.some((h) => h.split(' ')[0] === p));
    // aclexplode's order (privilege_type), as the fingerprint's string_agg prints it.
    const widened = [...held, ...given].sort((a, b) => (a.split(' ')[0]! < b.split(' ')[0]! ? -1 : 1));
    expected.set(key, { ...e, value: widened.join(',') });
  }
}

/** Postgres' order of privilege letters in an aclitem (ACL_ALL_RIGHTS_STR). */
const ACL_LETTERS = 'arwdDxtXUCTcsAm';

/**
 * `{reader=r/postgres}` after `ALTER DEFAULT PRIVILEGES ... GRANT` of
 * `letters` to `roles` by `grantor`: an item of the role gains them in place,
 * a role without one is appended, as Postgres edits the array.
 */
function widenAcl(acl: string, roles: string[], letters: string, grantor: string): string {
  const items = acl.replace(/^\{|\}$/g, '').split(',').filter(Boolean);
  for (const role of roles) {
    const at = items.findIndex((item) => aclItems(item)[0]?.grantee === role && item.endsWith(`/${grantor}`));
    const held = at < 0 ? '' : aclItems(items[at]!)[0]!.privileges;
    const union = [...ACL_LETTERS].filter((l) => held.includes(l) || letters.includes(l)).join('');
    const item = `${items[at]?.slice(0, items[at]!.lastIndexOf('=')) ?? role}=${union}/${grantor}`;
    if (at < 0) items.push(item);
    else items[at] = item;
  }
  return `{${items.join(',')}}`;
}

/**
 * A target schema that was there before the migration: `--grant` gives its
 * roles USAGE on it, which widens nothing they are not meant to have. Its
 * privileges are compared without those roles' plain USAGE items, on both
 * sides; the rollback is compared with the state before as it is.
 */
export function withoutGrantedUsage(fp: Fingerprint, grantRoles: string[], targets: Set<string>): Fingerprint {
  if (grantRoles.length === 0) return fp;
  const roles = new Set(grantRoles);
  const out: Fingerprint = new Map(fp);
  for (const [key, e] of fp) {
    const m = e.kind === 'schema' && targets.has(e.name) ? /^owner (\S+), privileges (.*)$/.exec(e.value) : null;
    if (!m) continue;
    const owner = m[1]!;
    const acl = m[2]!.replace(/^\{|\}$/g, '');
    const kept = acl.split(',').filter((item) => {
      const a = aclItems(item)[0];
      return !(a && roles.has(a.grantee) && a.privileges === 'U');
    });
    out.set(key, { ...e, value: `owner ${owner}, privileges {${kept.join(',')}}` });
  }
  return out;
}

/**
 * The fingerprint with each schema comment that holds `--grant`'s record of
 * the privileges held before (`recordHeldPrivileges` in src/patch/grants.ts)
 * read as the comment it keeps inside: the user's comment, or none. A record
 * the plan did not write (no `--grant` role) is left as it is.
 */
export function withoutGrantRecords(fp: Fingerprint, grantRoles: string[]): Fingerprint {
  if (grantRoles.length === 0) return fp;
  const out: Fingerprint = new Map(fp);
  for (const [key, e] of fp) {
    if (e.kind !== 'comment' || e.name !== `${e.schema} (schema)`) continue;
    const kept = grantRecord(e.value);
    if (kept === undefined) continue;
    if (kept === null) out.delete(key);
    else out.set(key, { ...e, value: kept });
  }
  return out;
}

/** The comment a `--grant` record keeps (null: none), or undefined when `comment` is not such a record. */
function grantRecord(comment: string): string | null | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(comment);
  } catch {
    return undefined;
  }
  if (!parsed || typeof parsed !== 'object' || !('drizzle-reschema' in parsed) || !('held' in parsed)) return undefined;
  const inner = (parsed as { comment?: unknown }).comment;
  return typeof inner === 'string' ? inner : null;
}

/** Each added entry the plan does not account for, as a difference naming it. */
export function unexpectedAdditions(added: Entry[], allowed: AllowedAdditions): FingerprintDifference[] {
  const roles = new Set(allowed.grantRoles);
  const policies = new Set(
    Object.values(allowed.snapshot.tables).flatMap((t) =>
      Object.values((t as { policies?: Record<string, { name: string }> }).policies ?? {}).map((p) => `${t.schema || 'public'}.${t.name}.${p.name}`),
    ),
  );
  const out: FingerprintDifference[] = [];
  const refuse = (e: Entry, why: string) =>
    out.push({ kind: e.kind, object: e.kind === 'schema' ? e.name : `${e.schema}.${e.name}`, before: 'not added by the plan', after: `${why}: ${e.value}` });
  for (const e of added) {
    switch (e.kind) {
      case 'schema': {
        const acl = /privileges \{(.*)\}$/.exec(e.value)?.[1];
        const owner = /^owner (\S+),/.exec(e.value)?.[1];
        const reaches = (role: string) => roles.has(role) || allowed.movedGrants.has(`${e.name}:${role}`);
        const extra = acl ? aclItems(acl).filter((a) => a.grantee !== owner && !(reaches(a.grantee) && a.privileges === 'U')) : [];
        if (extra.length) refuse(e, `schema privileges ${extra.map((a) => `${a.grantee || 'PUBLIC'}=${a.privileges}`).join(',')}`);
        break;
      }
      case 'grant': {
        const grantee = e.name.slice(e.name.lastIndexOf(':') + 1);
        const privileges = e.value.replace(/ \(no USAGE.*\)$/, '').split(',');
        if (grantee === 'public') refuse(e, 'granted to PUBLIC');
        else if (!roles.has(grantee)) refuse(e, `granted to ${grantee}, not a --grant role`);
        else if (!privileges.every((p) => GRANTED.has(p))) refuse(e, 'more than --grant gives');
        break;
      }
      case 'default privileges': {
        const extra = aclItems(e.value.replace(/^\{|\}$/g, '')).filter((a) => !(roles.has(a.grantee) && GRANTED_LETTERS.test(a.privileges)));
        if (extra.length) refuse(e, `default privileges ${extra.map((a) => `${a.grantee || 'PUBLIC'}=${a.privileges}`).join(',')}`);
        break;
      }
      case 'policy':
        if (!policies.has(`${e.schema}.${e.name}`)) refuse(e, 'a policy the schema does not declare');
        break;
      case 'trigger':
      case 'rule':
      case 'function':
      case 'column grant':
        refuse(e, 'added by the migration');
        break;
      default:
        // Tables, columns, indexes, constraints, enums, sequences, views, settings and
        // comments of other pending changes: drizzle-kit's, compared with the snapshot by the drift check.
        break;
    }
  }
  return out;
}

/** `{postgres=UC/postgres,=U/postgres}` items; an empty grantee is PUBLIC. */
function aclItems(acl: string): Array<{ grantee: string; privileges: string }> {
  return acl
    .split(',')
    .filter(Boolean)
    .map((item) => {
      const [left = ''] = item.split('/');
      const eq = left.lastIndexOf('=');
      const grantee = left.slice(0, eq).replace(/^"|"$/g, '');
      return { grantee, privileges: left.slice(eq + 1) };
    });
}
