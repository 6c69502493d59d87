import { COMPAT_MARKER, compatDate } from '../patch/compatViews';
import type { Database } from './database';
import type { Entry, Fingerprint, FingerprintDifference, SchemaMove } from './fingerprint';

/**
 * The views `move --compat` leaves (src/patch/compatViews.ts), as the catalog
 * has them: known by their marker comment, so that verify and drift expect
 * them after an expand migration and expect them gone after `contract`.
 */
export interface CompatViewState {
  schema: string;
  name: string;
  /** The one relation its rewrite rule reads. */
  over: { schema: string; name: string } | undefined;
  securityInvoker: boolean;
  /** The day the marker says it was made. */
  date: string | undefined;
  /** Owner and privileges by grantee, sorted: `owner x; role=SELECT,...`. */
  access: string;
  /** The same for the relation it reads. */
  overAccess: string | undefined;
}

const ACCESS = (rel: string) => `pg_get_userbyid(${rel}.relowner) || ';' || coalesce((
    SELECT string_agg(x.g || '=' || x.p, ';' ORDER BY x.g) FROM (
      SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END AS g,
             string_agg(a.privilege_type || CASE WHEN a.is_grantable THEN '*' ELSE '' END, ',' ORDER BY a.privilege_type) AS p
      FROM aclexplode(${rel}.relacl) a WHERE a.grantee <> ${rel}.relowner GROUP BY 1) x), '')`;

/** Every marked view in `schemas` (all user schemas when omitted). */
export async function readCompatViews(db: Database, schemas?: string[]): Promise<CompatViewState[]> {
  const rows = await db.query<{
    schema: string;
    name: string;
    comment: string;
    options: string | null;
    over_schema: string | null;
    over_name: string | null;
    access: string;
    over_access: string | null;
  }>(
    `SELECT n.nspname AS schema, c.relname AS name, d.description AS comment, array_to_string(c.reloptions, ',') AS options,
            bn.nspname AS over_schema, b.relname AS over_name, ${ACCESS('c')} AS access, CASE WHEN b.oid IS NOT NULL THEN ${ACCESS('b')} END AS over_access
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     JOIN pg_description d ON d.classoid = 'pg_class'::regclass AND d.objoid = c.oid AND d.objsubid = 0
     LEFT JOIN LATERAL (
       SELECT DISTINCT dep.refobjid FROM pg_rewrite r JOIN pg_depend dep ON dep.classid = 'pg_rewrite'::regclass AND dep.objid = r.oid
       WHERE r.ev_class = c.oid AND dep.refclassid = 'pg_class'::regclass AND dep.refobjid <> c.oid) refs ON true
     LEFT JOIN pg_class b ON b.oid = refs.refobjid LEFT JOIN pg_namespace bn ON bn.oid = b.relnamespace
     WHERE c.relkind = 'v' AND starts_with(d.description, $1) AND ($2::text[] IS NULL OR n.nspname = ANY($2))
     ORDER BY 1, 2`,
    [COMPAT_MARKER, schemas ?? null],
  );
  return rows.map((r) => ({
    schema: r.schema,
    name: r.name,
    over: r.over_schema !== null && r.over_name !== null ? { schema: r.over_schema, name: r.over_name } : undefined,
    securityInvoker: (r.options ?? '').split(',').includes('security_invoker=true'),
    date: compatDate(r.comment),
    access: r.access,
    overAccess: r.over_access ?? undefined,
  }));
}

/** A fingerprint entry of the view itself: the view, its settings, comment and grants. */
export function belongsTo(e: Entry, view: Pick<CompatViewState, 'schema' | 'name'>): boolean {
  return e.schema === view.schema && (e.name === view.name || e.table === view.name);
}

/**
 * After an expand migration: each moved table has its view under the old name, over the table
 * where it went, with security_invoker and exactly the table's owner and grants. Any other shape
 * is a difference naming the view.
 */
export function checkCompatViews(views: CompatViewState[], moves: Array<SchemaMove & { kind: string }>): FingerprintDifference[] {
  const out: FingerprintDifference[] = [];
  const differ = (object: string, before: string, after: string) => out.push({ kind: 'view', object, before, after });
  for (const m of moves.filter((m) => m.kind === 'table')) {
    const object = `${m.from}.${m.name}`;
    const v = views.find((x) => x.schema === m.from && x.name === m.name);
    if (!v) {
      differ(object, `compat view over ${m.to}.${m.name}`, 'absent');
      continue;
    }
    if (v.over?.schema !== m.to || v.over.name !== m.name) differ(object, `reads ${m.to}.${m.name}`, `reads ${v.over ? `${v.over.schema}.${v.over.name}` : 'no single table'}`);
    if (!v.securityInvoker) differ(object, 'security_invoker = true', 'runs with its owner\'s privileges');
    if (v.overAccess !== undefined && v.access !== v.overAccess) differ(object, `the table's owner and grants (${v.overAccess})`, v.access);
  }
  return out;
}

/** The fingerprint without the entries of these views: checked by checkCompatViews, not compared as additions. */
export function withoutViews(fp: Fingerprint, views: Array<Pick<CompatViewState, 'schema' | 'name'>>): Fingerprint {
  if (views.length === 0) return fp;
  const out: Fingerprint = new Map(fp);
  for (const [key, e] of fp) if (views.some((v) => belongsTo(e, v))) out.delete(key);
  return out;
}

/** `public.orders over growth.orders, made 2026-12-01`: how the reports name one. */
export function describeCompatView(v: CompatViewState): string {
  return `${v.schema}.${v.name} over ${v.over ? `${v.over.schema}.${v.over.name}` : '?'}${v.date ? `, made ${v.date}` : ''}`;
}
