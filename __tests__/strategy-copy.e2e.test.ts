/**
 * `move --strategy copy` (and `--keep-source`) end to end: the CLI on temp
 * copies of both fixtures, then every migration applied with drizzle-orm's
 * migrator on PGlite and a real Postgres server, rows seeded before the new
 * migration. Same rows and checksums in the new schema, FKs enforced,
 * sequences continuing, old objects gone (or kept, and the drop-source file
 * then drops them), and the rollback restoring the original fingerprint.
 */
import { cpSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readMigrationsState } from '../src/generate/migrationsFolder';
import { openEngine, type Database, type EngineName } from '../src/verify/database';
import { compareFingerprints, fingerprint, relocateFingerprint, type Fingerprint } from '../src/verify/fingerprint';
import { movesBetween } from '../src/verify/verifyMigration';
import { planSeed } from '../src/verify/seedRows';
import { copyFixtureProject, hashTree, removeTemp } from './helpers/tempProject';
import { fixtureDatabase, migrateAndSeed, migrateWith as migrate, runCliHere, runKit } from './helpers/run';
import { PLANNER_MOVE, SPLIT_MOVE, type FixtureMove } from './helpers/cases';

const ROWS = 25;

interface Case extends FixtureMove {
  movedEnums: string[];
}

const CASES: Case[] = [
  { ...PLANNER_MOVE, movedEnums: ['complexity', 'plan_status', 'technical_complexity'] },
  { ...SPLIT_MOVE, movedEnums: [] },
];

const tablesIn = async (db: Database, schema: string) =>
  (
    await db.query<{ name: string }>(
      `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE'`,
      [schema],
    )
  ).map((r) => r.name);

const newestSnapshot = (dir: string, out: string) => {
  const { id: _id, prevId: _prevId, ...rest } = readMigrationsState(join(dir, out), dir).head!.snapshot;
  return rest;
};

