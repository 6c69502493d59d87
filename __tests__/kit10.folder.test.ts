/**
 * Reading drizzle-kit 1.0 folders (issue 14), without running a move: the
 * schema drizzle-kit 1.0.0-rc.5's own reconstruct() rebuilds, converted to the
 * 0.x snapshot shape, says what drizzle-kit 0.31 said of the same schema files;
 * and which migrations a database has, by drizzle-orm 1.0's rule (by name).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDrizzleConfig } from '../src/generate/drizzleConfig';
import { projectAdapter, type KitHistory } from '../src/generate/kitAdapter';
import { readMigrationsState, type PgSnapshot } from '../src/generate/migrationsFolder';
import { migrationHash, readAppliedMigrations } from '../src/preflight/migrations';
import { openPglite } from '../src/verify/database';
import { copyKit10Project } from './helpers/kit10Project';
import { PLANNER_MOVE, SPLIT_MOVE } from './helpers/cases';
import { PROJECTS_DIR, removeTemp, removedAfterEach } from './helpers/tempProject';

/**
 * What the verify stage reads of a snapshot, without the names each line gives
 * constraints itself (0.31 `users_email_unique` and `..._fk`, 1.0 `users_email_key` and `..._fkey`).
 */
function meaning(snapshot: PgSnapshot) {
  const tables = Object.entries(snapshot.tables).map(([key, t]) => {
    const columns = Object.values(t.columns).map((c) => [c.name, c.type, c.typeSchema ?? null, c.notNull, c.primaryKey, c.identity?.type ?? null, c.identity?.schema ?? null, c.generated ?? null]);
    const fks = Object.values(t.foreignKeys).map((f) => [f.columnsFrom, f.schemaTo || 'public', f.tableTo, f.columnsTo, f.onDelete, f.onUpdate]);
    const uniques = Object.values((t.uniqueConstraints ?? {}) as Record<string, { columns: string[] }>).map((u) => u.columns);
    const indexes = Object.values(t.indexes).map((i) => [i.name, (i.columns as Array<{ expression: string; asc: boolean }>).map((c) => [c.expression, c.asc]), i.isUnique, i.method]);
    return [key, t.schema || 'public', columns, fks.sort(), uniques.sort(), indexes.sort()];
  });
  return {
    tables: tables.sort(),
    enums: snapshot.enums,
    sequences: Object.values(snapshot.sequences).map(({ name, schema, increment, startWith, minValue, maxValue, cycle }) => ({ name, schema, increment, startWith, minValue, maxValue, cycle })),
  };
}

describe.each([
  ['feature-planner-v1', PLANNER_MOVE],
  ['schema-split-v1', SPLIT_MOVE],
])('%s rebuilt by drizzle-kit 1.0 reconstruct()', (fixture, c) => {
  it('reads as the 0.31 snapshot of the same schema: tables, columns, keys, FKs, indexes, enums, sequences', async () => {
    const dir = copyKit10Project(fixture);
    try {
      const history = await projectAdapter(dir).readHistory(loadDrizzleConfig(dir), dir);
      expect(history.steps.map((s) => s.sqlFile)).toEqual(history.steps.map((s) => `${s.tag}/migration.sql`));
      expect(history.head!.file).toBe(`${history.steps.at(-1)!.tag}/snapshot.json`);
      const old = readMigrationsState(join(PROJECTS_DIR, c.fixture, c.out), PROJECTS_DIR).head!.snapshot;
      expect(meaning(history.head!.snapshot)).toEqual(meaning(old));
    } finally {
      removeTemp(dir);
    }
  }, 60_000);
});

describe("which migrations a database has, by drizzle-orm's rule of each line", () => {
  const track = removedAfterEach();

  it('1.0: by folder name, so an older unrecorded one is pending (0.x: skipped), and a recorded name with another hash is modified', async () => {
    const out = track(mkdtempSync(join(tmpdir(), 'reschema-kit10-applied-')));
    const tags = ['20260101000000_a', '20260102000000_b', '20260103000000_c'];
    for (const tag of tags) {
      mkdirSync(join(out, tag));
      writeFileSync(join(out, tag, 'migration.sql'), `SELECT '${tag}';`);
    }
    const history: KitHistory = {
      steps: tags.map((tag, i) => ({ tag, when: Date.UTC(2026, 0, i + 1), sqlFile: `${tag}/migration.sql`, breakpoints: true, snapshot: undefined })),
      head: undefined,
      warnings: [],
    };
    const db = await openPglite([]);
    try {
      await db.exec('CREATE SCHEMA drizzle');
      await db.exec('CREATE TABLE drizzle.__drizzle_migrations (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at bigint, name text, applied_at timestamptz DEFAULT now())');
      // b never ran; c ran, then its file changed.
      await db.query('INSERT INTO drizzle.__drizzle_migrations (hash, created_at, name) VALUES ($1, $2, $3), ($4, $5, $6)', [
        migrationHash(`SELECT '${tags[0]}';`), history.steps[0]!.when, tags[0],
        migrationHash('SELECT 1;'), history.steps[2]!.when, tags[2],
      ]);
      const table = { schema: 'drizzle', name: '__drizzle_migrations' };
      const byName = await readAppliedMigrations(db, history, out, table, { byName: true });
      expect(byName.entries.map((e) => e.state)).toEqual(['applied', 'pending', 'modified']);
      expect(byName.unknown).toEqual([]);
      const byTime = await readAppliedMigrations(db, history, out, table, { byName: false });
      expect(byTime.entries.map((e) => e.state)).toEqual(['applied', 'skipped', 'modified']);
    } finally {
      await db.close();
    }
  }, 60_000);
});
