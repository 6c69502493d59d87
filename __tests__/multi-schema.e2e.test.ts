/**
 * Seed 004 end to end: one run splits the schema-split fixture's `public`
 * into `growth` (entities, artifacts, jobs, microsites, generation_jobs, the
 * sequence and the enums, which follow their tables) and `shared` (users),
 * and creates `engineering` and `product` empty. Every migration is applied
 * with drizzle-orm's own migrator to PGlite and to a real Postgres server,
 * with rows inserted before the new migration; then the rollback.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readMigrationsState } from '../src/generate/migrationsFolder';
import type { EngineName } from '../src/verify/database';
import { compareFingerprints, fingerprint, relocateFingerprint } from '../src/verify/fingerprint';
import { movesBetween } from '../src/verify/verifyMigration';
import { REPO_ROOT, copyFixtureProject, hashTree, removeTemp } from './helpers/tempProject';
import { fixtureDatabase, migrateAndSeed, migrateWith as migrate, runCliHere } from './helpers/run';

const ROWS = 20;
const FILES = ['src/db/schema/growth.ts', 'src/db/schema/users.ts', 'src/db/schema/enums.ts'];
const GROWTH = ['entities', 'artifacts', 'jobs', 'microsites', 'generation_jobs'];
const SCHEMAS = ['public', 'growth', 'shared'];

describe('move with a multi-schema plan on schema-split (seed 004)', () => {
  let dir: string;
  let baseline: string;
  let cli: Awaited<ReturnType<typeof runCliHere>>;
  let sql: string;
  let rollbackSql: string;

  beforeAll(async () => {
    dir = copyFixtureProject('schema-split');
    baseline = `${dir}-baseline`;
    cpSync(join(dir, 'drizzle'), baseline, { recursive: true });
    // The plan as a file, as a team would review it; --create-schema product is added on the command line.
    writeFileSync(
      join(dir, 'reschema.json'),
      JSON.stringify({
        map: { growth: [...GROWTH, 'invoice_number_seq'], shared: ['users'] },
        createSchemas: ['engineering'],
      }),
    );
    cli = await runCliHere(dir, ['move', ...FILES, '--plan', 'reschema.json', '--create-schema', 'product', '--grant', 'app_user', '--no-verify']);
    const files = readdirSync(join(dir, 'drizzle'));
    sql = readFileSync(join(dir, 'drizzle', files.find((f) => /^0001_.*(?<!rollback)\.sql$/.test(f))!), 'utf8');
    rollbackSql = readFileSync(join(dir, 'drizzle', files.find((f) => f.endsWith('.rollback.sql'))!), 'utf8');
  });
  afterAll(() => {
    removeTemp(dir);
    removeTemp(baseline);
  });

  it('writes one migration that creates four schemas and moves each object to its own', () => {
    expect(cli.stderr).not.toMatch(/error|warning/i);
    expect(cli.status).toBe(0);
    const statements = sql.split('--> statement-breakpoint').map((s) => s.trim());
    for (const schema of ['growth', 'shared', 'engineering', 'product']) expect(statements).toContain(`CREATE SCHEMA "${schema}";`);
    for (const table of GROWTH) expect(statements).toContain(`ALTER TABLE "public"."${table}" SET SCHEMA "growth";`);
    for (const type of ['entity_type', 'artifact_type', 'job_status', 'section_type']) {
      expect(statements).toContain(`ALTER TYPE "public"."${type}" SET SCHEMA "growth";`);
    }
    expect(statements).toContain('ALTER SEQUENCE "public"."invoice_number_seq" SET SCHEMA "growth";');
    expect(statements).toContain('ALTER TABLE "public"."users" SET SCHEMA "shared";');
    expect(statements).toContain('GRANT USAGE ON SCHEMA "engineering" TO "app_user";');
    expect(sql).not.toMatch(/\bDROP\b|INSERT INTO|CREATE TABLE/);
    for (const schema of ['growth', 'shared', 'engineering', 'product']) expect(rollbackSql).toContain(`DROP SCHEMA "${schema}";`);
    // The empty schemas are declared where drizzle-kit reads them: the first file given.
    const growthFile = readFileSync(join(dir, FILES[0]!), 'utf8');
    expect(growthFile).toContain('export const engineering = pgSchema("engineering");');
    expect(growthFile).toContain('export const product = pgSchema("product");');
  });

  it('leaves drizzle-kit with nothing to generate, and a second run with nothing to do', async () => {
    const kit = spawnSync(process.execPath, [join(REPO_ROOT, 'node_modules', 'drizzle-kit', 'bin.cjs'), 'generate'], {
      cwd: dir,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    expect(kit.stdout + kit.stderr).toContain('No schema changes');
    const before = hashTree(dir);
    const again = await runCliHere(dir, ['move', ...FILES, '--plan', 'reschema.json', '--create-schema', 'product', '--no-verify']);
    expect(again.status).toBe(0);
    expect(again.stderr).toMatch(/nothing to do/);
    expect(hashTree(dir)).toEqual(before);
  });

  describe.each(['pglite', 'postgres'] as EngineName[])('applied with drizzle-orm migrator on %s', (engine) => {
    const database = fixtureDatabase(engine);

    it('keeps every row and constraint, enforces FKs across schemas and the circular FK, and rolls back', async () => {
      const db = database();
      const previous = await migrateAndSeed(db, baseline, ROWS);
      await db.exec(`SELECT nextval('public.invoice_number_seq')`);
      const before = await fingerprint(db, SCHEMAS);
      expect(before.get('table public.microsites')!.rows).toBe(ROWS);

      await migrate(db, join(dir, 'drizzle'));
      const moves = movesBetween(previous, readMigrationsState(join(dir, 'drizzle'), dir).head!.snapshot);
      const after = await fingerprint(db, SCHEMAS);
      expect(compareFingerprints(relocateFingerprint(before, moves), after).differences).toEqual([]);
      for (const table of GROWTH) expect(after.get(`table growth.${table}`)).toBeDefined();
      expect(after.get('table shared.users')).toBeDefined();
      const schemas = await db.query<{ name: string; tables: string }>(
        `SELECT n.nspname AS name, count(c.oid)::text AS tables FROM pg_namespace n
         LEFT JOIN pg_class c ON c.relnamespace = n.oid AND c.relkind IN ('r', 'v', 'm', 'S')
         WHERE n.nspname IN ('engineering', 'product') GROUP BY 1 ORDER BY 1`,
      );
      expect(schemas).toEqual([
        { name: 'engineering', tables: '0' },
        { name: 'product', tables: '0' },
      ]);
      const [enumSchema] = await db.query<{ schema: string }>(
        `SELECT n.nspname AS schema FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE t.typname = 'job_status'`,
      );
      expect(enumSchema!.schema).toBe('growth');

      // growth -> shared: entities.owner_id still points at users.
      const missing = "'00000000-0000-0000-0000-000000000000'";
      await expect(db.exec(`UPDATE growth.entities SET owner_id = ${missing}`)).rejects.toThrow(/foreign key/i);
      // The cycle, both ways.
      await expect(db.exec(`UPDATE growth.microsites SET latest_generation_job_id = ${missing}`)).rejects.toThrow(/foreign key/i);
      await expect(db.exec(`UPDATE growth.generation_jobs SET microsite_id = ${missing}`)).rejects.toThrow(/foreign key/i);
      // Deleting a shared user cascades into growth.
      const [{ n: entitiesBefore } = { n: '0' }] = await db.query<{ n: string }>('SELECT count(*)::text AS n FROM growth.entities');
      await db.exec('DELETE FROM shared.users WHERE id = (SELECT owner_id FROM growth.entities LIMIT 1)');
      const [{ n: entitiesAfter } = { n: '0' }] = await db.query<{ n: string }>('SELECT count(*)::text AS n FROM growth.entities');
      expect(Number(entitiesAfter)).toBeLessThan(Number(entitiesBefore));

      const [grant] = await db.query<{ ok: boolean }>(`SELECT has_schema_privilege('app_user', 'engineering', 'USAGE') AS ok`);
      expect(grant!.ok).toBe(true);

      // The rollback puts every object back in public and drops the four schemas.
      const moved = await fingerprint(db, SCHEMAS);
      await db.exec(rollbackSql);
      const rolledBack = await fingerprint(db, SCHEMAS);
      const back = moves.map((m) => ({ name: m.name, from: m.to, to: m.from }));
      // The rollback revokes the --grant privileges (default ones included) and drops the new schemas on purpose; everything else is as before.
      const kept = compareFingerprints(relocateFingerprint(moved, back), rolledBack).differences;
      // A dropped schema takes its comment with it (the migration's record of the privileges --grant roles held).
      expect(kept.filter((d) => d.kind !== 'grant' && d.kind !== 'schema' && d.kind !== 'default privileges' && !(d.kind === 'comment' && d.object.endsWith(' (schema)')))).toEqual([]);
      for (const table of [...GROWTH, 'users']) expect(rolledBack.get(`table public.${table}`)).toBeDefined();
      const left = await db.query(`SELECT 1 FROM pg_namespace WHERE nspname IN ('growth', 'shared', 'engineering', 'product')`);
      expect(left).toEqual([]);
    }, 120_000);
  });
});

describe('an enum whose tables go to different schemas', () => {
  let dir: string;
  beforeAll(() => {
    dir = copyFixtureProject('schema-split');
  });
  afterAll(() => removeTemp(dir));

  it('stays where it is, the run asks nothing and the warning names it', async () => {
    // job_status is used by jobs (-> growth) and generation_jobs (-> shared).
    const result = await runCliHere(dir, [
      'move',
      ...FILES,
      '--map',
      'growth=jobs,entities,artifacts,microsites',
      '--map',
      'shared=generation_jobs,users',
      '--no-migration',
      '--dry-run',
    ]);
    expect(result.status).toBe(0);
    expect(result.stderr).toContain(
      "warning: src/db/schema/enums.ts:18: enum 'job_status' is used by tables headed for different schemas: growth (jobs), shared (generation_jobs); it stays in 'public'",
    );
    expect(result.stdout).toContain('+export const entityTypeEnum = growth.enum("entity_type", [');
    expect(result.stdout).not.toContain("jobStatusEnum = growth");
    expect(result.stdout).not.toContain("jobStatusEnum = shared");
  });
});

describe('--map, --create-schema and --plan arguments', () => {
  const { buildParser } = require('../src/cli') as typeof import('../src/cli');
  const { mergeTargets, readPlanFile } = require('../src/plan/planFile') as typeof import('../src/plan/planFile');

  async function parse(argv: string[]) {
    const calls: unknown[] = [];
    await buildParser(argv, { move: async (args) => void calls.push(args) })
      .exitProcess(false)
      .fail((message, error) => {
        throw error ?? new Error(message);
      })
      .parseAsync();
    return calls[0] as import('../src/cli').MoveArgs;
  }

  it('collects repeated --map entries by schema and splits --create-schema', async () => {
    const args = await parse(['move', 'a.ts', '--map', 'growth=entities, jobs', '--map', 'shared=users', '--map', 'growth=artifacts', '--create-schema', 'engineering,product']);
    expect(args.map).toEqual({ growth: ['entities', 'jobs', 'artifacts'], shared: ['users'] });
    expect(args.createSchemas).toEqual(['engineering', 'product']);
  });

  it('refuses a --map entry without names', async () => {
    await expect(parse(['move', 'a.ts', '--map', 'growth='])).rejects.toThrow("--map 'growth=': expected <schema>=<name>[,<name>...]");
  });

  describe('plan files', () => {
    let dir: string;
    beforeAll(() => {
      dir = copyFixtureProject('schema-split');
    });
    afterAll(() => removeTemp(dir));
    const write = (name: string, text: string) => {
      writeFileSync(join(dir, name), text);
      return name;
    };

    it('reads YAML and JSON alike; flags add to the file and --to replaces its to', () => {
      const yaml = readPlanFile(write('p.yaml', 'to: archive\nmap:\n  growth: [entities, jobs]\n  shared: users\ncreateSchemas: [engineering]\n'), dir);
      const json = readPlanFile(write('p.json', JSON.stringify({ to: 'archive', map: { growth: ['entities', 'jobs'], shared: 'users' }, createSchemas: ['engineering'] })), dir);
      expect(yaml).toEqual(json);
      expect(mergeTargets(yaml, { to: 'attic', map: { growth: ['artifacts'] }, createSchemas: ['product'] })).toEqual({
        to: 'attic',
        map: { growth: ['entities', 'jobs', 'artifacts'], shared: ['users'] },
        createSchemas: ['engineering', 'product'],
      });
    });

    it('names the file and the key of what is wrong', () => {
      expect(() => readPlanFile(write('bad1.yaml', 'map:\n  growth: 3\n'), dir)).toThrow('bad1.yaml: map.growth: expected a list of table, enum, view or sequence names');
      expect(() => readPlanFile(write('bad2.json', '{"to": ["x"]}'), dir)).toThrow('bad2.json: to: expected a schema name');
      expect(() => readPlanFile(write('bad3.json', '{"map": '), dir)).toThrow(/^bad3\.json: does not parse: /);
      expect(() => readPlanFile(write('bad4.yaml', '- growth\n'), dir)).toThrow('bad4.yaml: expected an object with to, map, createSchemas');
      expect(() => readPlanFile('missing.yaml', dir)).toThrow('missing.yaml: cannot read the plan file');
    });

    it('exits 2 with one line and leaves the tree as it was', async () => {
      const plan = write('bad5.yaml', 'createSchemas: engineering\nmapp: {}\n');
      const before = hashTree(dir);
      const result = await runCliHere(dir, ['move', ...FILES, '--plan', plan]);
      expect(result.status).toBe(2);
      expect(result.stderr).toBe('drizzle-reschema: bad5.yaml: mapp: unknown key (expected to, map, createSchemas)\n');
      expect(hashTree(dir)).toEqual(before);
    });
  });
});
