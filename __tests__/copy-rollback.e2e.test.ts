/**
 * The copy strategy's rollback says which of drizzle-kit's other statements
 * it does not undo, and only those: the new tables' RLS and policies, and the
 * foreign keys pointed at them, go back with the tables (with --keep-source,
 * the keys are pointed back at the old tables before the new ones are dropped).
 * Through the built CLI (run `npm run build` first) on temp copies of the
 * supabase-style and schema-split projects.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { copyFixtureProject, hashTree, removedAfterEach } from './helpers/tempProject';
import { runCliHere } from './helpers/run';

const DOCUMENTS = 'src/db/schema/documents.ts';
const PROFILES = 'src/db/schema/profiles.ts';

async function rollbackOf(dir: string, args: string[]): Promise<string> {
  const before = hashTree(dir);
  const run = await runCliHere(dir, ['move', ...args, '--to', 'app', '--strategy', 'copy', '--dry-run', '--format', 'json']);
  expect({ code: run.status, stderr: run.stderr.split('\n').filter((l) => !l.startsWith('hazard:')).join('\n') }).toEqual({ code: 0, stderr: '' });
  expect(hashTree(dir)).toEqual(before);
  const report = JSON.parse(run.stdout);
  if (report.verification) expect(report.verification.summary).toMatchObject({ ok: true, failed: 0 });
  return report.migration.rollbackSql as string;
}

const comments = (sql: string) => sql.split('\n').filter((l) => l.startsWith('--'));

describe('the copy rollback names only what it does not undo', () => {
  const track = removedAfterEach();

  it("the new table's RLS and policies follow it back: nothing left undone, and the verified rollback restores them", async () => {
    const dir = track(copyFixtureProject('supabase-style'));
    // Verification applies the rollback and compares policies, RLS flags and FKs with the original.
    const rollback = await rollbackOf(dir, [DOCUMENTS, '--rows', '20']);
    expect(comments(rollback)).toContain(
      '-- 3 statement(s) drizzle-kit wrote for the new tables (their RLS and policies, foreign keys pointed at them) are undone with them.',
    );
    expect(rollback).not.toContain('does not undo');
  });

  it('a policy the old table did not have is named, once per statement', async () => {
    const dir = track(copyFixtureProject('supabase-style'));
    const path = join(dir, DOCUMENTS);
    const policy = `    pgPolicy("documents_service", {`;
    writeFileSync(path, readFileSync(path, 'utf8').replace(policy, `    pgPolicy("documents_audit", { for: "select", to: serviceRole, using: sql\`false\` }),\n${policy}`));
    const rollback = await rollbackOf(dir, [DOCUMENTS, '--no-verify']);
    expect(comments(rollback).slice(3)).toEqual([
      '-- 3 statement(s) drizzle-kit wrote for the new tables (their RLS and policies, foreign keys pointed at them) are undone with them.',
      '-- It does not undo 1 other statement(s) drizzle-kit generated in the same migration:',
      '--   CREATE POLICY "documents_audit" ON "app"."documents" AS PERMISSIVE FOR SELECT TO "service_role" USING (false);',
    ]);
  });

  it('with --keep-source the new tables are dropped: the keys of tables that stay point back at the old ones first', async () => {
    const dir = track(copyFixtureProject('supabase-style'));
    const rollback = await rollbackOf(dir, [PROFILES, '--keep-source', '--no-verify']);
    expect(comments(rollback).slice(4)).toEqual([
      '-- 4 statement(s) drizzle-kit wrote for the new tables (their RLS and policies, foreign keys pointed at them) are undone with them.',
    ]);
    // The lock every rollback takes first (a DO block, src/patch/lockOrder.ts) is left out: the rest is one statement per line.
    const statements = rollback
      .replace(/^DO \$reschema\$\n[\s\S]*?LOCK TABLE [\s\S]*?\nEND \$reschema\$;\n/m, '')
      .split('\n')
      .filter((l) => l && !l.startsWith('--'));
    expect(statements).toEqual([
      'ALTER TABLE "public"."inbox" DROP CONSTRAINT "inbox_profile_id_profiles_id_fk";',
      'ALTER TABLE "public"."inbox" ADD CONSTRAINT "inbox_profile_id_profiles_id_fk" FOREIGN KEY ("profile_id") REFERENCES "public"."profiles"("id") ON DELETE cascade ON UPDATE no action;',
      'DROP TABLE "app"."profiles";',
      'DROP SCHEMA "app";',
    ]);
  });

  it('with --keep-source, the verified rollback of a table others reference runs (it failed on the DROP TABLE)', async () => {
    const dir = track(copyFixtureProject('schema-split'));
    const rollback = await rollbackOf(dir, ['src/db/schema/growth.ts', '--tables', 'entities', '--keep-source', '--rows', '20']);
    expect(rollback).toContain(
      'ALTER TABLE "public"."artifacts" ADD CONSTRAINT "artifacts_entity_id_entities_id_fk" FOREIGN KEY ("entity_id") REFERENCES "public"."entities"("id") ON DELETE cascade ON UPDATE no action;\n',
    );
    expect(rollback).not.toContain('does not undo');
  });
});
