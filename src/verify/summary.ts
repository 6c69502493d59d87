import { VerificationError } from '../errors';
import type { VerifyReport } from './verifyMigration';

/** Every failed check of the report, one short phrase each, naming the object. */
export function failures(report: VerifyReport): string[] {
  return [
    ...report.differences.map((d) => `${d.kind} ${d.object}: ${d.before} -> ${d.after}`),
    ...(report.rollback && !report.rollback.ok
      ? [
          ...(report.rollback.failure ? [`rollback ${report.rollback.file}: ${report.rollback.failure}`] : []),
          ...report.rollback.differences.map((d) => `after rollback, ${d.kind} ${d.object}: ${d.before} -> ${d.after}`),
        ]
      : []),
    ...report.behaviour.filter((b) => !b.ok).map((b) => `${b.object}: ${b.after}`),
    ...report.drift.map((d) => `drift: ${d.object}: expected ${d.expected}, found ${d.actual}`),
  ];
}

/** The one-line message for a failed verification: the count and the first objects. */
export function failureLine(report: VerifyReport): string {
  const all = failures(report);
  const shown = all.slice(0, 3).join('; ');
  return `${report.migration.file} did not verify on ${report.engine}: ${all.length} problem${all.length === 1 ? '' : 's'}: ${shown}${all.length > 3 ? `; and ${all.length - 3} more` : ''}`;
}

/** A failed verification inside `move`: nothing is written; the report travels with the error. */
export class NotVerifiedError extends VerificationError {
  constructor(readonly report: VerifyReport) {
    super(`${failureLine(report)}; nothing written`);
  }
}
