import { ConfigError } from '../errors';
import type { PgSnapshot } from '../generate/migrationsFolder';
import { grantRolesOf, unexpectedAdditions, widenByGrants, withoutGrantedUsage, withoutGrantRecords } from './additions';
import type { Database } from './database';
import { checkFunctionBodies, expectRelocatedBodies, readRoutines } from './functionBodies';
import { belongsTo, checkCompatViews, describeCompatView, readCompatViews, withoutViews } from './compatObjects';
import { COMPAT_MARKER } from '../patch/compatViews';
import { qualified } from '../sql/identifiers';
import {
  compareFingerprints,
  entryKey,
  fingerprint,
  relocateFingerprint,
  userSchemas,
  type Fingerprint,
  type FingerprintDifference,
  type SchemaMove,
} from './fingerprint';
import type { MigrationSet, MigrationStep } from './migrationSet';
import { parsedStatements } from './platform';
import { applyStatements, culprit, describeFailure, type StatementFailure } from './replay';
import type { Timer, VerifyOptions, VerifyReport, VerifyRow } from './verifyReport';

/**
 * fingerprint -> migrate -> fingerprint -> compare (modulo schema), then the
 * rollback, undone afterwards: roll back -> fingerprint -> compare with the
 * original. `inTransaction`: statements run inside the caller's transaction.
 */
