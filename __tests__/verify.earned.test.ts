/**
 * The verdict must be earned (issue 18): a migrations table in `public` does
 * not switch the comparison off, a move that breaks a function or trigger
 * body fails naming the function, a moved object that was not compared is a
 * failure, and checks that did not run say so.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadDrizzleConfig, rollbackPathFor } from '../src/generate/drizzleConfig';
import { move } from '../src/move';
import { openEmbeddedPostgres } from '../src/verify/database';
import { loadMigrationSet, migrationStep, type MigrationSet } from '../src/verify/migrationSet';
import { planSeed } from '../src/verify/seedRows';
import { failures } from '../src/verify/summary';
import { verifyMigration } from '../src/verify/verifyMigration';
import { PROJECTS_DIR, copyFixtureProject, removedAfterEach } from './helpers/tempProject';
import { runCliHere } from './helpers/run';

const ROWS = 20;
const GROWTH = 'src/db/schema/growth.ts';
const track = removedAfterEach();

async function movedSplit(): Promise<{ dir: string; set: MigrationSet }> {
  const dir = track(copyFixtureProject('schema-split'));
  await move({ cwd: dir, files: [GROWTH], to: 'growth', verify: false });
  const config = loadDrizzleConfig(dir);
  return { dir, set: loadMigrationSet(dir, config, (tag) => rollbackPathFor(config, tag)) };
}

/** An extra hand-written migration before the one under test. */
function withEarlier(set: MigrationSet, sql: string): MigrationSet {
  const prev = set.steps[set.target - 1]!;
  const extra = migrationStep('0000_extra', prev.when + 1, 'extra.sql', sql, prev.snapshot);
  return { ...set, steps: [...set.steps.slice(0, set.target), extra, ...set.steps.slice(set.target)], target: set.target + 1 };
}

describe('migrations: { schema: "public" } leaves out only the migrations table', () => {
  const inPublic = (dir: string) => {
    const path = join(dir, 'drizzle.config.ts');
    writeFileSync(path, readFileSync(path, 'utf8').replace('out: "./drizzle",', 'out: "./drizzle",\n  migrations: { schema: "public" },'));
    expect(loadDrizzleConfig(dir).migrationsSchema).toBe('public');
  };

  it('an honest move verifies, with no drift', async () => {
    const dir = track(copyFixtureProject('schema-split'));
    inPublic(dir);
    const result = await move({ cwd: dir, files: [GROWTH], to: 'growth', rows: ROWS, dryRun: true });
    expect(failures(result.verification!)).toEqual([]);
    expect(result.verification!.checked.table!.objects).toBe(6);
  }, 120_000);

  it('a migration that deletes half a moved table fails (exit 1), naming it', async () => {
    const { dir, set } = await movedSplit();
    inPublic(dir);
    const file = join(dir, set.steps[set.target]!.file);
    writeFileSync(file, `${readFileSync(file, 'utf8')}\n--> statement-breakpoint\nDELETE FROM "growth"."jobs" WHERE "id" % 2 = 0;`);
    const r = await runCliHere(dir, ['verify', '--rows', String(ROWS)]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/table growth\.jobs: 20 rows, checksum \w+ -> 10 rows/);
  }, 120_000);

  it('verify --database-url --commit on a real server refuses it: nothing committed, every row still there', async () => {
    const { dir, set } = await movedSplit();
    inPublic(dir);
    const server = await openEmbeddedPostgres();
    try {
      const { drizzle } = require('drizzle-orm/node-postgres');
      const { migrate } = require('drizzle-orm/node-postgres/migrator');
      const orm = drizzle(server.url!);
      await migrate(orm, { migrationsFolder: join(PROJECTS_DIR, 'schema-split', 'drizzle'), migrationsSchema: 'public' });
      await orm.$client.end();
      const seed = planSeed(set.steps[set.target - 1]!.snapshot, ROWS);
      for (const sql of [...seed.inserts, ...seed.updates]) await server.exec(sql);
      const file = join(dir, set.steps[set.target]!.file);
      writeFileSync(file, `${readFileSync(file, 'utf8')}\n--> statement-breakpoint\nDELETE FROM "growth"."jobs" WHERE "id" % 2 = 0;`);
      const r = await runCliHere(dir, ['verify', '--database-url', server.url!, '--commit']);
      expect(r.stderr).toMatch(/table growth\.jobs: 20 rows, checksum \w+ -> 10 rows/);
      expect(r.status).toBe(1);
      expect(await server.query(`SELECT count(*)::int AS n FROM public.jobs`)).toEqual([{ n: ROWS }]);
      expect(await server.query(`SELECT count(*)::int AS n FROM public.__drizzle_migrations`)).toEqual([{ n: 1 }]);
    } finally {
      await server.close();
    }
  }, 180_000);
});

