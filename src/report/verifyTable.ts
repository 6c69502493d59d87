import type { VerifyReport, VerifyRow } from '../verify/verifyMigration';
import { failures } from '../verify/summary';
import type { VerificationReport, VerificationRow } from './types';

function table(rows: VerifyRow[]): string[] {
  const header = ['object', 'before', 'after', 'ok'];
  const cells = rows.map((r) => [r.object, r.before, r.after, r.ok ? 'ok' : 'FAIL']);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((x, i) => x.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)];
}

/** The human report of a verification: the table (object, before, after, ok), then what failed. */
export function renderVerifyText(report: VerifyReport): string {
  const out: string[] = [];
  out.push(`verify ${report.migration.file} on ${report.engine}`);
  const data = generatedRowsLine(report);
  if (data) out.push(data);
  out.push('');
  out.push(...table(report.tables));
  const broken = report.behaviour.filter((b) => !b.ok);
  if (broken.length) {
    out.push('');
    out.push(...table(broken));
  }
  const kinds = Object.entries(report.checked)
    .map(([kind, c]) => `${c.objects} ${plural(kind, c.objects)}${c.differing ? ` (${c.differing} differ)` : ''}`)
    .join(', ');
  out.push('');
  if (kinds) out.push(`compared: ${kinds}`);
  const notChecked = new Set(report.notChecked);
  if (report.rollback) out.push(`rollback ${report.rollback.file}: ${report.rollback.ok ? 'restores every object' : 'FAILED'}`);
  else if (notChecked.has('rollback')) out.push('rollback: not checked');
  out.push(`drift against the latest snapshot: ${notChecked.has('drift') ? 'not checked (see the notes)' : driftSummary(report)}`);
  if (notChecked.has('probes')) out.push('after the migration: not checked (new-row and foreign-key probes)');
  else if (report.behaviour.length) {
    const inserts = report.behaviour.filter((b) => b.object.startsWith('insert into'));
    const fks = report.behaviour.filter((b) => b.object.startsWith('foreign key'));
    const skipped = report.notChecked.filter((c) => c.startsWith('insert into') || c.includes(' probe'));
    out.push(
      `after the migration: ${inserts.filter((b) => b.ok).length}/${inserts.length} tables take a new row, ` +
        `${fks.filter((b) => b.ok).length}/${fks.length} foreign keys refuse a missing parent` +
        (skipped.length ? `; ${skipped.length} probe${skipped.length === 1 ? '' : 's'} not checked (see the notes)` : ''),
    );
  }
  if (report.added.length) out.push(`added by the migration: ${summarizeAdded(report.added)}`);
  for (const note of report.notes) out.push(`note: ${note}`);
  if (report.committed) out.push('committed');
  const failed = failures(report);
  if (failed.length) {
    out.push('');
    out.push(`FAILED (${failed.length}):`);
    out.push(...failed.map((f) => `  ${f}`));
  } else {
    out.push(verdictLine(report));
  }
  return out.join('\n') + '\n';
}

/**
 * What the rows of an embedded check are: generated, not the user's. The
 * tables given fewer rows on purpose (a costly index) are named with why, and
 * a table whose keys allow fewer rows than planned (a boolean key, a small
 * enum, a narrow CHECK) shows the count it got. Undefined on a live database.
 */
