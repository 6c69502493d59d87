import type { ObjectKind } from '../plan/types';
import type { PgSnapshot } from './migrationsFolder';
import { relocateSqlText, type RelationMove } from './relocateSqlText';

/** One object changing schema, in SQL terms. */
export interface Relocation {
  kind: ObjectKind;
  name: string;
  from: string;
  to: string;
}

const key = (schema: string, name: string) => `${schema}.${name}`;
/** drizzle-kit writes `schema: ""` for public tables, and `schemaTo` only for non-public FK targets. */
const tableSchemaField = (schema: string) => (schema === 'public' ? '' : schema);

function rekey<T>(record: Record<string, T>, from: string, to: string): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [k, v] of Object.entries(record)) out[k === from ? to : k] = v;
  return out;
}

/**
 * The snapshot as drizzle-kit would have written it had the objects always
 * lived in their target schemas. Given to drizzle-kit as the previous state,
 * it makes drizzle-kit see no move (so it asks nothing) while it still
 * generates every other change, CREATE SCHEMA included.
 * Returns the relocations that applied (objects present in the snapshot).
 */
export function relocateSnapshot(
  snapshot: PgSnapshot,
  relocations: Relocation[],
): { snapshot: PgSnapshot; applied: Relocation[] } {
  const next: PgSnapshot = JSON.parse(JSON.stringify(snapshot));
  const applied: Relocation[] = [];
  const movedTables = new Map<string, string>(); // "from.name" -> to
  const movedEnums = new Map<string, string>();
  const movedSequences = new Map<string, string>();

  for (const r of relocations) {
    const oldKey = key(r.from, r.name);
    const newKey = key(r.to, r.name);
    if (r.kind === 'table' && next.tables[oldKey]) {
      next.tables = rekey(next.tables, oldKey, newKey);
      next.tables[newKey]!.schema = tableSchemaField(r.to);
      movedTables.set(oldKey, r.to);
      applied.push(r);
    } else if (r.kind === 'enum' && next.enums[oldKey]) {
      next.enums = rekey(next.enums, oldKey, newKey);
      next.enums[newKey]!.schema = r.to;
      movedEnums.set(oldKey, r.to);
      applied.push(r);
    } else if (r.kind === 'sequence' && next.sequences?.[oldKey]) {
      next.sequences = rekey(next.sequences, oldKey, newKey);
      next.sequences[newKey]!.schema = r.to;
      movedSequences.set(oldKey, r.to);
      applied.push(r);
    } else if ((r.kind === 'view' || r.kind === 'materializedView') && next.views?.[oldKey]) {
      next.views = rekey(next.views, oldKey, newKey);
      next.views[newKey]!.schema = r.to;
      applied.push(r);
    }
  }

  for (const table of Object.values(next.tables)) {
    const tableSchema = table.schema || 'public';
    const tableMoved = relocations.some((r) => r.kind === 'table' && r.to === tableSchema && r.name === table.name && movedTables.has(key(r.from, r.name)));
    for (const column of Object.values(table.columns)) {
      if (column.typeSchema !== undefined) {
        const to = movedEnums.get(key(column.typeSchema, column.type.replace(/\[\]$/g, '')));
        if (to !== undefined) column.typeSchema = to;
      }
      // Identity sequences belong to their table and move with it.
      if (column.identity && tableMoved) column.identity.schema = tableSchema;
    }
    for (const fk of Object.values(table.foreignKeys)) {
      const to = movedTables.get(key(fk.schemaTo || 'public', fk.tableTo));
      if (to === undefined) continue;
      if (to === 'public') delete fk.schemaTo;
      else fk.schemaTo = to;
    }
  }
  relocateSnapshotText(next, applied.filter((r) => r.kind === 'table' || r.kind === 'view' || r.kind === 'materializedView'));
  return { snapshot: next, applied };
}

type Texts = Record<string, unknown> | undefined;

/**
 * Every piece of SQL text drizzle-kit compares, relocated: left naming the old
 * schema, it makes drizzle-kit drop and rebuild partial indexes, checks,
 * generated columns, views and policies of objects that only moved.
 */
function relocateSnapshotText(snapshot: PgSnapshot, moves: RelationMove[]): void {
  if (moves.length === 0) return;
  const text = (holder: Texts, field: string) => {
    if (holder && typeof holder[field] === 'string') holder[field] = relocateSqlText(holder[field] as string, moves);
  };
  const each = (record: unknown) => Object.values((record ?? {}) as Record<string, Record<string, unknown>>);
  for (const table of Object.values(snapshot.tables)) {
    for (const column of Object.values(table.columns)) {
      text(column.generated, 'as');
      text(column, 'default');
    }
    for (const index of each(table.indexes)) {
      text(index, 'where');
      for (const column of (index.columns ?? []) as Array<Record<string, unknown>>) if (column.isExpression) text(column, 'expression');
    }
    for (const check of each(table.checkConstraints)) text(check, 'value');
    for (const policy of each(table.policies)) {
      text(policy, 'using');
      text(policy, 'withCheck');
    }
  }
  // Policies linked to tables outside the schema files (`.link()`) live at the top.
  for (const policy of each(snapshot.policies)) {
    text(policy, 'using');
    text(policy, 'withCheck');
  }
  for (const view of each(snapshot.views)) text(view, 'definition');
}

/**
 * For `--strategy copy`: the snapshot without the moved objects, given to
 * drizzle-kit as the previous state. drizzle-kit then sees only new objects
 * in the target schemas (so it asks nothing: nothing was deleted that could
 * be a rename) and writes their CREATE TYPE / CREATE TABLE / FKs / indexes /
 * policies itself; the copy and the drops of the old objects are the patch
 * stage's. References to the moved objects from objects that stay (a column
 * of a moved enum type, an FK to a moved table) are left pointing at the old
 * schema, so drizzle-kit writes the change that repoints them.
 */
export function hideRelocatedObjects(
  snapshot: PgSnapshot,
  relocations: Relocation[],
): { snapshot: PgSnapshot; applied: Relocation[] } {
  const next: PgSnapshot = JSON.parse(JSON.stringify(snapshot));
  const applied: Relocation[] = [];
  const collection = (r: Relocation): Record<string, unknown> | undefined => {
    if (r.kind === 'table') return next.tables;
    if (r.kind === 'enum') return next.enums;
    if (r.kind === 'sequence') return next.sequences;
    return next.views;
  };
  for (const r of relocations) {
    const records = collection(r);
    const oldKey = key(r.from, r.name);
    if (!records || !(oldKey in records)) continue;
    delete records[oldKey];
    applied.push(r);
  }
  return { snapshot: next, applied };
}
