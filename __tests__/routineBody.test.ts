/**
 * The body rewrite (src/sql/routineBody.ts) and the repairs the patch stage
 * builds from the project's migrations (src/patch/routineRepairs.ts), on
 * Postgres' own parser and scanner (libpg-query).
 */
import { loadPgParser } from '../src/patch/pgParser';
import { repairRoutines } from '../src/patch/routineRepairs';
import { usageCarriedOver } from '../src/patch/schemaUsage';
import { dollarQuote, relocateRoutineBody, type BodyMove } from '../src/sql/routineBody';

beforeAll(() => loadPgParser());

const PROFILES: BodyMove[] = [{ name: 'profiles', from: 'public', to: 'chat' }];

function plpgsql(body: string, moves: BodyMove[] = PROFILES, searchPath = ['public']) {
  const definition = `CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS ${dollarQuote(body)}`;
  return relocateRoutineBody({ language: 'plpgsql', body, definition, searchPath }, moves);
}

const sql = (body: string, moves: BodyMove[] = PROFILES) =>
  relocateRoutineBody({ language: 'sql', body, definition: '', searchPath: ['public'] }, moves);

describe('relocateRoutineBody', () => {
  it('relocates a qualified name in PL/pgSQL, and only that', () => {
    const r = plpgsql('BEGIN INSERT INTO public.profiles (id, email) VALUES (NEW.id, NEW.email); RETURN NEW; END');
    expect(r.body).toBe('BEGIN INSERT INTO chat.profiles (id, email) VALUES (NEW.id, NEW.email); RETURN NEW; END');
    expect(r.relocated).toEqual(['public.profiles -> chat.profiles']);
    expect(r.unrepairable).toEqual([]);
  });

  it('reads quoted names and writes them as Postgres quotes them', () => {
    const moves = [{ name: 'Profile', from: 'public', to: 'Chat Room' }];
    expect(plpgsql('BEGIN PERFORM 1 FROM "public"."Profile"; RETURN NEW; END', moves).body).toBe('BEGIN PERFORM 1 FROM "Chat Room"."Profile"; RETURN NEW; END');
    // A name that differs in case is another table.
    expect(plpgsql('BEGIN PERFORM 1 FROM public.profile; RETURN NEW; END', moves).relocated).toEqual([]);
  });

  it('leaves a table of the same name in another schema, comments and plain strings alone', () => {
    const body = `BEGIN
  -- copies public.profiles into archive.profiles
  INSERT INTO archive.profiles SELECT * FROM public.profiles WHERE public.profiles.id = NEW.id;
  RAISE NOTICE 'public.profiles';
  RETURN NEW;
END`;
    expect(plpgsql(body).body).toBe(`BEGIN
  -- copies public.profiles into archive.profiles
  INSERT INTO archive.profiles SELECT * FROM chat.profiles WHERE chat.profiles.id = NEW.id;
  RAISE NOTICE 'public.profiles';
  RETURN NEW;
END`);
    expect(plpgsql('BEGIN INSERT INTO archive.profiles VALUES (NEW.id); RETURN NEW; END').body).toBe(
      'BEGIN INSERT INTO archive.profiles VALUES (NEW.id); RETURN NEW; END',
    );
  });

  it('relocates sequences named in strings, enum casts and declared types; changes nothing the second time', () => {
    const moves: BodyMove[] = [
      { name: 'invoice_seq', from: 'public', to: 'billing' },
      { name: 'status', from: 'public', to: 'billing' },
    ];
    const body = "DECLARE s public.status; BEGIN NEW.n := nextval('public.invoice_seq'); s := 'open'::public.status; RETURN NEW; END";
    const r = plpgsql(body, moves);
    expect(r.body).toBe("DECLARE s billing.status; BEGIN NEW.n := nextval('billing.invoice_seq'); s := 'open'::billing.status; RETURN NEW; END");
    expect(r.relocated.sort()).toEqual(['public.invoice_seq -> billing.invoice_seq', 'public.status -> billing.status']);
    expect(plpgsql(r.body, moves).body).toBe(r.body);
  });

  it('relocates SQL-language bodies, and keeps a body with a $$ inside dollar-quotable', () => {
    expect(sql('SELECT count(*) FROM public.profiles p WHERE p.email = $1').body).toBe('SELECT count(*) FROM chat.profiles p WHERE p.email = $1');
    const body = "SELECT $$ $$ || email FROM public.profiles";
    const quoted = dollarQuote(sql(body).body);
    expect(quoted).toBe('$body$SELECT $$ $$ || email FROM chat.profiles$body$');
  });

  it('names what it cannot repair: unqualified through the search_path, dynamic SQL', () => {
    const unqualified = plpgsql('BEGIN INSERT INTO profiles VALUES (NEW.id); RETURN NEW; END');
    expect(unqualified.unrepairable).toEqual(['names profiles unqualified (search_path public), moved to chat.profiles']);
    // Not through a search_path that never covered public.
    expect(plpgsql('BEGIN INSERT INTO profiles VALUES (NEW.id); RETURN NEW; END', PROFILES, ['app']).unrepairable).toEqual([]);
    const dynamic = plpgsql("BEGIN EXECUTE format('INSERT INTO %I.profiles VALUES ($1)', 'public') USING NEW.id; RETURN NEW; END");
    expect(dynamic.unrepairable).toHaveLength(1);
    expect(dynamic.unrepairable[0]).toMatch(/^dynamic SQL \(EXECUTE format\('INSERT INTO %I\.profiles/);
    expect(dynamic.body).toContain("'public'");
  });
});

describe('repairRoutines', () => {
  const migration = (sql: string) => [{ file: 'drizzle/0001_custom.sql', sql }];

  it('restates the function as written, by its qualified name, and the rollback as it was', async () => {
    const { repairs, hazards } = await repairRoutines(
      migration(`CREATE FUNCTION insert_user() RETURNS trigger AS 'BEGIN INSERT INTO public.profiles (id) VALUES (NEW.id); RETURN NEW; END'
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public;`),
      [{ kind: 'table', ...PROFILES[0]! }],
    );
    expect(hazards).toEqual([]);
    expect(repairs).toEqual([
      {
        routine: 'public.insert_user()',
        relocated: ['public.profiles -> chat.profiles'],
        sql: `CREATE OR REPLACE FUNCTION public.insert_user() RETURNS trigger AS $$BEGIN INSERT INTO chat.profiles (id) VALUES (NEW.id); RETURN NEW; END$$
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public;`,
        rollbackSql: `CREATE OR REPLACE FUNCTION public.insert_user() RETURNS trigger AS $$BEGIN INSERT INTO public.profiles (id) VALUES (NEW.id); RETURN NEW; END$$
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public;`,
      },
    ]);
  });

  it('relocates a moved enum in the signature; skips dropped and BEGIN ATOMIC functions; names an altered one', async () => {
    const moves = [
      { kind: 'enum' as const, name: 'status', from: 'public', to: 'app' },
      { kind: 'table' as const, name: 'jobs', from: 'public', to: 'app' },
    ];
    const { repairs, hazards } = await repairRoutines(
      migration(`CREATE FUNCTION public.count_jobs(s public.status) RETURNS bigint LANGUAGE sql STABLE AS $$ SELECT count(*) FROM public.jobs WHERE status = s $$;
CREATE FUNCTION public.gone() RETURNS bigint LANGUAGE sql AS $$ SELECT count(*) FROM public.jobs $$;
DROP FUNCTION public.gone();
CREATE FUNCTION public.atomic() RETURNS bigint LANGUAGE sql BEGIN ATOMIC SELECT count(*) FROM public.jobs; END;
CREATE FUNCTION public.renamed() RETURNS bigint LANGUAGE sql AS $$ SELECT count(*) FROM public.jobs $$;
ALTER FUNCTION public.renamed() SET search_path = app;`),
      moves,
    );
    expect(repairs.map((r) => r.sql)).toEqual([
      'CREATE OR REPLACE FUNCTION public.count_jobs(s app.status) RETURNS bigint LANGUAGE sql STABLE AS $$ SELECT count(*) FROM app.jobs WHERE status = s $$;',
    ]);
    expect(repairs[0]!.rollbackSql).toContain('count_jobs(s public.status)');
    expect(hazards).toEqual([expect.stringMatching(/^function public\.renamed\(\) \(drizzle\/0001_custom\.sql\): changed by .*ALTER FUNCTION public\.renamed\(\)/)]);
  });
});

describe('usageCarriedOver', () => {
  it('gives USAGE on the target to the roles that held a privilege on a moved object and could use its schema', async () => {
    const usage = await usageCarriedOver(
      [
        {
          file: 'drizzle/0001_custom.sql',
          sql: `GRANT INSERT ON TABLE public.profiles TO supabase_auth_admin;
GRANT SELECT ON public.rooms TO reader;
GRANT SELECT ON private.secrets TO outsider;
GRANT SELECT ON private.notes TO insider;
GRANT USAGE ON SCHEMA private TO insider;
GRANT SELECT ON public.profiles TO PUBLIC;
GRANT SELECT ON public.profiles TO revoked;
REVOKE ALL ON public.profiles FROM revoked;`,
        },
      ],
      [
        { kind: 'table', name: 'profiles', from: 'public', to: 'chat' },
        { kind: 'table', name: 'secrets', from: 'private', to: 'chat' },
        { kind: 'table', name: 'notes', from: 'private', to: 'notes' },
      ],
    );
    expect(Object.fromEntries(usage)).toEqual({ chat: ['supabase_auth_admin'], notes: ['insider'] });
  });
});
