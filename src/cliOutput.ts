import { isReschemaError } from './errors';
import type { ContractArgs, MoveArgs } from './cliArgs';
import type { ContractResult } from './contract/contract';
import type { MoveResult } from './move';
import type { MoveReport } from './report/types';
import { renderVerifyText, toVerificationReport } from './report/verifyTable';
import type { VerifyReport } from './verify/verifyMigration';

// Renderers are loaded inside the functions, so that --help does not load them.

export function printMove(report: MoveReport, args: MoveArgs, result: Pick<MoveResult, 'verification' | 'createSchemas'>): void {
  // Loaded here so that --help does not load the renderers.
  const { renderJson } = require('./report/json') as typeof import('./report/json');
  const { renderMarkdown } = require('./report/markdown') as typeof import('./report/markdown');
  const { renderText } = require('./report/text') as typeof import('./report/text');
  const { colourEnabled, painter } = require('./report/tty') as typeof import('./report/tty');
  const markdown = args.format === 'markdown' || process.env.GITHUB_STEP_SUMMARY ? renderMarkdown(report) : '';
  if (args.format === 'json') process.stdout.write(renderJson(report));
  else if (args.format === 'markdown') process.stdout.write(markdown);
  else {
    const text = renderText(report, { paint: painter(colourEnabled(process.stderr)) });
    process.stdout.write(text.stdout);
    // A failed verification is the run's result: on stdout after the diff (as `verify` prints it), and
    // stderr keeps to the one line that says why the run failed (printed by the caller).
    if (result.verification?.ok === false) {
      process.stdout.write(`${renderVerifyText(result.verification)}\n`);
      appendSummary(markdown);
      return;
    }
    if (result.verification) process.stderr.write(`${renderVerifyText(result.verification)}\n`);
    for (const schema of result.createSchemas) {
      process.stderr.write(`${args.dryRun || args.check ? 'would create' : 'created'} empty schema ${schema}\n`);
    }
    process.stderr.write(text.stderr);
  }
  appendSummary(markdown);
}

export function printVerify(report: VerifyReport, format: 'text' | 'json' | 'markdown'): void {
  const { renderVerificationMarkdown } = require('./report/markdown') as typeof import('./report/markdown');
  const { buildVerifyCommandReport } = require('./report/buildReport') as typeof import('./report/buildReport');
  const versioned = buildVerifyCommandReport(toVerificationReport(report));
  const markdown = format === 'markdown' || process.env.GITHUB_STEP_SUMMARY ? renderVerificationMarkdown(versioned) : '';
  // schema/report.schema.json: the rows every renderer shows, and the whole report as `details`.
  if (format === 'json') process.stdout.write(JSON.stringify({ ...versioned, details: report }, null, 2) + '\n');
  else if (format === 'markdown') process.stdout.write(markdown);
  else process.stdout.write(renderVerifyText(report));
  appendSummary(markdown);
}

export function printContract(result: ContractResult, args: Pick<ContractArgs, 'format' | 'dryRun'>): void {
  if (args.format === 'json') {
    process.stdout.write(`${JSON.stringify({ views: result.views, migration: result.migration, written: result.written, verification: result.verification }, null, 2)}\n`);
    return;
  }
  if (result.views.length === 0) {
    process.stderr.write('nothing to contract: no migration leaves compat views (move --compat makes them; a later contract drops them)\n');
    return;
  }
  if (args.dryRun) process.stdout.write(result.diff);
  if (result.verification) process.stderr.write(`${renderVerifyText(result.verification)}\n`);
  const views = result.views.map((v) => `${v.schema}.${v.name} (over ${v.over.schema}.${v.over.name}, made ${v.date} by ${v.tag})`);
  process.stderr.write(`${result.written ? 'drops' : 'would drop'} ${views.length} compat view(s): ${views.join(', ')}\n`);
  if (result.migration) process.stderr.write(`${result.written ? 'wrote' : 'would write'} ${result.migration.sqlPath} and ${result.migration.rollbackPath}\n`);
}

/** Appends the markdown summary to GITHUB_STEP_SUMMARY when that is set; a failure is a warning, never the run's. */
function appendSummary(markdown: string): void {
  const { appendStepSummary } = require('./report/stepSummary') as typeof import('./report/stepSummary');
  try {
    appendStepSummary(markdown);
  } catch (error) {
    process.stderr.write(`warning: cannot append to GITHUB_STEP_SUMMARY: ${error instanceof Error ? error.message : String(error)}\n`);
  }
}

/** A usage mistake yargs reported: printed with a pointer to --help. */
export class UsageFailure extends Error {}

export function reportError(error: unknown, debug: boolean, redact: (text: string) => string): number {
  const say = (text: string) => process.stderr.write(redact(text));
  if (error instanceof UsageFailure) {
    say(`drizzle-reschema: ${error.message}\nRun 'drizzle-reschema --help' for usage.\n`);
    return 2;
  }
  if (isReschemaError(error)) {
    // One line, whatever the message quotes (a JSON parser's excerpt of a corrupted file, a tool's output).
    say(`drizzle-reschema: ${error.message.replace(/\s*[\r\n]+\s*/g, ' ')}\n`);
    if (debug && error.stack) say(`${error.stack}\n`);
    return error.exitCode;
  }
  // Unknown errors are never swallowed: the stack says where.
  say(`drizzle-reschema: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return 2;
}
