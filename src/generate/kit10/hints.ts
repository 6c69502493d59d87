import { ConfigError } from '../../errors';
import type { ObjectKind } from '../../plan/types';
import type { Relocation } from '../relocateSnapshot';
import { ALTER_KEYWORD, ident } from '../../sql/identifiers';

/**
 * drizzle-kit 1.0's decisions as data, checked on 1.0.0-rc.5: without a TTY,
 * `generate --output json` exits 2 printing
 * `{"status":"missing_hints","unresolved":[{"type":"rename_or_create","kind":"table","entity":["auth","users"]}]}`
 * and `--hints '<json array>'` answers each one.
 */
export interface UnresolvedItem {
  type: string;
  kind: string;
  entity: string[];
}

export type Hint =
  | { type: 'rename'; kind: string; from: [string, string]; to: [string, string] }
  | { type: 'create'; kind: string; entity: [string, string] };

/** The postgres resolvers' kinds in rc.5 (`resolver("view", ...)` covers materialized views too). */
const HINT_KIND: Record<ObjectKind, string> = {
  enum: 'enum',
  sequence: 'sequence',
  table: 'table',
  view: 'view',
  materializedView: 'view',
};

/**
 * A rename hint for every moved object, given up front: drizzle-kit uses a
 * hint only when it has the question (an object its previous snapshot holds)
 * and ignores the others (checked on rc.5), so one run is enough.
 */
export function moveHints(relocations: Relocation[]): Hint[] {
  return relocations.map((r) => ({ type: 'rename', kind: HINT_KIND[r.kind], from: [r.from, r.name], to: [r.to, r.name] }));
}

/**
 * `--strategy copy`: a create hint for every object at its target, so that
 * drizzle-kit 1.0 writes CREATE in the target schema and DROP of the source
 * (rc.5); the copy stage writes the drops itself, after the rows are copied.
 */
export function copyHints(relocations: Relocation[]): Hint[] {
  return relocations.map((r) => ({ type: 'create', kind: HINT_KIND[r.kind], entity: [r.to, r.name] }));
}

/**
 * A question left open after the moves' hints is the user's own pending
 * decision, which this tool must not guess: a ConfigError naming it and the
 * hint that would answer it.
 */
export function openQuestionError(unresolved: UnresolvedItem[]): ConfigError {
  const item = unresolved[0] ?? { type: 'unknown', kind: 'object', entity: [] };
  return new ConfigError(unresolvedMessage(item));
}

function unresolvedMessage(item: UnresolvedItem): string {
  const entity = item.entity.map((p) => `"${p}"`).join('.');
  if (item.type === 'rename_or_create') {
    return `drizzle-kit asks whether ${item.kind} ${entity} is a rename or a new ${item.kind}, and it is none of the moves: settle that pending change first (drizzle-kit generate --hints '[{"type":"create","kind":"${item.kind}","entity":${JSON.stringify(item.entity)}}]', or a {"type":"rename",...,"from":[schema,name]} hint), then move`;
  }
  return `drizzle-kit asks to confirm ${item.type.replace(/_/g, ' ')} for ${item.kind} ${entity}, a pending change that is none of the moves: settle it with drizzle-kit generate --hints '[{"type":"${item.type}","kind":"${item.kind}","entity":${JSON.stringify(item.entity)}}]' first, then move`;
}


/**
 * drizzle-kit 1.0 answers a rename hint with its own `ALTER TABLE "users" SET
 * SCHEMA "auth";` (unqualified when the object was in public). The patch stage
 * writes every move itself, qualified and in dependency order, as on 0.x, so
 * these statements are the ones left out of drizzle-kit's list.
 */
export function isKitMoveStatement(statement: string, applied: Relocation[]): boolean {
  const text = statement.trim().replace(/;$/, '');
  return applied.some((r) => {
    const from = r.from === 'public' ? [ident(r.name), `${ident('public')}.${ident(r.name)}`] : [`${ident(r.from)}.${ident(r.name)}`];
    return from.some((f) => text === `ALTER ${ALTER_KEYWORD[r.kind]} ${f} SET SCHEMA ${ident(r.to)}`);
  });
}

/** The names drizzle-kit 1.0 gives an object at its source: unqualified in public, or qualified (rc.5 writes both). */
function sourceNames(r: Relocation): string[] {
  const qualifiedName = `${ident(r.from)}.${ident(r.name)}`;
  return r.from === 'public' ? [ident(r.name), qualifiedName] : [qualifiedName];
}

const DROP_KEYWORD: Record<Relocation['kind'], string> = {
  table: 'TABLE',
  enum: 'TYPE',
  sequence: 'SEQUENCE',
  view: 'VIEW',
  materializedView: 'MATERIALIZED VIEW',
};

/**
 * What drizzle-kit 1.0 answers a create hint with at the source (rc.5): `DROP
 * TABLE "artifacts";`, `DROP SEQUENCE "public"."invoice_number_seq";` and,
 * first, `ALTER TABLE "artifacts" DROP CONSTRAINT ...` for the old table's own
 * FKs. The copy stage drops the old objects itself once their rows are copied.
 */
export function isKitSourceDrop(statement: string, applied: Relocation[]): boolean {
  const text = statement.trim().replace(/;$/, '');
  return applied.some((r) =>
    sourceNames(r).some(
      (name) =>
        new RegExp(`^DROP ${DROP_KEYWORD[r.kind]} ${escape(name)}( CASCADE)?$`).test(text) ||
        (r.kind === 'table' && new RegExp(`^ALTER TABLE ${escape(name)} DROP CONSTRAINT "(?:[^"]|"")+"$`).test(text)),
    ),
  );
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
