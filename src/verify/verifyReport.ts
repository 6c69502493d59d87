import type { EngineName } from './database';
import type { Drift } from './drift';
import type { FingerprintDifference, SchemaMove } from './fingerprint';
import type { Platform, Prelude } from './platform';

export interface VerifyOptions {
  /** Embedded engine (default pglite); ignored with `databaseUrl`. */
  engine?: EngineName;
  /** The user's server: the migration runs in a transaction rolled back unless `commit`. */
  databaseUrl?: string;
  commit?: boolean;
  lockTimeoutMs?: number;
  statementTimeoutMs?: number;
  /** Generated rows per table (embedded engines). */
  rows?: number;
  /** Schemas left out of every comparison (none by default). */
  excludeSchemas?: string[];
  /** Where drizzle's migrator records applied migrations: left out of the fingerprints, written by --commit. */
  migrationsTable?: { schema: string; table: string };
  /** The roles `--grant` names: the only ones the migration may give privileges to (read from the migration when not given). */
  grantRoles?: string[];
  /** The old objects stay on purpose (copy strategy with keepSource). */
  keepSource?: boolean;
  /** Embedded engines: SQL run before the replay, for what the platform provides (functions, schemas, extensions). */
  preludes?: Prelude[];
  /** Embedded engines: the hosting platform, whose standard roles and helpers are stubbed first. */
  platform?: Platform;
}

/** One line of the readable table. */
export interface VerifyRow {
  object: string;
  before: string;
  after: string;
  ok: boolean;
}

export interface VerifyReport {
  ok: boolean;
  /** `pglite`, `postgres (embedded)`, or the server's URL without its password. */
  engine: string;
  migration: { tag: string; file: string };
  moves: Array<SchemaMove & { kind: string }>;
  /** Rows generated per table before the migration (0 on a live database). */
  seededRows: number;
  /** Rows actually generated per seeded table (`schema.table`): fewer than `seededRows` where its keys allow fewer. */
  seededRowsByTable?: Record<string, number>;
  /** Per moved (or kept) table: rows before and after. */
  tables: VerifyRow[];
  /** What was compared, by kind: how many objects, how many differ. */
  checked: Record<string, { objects: number; differing: number }>;
  /** Everything lost or changed, by object. Empty when ok. */
  differences: FingerprintDifference[];
  /** Objects the migration added (a new schema, other pending changes). */
  added: string[];
  /** Tables that got generated rows: those the migration concerns, their FK parents and children (seedScope.ts). */
  seededTables?: string[];
  /** Drift this migration introduced: the database after every migration against the project's latest snapshot. */
  drift: Drift[];
  /** Drift that was there before this migration (an older migration against its own snapshot): a warning. */
  driftExisting: Drift[];
  /** False when the drift check did not run (a live database, or newer migrations follow): `drift` then proves nothing. */
  driftChecked: boolean;
  /** Schemas no Drizzle object lives in (custom migrations, unexported pgSchema): reported, not drift. */
  outsideDrizzle: string[];
  rollback?: { file: string; ok: boolean; differences: FingerprintDifference[]; failure?: string };
  /** Behaviour after the migration: inserts continue, foreign keys hold. */
  behaviour: VerifyRow[];
  committed: boolean;
  /**
   * The views `move --compat` leaves for code that predates the move (`public.orders over growth.orders, made <date>`):
   * there after the migration (`present`), and those it dropped (`dropped`, by `contract`).
   */
  compat?: { present: string[]; dropped: string[] };
  /** Checks that did not run (`drift`, `rollback`, `probes`, `function bodies`): never reported as passed. */
  notChecked: string[];
  notes: string[];
  timingsMs: Record<string, number>;
}

export function isOk(r: VerifyReport): boolean {
  return (
    r.differences.length === 0 &&
    r.drift.length === 0 &&
    r.rollback?.ok !== false &&
    r.behaviour.every((b) => b.ok) &&
    r.tables.every((t) => t.ok)
  );
}

/** A probe that could not run: said in the notes, and counted as not checked so that the verdict does not claim it. */
export function probeNotChecked(report: VerifyReport, probe: string, why: string): void {
  report.notes.push(`${probe} not checked: ${why}`);
  report.notChecked.push(probe);
}

/** Wall time per phase, summed, in whole milliseconds (the report's `timingsMs`). */
export class Timer {
  readonly timings: Record<string, number> = {};
  async time<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const start = performance.now();
    try {
      return await fn();
    } finally {
      this.timings[name] = Math.round((this.timings[name] ?? 0) + performance.now() - start);
    }
  }
}
