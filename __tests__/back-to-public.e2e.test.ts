/**
 * Moving everything back to public removes the pgSchema declaration nothing
 * uses any more: the migration drops the emptied schema (after the moves), the
 * rollback creates it again (before the moves back), and the default
 * verification proves both. Through the built CLI (run `npm run build` first)
 * on a temp copy of the schema-split project (seed 004).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { copyFixtureProject, hashTree, removedAfterEach } from './helpers/tempProject';
import { runCliHere, runKit } from './helpers/run';

const GROWTH = 'src/db/schema/growth.ts';

describe('move --to public after a move to growth', () => {
  const track = removedAfterEach();

  it('removes the empty declaration, drops the schema after the moves, and the verified rollback creates it again', async () => {
    const dir = track(copyFixtureProject('schema-split'));
    const original = readFileSync(join(dir, GROWTH), 'utf8');
    expect((await runCliHere(dir, ['move', GROWTH, '--to', 'growth', '--no-verify'])).status).toBe(0);

    const back = await runCliHere(dir, ['move', GROWTH, '--to', 'public', '--rows', '20', '--format', 'json']);
    expect(back.status).toBe(0);
    const report = JSON.parse(back.stdout);
    expect(report.verification.summary).toMatchObject({ ok: true, failed: 0 });
    expect(report.warnings).toEqual([
      `${GROWTH}:21: growth = pgSchema('growth') is removed: nothing is left in it, so the migration drops the schema (DROP SCHEMA fails if anything made outside Drizzle is still in it; the rollback creates it again)`,
    ]);
    // The lock every move takes first (a DO block, src/patch/lockOrder.ts) is left out: the rest is one statement per line.
    const statements = (sql: string) =>
      sql
        .replace(/^DO \$reschema\$\n[\s\S]*?LOCK TABLE [\s\S]*?\nEND \$reschema\$;\n(--> statement-breakpoint\n)?/m, '')
        .split(/\n--> statement-breakpoint\n|\n/)
        .filter((l) => l && !l.startsWith('--'));
    const migration = statements(report.migration.sql);
    expect(migration[migration.length - 1]).toBe('DROP SCHEMA "growth";');
    expect(migration.slice(0, -1).every((s) => / SET SCHEMA "public";$/.test(s))).toBe(true);
    expect(statements(report.migration.rollbackSql)[0]).toBe('CREATE SCHEMA "growth";');
    expect(report.migration.otherChanges).toEqual([]);

    // The schema file is as it was before the first move, but for where prettier put the new import names.
    const now = readFileSync(join(dir, GROWTH), 'utf8');
    expect(now).not.toContain('pgSchema');
    expect(now.replace(/^import \{[^}]*\}/m, '')).toBe(original.replace(/^import \{[^}]*\}/m, ''));
    expect(runKit(dir).stdout).toContain('No schema changes');
  });

  it('with --strategy copy: the schema is dropped after the old tables, and created again by the rollback; --keep-source keeps both', async () => {
    const dir = track(copyFixtureProject('schema-split'));
    expect((await runCliHere(dir, ['move', GROWTH, '--to', 'growth', '--no-verify'])).status).toBe(0);
    const before = hashTree(dir);
    const copy = await runCliHere(dir, ['move', GROWTH, '--to', 'public', '--strategy', 'copy', '--rows', '20', '--dry-run', '--format', 'json']);
    expect(copy.status).toBe(0);
    const report = JSON.parse(copy.stdout);
    expect(report.verification.summary).toMatchObject({ ok: true, failed: 0 });
    const sql: string = report.migration.sql;
    expect(sql.trimEnd().endsWith('DROP SCHEMA "growth";')).toBe(true);
    expect(sql.indexOf('DROP TABLE "growth"."entities";')).toBeGreaterThan(0);
    expect(report.migration.rollbackSql).toContain('-- Not in the journal: run it by hand, then delete the migration, its snapshot and journal entry.\nCREATE SCHEMA "growth";\n');
    expect(report.migration.rollbackSql).not.toContain('does not undo');

    // The old tables stay in growth until the drop-source file runs: the declaration stays, nothing is dropped.
    const kept = await runCliHere(dir, ['move', GROWTH, '--to', 'public', '--strategy', 'copy', '--keep-source', '--no-verify', '--dry-run', '--format', 'json']);
    expect(kept.status).toBe(0);
    const keptReport = JSON.parse(kept.stdout);
    expect(keptReport.schemaDiff).not.toContain('-export const growth = pgSchema');
    expect(keptReport.migration.sql).not.toContain('DROP SCHEMA');
    expect(hashTree(dir)).toEqual(before);
  });

  it('keeps a declaration another file still imports, says why, and writes nothing with --dry-run', async () => {
    const dir = track(copyFixtureProject('schema-split'));
    expect((await runCliHere(dir, ['move', GROWTH, '--to', 'growth', '--no-migration'])).status).toBe(0);
    writeFileSync(join(dir, 'src/db/names.ts'), "import { growth } from './schema/growth';\n\nexport const growthSchemaName = growth.schemaName;\n");
    const before = hashTree(dir);
    const run = await runCliHere(dir, ['move', GROWTH, '--to', 'public', '--no-migration', '--dry-run']);
    expect(run.status).toBe(0);
    expect(run.stderr).toContain(
      `warning: ${GROWTH}:21: growth = pgSchema('growth') holds nothing after the move but stays: imported by src/db/names.ts\n`,
    );
    expect(run.stdout).not.toContain('-export const growth = pgSchema');
    expect(hashTree(dir)).toEqual(before);
  });
});
