/** Hand-written drizzle-kit snapshots for tests of the row generator and the probes, without a drizzle-kit run. */
import type { PgSnapshot } from '../../src/generate/migrationsFolder';

/** A snapshot table from compact column specs: `name: 'type'` (`!` for NOT NULL, `*` for primary key). */
export function table(schema: string, name: string, columns: Record<string, string>, extra: Record<string, unknown> = {}) {
  return {
    [`${schema}.${name}`]: {
      name,
      schema,
      columns: Object.fromEntries(
        Object.entries(columns).map(([c, spec]) => [
          c,
          { name: c, type: spec.replace(/[!*]/g, ''), primaryKey: spec.includes('*'), notNull: spec.includes('!') || spec.includes('*') },
        ]),
      ),
      indexes: {},
      foreignKeys: {},
      ...extra,
    },
  };
}

export const fk = (name: string, tableFrom: string, columnsFrom: string[], tableTo: string, columnsTo: string[], schemaTo = 's') => ({
  [name]: { name, tableFrom, tableTo, schemaTo, columnsFrom, columnsTo },
});

export const snapshotOf = (tables: Record<string, unknown>, enums: PgSnapshot['enums'] = {}) =>
  ({ id: 'x', prevId: 'y', version: '7', dialect: 'postgresql', enums, schemas: {}, sequences: {}, views: {}, tables }) as unknown as PgSnapshot;
