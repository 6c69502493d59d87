/**
 * What `--strategy copy` cannot carry over or make safe, said before anything
 * is written (`hazard:` lines, `migration.hazards`): grants, policies and
 * triggers outside Drizzle, views that read the old tables, columns that do
 * not survive the copy, enum types created anew under --compat.
 */

import type { SnapshotColumn, SnapshotTable } from '../generate/migrationsFolder';
import type { CopyInput } from './copyStrategy';
import { parseStatements } from './pgParser';

export const keyOf = (schema: string | undefined, name: string) => `${schema ?? 'public'}.${name}`;
export const tableSchema = (t: SnapshotTable) => t.schema || 'public';
export const isSerial = (c: SnapshotColumn) => /^(small|big)?serial$/i.test(c.type);

/** Tables a SQL text reads (every RangeVar in its parse tree), for view definitions. */
function relationsRead(parsed: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(parsed)) for (const item of parsed) relationsRead(item, found);
  else if (parsed && typeof parsed === 'object') {
    for (const [k, v] of Object.entries(parsed)) {
      if (k === 'RangeVar' && v && typeof v === 'object') {
        const r = v as { schemaname?: string; relname: string };
        found.add(keyOf(r.schemaname, r.relname));
      }
      relationsRead(v, found);
    }
  }
  return found;
}

export function hazardsOf(input: CopyInput, tables: { old: SnapshotTable; next: SnapshotTable }[]): string[] {
  const hazards: string[] = [];
  const names = tables.map((t) => `${tableSchema(t.old)}.${t.old.name}`);
  const list = (xs: string[]) => (xs.length > 3 ? `${xs.slice(0, 3).join(', ')} and ${xs.length - 3} more` : xs.join(', '));
  hazards.push(
    input.grants.length > 0
      ? `grants on ${list(names)} are not copied; --grant gives ${input.grants.join(', ')} access to the new tables, any other role loses it`
      : `grants on ${list(names)} are not copied; pass --grant <role> for each role that reads or writes them`,
  );
  const withPolicies = tables.filter((t) => t.next.isRLSEnabled || Object.keys((t.next.policies as object | undefined) ?? {}).length > 0);
  if (withPolicies.length > 0) {
    hazards.push(`RLS and the policies declared in Drizzle on ${list(withPolicies.map((t) => t.next.name))} are re-created by drizzle-kit on the new tables`);
  }
  hazards.push(
    `RLS policies, triggers, rules, indexes and comments that are not declared in Drizzle stay on the old tables${input.keepSource ? '' : ' and are dropped with them'}`,
  );
  const moved = new Set(names);
  const movedViews = new Set(input.relocations.filter((r) => r.kind === 'view' || r.kind === 'materializedView').map((r) => keyOf(r.from, r.name)));
  for (const [key, view] of Object.entries(input.previous.views ?? {})) {
    if (movedViews.has(key) || typeof view.definition !== 'string') continue;
    let reads: Set<string>;
    try {
      reads = relationsRead(parseStatements(view.definition));
    } catch {
      continue;
    }
    const hit = [...reads].filter((r) => moved.has(r));
    if (hit.length > 0) hazards.push(`view ${key} (declared in Drizzle) reads ${hit.join(', ')}; it must be re-created on the new tables before they are dropped`);
  }
  hazards.push(
    input.keepSource
      ? `views, functions and tables outside Drizzle that use the old tables keep using them; rows written there after the migration are not copied`
      : `views and foreign keys outside Drizzle that use the old tables make their DROP fail (nothing is dropped CASCADE)`,
  );
  const copiedEnums = input.relocations.filter((r) => r.kind === 'enum');
  if (input.compat && copiedEnums.length > 0) {
    // Found by the load test (bench/compat.bench.js): the view's column gets the copy's type, a new OID.
    hazards.push(
      `enum(s) ${list(copiedEnums.map((r) => `${r.from}.${r.name}`))} are created anew for the copies, so the compat views return a different type: a prepared statement of the old app that returns such a column fails once per connection (cached plan must not change result type); --strategy move keeps the type`,
    );
  }
  for (const { old, next } of tables) {
    const lost = Object.keys(old.columns).filter((c) => !next.columns[c]);
    if (lost.length > 0) hazards.push(`${old.name}: column(s) ${lost.join(', ')} are not in the new table; their values are not copied`);
    const unfilled = Object.values(next.columns).filter(
      (c) => !old.columns[c.name] && c.notNull && c.default === undefined && !c.identity && !c.generated && !isSerial(c),
    );
    if (unfilled.length > 0) hazards.push(`${next.name}: new NOT NULL column(s) ${unfilled.map((c) => c.name).join(', ')} without a default make the copy fail`);
  }
  return hazards;
}

/**
 * Columns of tables that stay, typed by an enum that moves: drizzle-kit does
 * not re-type them (it does not compare a column's type schema), and the old
 * enum cannot be dropped while they use it. Postgres has no cast between two
 * enums, text has one to each; a default is set again after the change.
 */
