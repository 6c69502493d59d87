import type { Drift, DriftCheck } from './drift';
import type { SchemaMove } from './fingerprint';
import type { VerifyReport } from './verifyReport';

/** How a name prints: bare when Postgres folds it to itself, else quoted (quotes doubled). */
const printed = (name: string) => (/^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`);

function replaceName(text: string, from: string, to: string): string {
  let out = '';
  let i = 0;
  for (;;) {
    const at = text.indexOf(from, i);
    if (at < 0) return out + text.slice(i);
    const boundary = (c: string | undefined) => c === undefined || !/[A-Za-z0-9_$"]/.test(c);
    out += text.slice(i, at) + (boundary(text[at - 1]) && boundary(text[at + from.length]) ? to : from);
    i = at + from.length;
  }
}

/** A drift item as it reads once the moves are made: every name of a moved object in its new schema. */
export function relocateDrift(d: Drift, moves: SchemaMove[]): Drift {
  let { object, expected, actual } = d;
  for (const m of moves) {
    for (const [from, to] of [
      [`${m.from}.${m.name}`, `${m.to}.${m.name}`],
      [`${printed(m.from)}.${printed(m.name)}`, `${printed(m.to)}.${printed(m.name)}`],
    ] as const) {
      // An index is named in its table's schema: it moves when the table it is on moves.
      const index = /^index ([^.]+)\./.exec(object);
      if (index?.[1] === m.from && [expected, actual].some((v) => new RegExp(`\\bon ${escape(from)}(\\s|$)`, 'i').test(v))) {
        object = `index ${m.to}.${object.slice(index[0].length)}`;
      }
      object = replaceName(object, from, to);
      expected = replaceName(expected, from, to);
      actual = replaceName(actual, from, to);
    }
  }
  return { object, expected, actual };
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Drift after the migration, split by cause: what the migration introduced
 * (it fails the verification) and what the database already had against the
 * previous snapshot before the migration ran (a warning: an old migration
 * and its snapshot disagree, and this migration did not do it).
 */
export function splitDrift(after: Drift[], before: Drift[], moves: SchemaMove[]): { introduced: Drift[]; existing: Drift[] } {
  const key = (d: Drift) => `${d.object}\0${d.expected}\0${d.actual}`;
  const already = new Set(before.map((d) => key(relocateDrift(d, moves))));
  return { introduced: after.filter((d) => !already.has(key(d))), existing: after.filter((d) => already.has(key(d))) };
}

/** The drift check's outcome into the report: what fails, what is a warning, what was not compared, and why. */
export function recordDrift(report: VerifyReport, after: DriftCheck, before: Drift[], moves: SchemaMove[], keep: (d: Drift) => boolean): void {
  const { introduced, existing } = splitDrift(after.drift.filter(keep), before, moves);
  report.drift = introduced;
  report.driftExisting = existing;
  report.driftChecked = true;
  report.outsideDrizzle = after.outsideDrizzle;
  if (existing.length) {
    report.notes.push(
      `drift already there before this migration (an older migration and its snapshot disagree; not this migration's doing): ${existing.map((d) => d.object).join(', ')}`,
    );
  }
  if (after.outsideDrizzle.length) {
    report.notes.push(
      `outside Drizzle (no Drizzle object lives there; a custom migration or an unexported pgSchema made it): schema ${after.outsideDrizzle.join(', ')}; not compared with the snapshot`,
    );
  }
  if (after.notCompared.length) report.notes.push(`drift not checked for ${after.notCompared.join(', ')}: Postgres refused the snapshot's definition on its own`);
}

/** The tables the platform preparation made (`table auth.users` among its objects, platform.ts). */
export function platformTables(platformObjects: Set<string>): string[] {
  return [...platformObjects].filter((o) => o.startsWith('table ')).map((o) => o.slice('table '.length));
}

/**
 * Whether drift is about one of `tables`, those the platform preparation
 * made (Supabase's `auth.users` stub): a stub stands in for the platform's
 * table as a foreign-key target, with only the columns those need, so what a
 * schema declares of the real table (more columns, NOT NULLs) is not the
 * project's drift.
 */
export function aboutPlatformTable(d: Drift, tables: string[]): boolean {
  return tables.some(
    (table) =>
      d.object === `table ${table}` ||
      d.object.startsWith(`table ${table} `) ||
      d.object.startsWith(`column ${table}.`) ||
      d.object.startsWith(`constraint ${table}.`) ||
      (d.object.startsWith('index ') && [d.expected, d.actual].some((v) => v === `on ${table}` || v.startsWith(`on ${table} `))),
  );
}
