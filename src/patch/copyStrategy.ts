import type { PgSnapshot, SnapshotColumn, SnapshotTable } from '../generate/migrationsFolder';
import type { Relocation } from '../generate/relocateSnapshot';
import { reorderCreateTable } from './columnOrder';
import { compatViewsFor, createCompatView, dropCompatView, refuseEmptiedSchemas } from './compatViews';
import { grantsAndRecord } from './grants';
import { lockStatement, lockTimeoutStatement, type Reference } from './lockOrder';
import { dropCreatedSchema, JOURNAL_ROLLBACK_NOTE, moveStatement } from './patchMigration';
import { leftoverNote, repointBackStatements, rollbackLeftovers } from './copyRollback';
import { hazardsOf, isSerial, keyOf, tableSchema } from './copyHazards';
import { loadPgParser, parseStatements, schemasWrittenBy, type ParsedStatement, type RelationName } from './pgParser';
import { ident, qualified } from '../sql/identifiers';

/**
 * `--strategy copy`: drizzle-kit has written the new objects in their target
 * schemas (see hideRelocatedObjects); this stage adds what only we know:
 *
 *   [SET lock_timeout]
 *   drizzle-kit's CREATE SCHEMA / TYPE / SEQUENCE / TABLE
 *   INSERT INTO new SELECT FROM old, per table, parents first
 *   drizzle-kit's FKs and indexes on the new tables (built once over the loaded rows)
 *   drizzle-kit's other statements (repointed FKs, column types, policies, views)
 *   setval() of every serial, identity and moved sequence
 *   grants
 *   drops of the old views, tables, sequences and enums (or, with keepSource, a separate file)
 */
export interface CopyInput {
  /** drizzle-kit's statements, in order. */
  statements: string[];
  breakpoints: boolean;
  /** Objects the previous snapshot knows that change schema. */
  relocations: Relocation[];
  /** The database as the last migration left it (objects in their old schemas). */
  previous: PgSnapshot;
  /** drizzle-kit's new snapshot (objects in their target schemas). */
  next: PgSnapshot;
  grants: string[];
  lockTimeoutMs?: number;
  tag: string;
  /** Keep the old objects; their drops go to `dropSourceSql` instead. */
  keepSource: boolean;
  /**
   * The old tables' real column order (replayedColumnOrder over the snapshot chain), by `schema.table`:
   * the new tables get it, so that a table that gained a column later reads the same after the copy.
   */
  columnOrder?: Map<string, string[]>;
  /** What to do with the rollback file, in the drizzle-kit line's words (KitAdapter.rollbackNote). */
  rollbackNote?: string;
  /** Foreign keys as the move leaves them: the old tables are locked referencing tables first (lockOrder.ts). */
  references?: Reference[];
  /** `--compat`: each dropped old table is replaced by a view over its copy (compatViews.ts). */
  compat?: { date: string };
}

export interface CopyMigration {
  sql: string;
  rollbackSql: string;
  /** With keepSource: the drops of the old objects, to run after the grace period. */
  dropSourceSql?: string;
  /** The statements, in final order. */
  statements: string[];
  /** drizzle-kit statements that are not part of the copy: changes made in the same run. */
  otherChanges: string[];
  /** What a copy does not carry by itself, said before anything is written. */
  hazards: string[];
}

const relKey = (r: RelationName) => keyOf(r.schema, r.name);
/** A single-quoted SQL string literal. */
const literal = (text: string) => `'${text.split("'").join("''")}'`;

/** The column's type without array brackets, and how many it had. */
function baseType(column: SnapshotColumn): { name: string; dims: number } {
  let name = column.type;
  let dims = 0;
  while (name.endsWith('[]')) {
    name = name.slice(0, -2);
    dims++;
  }
  return { name, dims };
}

/** Tables in FK order, parents first; an FK that closes a cycle (or is a self-reference) is `cyclic`. */
export function parentsFirst(tables: SnapshotTable[]): { order: SnapshotTable[]; cyclic: { table: SnapshotTable; fk: string }[] } {
  const byKey = new Map(tables.map((t) => [keyOf(tableSchema(t), t.name), t]));
  const state = new Map<SnapshotTable, 'visiting' | 'done'>();
  const order: SnapshotTable[] = [];
  const cyclic: { table: SnapshotTable; fk: string }[] = [];
  const visit = (table: SnapshotTable) => {
    if (state.get(table) === 'done') return;
    state.set(table, 'visiting');
    for (const fk of Object.values(table.foreignKeys)) {
      const parent = byKey.get(keyOf(fk.schemaTo || 'public', fk.tableTo));
      if (!parent) continue;
      if (parent === table || state.get(parent) === 'visiting') cyclic.push({ table, fk: fk.name });
      else visit(parent);
    }
    state.set(table, 'done');
    order.push(table);
  };
  for (const t of [...tables].sort((a, b) => a.name.localeCompare(b.name))) visit(t);
  return { order, cyclic };
}

