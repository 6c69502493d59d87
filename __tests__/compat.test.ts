/**
 * The parts of expand/contract that need no drizzle-kit: the lock order every
 * move takes, what a compat view does on a real Postgres (PGlite) with the
 * columns old code omits, RLS and grants, and how verify reads the views back.
 */
import type { Relocation } from '../src/generate/relocateSnapshot';
import { compatViewsFor, createCompatView, dropCompatView } from '../src/patch/compatViews';
import { compatViewsLeft, contractMigration } from '../src/patch/contractMigration';
import { lockStatement } from '../src/patch/lockOrder';
import { checkCompatViews, readCompatViews } from '../src/verify/compatObjects';
import { openEngine, type Database } from '../src/verify/database';

/** The LOCK TABLE the statement's retry loop runs. */
const lockLine = (statement: string) => /^\s*(LOCK TABLE .*)$/m.exec(statement)?.[1];
const table = (name: string, from = 'public', to = 'billing'): Relocation => ({ kind: 'table', name, from, to });

describe('lock order', () => {
  it('locks every moved table in one statement, a referencing table before the table it references', () => {
    // invoices -> orders, order_items -> orders and -> invoices; customers stands alone.
    const relocations = [table('orders'), table('customers'), table('invoices'), table('order_items'), { kind: 'enum' as const, name: 'status', from: 'public', to: 'billing' }];
    const references = [
      { from: 'billing.invoices', to: 'billing.orders' },
      { from: 'billing.order_items', to: 'billing.orders' },
      { from: 'billing.order_items', to: 'billing.invoices' },
      { from: 'billing.orders', to: 'public.users' },
    ];
    const statements = lockStatement(relocations, references);
    expect(statements).toHaveLength(1);
    expect(lockLine(statements[0]!)).toBe('LOCK TABLE "public"."order_items", "public"."invoices", "public"."orders", "public"."customers" IN ACCESS EXCLUSIVE MODE;');
    // The rollback takes them where they are then, in the same order.
    expect(lockLine(lockStatement(relocations, references, 'to')[0]!)).toMatch(/^LOCK TABLE "billing"."order_items", "billing"."invoices", "billing"."orders", "billing"."customers" /);
    // A rollback that drops compat views takes them first: old code's queries lock the view, then the table under it.
    const views = [{ schema: 'public', name: 'orders' }];
    expect(lockLine(lockStatement(relocations, references, 'to', views)[0]!)).toMatch(/^LOCK TABLE "public"."orders", "billing"."order_items", /);
  });

  it('a foreign-key cycle (seed 004: microsites <-> generation_jobs) still locks each table once; no table, no statement', () => {
    const relocations = [table('microsites'), table('generation_jobs')];
    const cycle = [
      { from: 'billing.microsites', to: 'billing.generation_jobs' },
      { from: 'billing.generation_jobs', to: 'billing.microsites' },
    ];
    const [statement] = lockStatement(relocations, cycle);
    expect(lockLine(statement!)!.match(/"public"\."\w+"/g)!.sort()).toEqual(['"public"."generation_jobs"', '"public"."microsites"']);
    expect(lockStatement([{ kind: 'enum', name: 'x', from: 'public', to: 'billing' }], [])).toEqual([]);
  });
});

