import { relative } from 'node:path';
import type { DrizzleConfig } from '../generate/drizzleConfig';
import { hasNoMigrations, readMigrationsState, type PgSnapshot } from '../generate/migrationsFolder';
import type { MovedObject, MoveResult } from '../move';
import type { CompatViewRecord } from '../patch/contractMigration';
import type { CheckOutcome } from './types';

/** The newest migration snapshot: where the last migration left each object. */
export interface LatestSnapshot {
  /** Project-relative path, for messages. */
  path: string;
  snapshot: PgSnapshot;
}

/** 'no-migrations' when the folder has no journal yet (for --check, a missing migration, not a broken config). */
export function readLatestSnapshot(root: string, config: DrizzleConfig): LatestSnapshot | 'no-migrations' {
  if (hasNoMigrations(config.out)) return 'no-migrations';
  const state = readMigrationsState(config.out, root);
  return state.head ? { path: relative(root, state.head.path).split('\\').join('/'), snapshot: state.head.snapshot } : 'no-migrations';
}

/**
 * --check: the repository is in the target state when the dry run has
 * nothing to move and nothing to write, and (unless migrations are off) the
 * latest migration snapshot already has every selected object in its target
 * schema, i.e. a migration for the move exists.
 * `snapshot` is undefined when migrations are not checked.
 */
export function checkTargetState(
  result: MoveResult,
  root: string,
  snapshot: LatestSnapshot | 'no-migrations' | undefined,
  compatLeft: CompatViewRecord[] = [],
): CheckOutcome {
  const reasons: string[] = [];
  const inPlace: string[] = [];
  for (const m of result.moves) {
    reasons.push(`${m.file}:${m.line}: ${m.kind} '${m.name}' is in '${m.from}', not '${m.to}': the schema file would change`);
  }
  if (result.moves.length === 0) {
    for (const change of result.changes) reasons.push(`${relative(root, change.path).split('\\').join('/')}: would change`);
  }
  for (const object of result.alreadyInPlace) {
    const where = `${object.file}:${object.line}: ${object.kind} '${object.name}' is in '${object.to}'`;
    // The migrations are checked once no schema file would change (until then the run has its reasons).
    if (result.moves.length > 0 || snapshot === undefined) {
      inPlace.push(where);
      continue;
    }
    const missing = snapshot === 'no-migrations' ? 'there are no migrations yet' : migrationGap(object, snapshot);
    if (missing) reasons.push(`${where} in the code, but ${missing}: a migration is missing`);
    else inPlace.push(`${where}, in the code and in the latest migration snapshot (${(snapshot as LatestSnapshot).path})${compatNote(object, compatLeft)}`);
  }
  return { ok: reasons.length === 0, reasons, inPlace };
}

/** A move done with --compat is done, and its view stays expected until contract: said, never failed. */
function compatNote(object: MovedObject, compatLeft: CompatViewRecord[]): string {
  const v = object.kind === 'table' ? compatLeft.find((c) => c.over.schema === object.to && c.over.name === object.name) : undefined;
  return v ? `; its compat view ${v.schema}.${v.name} (made ${v.date} by ${v.tag}) stays until drizzle-reschema contract` : '';
}

/** Why the snapshot does not show the object in its target schema; undefined when it does. */
function migrationGap(object: MovedObject, latest: LatestSnapshot): string | undefined {
  const { snapshot } = latest;
  const entries: { schema: string; name: string }[] = (() => {
    switch (object.kind) {
      case 'table':
        // drizzle-kit writes `schema: ""` for public tables.
        return Object.values(snapshot.tables ?? {}).map((t) => ({ schema: t.schema || 'public', name: t.name }));
      case 'enum':
        return Object.values(snapshot.enums ?? {});
      case 'sequence':
        return Object.values(snapshot.sequences ?? {});
      case 'view':
        return Object.values(snapshot.views ?? {}).filter((v) => !v.materialized);
      case 'materializedView':
        return Object.values(snapshot.views ?? {}).filter((v) => v.materialized);
    }
  })().map((e) => ({ schema: e.schema || 'public', name: e.name }));
  const same = entries.filter((e) => e.name === object.name);
  if (same.some((e) => e.schema === object.to)) return undefined;
  if (same.length === 0) return `the latest migration snapshot (${latest.path}) has no ${object.kind} of that name`;
  return `the latest migration snapshot (${latest.path}) has it in '${same.map((e) => e.schema).join("', '")}'`;
}