export function generatedRowsLine(report: VerifyReport): string | undefined {
  if (!report.seededRows) return undefined;
  const counts = report.seededRowsByTable;
  const tables = counts ? Object.keys(counts).length : (report.seededTables?.length ?? 0);
  const planned = (t: string) => report.seededRowsFewer?.[t]?.rows ?? report.seededRows;
  const fewer = Object.entries(counts ?? {})
    .filter(([t, n]) => n < planned(t))
    .sort(([a], [b]) => a.localeCompare(b));
  // "20 rows in public.docs_embeddings, public.embedding (hnsw index: ...)": one group per count and reason.
  const groups = new Map<string, { rows: number; reason: string; tables: string[] }>();
  for (const [t, f] of Object.entries(report.seededRowsFewer ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
    const group = groups.get(`${f.rows} ${f.reason}`) ?? { ...f, tables: [] };
    group.tables.push(t);
    groups.set(`${f.rows} ${f.reason}`, group);
  }
  const onPurpose = [...groups.values()].map((g) => `${g.rows} rows in ${g.tables.join(', ')} (${g.reason})`);
  return (
    `on ${report.seededRows} generated rows per table in ${tables} table${tables === 1 ? '' : 's'} ` +
    '(not your data: verify with --database-url on a copy for real rows)' +
    (onPurpose.length ? `; ${onPurpose.join('; ')}, --rows gives every table the same` : '') +
    (fewer.length ? `; fewer where the keys allow no more: ${fewer.map(([t, n]) => `${t} ${n}`).join(', ')}` : '')
  );
}

/** What the drift check found, or that it did not run: never "none" for a check that did not run. */
function driftSummary(report: VerifyReport): string {
  if (!report.driftChecked) return 'not checked (see the notes)';
  const existing = report.driftExisting.length ? `; ${report.driftExisting.length} already there before it (warning)` : '';
  return `${report.drift.length ? `${report.drift.length} difference(s) introduced by this migration` : 'none introduced by this migration'}${existing}`;
}

/** The passing line names only what was compared: "ok: kept 6 tables (rows and checksums), 12 indexes, ...". */
function verdictLine(report: VerifyReport): string {
  const kept = Object.entries(report.checked)
    .filter(([, c]) => c.objects > 0)
    .map(([kind, c]) => `${c.objects} ${plural(kind, c.objects)}${kind === 'table' ? ' (rows and checksums)' : ''}`);
  const notChecked = report.notChecked.length ? `; not checked: ${report.notChecked.join(', ')}` : '';
  return kept.length ? `ok: kept ${kept.join(', ')}${notChecked}` : `ok: nothing to compare${notChecked}`;
}

const PLURALS: Record<string, string> = {
  index: 'indexes',
  columns: 'column lists',
  policy: 'policies',
  settings: 'settings',
  'default privileges': 'default privileges',
};
function plural(kind: string, n: number): string {
  return n === 1 ? (kind === 'columns' ? 'column list' : kind) : (PLURALS[kind] ?? `${kind}s`);
}

/** "12 grants (feature_planner.a:reader, ...), 1 schema" */
function summarizeAdded(added: string[]): string {
  const byKind = new Map<string, string[]>();
  for (const a of added) {
    const [kind, ...rest] = a.split(' ');
    byKind.set(kind!, [...(byKind.get(kind!) ?? []), rest.join(' ')]);
  }
  return [...byKind]
    .map(([kind, names]) => `${names.length} ${plural(kind, names.length)} (${names.slice(0, 3).join(', ')}${names.length > 3 ? ', ...' : ''})`)
    .join(', ');
}

/**
 * The verify stage's report as the review renderers take it: one row per
 * table (rows before/after), per failed comparison, per behaviour probe and
 * per drift, and a summary.
 */
export function toVerificationReport(report: VerifyReport): VerificationReport {
  const rows: VerificationRow[] = [
    ...report.tables.map((t) => ({ object: t.object, kind: 'rows', before: t.before, after: t.after, ok: t.ok })),
    ...report.differences.map((d) => ({ object: d.object, kind: d.kind, before: d.before, after: d.after, ok: false })),
    ...(report.rollback
      ? [
          { object: report.rollback.file, kind: 'rollback', before: 'restores', after: report.rollback.ok ? 'restores' : (report.rollback.failure ?? 'differs'), ok: report.rollback.ok },
          ...report.rollback.differences.map((d) => ({ object: d.object, kind: `rollback ${d.kind}`, before: d.before, after: d.after, ok: false })),
        ]
      : []),
    ...report.behaviour.map((b) => ({ object: b.object, kind: 'behaviour', before: b.before, after: b.after, ok: b.ok })),
    ...report.drift.map((d) => ({ object: d.object, kind: 'drift', before: d.expected, after: d.actual, ok: false })),
  ];
  const compared = Object.values(report.checked).reduce((n, c) => n + c.objects, 0);
  const data = generatedRowsLine(report);
  return {
    engine: report.engine,
    ...(data ? { data } : {}),
    ...(report.notChecked.length ? { notChecked: [...report.notChecked] } : {}),
    rows,
    summary: { ok: report.ok, checked: compared + report.behaviour.length + (report.rollback ? 1 : 0), failed: failures(report).length },
    timingsMs: { ...report.timingsMs },
  };
}