export async function compareAcrossMigration(
  db: Database,
  set: MigrationSet,
  target: MigrationStep,
  moves: Array<SchemaMove & { kind: string }>,
  options: VerifyOptions,
  report: VerifyReport,
  timer: Timer,
  exclude: string[],
  inTransaction = false,
): Promise<void> {
  const transaction = !inTransaction;
  const table = options.migrationsTable ?? { schema: 'drizzle', table: '__drizzle_migrations' };
  const skipTables = [`${table.schema}.${table.table}`];
  const before = await timer.time('fingerprint', async () => fingerprint(db, await userSchemas(db, exclude), { skipTables }));
  const routines = await timer.time('function bodies', async () => (moves.length ? readRoutines(db, await userSchemas(db, exclude)) : []));
  const compatBefore = await readCompatViews(db);
  const failure = await timer.time('migrate', () => applyStatements(db, target.file, target.statements, { transaction }));
  if (failure?.platformGap && !inTransaction) {
    // A throwaway database without what the platform provides proves nothing about the migration.
    throw new ConfigError(`cannot apply the migration on a fresh database: ${describeFailure(failure)}`);
  }
  if (failure) {
    report.differences.push(migrationFailed(target.file, failure));
    return;
  }
  const expected = new Map(relocateFingerprint(before, moves));
  await timer.time('function bodies', () => expectRelocatedBodies(db, expected, routines, moves));
  // Handle: every object moved out of a schema and its pgSchema declaration went, so drizzle-kit
  // dropped it (RESTRICT: anything left in it fails the statement). The schema is expected gone.
  for (const statement of target.statements) {
    const dropped = /^DROP SCHEMA\s+"((?:[^"]|"")+)"\s*;?$/i.exec(statement.trim())?.[1]?.replace(/""/g, '"');
    if (dropped !== undefined) expected.delete(entryKey({ kind: 'schema', schema: dropped, name: dropped }));
  }
  const compat = await compatAcross(db, target, compatBefore, moves, expected, report);
  const grantRoles = options.grantRoles ?? grantRolesOf(target.sql, [...new Set(moves.map((m) => m.to))]);
  const [{ user } = { user: '' }] = await db.query<{ user: string }>('SELECT current_user AS user');
  widenByGrants(expected, grantRoles, new Set(moves.map((m) => m.to)), user);
  const columnsOf = (schema: string, table: string) => expected.get(`table ${schema}.${table}`)?.columns;
  const schemasAfter = await userSchemas(db, exclude);
  const after = await timer.time('fingerprint', async () => fingerprint(db, schemasAfter, { columnsOf, skipTables }));
  report.behaviour.push(...(await timer.time('function bodies', () => checkFunctionBodies(db, schemasAfter, moves, report.notes))));
  // Columns the migration adds besides the moves (a pending change riding along) are additions, not differences.
  const previous = set.steps[set.target - 1]?.snapshot;
  const pending = previous ? columnsAdded(previous, target.snapshot, moves) : { after: new Map(), before: new Map() };
  const targets = new Set(moves.map((m) => m.to));
  const { differences, added } = compareFingerprints(
    withoutGrantedUsage(expected, grantRoles, targets),
    withoutGrantedUsage(withoutGrantRecords(withoutColumns(withoutViews(after, compat.added), pending.after), grantRoles), grantRoles, targets),
  );
  report.differences.push(...differences, ...notCompared(expected, moves));
  const movedGrants = new Set(
    [...expected.values()].filter((e) => e.kind === 'grant' || e.kind === 'column grant').map((e) => `${e.schema}:${e.name.slice(e.name.lastIndexOf(':') + 1)}`),
  );
  report.differences.push(...unexpectedAdditions(added, { grantRoles, snapshot: target.snapshot, movedGrants }));
  report.added = [
    ...added.map((e) => (e.kind === 'schema' ? `schema ${e.name}` : `${e.kind} ${e.schema}.${e.name}`)),
    ...[...pending.after].flatMap(([table, columns]) => [...columns].map((c) => `column ${table}.${c}`)),
  ];
  if (!options.keepSource) {
    for (const m of moves) {
      const left = [...after.values()].find((e) => e.kind === (m.kind === 'sequence' ? 'sequence' : m.kind) && e.schema === m.from && e.name === m.name);
      if (left) report.differences.push({ kind: left.kind, object: `${m.from}.${m.name}`, before: `moves to ${m.to}`, after: `still in ${m.from}` });
    }
  }
  report.checked = countChecked(expected, differences);
  report.tables = tableRows(expected, after, moves);

  if (!set.rollback) {
    report.notes.push(`no rollback file beside ${target.file}: rollback not exercised`);
    report.notChecked.push('rollback');
    return;
  }
  // The rollback runs inside a transaction (a savepoint on a live server) that is
  // then undone: DDL is transactional, so the database is back in its migrated
  // state without migrating again, which other changes made by the same
  // migration (a created table, say) would make impossible.
  const rollback = set.rollback;
  await db.exec(inTransaction ? 'SAVEPOINT reschema_rollback' : 'BEGIN');
  try {
    // Run by hand as one file, a rollback has no breakpoints: split by Postgres' parser, a failure names its statement.
    const statements = await parsedStatements(rollback.sql);
    const rolledBack = await timer.time('rollback', () => applyStatements(db, rollback.file, statements, { transaction: false }));
    if (rolledBack) {
      report.rollback = { file: rollback.file, ok: false, differences: [], failure: describeFailure(rolledBack) };
      return;
    }
    const restored = await timer.time('fingerprint', async () =>
      fingerprint(db, await userSchemas(db, exclude), { columnsOf: (s, t) => before.get(`table ${s}.${t}`)?.columns, skipTables }),
    );
    // The rollback moves things back; it does not drop what the migration added besides the moves.
    const back = compareFingerprints(before, withoutColumns(restored, pending.before)).differences;
    report.rollback = { file: rollback.file, ok: back.length === 0, differences: back };
  } finally {
    await db.exec(inTransaction ? 'ROLLBACK TO SAVEPOINT reschema_rollback' : 'ROLLBACK');
  }
}

/**
 * The compat views (`move --compat`) across the migration: an expand migration (its SQL marks views)
 * must leave one per moved table, as checkCompatViews wants it; a view it drops by name (`contract`)
 * is expected gone, its entries taken out of `expected`. Returns the views the migration added,
 * which the comparison leaves to that check.
 */
async function compatAcross(
  db: Database,
  target: MigrationStep,
  before: Awaited<ReturnType<typeof readCompatViews>>,
  moves: Array<SchemaMove & { kind: string }>,
  expected: Fingerprint,
  report: VerifyReport,
): Promise<{ added: Awaited<ReturnType<typeof readCompatViews>> }> {
  const after = await readCompatViews(db);
  const key = (v: { schema: string; name: string }) => `${v.schema}.${v.name}`;
  const had = new Set(before.map(key));
  const has = new Set(after.map(key));
  const added = after.filter((v) => !had.has(key(v)));
  if (target.sql.includes(`IS '${COMPAT_MARKER}`)) report.differences.push(...checkCompatViews(after, moves));
  const dropped = before.filter((v) => !has.has(key(v)) && target.sql.includes(`DROP VIEW ${qualified(v.schema, v.name)}`));
  for (const [k, e] of [...expected]) if (dropped.some((v) => belongsTo(e, v))) expected.delete(k);
  if (after.length > 0 || dropped.length > 0) report.compat = { present: after.map(describeCompatView), dropped: dropped.map(describeCompatView) };
  return { added };
}