/**
 * `INSERT INTO new (cols) [OVERRIDING SYSTEM VALUE] SELECT cols FROM old`:
 * an explicit column list (columns in both versions, generated ones left to
 * the database), enum columns cast through text to the new type.
 */
export function copyRowsStatement(oldTable: SnapshotTable, newTable: SnapshotTable): string {
  const targets: string[] = [];
  const sources: string[] = [];
  let identity = false;
  for (const column of Object.values(newTable.columns)) {
    const old = oldTable.columns[column.name];
    if (!old || column.generated) continue;
    if (column.identity) identity = true;
    targets.push(ident(column.name));
    const type = baseType(column);
    const enumChanged = column.typeSchema !== undefined && (old.typeSchema !== column.typeSchema || baseType(old).name !== type.name);
    const brackets = '[]'.repeat(type.dims);
    sources.push(
      enumChanged ? `${ident(column.name)}::text${brackets}::${qualified(column.typeSchema!, type.name)}${brackets}` : ident(column.name),
    );
  }
  return (
    `INSERT INTO ${qualified(tableSchema(newTable), newTable.name)} (${targets.join(', ')})` +
    `${identity ? ' OVERRIDING SYSTEM VALUE' : ''} SELECT ${sources.join(', ')} FROM ${qualified(tableSchema(oldTable), oldTable.name)};`
  );
}

/**
 * Moves a serial or identity sequence past both the old sequence and the
 * copied maximum, so the next insert continues where the old table would
 * have (and never reuses an id). No row when both are unset: the sequence
 * keeps its START WITH.
 */
function setvalColumnStatement(oldTable: SnapshotTable, newTable: SnapshotTable, column: string): string {
  const seq = (t: SnapshotTable) => `pg_get_serial_sequence(${literal(qualified(tableSchema(t), t.name))}, ${literal(column)})`;
  return (
    `SELECT setval(${seq(newTable)}, v) FROM (SELECT GREATEST(pg_sequence_last_value(${seq(oldTable)}::regclass), ` +
    `(SELECT max(${ident(column)}) FROM ${qualified(tableSchema(newTable), newTable.name)})) AS v) s WHERE v IS NOT NULL;`
  );
}

/** A standalone sequence: the same position and called state. */
function setvalSequenceStatement(r: Relocation): string {
  return `SELECT setval(${literal(qualified(r.to, r.name))}, last_value, is_called) FROM ${qualified(r.from, r.name)};`;
}

/**
 * DROP statements for the relocated objects on one side (`from`: the old
 * ones, `to`: the new ones): views, then FKs that close a cycle among the
 * dropped tables, then tables children first, sequences, enums. Nothing
 * CASCADE: an object the migration does not know about makes it fail
 * rather than vanish.
 */
export function dropStatements(snapshot: PgSnapshot, relocations: Relocation[], side: 'from' | 'to'): string[] {
  const schemaOf = (r: Relocation) => (side === 'from' ? r.from : r.to);
  const out: string[] = [];
  for (const r of relocations.filter((x) => x.kind === 'materializedView' || x.kind === 'view')) {
    out.push(`DROP ${r.kind === 'view' ? 'VIEW' : 'MATERIALIZED VIEW'} ${qualified(schemaOf(r), r.name)};`);
  }
  const tables = relocations
    .filter((r) => r.kind === 'table')
    .map((r) => snapshot.tables[keyOf(schemaOf(r), r.name)])
    .filter((t): t is SnapshotTable => t !== undefined);
  const { order, cyclic } = parentsFirst(tables);
  for (const { table, fk } of cyclic) {
    if (table.foreignKeys[fk]?.tableTo === table.name && (table.foreignKeys[fk]?.schemaTo || 'public') === tableSchema(table)) continue;
    out.push(`ALTER TABLE ${qualified(tableSchema(table), table.name)} DROP CONSTRAINT ${ident(fk)};`);
  }
  for (const table of [...order].reverse()) out.push(`DROP TABLE ${qualified(tableSchema(table), table.name)};`);
  for (const r of relocations.filter((x) => x.kind === 'sequence')) out.push(`DROP SEQUENCE ${qualified(schemaOf(r), r.name)};`);
  for (const r of relocations.filter((x) => x.kind === 'enum')) out.push(`DROP TYPE ${qualified(schemaOf(r), r.name)};`);
  return out;
}

