/** The two fixture projects as the tests move them: the whole schema file to one schema. */
export interface FixtureMove {
  fixture: string;
  schemaFile: string;
  out: string;
  to: string;
  /** The tables that file declares (all of them move). */
  moved: string[];
  /** A moved table with an FK to public.users, and that FK's column. */
  fkToUsers: { table: string; column: string };
}

/** Seed 000: the feature planner's 8 tables and 11 enums into feature_planner. */
export const PLANNER_MOVE: FixtureMove = {
  fixture: 'feature-planner',
  schemaFile: 'src/lib/db/schema/feature-planner.schema.ts',
  out: 'src/lib/db/migrations',
  to: 'feature_planner',
  moved: [
    'feature_plans',
    'feature_refinements',
    'file_discovery_sessions',
    'discovered_files',
    'implementation_plan_generations',
    'plan_steps',
    'plan_step_templates',
    'plan_execution_logs',
  ],
  fkToUsers: { table: 'feature_plans', column: 'user_id' },
};

/** Seed 004: growth.ts (with the circular FK and the standalone sequence) into growth. */
export const SPLIT_MOVE: FixtureMove = {
  fixture: 'schema-split',
  schemaFile: 'src/db/schema/growth.ts',
  out: 'drizzle',
  to: 'growth',
  moved: ['entities', 'artifacts', 'jobs', 'microsites', 'generation_jobs'],
  fkToUsers: { table: 'entities', column: 'owner_id' },
};
