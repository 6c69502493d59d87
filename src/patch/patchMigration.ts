import type { ObjectKind } from '../plan/types';
import type { Relocation } from '../generate/relocateSnapshot';
import { compatViewsFor, createCompatView, dropCompatView, refuseEmptiedSchemas } from './compatViews';
import { grantsAndRecord } from './grants';
import type { RoutineRepair } from './routineRepairs';
import { lockStatement, lockTimeoutStatement, type Reference } from './lockOrder';
import { loadPgParser, schemasWrittenBy } from './pgParser';
import { ALTER_KEYWORD, ident, qualified } from '../sql/identifiers';

export interface PatchInput {
  /** drizzle-kit's statements, in order. */
  statements: string[];
  breakpoints: boolean;
  /** Objects the database holds today that change schema. */
  relocations: Relocation[];
  /** Roles that get access to the target schemas. */
  grants: string[];
  /** Schemas created empty (--create-schema): granted like targets, dropped by the rollback. */
  createSchemas?: string[];
  lockTimeoutMs?: number;
  tag: string;
  /** What to do with the rollback file, in the drizzle-kit line's words (KitAdapter.rollbackNote); 0.x's by default. */
  rollbackNote?: string;
  /** Functions whose bodies name moved objects, restated with the names relocated (src/patch/routineRepairs.ts). */
  routineRepairs?: RoutineRepair[];
  /** Per target schema, roles that need USAGE on it to reach what moved there (src/patch/schemaUsage.ts). */
  usage?: Map<string, string[]>;
  /** Foreign keys of the database before the migration: the moved tables are locked referencing tables first. */
  references?: Reference[];
  /** `--compat`: leave a view of each moved table under its old name (src/patch/compatViews.ts); the date its marker says. */
  compat?: { date: string };
}

export const JOURNAL_ROLLBACK_NOTE = '-- Not in the journal: run it by hand, then delete the migration, its snapshot and journal entry.';

export interface PatchedMigration {
  sql: string;
  rollbackSql: string;
  /** The statements, in final order (without breakpoints). */
  statements: string[];
  /** drizzle-kit statements other than CREATE SCHEMA: changes made in the same run. */
  otherChanges: string[];
}

/** Types and standalone sequences first, then tables, then what reads from tables. */
const MOVE_ORDER: ObjectKind[] = ['enum', 'sequence', 'table', 'view', 'materializedView'];

const CREATE_SCHEMA = /^CREATE SCHEMA\s+(?:IF NOT EXISTS\s+)?"((?:[^"]|"")+)"\s*;?$/i;
const DROP_SCHEMA = /^DROP SCHEMA\s+"((?:[^"]|"")+)"\s*;?$/i;

/**
 * The rollback's last statement for a schema the migration created: what the
 * migration's other statements created in it (`written`, see schemasWrittenBy)
 * stays after the moves back, and would fail the DROP.
 */
export function dropCreatedSchema(schema: string, written: Set<string>): string {
  return written.has(schema)
    ? `-- DROP SCHEMA ${ident(schema)}; left out: other statements of this migration put objects in it.`
    : `DROP SCHEMA ${ident(schema)};`;
}

export function moveStatement(r: Relocation, reverse = false): string {
  const [from, to] = reverse ? [r.to, r.from] : [r.from, r.to];
  return `ALTER ${ALTER_KEYWORD[r.kind]} ${qualified(from, r.name)} SET SCHEMA ${ident(to)};`;
}

function orderedMoves(relocations: Relocation[]): Relocation[] {
  return [...relocations].sort((a, b) => MOVE_ORDER.indexOf(a.kind) - MOVE_ORDER.indexOf(b.kind));
}

/**
 * Makes drizzle-kit's migration keep the data: the `ALTER ... SET SCHEMA`
 * statements go right after the schemas are created and before anything that
 * uses the new names; grants go last; `SET lock_timeout` first. Also writes
 * the rollback that moves everything back.
 */
