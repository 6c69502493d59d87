/**
 * The app's query mix, as its request handlers would run it: drizzle-orm
 * queries built from whichever build of the schema code the client runs (the
 * old app's, whose tables are unqualified `pgTable`s, or the new app's, in
 * the target schema). Every acknowledged write is recorded with its key, so
 * that a write lost in the move is found afterwards.
 */
import { and, desc, eq, inArray, relations, sql } from 'drizzle-orm';
import type { LoadProjectName } from './loadProject';

/** A built schema module: its exports by name (tables, enums, relations). */
export type AppSchema = Record<string, any>;
export type AppDb = any;

/** One acknowledged write: after it, `table`'s row `key` has `value` in `column` (null: the row is gone). */
export interface Write {
  table: string;
  keyColumn: string;
  key: string | number;
  column: string;
  value: string | number | null;
}

/** Runs one query, timing it; a failure is counted and thrown on. Its rows are as loosely typed as the schema. */
export type Timed = (label: string, query: () => Promise<unknown>) => Promise<AppDb>;

export interface MixContext {
  db: AppDb;
  schema: AppSchema;
  /** The user row (in the table that does not move) this client acts for. */
  userId: string;
  client: string;
  iteration: number;
  timed: Timed;
  write(write: Write): void;
  /** What this client keeps between its requests (e.g. the row its upserts save again). */
  memo: Map<string, string>;
}

export interface AppMix {
  /** The relations the app declares for `db.query` (the fixture's own, or the app's for a schema without them). */
  relations(schema: AppSchema): AppSchema;
  /** One request's worth of queries; the first failure ends it. */
  iteration(ctx: MixContext): Promise<void>;
}

/** Seed 004: entities -> artifacts -> jobs, and the microsites <-> generation_jobs cycle. */
const schemaSplit: AppMix = {
  relations: (s) => ({
    entitiesRelations: relations(s.entities, ({ many }) => ({ artifacts: many(s.artifacts) })),
    artifactsRelations: relations(s.artifacts, ({ one, many }) => ({
      entity: one(s.entities, { fields: [s.artifacts.entityId], references: [s.entities.id] }),
      jobs: many(s.jobs),
    })),
    jobsRelations: relations(s.jobs, ({ one }) => ({ artifact: one(s.artifacts, { fields: [s.jobs.artifactId], references: [s.artifacts.id] }) })),
  }),
  async iteration({ db, schema: s, userId, client, iteration, timed, write }) {
    const name = `${client}-${iteration}`;
    const [entity] = await timed('insert entity returning', () =>
      db.insert(s.entities).values({ type: 'company', name, ownerId: userId }).returning({ id: s.entities.id }),
    );
    write({ table: 'entities', keyColumn: 'id', key: entity.id, column: 'name', value: name });
    // A request's transaction: the child row, then its parent, the order in which a move's locks can deadlock it.
    const artifact = await timed('transaction: insert artifact + update entity', () =>
      db.transaction(async (tx: AppDb) => {
        const [row] = await tx.insert(s.artifacts).values({ entityId: entity.id, type: 'landing_page' }).returning({ id: s.artifacts.id });
        await tx.update(s.entities).set({ name: `${name}-a` }).where(eq(s.entities.id, entity.id));
        return row;
      }),
    );
    write({ table: 'artifacts', keyColumn: 'id', key: artifact.id, column: 'type', value: 'landing_page' });
    write({ table: 'entities', keyColumn: 'id', key: entity.id, column: 'name', value: `${name}-a` });
    const [job] = await timed('insert job (serial, default status)', () =>
      db.insert(s.jobs).values({ artifactId: artifact.id }).returning({ id: s.jobs.id, status: s.jobs.status }),
    );
    write({ table: 'jobs', keyColumn: 'id', key: job.id, column: 'status', value: job.status });
    await timed('select with joins', () =>
      db
        .select({ artifact: s.artifacts.id, entity: s.entities.name, job: s.jobs.status })
        .from(s.artifacts)
        .innerJoin(s.entities, eq(s.artifacts.entityId, s.entities.id))
        .leftJoin(s.jobs, eq(s.jobs.artifactId, s.artifacts.id))
        .where(eq(s.entities.ownerId, userId))
        .orderBy(desc(s.artifacts.id))
        .limit(5),
    );
    // A named prepared statement: each connection plans it once, and Postgres plans it again after the move.
    await timed('prepared select', () =>
      db
        .select({ id: s.entities.id, name: s.entities.name })
        .from(s.entities)
        .where(eq(s.entities.id, sql.placeholder('id')))
        .prepare('entity_by_id')
        .execute({ id: entity.id }),
    );
    await timed('relational query', () =>
      db.query.entities.findMany({ where: eq(s.entities.ownerId, userId), with: { artifacts: { with: { jobs: true } } }, limit: 3 }),
    );
    await timed('update job', () => db.update(s.jobs).set({ status: 'running' }).where(eq(s.jobs.id, job.id)));
    write({ table: 'jobs', keyColumn: 'id', key: job.id, column: 'status', value: 'running' });
    // Upsert on the unique slug: every third request of a client hits an existing row.
    const slug = `${client}-${Math.floor(iteration / 3)}`;
    const [site] = await timed('upsert microsite', () =>
      db
        .insert(s.microsites)
        .values({ slug, entityId: entity.id })
        .onConflictDoUpdate({ target: s.microsites.slug, set: { entityId: entity.id } })
        .returning({ id: s.microsites.id }),
    );
    write({ table: 'microsites', keyColumn: 'slug', key: slug, column: 'entity_id', value: entity.id });
    const [generation] = await timed('insert generation job', () =>
      db.insert(s.generationJobs).values({ micrositeId: site.id }).returning({ id: s.generationJobs.id }),
    );
    write({ table: 'generation_jobs', keyColumn: 'id', key: generation.id, column: 'status', value: 'queued' });
    await timed('update microsite (cycle)', () => db.update(s.microsites).set({ latestGenerationJobId: generation.id }).where(eq(s.microsites.id, site.id)));
    if (iteration % 2 === 1) {
      await timed('delete job', () => db.delete(s.jobs).where(and(eq(s.jobs.id, job.id), eq(s.jobs.artifactId, artifact.id))));
      write({ table: 'jobs', keyColumn: 'id', key: job.id, column: 'status', value: null });
    }
  },
};

