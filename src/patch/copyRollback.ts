import type { PgSnapshot, SnapshotForeignKey, SnapshotTable } from '../generate/migrationsFolder';
import type { Relocation } from '../generate/relocateSnapshot';
import type { ParsedStatement, RelationName } from './pgParser';
import { ident, qualified } from '../sql/identifiers';

/** What the copy's rollback leaves of the migration's other statements (those the copy did not write). */
export interface RollbackLeftovers {
  /** Statements whose effect is still there after the rollback, as drizzle-kit wrote them. */
  notUndone: string[];
  /** How many of the others the rollback undoes (they follow the new tables back, or go with them). */
  undone: number;
}

const keyOf = (schema: string | undefined, name: string) => `${schema || 'public'}.${name}`;
const relKey = (r: RelationName) => keyOf(r.schema, r.name);

/**
 * drizzle-kit writes, besides the new tables, their RLS and policies, and it
 * points the foreign keys of tables that stay at the new tables. Moving the
 * new tables back takes all of that with them (policies and FKs are bound to
 * the table, not to its name), so the database is as it was when the old
 * table had the same: those are not "other statements the rollback does not
 * undo". With keepSource the rollback drops the new tables instead: their
 * policies go with them, and a repointed FK is pointed back first.
 */
export function rollbackLeftovers(
  others: ParsedStatement[],
  input: { relocations: Relocation[]; previous: PgSnapshot; next: PgSnapshot; keepSource: boolean },
): RollbackLeftovers {
  const tableMoves = input.relocations.filter((r) => r.kind === 'table');
  const oldOf = new Map<string, SnapshotTable | undefined>(
    tableMoves.map((r) => [keyOf(r.to, r.name), input.previous.tables[keyOf(r.from, r.name)]]),
  );
  const newOf = (r: RelationName) => input.next.tables[relKey(r)];
  // Policy texts name their table qualified by its schema ("app"."profiles"."user_id"), or not in public.
  const schemas = [...new Set(tableMoves.flatMap((r) => [r.from, r.to]))];
  const unqualified = (text: string) => schemas.reduce((t, s) => t.split(`"${s}".`).join(''), text).replace(/\s+/g, ' ');
  const samePolicy = (a: Record<string, unknown> | undefined, b: Record<string, unknown> | undefined) =>
    a !== undefined &&
    b !== undefined &&
    ['as', 'for', 'to', 'using', 'withCheck'].every((k) => {
      const text = (v: unknown) => (typeof v === 'string' ? unqualified(v) : JSON.stringify(v));
      return text(a[k]) === text(b[k]);
    });
  const policiesOf = (t: SnapshotTable | undefined) => (t?.policies ?? {}) as Record<string, Record<string, unknown>>;
  // drizzle-kit enables RLS on every table with a policy.
  const hadRls = (t: SnapshotTable | undefined) => t !== undefined && (t.isRLSEnabled === true || Object.keys(policiesOf(t)).length > 0);

  /** An FK of a table that stays, now pointing at a new table, that pointed at its old version before. */
  const repointed = (table: RelationName, constraint: string | undefined): boolean => {
    if (constraint === undefined) return false;
    const before: SnapshotForeignKey | undefined = input.previous.tables[relKey(table)]?.foreignKeys[constraint];
    const after: SnapshotForeignKey | undefined = input.next.tables[relKey(table)]?.foreignKeys[constraint];
    if (!before || !after) return false;
    const move = tableMoves.find((r) => r.name === after.tableTo && r.to === (after.schemaTo || 'public'));
    return (
      move !== undefined &&
      before.tableTo === move.name &&
      (before.schemaTo || 'public') === move.from &&
      JSON.stringify([before.columnsFrom, before.columnsTo, before.onDelete, before.onUpdate]) ===
        JSON.stringify([after.columnsFrom, after.columnsTo, after.onDelete, after.onUpdate])
    );
  };

  const undoes = (s: ParsedStatement): boolean => {
    switch (s.kind) {
      case 'enableRowSecurity':
        return oldOf.has(relKey(s.table)) && (input.keepSource || hadRls(oldOf.get(relKey(s.table))));
      case 'createPolicy': {
        if (!oldOf.has(relKey(s.table))) return false;
        if (input.keepSource) return true;
        return samePolicy(policiesOf(oldOf.get(relKey(s.table)))[s.policy], policiesOf(newOf(s.table))[s.policy]);
      }
      case 'dropConstraint':
      case 'addForeignKey':
        // Moved back with the tables, or (keepSource) pointed back at the old ones by repointBackStatements.
        return !oldOf.has(relKey(s.table)) && repointed(s.table, s.constraint);
      default:
        return false;
    }
  };
  const notUndone = others.filter((s) => !undoes(s)).map((s) => s.sql);
  return { notUndone, undone: others.length - notUndone.length };
}

/**
 * With keepSource the rollback drops the new tables, which the foreign keys of
 * tables that stay now point at (drizzle-kit repointed them): they go back to
 * the old tables first, as the previous snapshot had them, or the drops fail.
 */
export function repointBackStatements(input: { relocations: Relocation[]; previous: PgSnapshot; next: PgSnapshot }): string[] {
  const tableMoves = input.relocations.filter((r) => r.kind === 'table');
  const created = new Set(tableMoves.map((r) => keyOf(r.to, r.name)));
  const out: string[] = [];
  for (const [key, table] of Object.entries(input.next.tables)) {
    if (created.has(key)) continue;
    for (const fk of Object.values(table.foreignKeys)) {
      const move = tableMoves.find((r) => r.name === fk.tableTo && r.to === (fk.schemaTo || 'public'));
      const old = input.previous.tables[key]?.foreignKeys[fk.name];
      if (!move || !old || old.tableTo !== move.name || (old.schemaTo || 'public') !== move.from) continue;
      const target = qualified(table.schema || 'public', table.name);
      const columns = (list: string[]) => list.map(ident).join(', ');
      out.push(
        `ALTER TABLE ${target} DROP CONSTRAINT ${ident(fk.name)};`,
        `ALTER TABLE ${target} ADD CONSTRAINT ${ident(old.name)} FOREIGN KEY (${columns(old.columnsFrom)}) REFERENCES ${qualified(move.from, move.name)}(${columns(old.columnsTo)})` +
          `${old.onDelete ? ` ON DELETE ${old.onDelete}` : ''}${old.onUpdate ? ` ON UPDATE ${old.onUpdate}` : ''};`,
      );
    }
  }
  return out;
}

/** The rollback's header lines about the migration's other statements. */
export function leftoverNote(leftovers: RollbackLeftovers): string[] {
  const lines: string[] = [];
  if (leftovers.undone > 0) {
    lines.push(
      `-- ${leftovers.undone} statement(s) drizzle-kit wrote for the new tables (their RLS and policies, foreign keys pointed at them) are undone with them.`,
    );
  }
  if (leftovers.notUndone.length > 0) {
    lines.push(`-- It does not undo ${leftovers.notUndone.length} other statement(s) drizzle-kit generated in the same migration:`);
    for (const sql of leftovers.notUndone) lines.push(`--   ${sql.split('\n')[0]}`);
  }
  return lines;
}
