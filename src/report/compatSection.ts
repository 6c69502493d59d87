import type { MigrationResult } from '../move';
import type { CodeHazard, HazardReport } from './types';

/*
 * What the reports say about `move --compat`: the views it leaves (with the
 * day they were made, which is the day `contract` becomes due), and which
 * hazards the views cover for now. Raw SQL naming a moved table unqualified
 * reaches the view until `contract`; a moved sequence (`nextval('x_seq')`) or
 * enum type (`::status`) has no stand-in in the old schema (Postgres has no
 * synonyms for sequences, and a cast names the type itself), so code naming
 * them breaks with the expand migration and must be updated before it.
 */

export type CompatViews = NonNullable<MigrationResult['compatViews']>;

/** The hazards split: those the compat views cover until contract, and the rest, which break at the migration. */
export function splitByCompat(h: HazardReport, views: CompatViews | undefined): { covered: CodeHazard[]; rest: HazardReport } {
  if (!views || views.length === 0) return { covered: [], rest: h };
  const names = new Set(views.map((v) => v.view.slice(v.view.indexOf('.') + 1)));
  const isCovered = (c: CodeHazard) => c.kind === 'table' && names.has(c.object);
  return { covered: h.code.filter(isCovered), rest: { ...h, code: h.code.filter((c) => !isCovered(c)) } };
}

/** Lines for the text report (stderr). */
export function compatTextLines(views: CompatViews | undefined, covered: CodeHazard[]): string[] {
  if (!views || views.length === 0) return [];
  const days = [...new Set(views.map((v) => v.date))].join(', ');
  return [
    `compat: ${views.length} view(s) for code that predates the move, made ${days}: ${views.map((v) => `${v.view} over ${v.over}`).join(', ')}; run drizzle-reschema contract once that code is gone`,
    ...covered.map((c) => `compat: ${c.file}:${c.line}: ${c.found} reaches the view until contract; then use ${c.use}`),
  ];
}

/** The markdown section. */
export function compatMarkdown(views: CompatViews | undefined, covered: CodeHazard[]): string[] {
  if (!views || views.length === 0) return [];
  const out = [
    '### Compatibility views (expand/contract)',
    '',
    'Old code keeps reading and writing the moved tables through these views (security_invoker, the tables\' grants) until `drizzle-reschema contract` drops them:',
    '',
    '| view | over | made |',
    '| --- | --- | --- |',
    ...views.map((v) => `| \`${v.view}\` | \`${v.over}\` | ${v.date} |`),
    '',
  ];
  if (covered.length > 0) {
    out.push('Raw SQL these views cover until contract (update it before then):', '');
    for (const c of covered) out.push(`- \`${c.file}:${c.line}\`: \`${c.found}\` → use \`${c.use}\``);
    out.push('');
  }
  return out;
}
