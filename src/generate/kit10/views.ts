import type { Relocation } from '../relocateSnapshot';

/** A view as drizzle-kit 1.0's reconstructed schema holds it (`ddl` rows with entityType 'views', rc.5). */
export interface KitView {
  schema: string;
  name: string;
  definition: string | null;
  materialized: boolean;
  [key: string]: unknown;
}

const NAME = '"((?:[^"]|"")+)"';
const DROP_VIEW = new RegExp(`^DROP (MATERIALIZED )?VIEW (?:${NAME}\\.)?${NAME};?$`);
const CREATE_VIEW = new RegExp(`^CREATE (MATERIALIZED )?VIEW (?:${NAME}\\.)?${NAME}\\s`);
const unquote = (s: string) => s.replace(/""/g, '"');
const quote = (s: string) => `"${s.replace(/"/g, '""')}"`;

interface ViewStatement {
  index: number;
  materialized: boolean;
  schema: string;
  name: string;
}

function parse(statement: string, pattern: RegExp, index: number): ViewStatement | undefined {
  const m = pattern.exec(statement.trim());
  return m ? { index, materialized: Boolean(m[1]), schema: m[2] ? unquote(m[2]) : 'public', name: unquote(m[3]!) } : undefined;
}

/**
 * The definition as it read before the moves: drizzle-kit 1.0 names a table
 * outside public as `"schema"."name"` and one in public as `"name"` (rc.5).
 */
function unmoved(definition: string, applied: Relocation[]): string {
  let text = definition;
  for (const r of applied) text = text.split(`${quote(r.to)}.${quote(r.name)}`).join(r.from === 'public' ? quote(r.name) : `${quote(r.from)}.${quote(r.name)}`);
  return text;
}

/**
 * drizzle-kit 1.0 (rc.5) drops and re-creates every view whose definition
 * names a moved table, even with rename hints. Postgres keeps a view across
 * `SET SCHEMA` by OID, and a drop loses its grants and comments and makes a
 * materialized view rebuild, so a pair whose only change is the moved
 * objects' qualification is left out; any other change to the view stays.
 */
export function keepViewsAcrossMoves(statements: string[], before: KitView[], after: KitView[], applied: Relocation[]): string[] {
  const drops = statements.map((s, i) => parse(s, DROP_VIEW, i)).filter((d): d is ViewStatement => d !== undefined);
  const creates = statements.map((s, i) => parse(s, CREATE_VIEW, i)).filter((c): c is ViewStatement => c !== undefined);
  const left = new Set<number>();
  for (const drop of drops) {
    const old = before.find((v) => v.schema === drop.schema && v.name === drop.name);
    const moved = applied.find((r) => (r.kind === 'view' || r.kind === 'materializedView') && r.from === drop.schema && r.name === drop.name);
    const schema = moved ? moved.to : drop.schema;
    const create = creates.find((c) => c.schema === schema && c.name === drop.name && c.materialized === drop.materialized);
    const now = after.find((v) => v.schema === schema && v.name === drop.name);
    if (!old || !create || !now || old.definition === null || now.definition === null) continue;
    const { schema: _s1, definition: d1, ...rest1 } = old;
    const { schema: _s2, definition: d2, ...rest2 } = now;
    if (unmoved(d2, applied) !== d1 || JSON.stringify(rest1) !== JSON.stringify(rest2)) continue;
    left.add(drop.index).add(create.index);
  }
  return statements.filter((_, i) => !left.has(i));
}