function retypeStatements(input: CopyInput, copiedKeys: Set<string>): string[] {
  const moved = new Map(input.relocations.filter((r) => r.kind === 'enum').map((r) => [keyOf(r.to, r.name), r]));
  const out: string[] = [];
  for (const [key, table] of Object.entries(input.next.tables)) {
    if (copiedKeys.has(key)) continue;
    const old = input.previous.tables[key];
    if (!old) continue;
    for (const column of Object.values(table.columns)) {
      const type = baseType(column);
      const r = column.typeSchema !== undefined ? moved.get(keyOf(column.typeSchema, type.name)) : undefined;
      const before = old.columns[column.name];
      if (!r || !before || (before.typeSchema ?? 'public') !== r.from) continue;
      const target = qualified(tableSchema(table), table.name);
      const col = ident(column.name);
      const brackets = '[]'.repeat(type.dims);
      if (before.default !== undefined) out.push(`ALTER TABLE ${target} ALTER COLUMN ${col} DROP DEFAULT;`);
      out.push(`ALTER TABLE ${target} ALTER COLUMN ${col} SET DATA TYPE ${qualified(r.to, r.name)}${brackets} USING ${col}::text${brackets}::${qualified(r.to, r.name)}${brackets};`);
      if (column.default !== undefined) out.push(`ALTER TABLE ${target} ALTER COLUMN ${col} SET DEFAULT ${String(column.default)};`);
    }
  }
  return out;
}

function ownedByCopy(s: ParsedStatement, targets: Set<string>, created: Set<string>): boolean {
  switch (s.kind) {
    case 'createSchema':
      return targets.has(s.schema);
    case 'createType':
      return created.has(relKey(s.type));
    case 'createSequence':
      return created.has(relKey(s.sequence));
    case 'createTable':
    case 'createIndex':
    case 'addForeignKey':
      return created.has(relKey(s.table));
    case 'createView':
      return created.has(relKey(s.view));
    default:
      return false;
  }
}

