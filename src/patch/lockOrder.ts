import type { Relocation } from '../generate/relocateSnapshot';
import { qualified } from '../sql/identifiers';
import { doBlock } from './grants';

/** A foreign key between two tables, as `schema.name` keys of where they are after the move: `from` references `to`. */
export interface Reference {
  from: string;
  to: string;
}

/*
 * Every move takes ACCESS EXCLUSIVE on each table it moves. Taken one at a
 * time, as the statements name them, live traffic crosses it: the migration
 * holds `orders` and waits for `invoices`, while a client's insert into
 * `invoices` holds `invoices` and waits, for its foreign-key check, on
 * `orders`: deadlock, and one of them is killed. No single order is safe
 * either: one statement locks the tables it reads in its FROM order, and the
 * same app joins child-first and parent-first (the load test on branch
 * loadtest saw both, seeds 000 and 004).
 *
 * So the migration takes them all first, in one LOCK TABLE (referencing
 * tables first, the order inserts take them), and never waits long while it
 * holds any: each attempt may wait at most half the server's deadlock_timeout
 * (and 100 ms), so it gives up, and lets go of what it got, before the
 * deadlock detector would pick a victim among the clients; it tries again
 * after a short random pause. `--lock-timeout` bounds the whole wait: past
 * it, the migration fails with lock_not_available having changed nothing (its
 * transaction rolls back), and can simply be run again.
 */

/** The moved tables, referencing tables before those they reference (a cycle keeps the order given). */
export function lockOrder(relocations: Relocation[], references: Reference[]): Relocation[] {
  const keyOf = (r: Relocation) => `${r.to}.${r.name}`;
  const tables = new Map(relocations.filter((r) => r.kind === 'table').map((r) => [keyOf(r), r]));
  const referencedBy = new Map<string, string[]>();
  for (const { from, to } of references) {
    if (from !== to && tables.has(from) && tables.has(to)) referencedBy.set(to, [...(referencedBy.get(to) ?? []), from]);
  }
  // Depth-first: a table is placed once every moved table that references it is.
  const placed = new Set<string>();
  const out: Relocation[] = [];
  const place = (key: string) => {
    if (placed.has(key)) return;
    placed.add(key);
    for (const child of referencedBy.get(key) ?? []) place(child);
    out.push(tables.get(key)!);
  };
  for (const key of tables.keys()) place(key);
  return out;
}

/**
 * The statement that locks the moved tables (named where they are before the
 * migration, `from`, or before its rollback, `to`) as described above, or
 * nothing when there is nothing to lock. `views` are locked first: the compat
 * views a rollback or contract drops, which old code's queries lock before
 * the table under them (a LOCK TABLE of a view locks its table too).
 */
export function lockStatement(
  relocations: Relocation[],
  references: Reference[],
  side: 'from' | 'to' = 'from',
  views: Array<{ schema: string; name: string }> = [],
): string[] {
  const names = [...views.map((v) => qualified(v.schema, v.name)), ...lockOrder(relocations, references).map((r) => qualified(r[side], r.name))];
  if (names.length === 0) return [];
  const lock = `LOCK TABLE ${names.join(', ')} IN ACCESS EXCLUSIVE MODE;`;
  return [
    doBlock(`DO $reschema$
DECLARE
  total text := current_setting('lock_timeout');
  deadline timestamptz := CASE WHEN total IN ('0', '0ms') THEN NULL ELSE clock_timestamp() + total::interval END;
  attempt int := (SELECT least(100, greatest(1, setting::int / 2)) FROM pg_settings WHERE name = 'deadlock_timeout');
BEGIN
  PERFORM set_config('lock_timeout', attempt || 'ms', true);
  LOOP
    BEGIN
      ${lock}
      EXIT;
    EXCEPTION WHEN lock_not_available THEN
      IF deadline IS NOT NULL AND clock_timestamp() >= deadline THEN
        RAISE lock_not_available USING MESSAGE = format('could not lock the moved tables within lock_timeout (%s): nothing was changed; run the migration again', total);
      END IF;
      PERFORM pg_sleep(random() * attempt / 1000.0);
    END;
  END LOOP;
  PERFORM set_config('lock_timeout', total, true);
END $reschema$;`),
  ];
}

/**
 * `--lock-timeout`. A migration runs in drizzle's migrator's transaction, on a
 * connection that may be the app's own (a migrate() at start-up): SET LOCAL
 * ends with that transaction, where a plain SET stayed on the connection for
 * every later query. A file run by hand (a rollback, drop-source.sql) is its
 * own session, and may run without a transaction: plain SET.
 */
export function lockTimeoutStatement(ms: number | undefined, scope: 'migration' | 'by hand'): string[] {
  if (ms === undefined) return [];
  return [`SET${scope === 'migration' ? ' LOCAL' : ''} lock_timeout = '${Math.trunc(ms)}ms';`];
}
