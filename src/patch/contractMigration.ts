import { qualified } from '../sql/identifiers';
import { COMPAT_MARKER, createCompatView, dropCompatView, type CompatView } from './compatViews';
import { lockStatement, lockTimeoutStatement } from './lockOrder';
import { JOURNAL_ROLLBACK_NOTE } from './patchMigration';

/** A compat view as an expand migration made it: the view, the migration and the day its marker names. */
export interface CompatViewRecord extends CompatView {
  tag: string;
  date: string;
}

/** `"a"."b"` or `"a""x"."b"`: one part as `qualified` writes it. */
const PART = '"((?:[^"]|"")+)"';
const unquote = (part: string) => part.replace(/""/g, '"');
const MARKER = new RegExp(
  `^COMMENT ON VIEW ${PART}\\.${PART} IS '${COMPAT_MARKER} view over ${PART}\\.${PART} for code that predates (.+?), made (\\d{4}-\\d{2}-\\d{2});.*$`,
  'gm',
);
const DROP = new RegExp(`^DROP VIEW ${PART}\\.${PART};$`, 'gm');

/**
 * The compat views the migrations leave, in the order they run: each marked
 * view an expand migration makes (its COMMENT statement, as compatViews.ts
 * writes it, on a line of its own), less those a later line drops by name.
 * Read from the migrations' SQL, so `contract` needs no database.
 */
export function compatViewsLeft(migrations: string[]): CompatViewRecord[] {
  const left = new Map<string, CompatViewRecord>();
  for (const sql of migrations) {
    const made = [...sql.matchAll(MARKER)].map((m) => ({ at: m.index!, m, drop: false }));
    const dropped = [...sql.matchAll(DROP)].map((m) => ({ at: m.index!, m, drop: true }));
    for (const { m, drop } of [...made, ...dropped].sort((x, y) => x.at - y.at)) {
      const [, schema, name, overSchema, overName, tag, date] = m.map((x) => x && unquote(x)) as string[];
      const key = qualified(schema!, name!);
      if (drop) left.delete(key);
      else left.set(key, { schema: schema!, name: name!, over: { schema: overSchema!, name: overName! }, tag: tag!.replace(/''/g, "'"), date: date! });
    }
  }
  return [...left.values()];
}

export interface ContractInput {
  views: CompatViewRecord[];
  tag: string;
  breakpoints: boolean;
  lockTimeoutMs?: number;
  /** What to do with the rollback file, in the drizzle-kit line's words (KitAdapter.rollbackNote). */
  rollbackNote?: string;
}

/**
 * `contract`: the migration that drops what `move --compat` left, once no
 * code that predates the move runs, and its rollback, which makes the views
 * again as expand made them (marker, owner and grants included).
 */
export function contractMigration(input: ContractInput): { sql: string; rollbackSql: string; statements: string[] } {
  const lock = lockTimeoutStatement(input.lockTimeoutMs, 'migration');
  // Old code may still query the views: they are taken first, as every move takes its tables (lockOrder.ts).
  const statements = [...lock, ...lockStatement([], [], 'from', input.views), ...input.views.map(dropCompatView)];
  const separator = input.breakpoints ? '\n--> statement-breakpoint\n' : '\n';
  const header = `-- ${input.tag} (drizzle-reschema contract): drops the compat views for code that predates ${[...new Set(input.views.map((v) => v.tag))].join(', ')}.\n`;
  const rollback = [
    `-- Rollback of ${input.tag}: makes the compat views again, as the expand migration made them.`,
    input.rollbackNote ?? JOURNAL_ROLLBACK_NOTE,
    ...lockTimeoutStatement(input.lockTimeoutMs, 'by hand'),
    ...input.views.flatMap((v) => createCompatView(v, v.tag, v.date)),
  ];
  return { sql: `${header}${statements.join(separator)}\n`, rollbackSql: `${rollback.join('\n')}\n`, statements };
}
