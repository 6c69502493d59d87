import { compatTextLines, splitByCompat } from './compatSection';
import { filesSummary, kindName, plural, routes } from './summary';
import { painter, type Paint } from './tty';
import type { MovedObject } from '../move';
import type { HazardReport, MoveReport, VerificationReport, VerifyCommandReport } from './types';

/** What the human format prints: the diff (and --check's findings) on stdout, status on stderr. */
export interface TextOutput {
  stdout: string;
  stderr: string;
}

export interface TextOptions {
  /** Colour for stderr (only on a TTY without NO_COLOR: see tty.ts). */
  paint?: Paint;
}

/**
 * The human summary of a move. Every status line goes to stderr so that
 * stdout carries only what can be piped: the diff of a dry run, or the lines
 * --check found out of place. Ends with one line per file and a count.
 */
export function renderText(report: MoveReport, options: TextOptions = {}): TextOutput {
  const paint = options.paint ?? painter(false);
  let stdout = '';
  const err: string[] = [];
  for (const w of report.warnings) err.push(`${paint('yellow', 'warning:')} ${w}`);

  if (report.mode === 'dry-run' && report.moves.length > 0) stdout += report.diff;
  if (report.moves.length === 0) {
    const targets = [...new Set(report.alreadyInPlace.map((m) => m.to))].join(', ');
    err.push(`nothing to do: ${plural(report.alreadyInPlace.length, 'object')} already in ${targets}`);
  } else {
    for (const r of routes(report.moves)) {
      err.push(`${report.written ? paint('green', 'moved') : 'would move'} ${r.what}: ${r.from} -> ${r.to}`);
    }
    for (const m of report.moves) if (m.follows) err.push(followLine(m));
  }
  if (report.migration) {
    const kit = report.migration.drizzleKit;
    err.push(`migration by drizzle-kit ${kit.version}, line ${kit.line}`);
  }
  const compat = report.hazards ? splitByCompat(report.hazards, report.migration?.compatViews) : undefined;
  err.push(...compatTextLines(report.migration?.compatViews, compat?.covered ?? []));
  if (compat) err.push(...hazardLines(compat.rest, paint));
  if (report.verification) err.push(...verificationLines(report.verification, paint));

  if (report.moves.length > 0) {
    // The closing per-file summary: what happened to each file, then the count.
    for (const f of report.files) {
      const letter = f.status === 'added' ? paint('green', 'A') : paint('cyan', 'M');
      err.push(`${letter} ${f.path}  ${paint('green', `+${f.additions}`)} ${paint('red', `-${f.deletions}`)}`);
    }
    err.push(
      report.written
        ? `${filesSummary(report.files)} written`
        : report.mode === 'write'
          ? `${filesSummary(report.files)} would change; nothing written: the verification failed`
          : `dry run: ${filesSummary(report.files)} would change; nothing written`,
    );
  }

  if (report.check) {
    for (const line of [...report.check.reasons, ...report.check.inPlace]) stdout += `${line}\n`;
    err.push(
      report.check.ok
        ? `${paint('green', 'check passed')}: already in the target state`
        : `${paint('red', 'check failed')}: ${plural(report.check.reasons.length, 'item')} not in the target state`,
    );
  }
  return { stdout, stderr: err.map((l) => `${l}\n`).join('') };
}

export function renderVerificationText(report: VerifyCommandReport, options: TextOptions = {}): TextOutput {
  const paint = options.paint ?? painter(false);
  const lines = [...verificationLines(report.verification, paint), ...(report.hazards ? hazardLines(report.hazards, paint) : [])];
  return { stdout: '', stderr: lines.map((l) => `${l}\n`).join('') };
}

/** An enum nobody named moves with its tables: said, since the user did not ask for it by name. */
export function followLine(m: MovedObject): string {
  return `enum '${m.name}' follows ${plural(m.follows!.length, 'table')} using it (${m.follows!.join(', ')}) to ${m.to}; --enums chooses the enums instead`;
}

function verificationLines(v: VerificationReport, paint: Paint): string[] {
  const lines = v.rows.filter((r) => !r.ok).map((r) => `${paint('red', 'differs:')} ${r.kind} ${r.object}: before ${String(r.before)}, after ${String(r.after)}`);
  lines.push(
    v.summary.ok
      ? `${paint('green', 'verified')}: ${plural(v.summary.checked, 'check')} passed${v.engine ? ` on ${v.engine}` : ''}`
      : `${paint('red', 'verification failed')}: ${v.summary.failed} of ${plural(v.summary.checked, 'check')}${v.engine ? ` on ${v.engine}` : ''}`,
  );
  return lines;
}

function hazardLines(h: HazardReport, paint: Paint): string[] {
  const lines: string[] = [];
  if (h.code.length > 0) {
    lines.push(`${paint('yellow', 'hazard:')} ${plural(h.code.length, 'place')} in raw SQL will not find the moved objects:`);
    for (const c of h.code) lines.push(`${c.file}:${c.line}: ${c.found} → use ${c.use}`);
  }
  for (const d of h.database ?? []) {
    const effect = d.followsMove ? 'bound to the table, follows the move' : 'resolved by name at run time: update it';
    lines.push(`${paint('yellow', 'database:')} ${kindName(d.kind)} ${d.name}: ${d.found} → use ${d.use} (${effect})`);
  }
  if (h.supabase) {
    const s = h.supabase;
    for (const schema of s.notExposed) {
      lines.push(
        `${paint('yellow', 'warning:')} ${s.configPath}: schema '${schema}' is not in [api] schemas (${s.exposedSchemas.join(', ')}): the Data API will not serve it; add it there and in the project's API settings`,
      );
    }
    if (s.grants.length > 0) {
      lines.push(
        `${paint('yellow', 'supabase:')} the API roles need grants; add these to a migration (or pass ${s.rolesWithoutGrants.map((r) => `--grant ${r}`).join(' ')}):`,
        ...s.grants,
      );
    }
  }
  return lines;
}