export async function copyMigration(input: CopyInput): Promise<CopyMigration> {
  await loadPgParser();
  const parsed = input.statements.flatMap((s) => parseStatements(s));
  const copied = input.relocations.filter((r) => r.kind === 'table');
  const created = new Set(input.relocations.map((r) => keyOf(r.to, r.name)));
  const movedEnums = new Map(input.relocations.filter((r) => r.kind === 'enum').map((r) => [keyOf(r.to, r.name), r]));
  const targets = new Set(input.relocations.map((r) => r.to));

  const pairs = copied.flatMap((r) => {
    const old = input.previous.tables[keyOf(r.from, r.name)];
    const next = input.next.tables[keyOf(r.to, r.name)];
    return old && next ? [{ relocation: r, old, next }] : [];
  });
  const newKeys = new Set(pairs.map((p) => keyOf(p.relocation.to, p.relocation.name)));

  // Rows go in right after the last new table exists; FKs and indexes on (or to) the new tables wait for them.
  let lastCreate = -1;
  parsed.forEach((s, i) => {
    if (s.kind === 'createTable' && newKeys.has(relKey(s.table))) lastCreate = i;
  });
  const waitsForRows = (s: ParsedStatement) =>
    (s.kind === 'createIndex' && newKeys.has(relKey(s.table))) ||
    (s.kind === 'addForeignKey' && (newKeys.has(relKey(s.table)) || newKeys.has(relKey(s.references))));

  const oldKeyOf = new Map(pairs.map((p) => [keyOf(p.relocation.to, p.relocation.name), keyOf(p.relocation.from, p.relocation.name)]));
  const patched = parsed.map((s) => {
    if (s.kind === 'createTable' && oldKeyOf.has(relKey(s.table))) {
      const order = input.columnOrder?.get(oldKeyOf.get(relKey(s.table))!);
      return order ? reorderCreateTable(s.sql, order) : s.sql;
    }
    // A column that stays but whose enum moved: Postgres has no cast between two enums; text has one to each.
    if (s.kind !== 'alterColumnType' || s.hasUsing || !movedEnums.has(relKey(s.type))) return s.sql;
    const brackets = '[]'.repeat(s.arrayDims);
    return `${s.sql.slice(0, s.endOffset)} USING ${ident(s.column)}::text${brackets}::${qualified(s.type.schema ?? 'public', s.type.name)}${brackets};`;
  });
  // Handle: every object of a schema moves out and its pgSchema declaration went (src/plan/emptiedSchemas.ts):
  // drizzle-kit drops the schema, which can only happen once the old objects in it are dropped.
  const sources = new Set(input.relocations.map((r) => r.from));
  const emptied = parsed.flatMap((s) => (s.kind === 'dropSchema' && sources.has(s.schema) ? [s.schema] : []));
  const isEmptied = (s: ParsedStatement) => s.kind === 'dropSchema' && emptied.includes(s.schema);
  const before = parsed.flatMap((s, i) => (i <= lastCreate && !waitsForRows(s) && !isEmptied(s) ? [patched[i]!] : []));
  const after = parsed.flatMap((s, i) => ((i > lastCreate || waitsForRows(s)) && !isEmptied(s) ? [patched[i]!] : []));
  const dropEmptied = emptied.map((s) => `DROP SCHEMA ${ident(s)};`);

  const { order } = parentsFirst(pairs.map((p) => p.next));
  const pairOf = new Map(pairs.map((p) => [p.next, p]));
  const copies = order.map((t) => copyRowsStatement(pairOf.get(t)!.old, t));
  const setvals = [
    ...pairs.flatMap(({ old, next }) =>
      Object.values(next.columns)
        .filter((c) => (c.identity || isSerial(c)) && old.columns[c.name])
        .map((c) => setvalColumnStatement(old, next, c.name)),
    ),
    ...input.relocations.filter((r) => r.kind === 'sequence').map(setvalSequenceStatement),
  ];
  const { grants, revokes } = grantsAndRecord([...targets].filter((s) => s !== 'public'), input.grants, input.tag);
  const drops = dropStatements(input.previous, input.relocations, 'from');
  const hazards = hazardsOf(input, pairs);
  const lock = lockTimeoutStatement(input.lockTimeoutMs, 'migration');
  const lockByHand = lockTimeoutStatement(input.lockTimeoutMs, 'by hand');
  // Locked before the copy reads them: a row old code writes after the INSERT ... SELECT would be dropped with its table.
  const lockTables = lockStatement(input.relocations, input.references ?? []);
  // The old tables become views over their copies, so old code writes to the tables that stay.
  const compatViews = input.compat ? compatViewsFor(input.relocations) : [];
  refuseEmptiedSchemas(compatViews, emptied);
  const views = compatViews.flatMap((v) => createCompatView(v, input.tag, input.compat!.date));

  const retypes = retypeStatements(input, new Set(pairs.map((p) => keyOf(p.relocation.to, p.relocation.name))));
  const statements = [
    ...lock,
    ...lockTables,
    ...before,
    ...copies,
    ...after,
    ...retypes,
    ...setvals,
    ...(input.keepSource ? [...grants] : [...grants, ...drops, ...dropEmptied, ...views]),
  ];
  const header = [
    `-- ${input.tag}: copy strategy (drizzle-reschema). Hazards:`,
    ...hazards.map((h) => `--   ${h}`),
  ];
  const separator = input.breakpoints ? '\n--> statement-breakpoint\n' : '\n';
  const sql = `${header.join('\n')}\n${statements.join(separator)}\n`;
  const others = parsed.filter((s) => !ownedByCopy(s, targets, created) && !isEmptied(s));
  const otherChanges = others.map((s) => s.sql);

  const createdSchemas = parsed.flatMap((s) => (s.kind === 'createSchema' && targets.has(s.schema) ? [s.schema] : []));
  const rollback = [
    `-- Rollback of ${input.tag} (copy strategy).`,
    ...(input.keepSource
      ? [
          '-- The old objects were kept: this drops the new ones. Rows written to the new tables since the migration are lost;',
          '-- copy them back first if the old tables must have them.',
        ]
      : ['-- The old objects were dropped: this moves the new ones back with ALTER ... SET SCHEMA, rows written since included.']),
    input.rollbackNote ?? JOURNAL_ROLLBACK_NOTE,
    ...leftoverNote(rollbackLeftovers(others, input)),
    ...lockByHand,
    ...(input.keepSource ? [] : emptied.map((s) => `CREATE SCHEMA ${ident(s)};`)),
    ...lockStatement(input.relocations, input.references ?? [], 'to', compatViews),
    ...revokes,
    ...compatViews.map(dropCompatView),
    ...(input.keepSource
      ? [...repointBackStatements(input), ...dropStatements(input.next, input.relocations, 'to')]
      : orderByKind(input.relocations)
          .reverse()
          .map((r) => moveStatement(r, true))),
    // Handle: a table added since the last generate, created in the target schema: it stays there.
    ...createdSchemas.map((s) => dropCreatedSchema(s, new Set(others.flatMap((o) => schemasWrittenBy(o.sql))))),
  ];
  const dropSourceSql = input.keepSource
    ? [
        `-- Drops what ${input.tag} copied from, once the grace period is over. Not in the journal: run it by hand`,
        '-- (or paste it into a custom migration). Nothing CASCADE: it fails if anything still uses the old objects.',
        ...lockByHand,
        ...drops,
      ].join('\n') + '\n'
    : undefined;
  return {
    sql,
    rollbackSql: `${rollback.join('\n')}\n`,
    ...(dropSourceSql !== undefined ? { dropSourceSql } : {}),
    statements,
    otherChanges,
    hazards,
  };
}

const KIND_ORDER: Relocation['kind'][] = ['enum', 'sequence', 'table', 'view', 'materializedView'];
function orderByKind(relocations: Relocation[]): Relocation[] {
  return [...relocations].sort((a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind));
}