describe.each(CASES.map((c) => [c.fixture, c] as const))('--strategy copy on %s', (_name, c) => {
  describe.each([
    ['drops the source', false],
    ['--keep-source', true],
  ] as const)('%s', (_mode, keepSource) => {
    let dir: string;
    let baseline: string;
    let cli: Awaited<ReturnType<typeof runCliHere>>;
    let sql: string;
    let rollbackSql: string;
    let dropSourcePath: string;

    beforeAll(async () => {
      dir = copyFixtureProject(c.fixture);
      baseline = `${dir}-baseline`;
      cpSync(join(dir, c.out), baseline, { recursive: true });
      const args = ['move', c.schemaFile, '--to', c.to, '--strategy', 'copy', '--grant', 'app_user', '--no-verify'];
      cli = await runCliHere(dir, keepSource ? [...args, '--keep-source'] : args);
      const files = readdirSync(join(dir, c.out));
      const tag = files.find((f) => /move_to/.test(f) && f.endsWith('.sql') && !f.includes('.rollback') && !f.includes('.drop-source'))!;
      sql = readFileSync(join(dir, c.out, tag), 'utf8');
      rollbackSql = readFileSync(join(dir, c.out, tag.replace(/\.sql$/, '.rollback.sql')), 'utf8');
      dropSourcePath = join(dir, c.out, tag.replace(/\.sql$/, '.drop-source.sql'));
    });
    afterAll(() => {
      removeTemp(dir);
      removeTemp(baseline);
    });

    it('exits 0 without a TTY, lists the hazards, and writes the copy in the right order', () => {
      expect(cli.stderr).not.toMatch(/error/i);
      expect(cli.status).toBe(0);
      expect(cli.stderr).toMatch(/^hazard: grants on .* are not copied/m);
      expect(cli.stderr).toMatch(/^hazard: RLS policies, triggers, rules, indexes and comments/m);
      const statements = sql.split('--> statement-breakpoint').map((s) => s.trim());
      const at = (prefix: string) => statements.findIndex((s) => s.includes(prefix));
      expect(sql).not.toMatch(/SET SCHEMA/);
      for (const table of c.moved) {
        const create = at(`CREATE TABLE "${c.to}"."${table}"`);
        const copy = at(`INSERT INTO "${c.to}"."${table}"`);
        expect(create).toBeGreaterThanOrEqual(0);
        expect(copy).toBeGreaterThan(create);
        // Indexes and FKs are built after the rows are in.
        for (const [i, s] of statements.entries()) {
          if (s.startsWith('CREATE INDEX') && s.includes(`ON "${c.to}"."${table}"`)) expect(i).toBeGreaterThan(copy);
          if (s.includes('ADD CONSTRAINT') && s.startsWith(`ALTER TABLE "${c.to}"."${table}"`)) expect(i).toBeGreaterThan(copy);
        }
        const drop = at(`DROP TABLE "public"."${table}"`);
        if (keepSource) expect(drop).toBe(-1);
        else expect(drop).toBeGreaterThan(copy);
      }
      for (const e of c.movedEnums) {
        expect(sql).toContain(`CREATE TYPE "${c.to}"."${e}"`);
        expect(sql).toMatch(new RegExp(`::text::"${c.to}"\\."${e}"`));
      }
      expect(statements.filter((s) => s.startsWith('DROP') && s.includes('CASCADE'))).toEqual([]);
      expect(existsSync(dropSourcePath)).toBe(keepSource);
    });

    it('writes the same snapshot as the move strategy, and leaves drizzle-kit nothing to generate', async () => {
      const kit = runKit(dir);
      expect(kit.status).toBe(0);
      expect(kit.stdout + kit.stderr).toContain('No schema changes');
      if (keepSource) return; // one comparison per fixture is enough
      const moved = copyFixtureProject(c.fixture);
      try {
        expect((await runCliHere(moved, ['move', c.schemaFile, '--to', c.to, '--no-verify'])).status).toBe(0);
        expect(newestSnapshot(dir, c.out)).toEqual(newestSnapshot(moved, c.out));
      } finally {
        removeTemp(moved);
      }
    });

    describe.each(['pglite', 'postgres'] as EngineName[])('applied with drizzle-orm migrator on %s', (engine) => {
      const database = fixtureDatabase(engine);

      it('copies every row; the rollback restores the original; sequences continue; FKs hold', async () => {
        const db = database();
        const previous = await migrateAndSeed(db, baseline, ROWS);
        const before = await fingerprint(db, ['public']);
        expect(before.get(`table public.${c.moved[0]}`)!.rows).toBe(ROWS);
        const same = (a: Fingerprint, b: Fingerprint) => expect(compareFingerprints(a, b).differences).toEqual([]);

        await migrate(db, join(dir, c.out));
        const next = readMigrationsState(join(dir, c.out), dir).head!.snapshot;
        const expected = relocateFingerprint(before, movesBetween(previous, next));
        if (keepSource) {
          // The old tables are untouched; the new ones hold the same rows.
          same(before, await fingerprint(db, ['public']));
          same(expected, await fingerprint(db, ['public', c.to]));
        } else {
          same(expected, await fingerprint(db, ['public', c.to]));
          expect((await tablesIn(db, 'public')).sort()).toEqual(['users']);
        }
        for (const table of c.moved) expect(await tablesIn(db, c.to)).toContain(table);

        // The rollback restores the original fingerprint (tried inside a transaction, then undone).
        await db.exec('BEGIN');
        await db.exec(rollbackSql);
        same(before, await fingerprint(db, ['public']));
        expect(await tablesIn(db, c.to)).toEqual([]);
        await db.exec('ROLLBACK');

        // FKs to public.users and inside the new schema are enforced.
        await expect(
          db.exec(`UPDATE "${c.to}"."${c.fkToUsers.table}" SET "${c.fkToUsers.column}" = '00000000-0000-0000-0000-000000000000'`),
        ).rejects.toThrow(/foreign key/i);

        // Identity and serial columns insert new rows, continuing past the copied ids.
        const more = planSeed(next, 1, ROWS + 1);
        for (const statement of more.inserts) await db.exec(statement);
        const grown = await fingerprint(db, [c.to]);
        for (const table of c.moved) expect(grown.get(`table ${c.to}.${table}`)!.rows).toBe(ROWS + 1);
        const lastValue = (e: { value: string } | undefined) => /^last value (\S+),/.exec(e?.value ?? '')?.[1];
        let continued = 0;
        for (const e of grown.values()) {
          if (e.kind !== 'sequence' || e.name.includes('invoice')) continue;
          const was = lastValue(expected.get(`sequence ${e.schema}.${e.name}`));
          if (was === undefined || was === 'unused') continue;
          expect(Number(lastValue(e))).toBe(Number(was) + 1);
          continued++;
        }
        expect(continued).toBeGreaterThan(0);

        const [grant] = await db.query<{ ok: boolean }>(
          `SELECT has_table_privilege('app_user', '"${c.to}"."${c.moved[0]}"', 'SELECT') AS ok`,
        );
        expect(grant!.ok).toBe(true);

        if (keepSource) {
          await db.exec(readFileSync(dropSourcePath, 'utf8'));
          expect((await tablesIn(db, 'public')).sort()).toEqual(['users']);
          const types = await db.query<{ n: string }>(
            `SELECT count(*)::text AS n FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = 'public' AND t.typname = ANY($1)`,
            [c.movedEnums],
          );
          expect(types[0]!.n).toBe('0');
        }
      }, 180_000);
    });
  });
});