/**
 * Columns the target snapshot has that the previous one did not, per table:
 * keyed where the table is after the migration (`after`) and where it was
 * before (`before`, where the rollback puts it back).
 */
function columnsAdded(
  previous: PgSnapshot,
  next: PgSnapshot,
  moves: SchemaMove[],
): { after: Map<string, Set<string>>; before: Map<string, Set<string>> } {
  const after = new Map<string, Set<string>>();
  const before = new Map<string, Set<string>>();
  const oldTables = new Map(Object.values(previous.tables).map((t) => [`${t.schema || 'public'}.${t.name}`, t]));
  for (const t of Object.values(next.tables)) {
    const key = `${t.schema || 'public'}.${t.name}`;
    const origin = moves.find((m) => `${m.to}.${m.name}` === key);
    const oldKey = origin ? `${origin.from}.${origin.name}` : key;
    const old = oldTables.get(oldKey);
    if (!old) continue;
    const added = new Set(Object.keys(t.columns).filter((c) => !old.columns[c]));
    if (added.size === 0) continue;
    after.set(key, added);
    before.set(oldKey, added);
  }
  return { after, before };
}

/** The fingerprint with the named columns left out of each table's column list. */
function withoutColumns(fp: Fingerprint, columns: Map<string, Set<string>>): Fingerprint {
  if (columns.size === 0) return fp;
  const out: Fingerprint = new Map(fp);
  for (const [key, e] of fp) {
    const drop = e.kind === 'columns' ? columns.get(`${e.schema}.${e.name}`) : undefined;
    if (!drop || !e.columnDefs) continue;
    const rls = e.value.slice(e.value.lastIndexOf('; ') + 2);
    const kept = e.columnDefs.filter((c) => !drop.has(c.name));
    out.set(key, { ...e, columnDefs: kept, value: [...kept.map((c) => c.def), rls].join('; ') });
  }
  return out;
}

/**
 * A moved object with no entry where the migration puts it was never
 * compared (its schema left out, say): the verdict cannot vouch for it.
 */
function notCompared(expected: Fingerprint, moves: Array<SchemaMove & { kind: string }>): FingerprintDifference[] {
  return moves
    .filter((m) => !expected.has(`${m.kind === 'materializedView' ? 'view' : m.kind} ${m.to}.${m.name}`))
    .map((m) => ({ kind: 'table', object: `${m.to}.${m.name}`, before: `${m.kind} moved from ${m.from}`, after: 'not compared' }));
}

function migrationFailed(file: string, failure: StatementFailure): FingerprintDifference {
  const about = culprit(failure);
  return {
    kind: 'table',
    object: file,
    before: 'applies',
    after: `the migration fails${about ? ` on ${about}` : ''}: ${describeFailure(failure)}${failure.detail ? ` (${failure.detail})` : ''}`,
  };
}

function countChecked(expected: Fingerprint, differences: FingerprintDifference[]): VerifyReport['checked'] {
  const out: VerifyReport['checked'] = {};
  for (const e of expected.values()) {
    const c = (out[e.kind] ??= { objects: 0, differing: 0 });
    c.objects++;
  }
  for (const d of differences) {
    const c = (out[d.kind] ??= { objects: 0, differing: 0 });
    c.differing++;
  }
  return out;
}

function tableRows(expected: Fingerprint, after: Fingerprint, moves: SchemaMove[]): VerifyRow[] {
  const moved = new Set(moves.map((m) => `${m.to}.${m.name}`));
  const rows: VerifyRow[] = [];
  for (const e of expected.values()) {
    if (e.kind !== 'table') continue;
    const a = after.get(`table ${e.schema}.${e.name}`);
    const origin = moves.find((m) => `${m.to}.${m.name}` === `${e.schema}.${e.name}`);
    rows.push({
      object: origin ? `${origin.from}.${e.name} -> ${e.schema}.${e.name}` : `${e.schema}.${e.name}`,
      before: `${e.rows} rows`,
      after: a ? `${a.rows} rows` : 'missing',
      ok: a !== undefined && a.value === e.value,
    });
  }
  return rows.sort((x, y) => Number(moved.has(y.object)) - Number(moved.has(x.object)) || x.object.localeCompare(y.object));
}
