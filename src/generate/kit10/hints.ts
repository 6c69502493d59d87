import { ConfigError } from '../../errors';
import type { ObjectKind } from '../../plan/types';
import type { Relocation } from '../relocateSnapshot';

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

export interface ResolvedHints {
  hints: Hint[];
  /** The relocations drizzle-kit asked about: objects its previous snapshot knows. */
  applied: Relocation[];
}

/**
 * Answers each question drizzle-kit asked about a moved object: a rename for
 * `move`, a create for `copy`. A question about anything else is the user's own
 * pending decision, which this tool must not guess: a ConfigError naming it
 * and the hint that would answer it.
 */
export function hintsForMoves(unresolved: UnresolvedItem[], relocations: Relocation[], strategy: 'move' | 'copy'): ResolvedHints {
  const hints: Hint[] = [];
  const applied: Relocation[] = [];
  for (const item of unresolved) {
    const [schema, name] = item.entity;
    const r =
      item.type === 'rename_or_create'
        ? relocations.find((x) => HINT_KIND[x.kind] === item.kind && x.to === schema && x.name === name)
        : undefined;
    if (!r) throw new ConfigError(unresolvedMessage(item));
    applied.push(r);
    hints.push(
      strategy === 'move'
        ? { type: 'rename', kind: item.kind, from: [r.from, r.name], to: [r.to, r.name] }
        : { type: 'create', kind: item.kind, entity: [r.to, r.name] },
    );
  }
  return { hints, applied };
}

function unresolvedMessage(item: UnresolvedItem): string {
  const entity = item.entity.map((p) => `"${p}"`).join('.');
  if (item.type === 'rename_or_create') {
    return `drizzle-kit asks whether ${item.kind} ${entity} is a rename or a new ${item.kind}, and it is none of the moves: settle that pending change first (drizzle-kit generate --hints '[{"type":"create","kind":"${item.kind}","entity":${JSON.stringify(item.entity)}}]', or a {"type":"rename",...,"from":[schema,name]} hint), then move`;
  }
  return `drizzle-kit asks to confirm ${item.type.replace(/_/g, ' ')} for ${item.kind} ${entity}, a pending change that is none of the moves: settle it with drizzle-kit generate --hints '[{"type":"${item.type}","kind":"${item.kind}","entity":${JSON.stringify(item.entity)}}]' first, then move`;
}

const ALTER_KEYWORD: Record<ObjectKind, string> = {
  enum: 'TYPE',
  sequence: 'SEQUENCE',
  table: 'TABLE',
  view: 'VIEW',
  materializedView: 'MATERIALIZED VIEW',
};
const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * drizzle-kit 1.0 answers a rename hint with its own `ALTER TABLE "users" SET
 * SCHEMA "auth";` (unqualified when the object was in public). The patch stage
 * writes every move itself, qualified and in dependency order, as on 0.x, so
 * these statements are the ones left out of drizzle-kit's list.
 */
export function isKitMoveStatement(statement: string, applied: Relocation[]): boolean {
  const text = statement.trim().replace(/;$/, '');
  return applied.some((r) => {
    const from = r.from === 'public' ? [quote(r.name), `${quote('public')}.${quote(r.name)}`] : [`${quote(r.from)}.${quote(r.name)}`];
    return from.some((f) => text === `ALTER ${ALTER_KEYWORD[r.kind]} ${f} SET SCHEMA ${quote(r.to)}`);
  });
}