describe('a move that breaks the app fails (18.2)', () => {
  it('a trigger on a table that stays calls a function that writes to a moved table: the function and the insert are named', async () => {
    const { set } = await movedSplit();
    const report = await verifyMigration(
      withEarlier(
        set,
        `CREATE FUNCTION public.enqueue_welcome() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN INSERT INTO public.jobs (status) VALUES ('queued'); RETURN NEW; END $$;
         --> statement-breakpoint
         CREATE TRIGGER users_enqueue AFTER INSERT ON public.users FOR EACH ROW EXECUTE FUNCTION public.enqueue_welcome();`,
      ),
      { rows: ROWS },
    );
    expect(report.ok).toBe(false);
    const found = failures(report);
    expect(found).toContainEqual(expect.stringMatching(/^function public\.enqueue_welcome\(\): names public\.jobs, moved to growth\.jobs: .*trigger users_enqueue on public\.users/));
    // One write probe per table: the strict one, once.
    expect(found.filter((f) => /^(insert into|new row in) public\.users /.test(f))).toEqual([
      expect.stringMatching(/^insert into public\.users \(triggers or rules\): relation "public\.jobs" does not exist/),
    ]);
  }, 120_000);

  it('an SQL function naming a moved table unqualified, under the default search_path, is named', async () => {
    const { set } = await movedSplit();
    const report = await verifyMigration(
      withEarlier(set, `CREATE FUNCTION public.open_jobs() RETURNS bigint LANGUAGE sql STABLE AS $$ WITH j AS (SELECT 1) SELECT count(*) FROM jobs, j $$;`),
      { rows: ROWS },
    );
    expect(failures(report)).toEqual([expect.stringMatching(/^function public\.open_jobs\(\): names jobs \(search_path postgres, public\), moved to growth\.jobs/)]);
  }, 120_000);

  it("a function naming a moved sequence in nextval('...') by its old name is named", async () => {
    const { set } = await movedSplit();
    const report = await verifyMigration(
      withEarlier(set, `CREATE FUNCTION public.next_invoice() RETURNS bigint LANGUAGE sql AS $$ SELECT nextval('public.invoice_number_seq') $$;`),
      { rows: ROWS },
    );
    expect(failures(report)).toEqual([
      expect.stringMatching(/^function public\.next_invoice\(\): names public\.invoice_number_seq, moved to growth\.invoice_number_seq/),
    ]);
  }, 120_000);

  it('a function whose search_path follows the move passes', async () => {
    const { set } = await movedSplit();
    const report = await verifyMigration(
      withEarlier(set, `CREATE FUNCTION public.open_jobs() RETURNS bigint LANGUAGE sql STABLE SET search_path = growth, public AS $$ SELECT 0::bigint $$;`),
      { rows: ROWS },
    );
    expect(failures(report)).toEqual([]);
  }, 120_000);
});

describe('what was not compared or not run is never "ok"', () => {
  it('a moved table whose schema is left out of the comparison is a failure', async () => {
    const { set } = await movedSplit();
    const report = await verifyMigration(set, { rows: ROWS, excludeSchemas: ['public'] });
    expect(report.ok).toBe(false);
    expect(failures(report)).toContainEqual('table growth.jobs: table moved from public -> not compared');
  }, 120_000);

  it('the text report says "not checked" for drift behind newer migrations, and names what it compared', async () => {
    const { dir } = await movedSplit();
    const older = await runCliHere(dir, ['verify', '--migration', 'init', '--rows', '5']);
    expect(older.status).toBe(0);
    expect(older.stdout).toContain('drift against the latest snapshot: not checked');
    expect(older.stdout).toMatch(/^ok: kept .*; not checked: rollback, drift$/m);
    const newest = await runCliHere(dir, ['verify', '--rows', '5']);
    expect(newest.status).toBe(0);
    expect(newest.stdout).toMatch(/^ok: kept 1 schema, 6 tables \(rows and checksums\), .*\d+ indexes/m);
    expect(newest.stdout).not.toContain('every row, index, constraint');
  }, 120_000);
});
