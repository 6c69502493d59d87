import type { MoveReport, VerifyCommandReport } from './types';

/**
 * The machine format: the report as it is, versioned (`"version": 1`) and
 * described by schema/report.schema.json. Fields are only ever added within
 * a version.
 */
export function renderJson(report: MoveReport | VerifyCommandReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