describe('a compat view on PGlite', () => {
  let db: Database;
  const views = compatViewsFor([table('orders')]);
  beforeAll(async () => {
    db = await openEngine('pglite');
    await db.exec(`
      CREATE ROLE clerk_a; CREATE ROLE clerk_b; CREATE ROLE outsider; CREATE ROLE auditor;
      CREATE TABLE public.orders (
        id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        code serial,
        owner_name text NOT NULL DEFAULT current_user,
        status text NOT NULL DEFAULT 'new',
        total int NOT NULL DEFAULT 0,
        doubled int GENERATED ALWAYS AS (total * 2) STORED,
        ref text UNIQUE
      );
      ALTER TABLE public.orders ENABLE ROW LEVEL SECURITY;
      CREATE POLICY own ON public.orders USING (owner_name = current_user) WITH CHECK (owner_name = current_user);
      GRANT SELECT, INSERT, UPDATE, DELETE ON public.orders TO clerk_a, clerk_b;
      GRANT USAGE ON SEQUENCE public.orders_code_seq TO clerk_a, clerk_b;
      GRANT SELECT (ref) ON public.orders TO auditor;
      CREATE POLICY audit ON public.orders FOR SELECT TO auditor USING (true);
      CREATE SCHEMA billing;
      GRANT USAGE ON SCHEMA billing TO clerk_a, clerk_b, auditor;
      ALTER TABLE public.orders SET SCHEMA billing;`);
    for (const statement of createCompatView(views[0]!, '0001_move', '2026-12-01')) await db.exec(statement);
  }, 60_000);
  afterAll(async () => db?.close());

  const as = async <T>(role: string, sql: string): Promise<T[]> => {
    await db.exec(`SET ROLE ${role}`);
    try {
      return await db.query<T>(sql);
    } finally {
      await db.exec('RESET ROLE');
    }
  };

  it('fills what old code omits from the table: identity, serial, defaults, generated columns; RETURNING and ON CONFLICT pass through', async () => {
    const [row] = await as<Record<string, unknown>>('clerk_a', `INSERT INTO public.orders (total, ref) VALUES (21, 'r1') RETURNING *`);
    expect(row).toEqual({ id: 1, code: 1, owner_name: 'clerk_a', status: 'new', total: 21, doubled: 42, ref: 'r1' });
    // drizzle-orm writes DEFAULT for a column a multi-row insert leaves out.
    const rows = await as<{ id: number; status: string }>('clerk_a', `INSERT INTO public.orders (id, status, ref) VALUES (DEFAULT, DEFAULT, 'r2'), (DEFAULT, 'paid', 'r3') RETURNING id, status`);
    expect(rows).toEqual([{ id: 2, status: 'new' }, { id: 3, status: 'paid' }]);
    const [upserted] = await as<{ id: number; status: string }>(
      'clerk_a',
      `INSERT INTO public.orders (ref) VALUES ('r1') ON CONFLICT (ref) DO UPDATE SET status = 'merged' RETURNING id, status`,
    );
    expect(upserted).toEqual({ id: 1, status: 'merged' });
    expect(await as('clerk_a', `UPDATE public.orders SET total = 1 WHERE ref = 'r2' RETURNING doubled`)).toEqual([{ doubled: 2 }]);
    expect(await as('clerk_a', `DELETE FROM public.orders WHERE ref = 'r3' RETURNING id`)).toEqual([{ id: 3 }]);
  });

  it('widens nothing: a role sees through the view exactly the rows RLS lets it see in the table, and a role without grants gets none', async () => {
    await as('clerk_b', `INSERT INTO public.orders (ref) VALUES ('b1')`);
    const seen = async (role: string, relation: string) => (await as<{ ref: string }>(role, `SELECT ref FROM ${relation} ORDER BY ref`)).map((r) => r.ref);
    for (const role of ['clerk_a', 'clerk_b']) expect(await seen(role, 'public.orders')).toEqual(await seen(role, 'billing.orders'));
    expect(await seen('clerk_b', 'public.orders')).toEqual(['b1']);
    await expect(as('clerk_b', `UPDATE public.orders SET owner_name = 'clerk_a' WHERE ref = 'b1'`)).rejects.toThrow(/row-level security/);
    await expect(as('outsider', 'SELECT 1 FROM public.orders')).rejects.toThrow(/permission denied for view orders/);
    // A role with column grants only reads its column of the table, and nothing through the view
    // (security_invoker checks every column the view selects): refused, never widened.
    expect(await seen('auditor', 'billing.orders')).toEqual(['b1', 'r1', 'r2']);
    await expect(as('auditor', 'SELECT ref FROM public.orders')).rejects.toThrow(/permission denied for (view|table) orders/);
  });

  it('verify reads the view back: over the moved table, security_invoker, the same grants; any other shape is a difference', async () => {
    const moves = [{ kind: 'table', name: 'orders', from: 'public', to: 'billing' }];
    const [state] = await readCompatViews(db);
    expect(state).toMatchObject({ schema: 'public', name: 'orders', over: { schema: 'billing', name: 'orders' }, securityInvoker: true, date: '2026-12-01' });
    expect(checkCompatViews([state!], moves)).toEqual([]);

    await db.exec('BEGIN');
    try {
      await db.exec(`ALTER VIEW public.orders SET (security_invoker = false); GRANT SELECT ON public.orders TO outsider`);
      const differences = checkCompatViews(await readCompatViews(db), moves);
      expect(differences.map((d) => d.after)).toEqual([`runs with its owner's privileges`, expect.stringContaining('outsider=SELECT')]);
      await db.exec(dropCompatView(views[0]!));
      expect(checkCompatViews(await readCompatViews(db), moves)).toEqual([{ kind: 'view', object: 'public.orders', before: 'compat view over billing.orders', after: 'absent' }]);
    } finally {
      await db.exec('ROLLBACK');
    }
  });
});

describe('contract', () => {
  it('finds the views the migrations leave from their SQL (less those a later migration dropped) and makes them again in its rollback', () => {
    const made = (name: string) => createCompatView({ schema: 'public', name, over: { schema: 'billing', name } }, '0001_move', '2026-11-30').join('\n--> statement-breakpoint\n');
    const expand = `CREATE SCHEMA "billing";\n--> statement-breakpoint\n${made('orders')}\n--> statement-breakpoint\n${made('invoices')}`;
    const views = compatViewsLeft([expand, '-- an earlier contract\nDROP VIEW "public"."invoices";']);
    expect(views).toEqual([{ schema: 'public', name: 'orders', over: { schema: 'billing', name: 'orders' }, tag: '0001_move', date: '2026-11-30' }]);
    const { sql, rollbackSql } = contractMigration({ views, tag: '0003_contract', breakpoints: true, lockTimeoutMs: 500 });
    const parts = sql.split('\n--> statement-breakpoint\n');
    expect(parts[0]).toBe(`-- 0003_contract (drizzle-reschema contract): drops the compat views for code that predates 0001_move.\nSET LOCAL lock_timeout = '500ms';`);
    // Old code may still be running: the views are locked first, with the retried lock every move takes.
    expect(lockLine(parts[1]!)).toBe('LOCK TABLE "public"."orders" IN ACCESS EXCLUSIVE MODE;');
    expect(parts.slice(2)).toEqual(['DROP VIEW "public"."orders";\n']);
    expect(rollbackSql).toContain(made('orders').split('\n--> statement-breakpoint\n')[1]);
    expect(compatViewsLeft([expand, sql])).toEqual([views[0] && { ...views[0], name: 'invoices', over: { schema: 'billing', name: 'invoices' } }]);
  });
});
