/**
 * End to end: spawn the CLI on temp copies of both fixture projects with stdin
 * closed, then apply every migration with drizzle-orm's own migrator to a
 * fresh PGlite and a real Postgres server, with rows inserted before the new
 * migration, and check nothing was lost.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EngineName } from '../src/verify/database';
import { compareFingerprints, fingerprint, relocateFingerprint } from '../src/verify/fingerprint';
import { movesBetween } from '../src/verify/verifyMigration';
import { planSeed } from '../src/verify/seedRows';
import { readMigrationsState } from '../src/generate/migrationsFolder';
import { REPO_ROOT, copyFixtureProject, removeTemp } from './helpers/tempProject';
import { fixtureDatabase, migrateAndSeed, migrateWith as migrate, runCli } from './helpers/run';
import { PLANNER_MOVE, SPLIT_MOVE, type FixtureMove } from './helpers/cases';

const ROWS = 25;

type Case = FixtureMove;
const CASES: Case[] = [PLANNER_MOVE, SPLIT_MOVE];

describe.each(CASES.map((c) => [c.fixture, c] as const))('move on %s', (_name, c) => {
  let dir: string;
  let baseline: string;
  let cli: ReturnType<typeof runCli>;

  beforeAll(() => {
    dir = copyFixtureProject(c.fixture);
    baseline = `${dir}-baseline`;
    cpSync(join(dir, c.out), baseline, { recursive: true });
    cli = runCli(dir, ['move', c.schemaFile, '--to', c.to, '--grant', 'app_user', '--no-verify']);
  });
  afterAll(() => {
    removeTemp(dir);
    removeTemp(baseline);
  });

  it('exits 0 without a TTY and writes a migration, its snapshot, journal entry and rollback', () => {
    expect(cli.stderr).not.toMatch(/error/i);
    expect(cli.status).toBe(0);
    const files = readdirSync(join(dir, c.out));
    expect(files.filter((f) => f.endsWith('.rollback.sql'))).toHaveLength(1);
    const sql = readFileSync(join(dir, c.out, files.find((f) => /move_to/.test(f) && !f.includes('rollback'))!), 'utf8');
    // The moves come right after CREATE SCHEMA, in drizzle-kit's own form; nothing is dropped.
    const statements = sql.split('--> statement-breakpoint').map((s) => s.trim());
    // The moved tables locked first (src/patch/lockOrder.ts), then drizzle-kit's CREATE SCHEMA.
    expect(statements[0]).toMatch(/^\s*LOCK TABLE "public"\./m);
    expect(statements[1]).toBe(`CREATE SCHEMA "${c.to}";`);
    for (const table of c.moved) expect(sql).toContain(`ALTER TABLE "public"."${table}" SET SCHEMA "${c.to}";`);
    expect(sql).not.toMatch(/\bDROP\b/);
    expect(sql).not.toMatch(/INSERT INTO/);
  });

  it('leaves drizzle-kit with nothing to generate', () => {
    const kit = spawnSync(process.execPath, [join(REPO_ROOT, 'node_modules', 'drizzle-kit', 'bin.cjs'), 'generate'], {
      cwd: dir,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    expect(kit.status).toBe(0);
    expect(kit.stdout + kit.stderr).toContain('No schema changes');
  });

  describe.each(['pglite', 'postgres'] as EngineName[])('applied with drizzle-orm migrator on %s', (engine) => {
    const database = fixtureDatabase(engine);

    it('keeps every row, index, constraint and sequence; FKs and sequences still work', async () => {
      const db = database();
      const previous = await migrateAndSeed(db, baseline, ROWS);
      const before = await fingerprint(db, ['public']);
      expect(before.get(`table public.${c.moved[0]}`)!.rows).toBe(ROWS);

      await migrate(db, join(dir, c.out));
      const next = readMigrationsState(join(dir, c.out), dir).head!.snapshot;
      const moves = movesBetween(previous, next);
      expect(moves.filter((m) => m.kind === 'table').map((m) => m.name).sort()).toEqual([...c.moved].sort());
      const after = await fingerprint(db, ['public', c.to]);
      const { differences, added } = compareFingerprints(relocateFingerprint(before, moves), after);
      expect(differences).toEqual([]);
      // The target schema, its comment (the record of what --grant roles held, which the rollback reads)
      // and the grants (default ones included) to app_user are what the migration adds; nothing else is new.
      const own = (e: { kind: string; name: string }) =>
        e.kind === 'grant' || e.kind === 'default privileges' || (e.kind === 'schema' && e.name === c.to) || (e.kind === 'comment' && e.name === `${c.to} (schema)`);
      expect(added.filter((e) => !own(e))).toEqual([]);
      for (const table of c.moved) expect(after.get(`table ${c.to}.${table}`)!.rows).toBe(ROWS);

      // The FK to public.users is still enforced.
      await expect(
        db.exec(`UPDATE "${c.to}"."${c.fkToUsers.table}" SET "${c.fkToUsers.column}" = '00000000-0000-0000-0000-000000000000'`),
      ).rejects.toThrow(/foreign key/i);

      // Identity and serial columns still insert, continuing their sequences.
      const more = planSeed(next, 1, ROWS + 1);
      for (const statement of more.inserts) await db.exec(statement);
      const grown = await fingerprint(db, ['public', c.to]);
      for (const table of c.moved) expect(grown.get(`table ${c.to}.${table}`)!.rows).toBe(ROWS + 1);
      const lastValue = (e: { value: string } | undefined) => /^last value (\S+),/.exec(e?.value ?? '')?.[1];
      for (const e of grown.values()) {
        if (e.kind !== 'sequence' || e.name.includes('invoice')) continue;
        const was = lastValue(relocateFingerprint(before, moves).get(`sequence ${e.schema}.${e.name}`));
        if (was !== undefined && was !== 'unused') expect(Number(lastValue(e))).toBeGreaterThan(Number(was));
      }

      // --grant gave the role access to the moved tables.
      const [grant] = await db.query<{ ok: boolean }>(
        `SELECT has_table_privilege('app_user', '"${c.to}"."${c.moved[0]}"', 'SELECT') AS ok`,
      );
      expect(grant!.ok).toBe(true);
    }, 120_000);
  });
});
