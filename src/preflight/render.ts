import type { PreflightReport } from './preflight';

/** The report for people: one section per question seed 002's Phase 0 asks. */
export function renderPreflightText(report: PreflightReport): string {
  const lines: string[] = [`preflight of ${report.database} (read-only)`, ''];

  const m = report.migrations;
  const applied = m.entries.filter((e) => e.state === 'applied' || e.state === 'modified').length;
  lines.push(
    m.found
      ? `migrations (${m.table}): ${applied} of ${m.entries.length} applied`
      : `migrations: no ${m.table} table, so drizzle's migrator never ran here; compared with all ${m.entries.length} migration(s)`,
  );
  if (m.found) for (const e of m.entries) lines.push(`  ${e.state.padEnd(8)} ${e.tag}`);
  for (const u of m.unknown) lines.push(`  unknown  applied at ${u.createdAt} with hash ${u.hash.slice(0, 12)}, not among the migrations`);

  lines.push('', report.drift.length === 0 ? 'drift: none' : `drift: ${report.drift.length} difference(s) from what the migrations produce`);
  for (const d of report.drift) lines.push(`  ${d.object}: ${d.problem}`);

  lines.push('', 'tables about to move:');
  if (report.relations.length === 0) lines.push('  none');
  for (const r of report.relations) {
    const count = r.rows === null ? '' : `${r.rows} row${r.rows === 1 ? '' : 's'}`;
    lines.push(`  ${r.schema}.${r.name}${r.kind === 'table' ? '' : ` (${r.kind})`}: ${[count, r.note].filter(Boolean).join(', ')}`);
  }

  lines.push('', report.locks.length === 0 ? 'locks on those tables: none' : 'locks on those tables (ALTER ... SET SCHEMA would wait for each):');
  for (const l of report.locks) {
    const age = l.transactionSeconds === null ? '' : `, transaction open ${l.transactionSeconds} s`;
    lines.push(`  ${l.relation}: ${l.mode}${l.granted ? '' : ' (waiting)'} by pid ${l.pid} (${l.state ?? 'unknown state'}${age}): ${l.query}`);
  }

  lines.push(
    '',
    report.longTransactions.length === 0
      ? `transactions open longer than ${report.longTransactionSeconds} s: none`
      : `transactions open longer than ${report.longTransactionSeconds} s:`,
  );
  for (const t of report.longTransactions) {
    lines.push(`  pid ${t.pid} (${t.user ?? 'unknown user'}, ${t.state ?? 'unknown state'}, ${t.seconds} s): ${t.query}`);
  }

  lines.push('', 'backup before the move:', `  ${report.backup.command}`, `  (${report.backup.note})`, '');
  lines.push(report.problems.length === 0 ? 'result: clean' : `result: not clean: ${report.problems.join('; ')}`);
  return `${lines.join('\n')}\n`;
}

export function renderPreflightJson(report: PreflightReport): string {
  return `${JSON.stringify({ ...report, clean: report.problems.length === 0 }, null, 2)}\n`;
}