/** Seed 000: a user's feature plans and their refinements, with the fixture's own relations. */
const featurePlanner: AppMix = {
  relations: () => ({}),
  async iteration({ db, schema: s, userId, client, iteration, timed, write, memo }) {
    const request = `${client}-${iteration}`;
    const [plan] = await timed('insert plan returning', () =>
      db.insert(s.featurePlans).values({ userId, originalRequest: request }).returning({ id: s.featurePlans.id, status: s.featurePlans.status }),
    );
    write({ table: 'feature_plans', keyColumn: 'id', key: plan.id, column: 'original_request', value: request });
    const refinement = await timed('transaction: insert refinement + update plan', () =>
      db.transaction(async (tx: AppDb) => {
        const [row] = await tx
          .insert(s.featureRefinements)
          .values({ planId: plan.id, agentId: `agent-${iteration % 3}`, inputRequest: request })
          .returning({ id: s.featureRefinements.id });
        await tx.update(s.featurePlans).set({ status: 'refining', currentStep: 1 }).where(eq(s.featurePlans.id, plan.id));
        return row;
      }),
    );
    write({ table: 'feature_refinements', keyColumn: 'id', key: refinement.id, column: 'input_request', value: request });
    await timed('relational query', () =>
      db.query.featurePlans.findMany({ where: eq(s.featurePlans.userId, userId), with: { user: true, refinements: true }, orderBy: desc(s.featurePlans.createdAt), limit: 3 }),
    );
    await timed('prepared select', () =>
      db
        .select({ id: s.featurePlans.id, status: s.featurePlans.status })
        .from(s.featurePlans)
        .where(eq(s.featurePlans.userId, sql.placeholder('user')))
        .limit(5)
        .prepare('plans_of_user')
        .execute({ user: userId }),
    );
    await timed('select with joins', () =>
      db
        .select({ plan: s.featurePlans.id, email: s.users.email, agent: s.featureRefinements.agentId })
        .from(s.featureRefinements)
        .innerJoin(s.featurePlans, eq(s.featureRefinements.planId, s.featurePlans.id))
        .innerJoin(s.users, eq(s.featurePlans.userId, s.users.id))
        .where(eq(s.featurePlans.userId, userId))
        .limit(5),
    );
    const refined = `${request}-refined`;
    await timed('update plan', () => db.update(s.featurePlans).set({ originalRequest: refined, updatedAt: new Date() }).where(eq(s.featurePlans.id, plan.id)));
    write({ table: 'feature_plans', keyColumn: 'id', key: plan.id, column: 'original_request', value: refined });
    // Upsert on the primary key: a client's "draft" plan, saved again and again.
    const draftId = memo.get('draft') ?? plan.id;
    memo.set('draft', draftId);
    await timed('upsert draft plan', () =>
      db
        .insert(s.featurePlans)
        .values({ id: draftId, userId, originalRequest: `draft ${request}` })
        .onConflictDoUpdate({ target: s.featurePlans.id, set: { originalRequest: `draft ${request}` } }),
    );
    write({ table: 'feature_plans', keyColumn: 'id', key: draftId, column: 'original_request', value: `draft ${request}` });
    if (iteration % 2 === 1) {
      await timed('delete refinement', () => db.delete(s.featureRefinements).where(inArray(s.featureRefinements.id, [refinement.id])));
      write({ table: 'feature_refinements', keyColumn: 'id', key: refinement.id, column: 'input_request', value: null });
    }
  },
};

export const MIXES: Record<LoadProjectName, AppMix> = { 'schema-split': schemaSplit, 'feature-planner': featurePlanner };
