import type { PgSnapshot, SnapshotTable } from '../generate/migrationsFolder';
import type { SchemaMove } from './fingerprint';

const keyOf = (t: Pick<SnapshotTable, 'schema' | 'name'>) => `${t.schema || 'public'}.${t.name}`;

/** A name as the migration's SQL may spell it: `"Name"` quoted, or bare when Postgres folds it to itself. */
function spelledIn(sql: string, name: string): boolean {
  const quoted = `"${name.replace(/"/g, '""')}"`;
  if (sql.includes(quoted)) return true;
  if (!/^[a-z_][a-z0-9_$]*$/.test(name)) return false;
  return new RegExp(`(^|[^A-Za-z0-9_$"])${name.replace(/\$/g, '\\$')}($|[^A-Za-z0-9_$"])`, 'i').test(sql);
}

export interface SeedScope {
  /** Tables (`schema.table`, as the previous snapshot has them) that get rows. */
  tables: Set<string>;
  /** Why each table is in: moved, named by the migration, FK into a concerned table, or a parent of one of those. */
  reasons: Map<string, string>;
}

/**
 * The tables whose rows the verdict rests on: those the migration concerns
 * (moved, typed by a moved enum, or named by the migration's SQL, which is
 * where an added column or a hand edit shows), the tables with foreign keys
 * into them (a moved parent must keep its children reachable), and every FK
 * ancestor of those (so their rows have parents to reference). Every other
 * table is replayed and compared by structure, without rows: a table the
 * move does not concern can never block it.
 */
export function seedScope(previous: PgSnapshot, moves: Array<SchemaMove & { kind: string }>, migrationSql: string): SeedScope {
  const tables = Object.values(previous.tables);
  const byKey = new Map(tables.map((t) => [keyOf(t), t]));
  const reasons = new Map<string, string>();
  const movedTables = new Set(moves.filter((m) => m.kind === 'table').map((m) => `${m.from}.${m.name}`));
  const movedEnums = new Set(moves.filter((m) => m.kind === 'enum').map((m) => `${m.from}.${m.name}`));

  for (const t of tables) {
    const key = keyOf(t);
    if (movedTables.has(key)) reasons.set(key, 'moved');
    else if (Object.values(t.columns).some((c) => c.typeSchema !== undefined && movedEnums.has(`${c.typeSchema}.${c.type.replace(/(\[\])+$/, '')}`))) {
      reasons.set(key, 'uses a moved enum');
    } else if (spelledIn(migrationSql, t.name)) reasons.set(key, 'named by the migration');
  }
  const concerned = new Set(reasons.keys());
  for (const t of tables) {
    const key = keyOf(t);
    if (reasons.has(key)) continue;
    const into = Object.values(t.foreignKeys).find((fk) => concerned.has(`${fk.schemaTo || 'public'}.${fk.tableTo}`));
    if (into) reasons.set(key, `foreign key ${into.name} into ${into.schemaTo || 'public'}.${into.tableTo}`);
  }
  // Parents, transitively: a child's FK (NOT NULL or not) points at a row that exists.
  const pending = [...reasons.keys()];
  while (pending.length > 0) {
    const t = byKey.get(pending.pop()!);
    for (const fk of Object.values(t?.foreignKeys ?? {})) {
      const parent = `${fk.schemaTo || 'public'}.${fk.tableTo}`;
      if (!byKey.has(parent) || reasons.has(parent)) continue;
      reasons.set(parent, `parent of ${keyOf(t!)}`);
      pending.push(parent);
    }
  }
  return { tables: new Set(reasons.keys()), reasons };
}