describe('--keep-source without --strategy copy', () => {
  it('exits 2 and changes nothing', async () => {
    const dir = copyFixtureProject('schema-split');
    try {
      const before = hashTree(dir);
      const result = await runCliHere(dir, ['move', 'src/db/schema/growth.ts', '--to', 'growth', '--keep-source', '--no-verify']);
      expect(result.status).toBe(2);
      expect(result.stderr.trim()).toBe('drizzle-reschema: --keep-source needs --strategy copy (a move keeps no source)');
      expect(hashTree(dir)).toEqual(before);
    } finally {
      removeTemp(dir);
    }
  });
});

describe('--strategy copy of enums whose tables stay (schema-split enums.ts -> shared), on PGlite', () => {
  it('re-types the columns through text, keeps defaults and rows, and drops the old enums', async () => {
    const dir = copyFixtureProject('schema-split');
    const baseline = `${dir}-baseline`;
    cpSync(join(dir, 'drizzle'), baseline, { recursive: true });
    const db = await openEngine('pglite');
    try {
      const cli = await runCliHere(dir, ['move', 'src/db/schema/enums.ts', '--to', 'shared', '--strategy', 'copy', '--no-verify']);
      expect(cli.stderr).not.toMatch(/error/i);
      expect(cli.status).toBe(0);
      expect(runKit(dir).stdout).toContain('No schema changes');

      const previous = await migrateAndSeed(db, baseline, ROWS);
      const before = await fingerprint(db, ['public']);
      await migrate(db, join(dir, 'drizzle'));
      const moves = movesBetween(previous, readMigrationsState(join(dir, 'drizzle'), dir).head!.snapshot);
      expect(moves.map((m) => m.name).sort()).toEqual(['artifact_type', 'entity_type', 'job_status', 'section_type']);
      const after = await fingerprint(db, ['public', 'shared']);
      expect(compareFingerprints(relocateFingerprint(before, moves), after).differences).toEqual([]);

      const types = await db.query<{ schema: string; name: string }>(
        `SELECT n.nspname AS schema, t.typname AS name FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE t.typtype = 'e' ORDER BY 2`,
      );
      expect(types.map((t) => `${t.schema}.${t.name}`)).toEqual(['shared.artifact_type', 'shared.entity_type', 'shared.job_status', 'shared.section_type']);
      const [row] = await db.query<{ status: string }>(`INSERT INTO "public"."jobs" DEFAULT VALUES RETURNING status`);
      expect(row!.status).toBe('queued');
    } finally {
      await db.close();
      removeTemp(dir);
      removeTemp(baseline);
    }
  }, 120_000);
});