export async function patchMigration(input: PatchInput): Promise<PatchedMigration> {
  await loadPgParser();
  const moves = orderedMoves(input.relocations).map((r) => moveStatement(r));
  const targets = [...new Set([...input.relocations.map((r) => r.to), ...(input.createSchemas ?? [])])].filter(
    (s) => s !== 'public',
  );
  const createdSchemas = new Set<string>();
  let insertAt = 0;
  input.statements.forEach((statement, i) => {
    const match = CREATE_SCHEMA.exec(statement.trim());
    if (!match) return;
    const schema = match[1]!.replace(/""/g, '"');
    createdSchemas.add(schema);
    if (targets.includes(schema)) insertAt = Math.max(insertAt, i + 1);
  });

  const { grants, revokes } = grantsAndRecord(targets, input.grants, input.tag, input.usage, createdSchemas);
  const repairs = input.routineRepairs ?? [];
  const compatViews = input.compat ? compatViewsFor(input.relocations) : [];
  const statements = [
    ...lockTimeoutStatement(input.lockTimeoutMs, 'migration'),
    ...lockStatement(input.relocations, input.references ?? []),
    ...input.statements.slice(0, insertAt),
    ...moves,
    ...input.statements.slice(insertAt),
    // After the moves: a SQL function's body is checked against the objects where they now are.
    ...repairs.map((r) => `-- ${r.routine}: its body names ${r.relocated.join(', ')}\n${r.sql}`),
    // Before the grants: a view gets the grants its table had, not what --grant adds to the new schema.
    ...compatViews.flatMap((v) => createCompatView(v, input.tag, input.compat!.date)),
    ...grants,
  ];
  // Handle: every object of a schema moves out and its pgSchema declaration goes (src/plan/emptiedSchemas.ts):
  // drizzle-kit drops the schema, last; the rollback creates it again before the moves back.
  const sources = new Set(input.relocations.map((r) => r.from));
  const droppedSource = (statement: string) => {
    const match = DROP_SCHEMA.exec(statement.trim());
    return match !== null && sources.has(match[1]!.replace(/""/g, '"')) ? match[1]!.replace(/""/g, '"') : undefined;
  };
  const droppedSchemas = input.statements.map(droppedSource).filter((s): s is string => s !== undefined);
  refuseEmptiedSchemas(compatViews, droppedSchemas);
  const otherChanges = input.statements.filter((s) => !CREATE_SCHEMA.test(s.trim()) && droppedSource(s) === undefined);
  const written = new Set(otherChanges.flatMap(schemasWrittenBy));

  const separator = input.breakpoints ? `\n${'--> statement-breakpoint'}\n` : '\n';
  const sql = `${statements.join(separator)}\n`;

  const rollback = [
    `-- Rollback of ${input.tag}: moves every object back to where it was.`,
    input.rollbackNote ?? JOURNAL_ROLLBACK_NOTE,
    ...(otherChanges.length > 0
      ? [`-- It does not undo the ${otherChanges.length} other statement(s) drizzle-kit generated in the same migration.`]
      : []),
    ...lockTimeoutStatement(input.lockTimeoutMs, 'by hand'),
    ...droppedSchemas.map((s) => `CREATE SCHEMA ${ident(s)};`),
    ...lockStatement(input.relocations, input.references ?? [], 'to', compatViews),
    ...revokes,
    // The compat views hold the old names the tables go back to.
    ...compatViews.map(dropCompatView),
    ...orderedMoves(input.relocations)
      .reverse()
      .map((r) => moveStatement(r, true)),
    ...repairs.map((r) => `-- ${r.routine} as it was, naming the objects where they are again.\n${r.rollbackSql}`),
    // RESTRICT (the default): fails rather than drop anything the migration did not put there.
    // Handle: the same migration also creates a table in the new schema (a table added since the
    // last generate): the moves back leave it there, so the DROP would fail the whole rollback.
    ...[...createdSchemas].filter((s) => targets.includes(s)).map((s) => dropCreatedSchema(s, written)),
  ];
  return { sql, rollbackSql: `${rollback.join('\n')}\n`, statements, otherChanges };
}
