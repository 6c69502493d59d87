/**
 * Expand/contract (`move --compat`, `contract`) end to end on the 000 and 004
 * fixture projects, on PGlite: the CLI (its run(), in this process) writes the
 * migrations, drizzle-orm's migrator applies them, and the old app's own
 * drizzle-orm queries, built from the schema code as it was before the move
 * (bundled from the fixture before the CLI rewrites it), run against the
 * migrated database.
 */
import { buildSync } from 'esbuild';
import { cpSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openEngine, type Database } from '../src/verify/database';
import { migrateWith, runCliHere } from './helpers/run';
import { REPO_ROOT, copyFixtureProject, hashTree, removeTemp } from './helpers/tempProject';

type Db = Database & { raw?: unknown };
/* eslint-disable @typescript-eslint/no-explicit-any */
type OldSchema = Record<string, any>;

/**
 * The old app's schema module: the project's schema files as they are now (before the move),
 * bundled with the project's tsconfig (its `@/` alias) and drizzle-orm left to the project's
 * node_modules, which are the repo's: the same drizzle-orm the test queries with.
 */
function oldAppSchema(dir: string, files: string[]): OldSchema {
  // Beside the project, not in it: the move's hazard scan reads every file of the project.
  const app = `${dir}-old-app`;
  mkdirSync(app);
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(app, 'node_modules'), 'dir');
  const entry = join(app, 'entry.ts');
  writeFileSync(entry, files.map((f) => `export * from ${JSON.stringify(join(dir, f.replace(/\.ts$/, '')))};\n`).join(''));
  const outfile = join(app, 'schema.cjs');
  buildSync({ entryPoints: [entry], bundle: true, platform: 'node', format: 'cjs', packages: 'external', outfile, tsconfig: join(dir, 'tsconfig.json'), logLevel: 'error' });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(outfile) as OldSchema;
}

/** The old app's database object: its tables are untyped here (the module is bundled at run time). */
function oldApp(db: Db, schema: OldSchema): any {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { drizzle } = require('drizzle-orm/pglite') as typeof import('drizzle-orm/pglite');
  return drizzle(db.raw as never, { schema });
}

const cli = async (dir: string, args: string[]) => {
  const run = await runCliHere(dir, args);
  if (run.status !== 0) throw new Error(`drizzle-reschema ${args.join(' ')} exited ${run.status}: ${run.stderr}`);
  return run;
};

/** drizzle-orm wraps the server's error ("Failed query: ..."): its cause says why. */
async function serverError(query: Promise<unknown>): Promise<string> {
  try {
    await query;
  } catch (error) {
    return String((error as { cause?: { message?: string } }).cause?.message ?? (error as Error).message);
  }
  return 'no error';
}

const compatViews = (db: Db) =>
  db.query<{ view: string }>(
    `SELECT n.nspname || '.' || c.relname AS view FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind = 'v' AND obj_description(c.oid, 'pg_class') LIKE 'drizzle-reschema compat:%' ORDER BY 1`,
  );

