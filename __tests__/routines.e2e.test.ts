/**
 * fixtures/projects/routines: a hand-written migration's SECURITY DEFINER
 * trigger fills `profiles` by the name `public.profiles`, and a role holds
 * privileges on it. The default move (verification on) must repair the
 * function bodies and give the role USAGE on the new schema; the app's next
 * sign-up must then land in the moved table, and the rollback must put
 * everything back, the role's new USAGE included.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { move, MoveNotVerifiedError } from '../src/move';
import { openPglite, type Database } from '../src/verify/database';
import { failures } from '../src/verify/summary';
import { copyFixtureProject, hashTree, removedAfterEach } from './helpers/tempProject';
import { migrateWith, runCliHere } from './helpers/run';

const track = removedAfterEach();

async function scalar(db: Database, sql: string): Promise<string> {
  const [row] = await db.query<{ v: string }>(`SELECT (${sql})::text AS v`);
  return row!.v;
}

it('moves a table a trigger function names by its qualified name: sign-ups still land, and the rollback restores it', async () => {
  const dir = track(copyFixtureProject('routines'));
  const db = await openPglite([]);
  try {
    await db.exec('CREATE ROLE signup_worker');
    await migrateWith(db as Database & { raw: unknown }, join(dir, 'drizzle'));
    await db.exec("INSERT INTO accounts (email) VALUES ('before@example.com')");

    const moved = await runCliHere(dir, ['move', 'src/db/schema.ts', '--to', 'app', '--tables', 'profiles', '--rows', '20', '--format', 'json']);
    expect({ status: moved.status, stderr: moved.stderr }).toEqual({ status: 0, stderr: '' });
    const report = JSON.parse(moved.stdout);
    expect(report.written).toBe(true);
    expect(report.migration.repairedFunctions).toEqual([
      { function: 'public.create_profile()', relocated: ['public.profiles -> app.profiles', 'public.plan -> app.plan'] },
      { function: 'public.profile_count()', relocated: ['public.profiles -> app.profiles'] },
      // The sequence of profiles' serial column moves with the table.
      { function: 'public.last_member_number()', relocated: ['public.profiles_member_number_seq -> app.profiles_member_number_seq'] },
    ]);
    expect(report.migration.usageGranted).toEqual([{ schema: 'app', roles: ['signup_worker'] }]);

    await migrateWith(db as Database & { raw: unknown }, join(dir, 'drizzle'));
    await db.exec("INSERT INTO accounts (email) VALUES ('after@example.com')");
    expect(await scalar(db, "SELECT string_agg(email || ':' || plan, ',' ORDER BY id) FROM app.profiles")).toBe('before@example.com:free,after@example.com:free');
    expect(await scalar(db, 'SELECT public.profile_count()')).toBe('2');
    expect(await scalar(db, 'SELECT public.last_member_number()')).toBe('2');
    // The role reaches what it held privileges on, and nothing more.
    await db.exec('SET ROLE signup_worker');
    try {
      await db.exec("UPDATE app.profiles SET plan = 'pro' WHERE email = 'after@example.com'");
      expect(await scalar(db, "SELECT has_schema_privilege('app', 'CREATE')")).toBe('false');
    } finally {
      await db.exec('RESET ROLE');
    }

    const rollback = readFileSync(join(dir, report.migration.rollbackPath), 'utf8');
    await db.exec(rollback);
    expect(await scalar(db, "SELECT to_regnamespace('app') IS NULL")).toBe('true');
    await db.exec("INSERT INTO accounts (email) VALUES ('rolled-back@example.com')");
    expect(await scalar(db, 'SELECT count(*) FROM public.profiles')).toBe('3');
    expect(await scalar(db, 'SELECT public.profile_count()')).toBe('3');
    expect(await scalar(db, "SELECT prosrc FROM pg_proc WHERE proname = 'create_profile'")).toContain('INSERT INTO public.profiles');
  } finally {
    await db.close();
  }
}, 120_000);

it('refuses what it cannot repair, naming it: a body reaching the table or its enum unqualified through its search_path, dynamic SQL', async () => {
  const dir = track(copyFixtureProject('routines'));
  appendFileSync(
    join(dir, 'drizzle', '0001_signup_trigger.sql'),
    `--> statement-breakpoint
CREATE FUNCTION public.normalize_profile() RETURNS trigger LANGUAGE plpgsql SET search_path = public AS $$
BEGIN
  UPDATE profiles SET email = lower(email) WHERE id = NEW.id;
  RETURN NEW;
END
$$;--> statement-breakpoint
CREATE TRIGGER accounts_normalize_profile AFTER UPDATE ON public.accounts FOR EACH ROW EXECUTE FUNCTION public.normalize_profile();--> statement-breakpoint
CREATE FUNCTION public.purge_profiles() RETURNS void LANGUAGE plpgsql AS $$ BEGIN EXECUTE 'DELETE FROM public.profiles'; END $$;--> statement-breakpoint
CREATE FUNCTION public.is_free(p public.plan) RETURNS boolean LANGUAGE sql SET search_path = public AS $$ SELECT p = 'free'::plan $$;--> statement-breakpoint
CREATE FUNCTION public.plan_label(p public.plan) RETURNS text LANGUAGE plpgsql SET search_path = public AS $$ DECLARE x plan := p; BEGIN RETURN x::text; END $$;`,
  );
  const tree = hashTree(dir);
  const hazards: string[] = [];
  const error = await move({ cwd: dir, files: ['src/db/schema.ts'], to: 'app', tables: ['profiles'], rows: 20, onHazards: (h) => hazards.push(...h) }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(MoveNotVerifiedError);
  const failed = failures((error as MoveNotVerifiedError).report);
  expect(failed).toContainEqual(
    expect.stringMatching(/^function public\.normalize_profile\(\): .*names profiles \(search_path public\), moved to app\.profiles: fails when it runs/),
  );
  // The enum the table takes along is found through the search_path as a type, in a cast and a declared variable.
  expect(failed).toContainEqual(expect.stringMatching(/^function public\.is_free\(p app\.plan\): .*names plan \(search_path public\), moved to app\.plan: fails when it runs/));
  expect(failed).toContainEqual(expect.stringMatching(/^function public\.plan_label\(p app\.plan\): .*names plan \(search_path public\), moved to app\.plan: fails when it runs/));
  expect(hazards).toEqual([
    expect.stringMatching(/^function public\.normalize_profile\(\) \(drizzle\/0001_signup_trigger\.sql\): names profiles unqualified .*: not repaired/),
    expect.stringMatching(/^function public\.purge_profiles\(\) \(drizzle\/0001_signup_trigger\.sql\): dynamic SQL \(EXECUTE 'DELETE FROM public\.profiles'\) may name public\.profiles.*: not repaired/),
    expect.stringMatching(/^function public\.is_free\(public\.plan\) \(drizzle\/0001_signup_trigger\.sql\): names plan unqualified \(search_path public\), moved to app\.plan: not repaired/),
    expect.stringMatching(/^function public\.plan_label\(public\.plan\) \(drizzle\/0001_signup_trigger\.sql\): names plan unqualified \(search_path public\), moved to app\.plan: not repaired/),
  ]);
  // The functions it can repair still are: only the two it cannot are named.
  expect((error as MoveNotVerifiedError).result.migration!.repairedFunctions.map((f) => f.function)).toEqual(['public.create_profile()', 'public.profile_count()', 'public.last_member_number()']);
  expect(hashTree(dir)).toEqual(tree);
}, 120_000);

it('moves an enum that function signatures and a column default use: functions follow it by OID, bodies naming it are repaired, the rollback restores them', async () => {
  // What Postgres does on ALTER TYPE public.plan SET SCHEMA app: f(p public.plan) becomes f(p app.plan)
  // (arguments, results, row types and a column default's call follow the OID), and a body that
  // names public.plan or public.profiles as text breaks until it is restated.
  const dir = track(copyFixtureProject('routines'));
  appendFileSync(
    join(dir, 'drizzle', '0001_signup_trigger.sql'),
    `--> statement-breakpoint
CREATE FUNCTION public.is_paid(p public.plan) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT p <> 'free' $$;--> statement-breakpoint
COMMENT ON FUNCTION public.is_paid(public.plan) IS 'true for a paying plan';--> statement-breakpoint
CREATE FUNCTION public.email_of(pr public.profiles) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT pr.email $$;--> statement-breakpoint
CREATE FUNCTION public.default_plan() RETURNS public.plan LANGUAGE sql STABLE AS $$ SELECT 'free'::public.plan $$;--> statement-breakpoint
ALTER TABLE public.profiles ALTER COLUMN plan SET DEFAULT public.default_plan();--> statement-breakpoint
CREATE FUNCTION public.upgrade(p public.plan) RETURNS public.plan LANGUAGE sql IMMUTABLE AS $$ SELECT CASE WHEN p = 'free'::public.plan THEN 'pro'::public.plan ELSE p END $$;--> statement-breakpoint
CREATE FUNCTION public.profiles_on(p plan) RETURNS SETOF profiles LANGUAGE sql STABLE AS $$ SELECT * FROM public.profiles WHERE plan = p $$;--> statement-breakpoint
CREATE FUNCTION public.plan_label(p public.plan) RETURNS text LANGUAGE plpgsql AS $$ DECLARE x public.plan := p; BEGIN RETURN 'plan ' || x; END $$;`,
  );
  const db = await openPglite([]);
  try {
    await db.exec('CREATE ROLE signup_worker');
    await migrateWith(db as Database & { raw: unknown }, join(dir, 'drizzle'));
    await db.exec("INSERT INTO accounts (email) VALUES ('before@example.com')");

    const result = await move({ cwd: dir, files: ['src/db/schema.ts'], to: 'app', tables: ['profiles'], rows: 20 });
    expect(result.written).toBe(true);
    expect(result.verification?.ok).toBe(true);
    expect(result.migration!.repairedFunctions.slice(3)).toEqual([
      { function: 'public.default_plan()', relocated: ['public.plan -> app.plan'] },
      { function: 'public.upgrade(public.plan)', relocated: ['public.plan -> app.plan'] },
      // Its header names both unqualified, as the migration's search_path found them: restated as app.plan and app.profiles.
      { function: 'public.profiles_on(plan)', relocated: ['public.profiles -> app.profiles'] },
      { function: 'public.plan_label(public.plan)', relocated: ['public.plan -> app.plan'] },
    ]);

    const calls = `SELECT public.is_paid('pro') || ' ' || public.upgrade('free') || ' ' || public.plan_label('pro') || ' '
      || (SELECT string_agg(public.email_of(p), ',') FROM public.profiles_on('free') p)`;
    await migrateWith(db as Database & { raw: unknown }, join(dir, 'drizzle'));
    await db.exec("INSERT INTO accounts (email) VALUES ('after@example.com')");
    // The row the trigger wrote again, its plan left to the column default, which calls public.default_plan().
    await db.exec("DELETE FROM app.profiles WHERE email = 'after@example.com'; INSERT INTO app.profiles (id, email) SELECT id, email FROM accounts WHERE email = 'after@example.com'");
    expect(await scalar(db, calls)).toBe('true pro plan pro before@example.com,after@example.com');
    expect(await scalar(db, "SELECT obj_description('public.is_paid(app.plan)'::regprocedure)")).toBe('true for a paying plan');

    await db.exec(readFileSync(join(dir, result.migration!.rollbackPath), 'utf8'));
    expect(await scalar(db, calls)).toBe('true pro plan pro before@example.com,after@example.com');
    expect(await scalar(db, "SELECT prosrc FROM pg_proc WHERE proname = 'upgrade'")).toContain("'pro'::public.plan");
  } finally {
    await db.close();
  }
}, 120_000);
