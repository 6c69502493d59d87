import type { ProjectIndex } from './projectIndex';
import type { Located } from './selection';
import type { DrizzleObject, ForeignKeyRef, ObjectMove } from './types';

/**
 * Foreign keys of moved tables, and foreign keys of other tables that point at
 * moved ones: one per constraint, its columns by SQL name (a property the
 * table does not declare, say through a spread, keeps its TypeScript name).
 */
export function collectForeignKeys(all: Located[], moves: ObjectMove[], index: ProjectIndex): ForeignKeyRef[] {
  const schemaAfter = new Map<DrizzleObject, string>(moves.map((m) => [m.object, m.to]));
  const byDeclaration = new Map<string, DrizzleObject>();
  for (const { object, file } of all) {
    if (object.identifier) byDeclaration.set(`${file.path}#${object.identifier}`, object);
  }
  const sqlNames = (table: DrizzleObject, properties: string[]) => properties.map((p) => table.columns?.get(p) ?? p);
  const refs: ForeignKeyRef[] = [];
  for (const file of index.files.values()) {
    const tables = new Map(file.objects.filter((o) => o.kind === 'table').map((o) => [o.callee.start, o]));
    for (const fk of file.foreignKeys) {
      const table = tables.get(fk.tableStart);
      if (!table?.name) continue;
      const resolved = index.resolveLocal(file.path, fk.targetIdentifier);
      const target = resolved && byDeclaration.get(`${resolved.file}#${resolved.localName}`);
      if (!schemaAfter.has(table) && !(target && schemaAfter.has(target))) continue;
      refs.push({
        fromTable: { name: table.name, schema: schemaAfter.get(table) ?? table.schema },
        targetIdentifier: fk.targetIdentifier,
        column: fk.targetProperties[0]!,
        columns: sqlNames(table, fk.properties),
        location: fk.location,
        ...(target?.name && target.kind === 'table'
          ? { to: { name: target.name, schema: schemaAfter.get(target) ?? target.schema, columns: sqlNames(target, fk.targetProperties) } }
          : {}),
      });
    }
  }
  return refs;
}