describe('004 schema split: move --compat, the old app, rollback, contract', () => {
  let dir: string;
  let schema: OldSchema;
  let db: Db;
  let baseline: string;
  let moved: Awaited<ReturnType<typeof cli>>;
  beforeAll(async () => {
    dir = copyFixtureProject('schema-split');
    // Raw SQL the old code has: a moved table (the view covers it until contract), the moved sequence and a moved
    // table's serial sequence (nothing stands in for those).
    writeFileSync(join(dir, 'src/db/billing.ts'), "import { sql } from 'drizzle-orm';\nexport const next = sql`select nextval('invoice_number_seq'), count(*) from jobs`;\nexport const job = sql`select nextval('jobs_id_seq')`;\n");
    schema = oldAppSchema(dir, ['src/db/schema/users.ts', 'src/db/schema/enums.ts', 'src/db/schema/growth.ts']);
    baseline = `${dir}-baseline`;
    cpSync(join(dir, 'drizzle'), baseline, { recursive: true });
    moved = await cli(dir, ['move', 'src/db/schema/growth.ts', '--to', 'growth', '--compat', '--lock-timeout', '2000', '--rows', '20']);
    db = await openEngine('pglite');
    await migrateWith(db, baseline);
  }, 120_000);
  afterAll(async () => {
    await db?.close();
    for (const d of [dir, `${dir}-baseline`, `${dir}-old-app`]) removeTemp(d);
  });

  it('the report lists the views with their date, and which raw SQL they cover until contract', () => {
    const day = new Date().toISOString().slice(0, 10);
    expect(moved.stderr).toContain(`compat: 5 view(s) for code that predates the move, made ${day}: public.entities over growth.entities, `);
    expect(moved.stderr).toContain('compat: src/db/billing.ts:2: jobs reaches the view until contract; then use "growth"."jobs"');
    expect(moved.stderr).toContain(
      `hazard: 2 places in raw SQL will not find the moved objects:\nsrc/db/billing.ts:2: 'invoice_number_seq' → use "growth"."invoice_number_seq"\nsrc/db/billing.ts:3: 'jobs_id_seq' → use "growth"."jobs_id_seq"\n`,
    );
  });

  it('the old code writes and reads through the views after the migration: insert returning, joins, update, delete, upsert', async () => {
    const app = oldApp(db, schema);
    const { users, entities, artifacts, jobs, microsites } = schema;
    const { eq } = require('drizzle-orm') as typeof import('drizzle-orm');
    const [owner] = await app.insert(users).values({ email: 'before@example.com' }).returning();
    const [before] = await app.insert(entities).values({ type: 'product', name: 'written before', ownerId: owner.id }).returning();

    await migrateWith(db, join(dir, 'drizzle'));
    expect((await compatViews(db)).map((r) => r.view)).toEqual(['public.artifacts', 'public.entities', 'public.generation_jobs', 'public.jobs', 'public.microsites']);

    // Defaults (defaultRandom, defaultNow, a jsonb default), identity and serial come from the moved tables.
    const [entity] = await app.insert(entities).values({ type: 'product', name: 'written after', ownerId: owner.id }).returning();
    expect(entity.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(entity.createdAt).toBeInstanceOf(Date);
    const [a1, a2] = await app.insert(artifacts).values([{ entityId: entity.id, type: 'landing_page' }, { entityId: before.id, type: 'landing_page' }]).returning();
    expect(a2.id).toBe(a1.id + 1);
    expect(a1.body).toEqual({ blocks: [] });
    const [job] = await app.insert(jobs).values({ artifactId: a1.id }).returning();
    expect(job).toMatchObject({ status: 'queued', artifactId: a1.id });

    const joined = await app
      .select({ name: entities.name, email: users.email, artifact: artifacts.id })
      .from(artifacts)
      .innerJoin(entities, eq(artifacts.entityId, entities.id))
      .innerJoin(users, eq(entities.ownerId, users.id))
      .orderBy(artifacts.id);
    expect(joined).toEqual([
      { name: 'written after', email: 'before@example.com', artifact: a1.id },
      { name: 'written before', email: 'before@example.com', artifact: a2.id },
    ]);

    const [updated] = await app.update(jobs).set({ status: 'running' }).where(eq(jobs.id, job.id)).returning();
    expect(updated.status).toBe('running');
    const site = { slug: 'home', entityId: entity.id };
    await app.insert(microsites).values(site);
    const [upserted] = await app
      .insert(microsites)
      .values({ ...site, entityId: before.id })
      .onConflictDoUpdate({ target: microsites.slug, set: { entityId: before.id } })
      .returning();
    expect(upserted.entityId).toBe(before.id);
    const deleted = await app.delete(jobs).where(eq(jobs.id, job.id)).returning();
    expect(deleted).toHaveLength(1);

    // Every write landed in the moved tables, which the new code reads.
    const [counts] = await db.query<{ entities: number; artifacts: number; jobs: number; microsites: number }>(
      `SELECT (SELECT count(*)::int FROM growth.entities) AS entities, (SELECT count(*)::int FROM growth.artifacts) AS artifacts,
              (SELECT count(*)::int FROM growth.jobs) AS jobs, (SELECT count(*)::int FROM growth.microsites) AS microsites`,
    );
    expect(counts).toEqual({ entities: 2, artifacts: 2, jobs: 0, microsites: 1 });
  });

  it('the rollback removes the views and moves the tables back, where the old code keeps working', async () => {
    const rollback = readFileSync(join(dir, 'drizzle', '0001_move_to_growth.rollback.sql'), 'utf8');
    await db.exec('BEGIN');
    try {
      await db.exec(rollback);
      expect(await compatViews(db)).toEqual([]);
      const [kinds] = await db.query<{ kinds: string }>(
        `SELECT string_agg(relkind::text, '' ORDER BY relname) AS kinds FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relname IN ('entities', 'artifacts', 'jobs', 'microsites', 'generation_jobs')`,
      );
      expect(kinds!.kinds).toBe('rrrrr');
      const rows = await oldApp(db, schema).select().from(schema.entities);
      expect(rows).toHaveLength(2);
    } finally {
      await db.exec('ROLLBACK');
    }
  });

  it('contract writes a migration that drops the views, verify passes on it, and then the old code fails', async () => {
    const check = async () => (await cli(dir, ['move', 'src/db/schema/growth.ts', '--to', 'growth', '--check'])).stdout;
    expect(await check()).toContain(`table 'entities' is in 'growth', in the code and in the latest migration snapshot (drizzle/meta/0001_snapshot.json); its compat view public.entities (made `);
    // A schema change no migration holds yet is the user's to generate: refused, nothing written.
    const users = join(dir, 'src/db/schema/users.ts');
    const code = readFileSync(users, 'utf8');
    writeFileSync(users, code.replace('displayName: text("display_name"),', 'displayName: text("display_name"),\n  bio: text("bio"),'));
    const tree = hashTree(dir);
    const refused = await runCliHere(dir, ['contract', '--no-verify']);
    expect({ status: refused.status, stderr: refused.stderr }).toEqual({ status: 2, stderr:
        'drizzle-reschema: the schema has changes no migration holds yet (drizzle-kit would write 1 statement(s), the first: ALTER TABLE "users" ADD COLUMN "bio" text;): generate them first; contract writes only the drops of the compat views\n',
    });
    expect(hashTree(dir)).toEqual(tree);
    writeFileSync(users, code);
    // Verified once, by `verify` as a user runs it on the migration on disk.
    const contracted = await cli(dir, ['contract', '--no-verify']);
    expect(await check()).not.toContain('compat view');
    expect(contracted.stderr).toContain('drops 5 compat view(s): public.entities (over growth.entities, made ');
    expect((await cli(dir, ['verify', '--rows', '20'])).stdout).toContain('ok: kept');
    const journal = JSON.parse(readFileSync(join(dir, 'drizzle', 'meta', '_journal.json'), 'utf8')) as { entries: Array<{ tag: string }> };
    expect(journal.entries.map((e) => e.tag)).toEqual(['0000_init', '0001_move_to_growth', '0002_contract_compat']);
    // drizzle-kit sees nothing left to do: the contract's snapshot is the expand's.
    const snapshot = (n: string) => {
      const { id, prevId, ...content } = JSON.parse(readFileSync(join(dir, 'drizzle', 'meta', `${n}_snapshot.json`), 'utf8'));
      return { content, id, prevId };
    };
    expect(snapshot('0002').content).toEqual(snapshot('0001').content);
    expect(snapshot('0002').prevId).toBe(snapshot('0001').id);

    await migrateWith(db, join(dir, 'drizzle'));
    expect(await compatViews(db)).toEqual([]);
    expect(await serverError(oldApp(db, schema).select().from(schema.entities))).toBe('relation "entities" does not exist');
    expect((await runCliHere(dir, ['contract'])).stderr).toContain('nothing to contract');
  });
});

describe('004 with --strategy copy --compat: the old tables are replaced by views over the copies', () => {
  let dir: string;
  afterAll(() => [dir, `${dir}-baseline`, `${dir}-old-app`].forEach(removeTemp));

  it('after the migration, old code writes land in the new tables and no old table is left', async () => {
    dir = copyFixtureProject('schema-split');
    const schema = oldAppSchema(dir, ['src/db/schema/users.ts', 'src/db/schema/enums.ts', 'src/db/schema/growth.ts']);
    cpSync(join(dir, 'drizzle'), `${dir}-baseline`, { recursive: true });
    await cli(dir, ['move', 'src/db/schema/growth.ts', '--to', 'growth', '--strategy', 'copy', '--compat', '--rows', '10']);
    expect((await runCliHere(dir, ['move', 'src/db/schema/growth.ts', '--to', 'growth', '--strategy', 'copy', '--compat', '--keep-source'])).status).toBe(2);
    const db: Db = await openEngine('pglite');
    try {
      await migrateWith(db, `${dir}-baseline`);
      const app = oldApp(db, schema);
      const [owner] = await app.insert(schema.users).values({ email: 'copy@example.com' }).returning();
      await app.insert(schema.entities).values({ type: 'person', name: 'copied', ownerId: owner.id });
      await migrateWith(db, join(dir, 'drizzle'));
      const [entity] = await app.insert(schema.entities).values({ type: 'person', name: 'through the view', ownerId: owner.id }).returning();
      await app.insert(schema.artifacts).values({ entityId: entity.id, type: 'blog_post' });
      const [state] = await db.query<{ kinds: string; entities: number; artifacts: number }>(
        `SELECT (SELECT string_agg(relkind::text, '' ORDER BY relname) FROM pg_class WHERE relnamespace = 'public'::regnamespace
                  AND relname IN ('entities', 'artifacts', 'jobs', 'microsites', 'generation_jobs')) AS kinds,
                (SELECT count(*)::int FROM growth.entities) AS entities, (SELECT count(*)::int FROM growth.artifacts) AS artifacts`,
      );
      expect(state).toEqual({ kinds: 'vvvvv', entities: 2, artifacts: 1 });
    } finally {
      await db.close();
    }
  }, 120_000);
});

describe('000 feature planner: the old app through the views, and without --compat', () => {
  const FILE = 'src/lib/db/schema/feature-planner.schema.ts';
  const FILES = ['src/lib/db/schema/index.ts'];
  const dirs: string[] = [];
  afterAll(() => dirs.flatMap((d) => [d, `${d}-baseline`, `${d}-old-app`]).forEach(removeTemp));

  /** The planner moved (with or without --compat) and applied over one plan the old app wrote. */
  async function movedPlanner(compat: boolean): Promise<{ db: Db; schema: OldSchema; userId: string; planId: string }> {
    const dir = copyFixtureProject('feature-planner');
    dirs.push(dir);
    const schema = oldAppSchema(dir, FILES);
    const baseline = `${dir}-baseline`;
    cpSync(join(dir, 'src/lib/db/migrations'), baseline, { recursive: true });
    await cli(dir, ['move', FILE, '--to', 'feature_planner', '--no-verify', ...(compat ? ['--compat'] : [])]);
    const db = await openEngine('pglite', ['pg_trgm']);
    await migrateWith(db, baseline);
    const app = oldApp(db, schema);
    const [user] = await app.insert(schema.users).values({ email: 'old@example.com' }).returning();
    const [plan] = await app.insert(schema.featurePlans).values({ userId: user.id, originalRequest: 'add search' }).returning();
    await migrateWith(db, join(dir, 'src/lib/db/migrations'));
    return { db, schema, userId: user.id, planId: plan.id };
  }

  it('with --compat: relational queries, inserts with returning, update and delete of the old app work', async () => {
    const { db, schema, userId, planId } = await movedPlanner(true);
    try {
      const app = oldApp(db, schema);
      const { eq } = require('drizzle-orm') as typeof import('drizzle-orm');
      const [refinement] = await app
        .insert(schema.featureRefinements)
        .values({ planId, agentId: 'agent-1', inputRequest: 'refine' } as never)
        .returning();
      expect(refinement).toMatchObject({ status: 'pending', retryCount: 0 });
      const plans = await app.query.featurePlans.findMany({ with: { user: true, refinements: true } });
      expect(plans).toHaveLength(1);
      expect(plans[0]).toMatchObject({ id: planId, status: 'draft', user: { id: userId }, refinements: [{ id: refinement.id }] });
      await app.update(schema.featurePlans).set({ status: 'completed' } as never).where(eq(schema.featurePlans.id, planId));
      await app.delete(schema.featureRefinements).where(eq(schema.featureRefinements.id, refinement.id));
      const [row] = await db.query<{ status: string; refinements: number }>(
        `SELECT status::text, (SELECT count(*)::int FROM feature_planner.feature_refinements) AS refinements FROM feature_planner.feature_plans`,
      );
      expect(row).toEqual({ status: 'completed', refinements: 0 });
    } finally {
      await db.close();
    }
  }, 120_000);

  it('--strategy copy --compat names the enums it creates anew: the views return a new type, which breaks prepared statements once per connection', async () => {
    const dir = copyFixtureProject('feature-planner');
    dirs.push(dir);
    const run = async (extra: string[]) => await runCliHere(dir, ['move', FILE, '--to', 'feature_planner', '--strategy', 'copy', '--dry-run', '--no-verify', ...extra]);
    const compat = await run(['--compat']);
    expect(compat.status).toBe(0);
    expect(compat.stdout + compat.stderr).toMatch(/hazard: enum\(s\) public\.\w+.*\(cached plan must not change result type\)/);
    // Reports for CI carry them too, not only the text output's stderr.
    const json = JSON.parse((await run(['--compat', '--format', 'json'])).stdout);
    expect(json.migration.hazards).toEqual(expect.arrayContaining([expect.stringContaining('cached plan must not change result type')]));
    expect((await run(['--compat', '--format', 'markdown'])).stdout).toContain('cached plan must not change result type');
    const plain = await run([]);
    expect(plain.status).toBe(0);
    expect(plain.stdout + plain.stderr).not.toContain('cached plan must not change result type');
  }, 120_000);

  it('without --compat the same old queries fail: the tables are gone from public', async () => {
    const { db, schema, planId } = await movedPlanner(false);
    try {
      const app = oldApp(db, schema);
      expect(await serverError(app.query.featurePlans.findMany({ with: { user: true } }))).toBe('relation "feature_plans" does not exist');
      expect(await serverError(app.insert(schema.featureRefinements).values({ planId, agentId: 'a', inputRequest: 'r' } as never).returning())).toBe(
        'relation "feature_refinements" does not exist',
      );
    } finally {
      await db.close();
    }
  }, 120_000);
});
