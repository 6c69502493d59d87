import { resolve } from 'node:path';
import yargs, { type Argv } from 'yargs';
import { isReschemaError } from './errors';
import type { MoveReport } from './report/types';

export interface MoveArgs {
  files: string[];
  to?: string;
  tables?: string[];
  enums?: string[];
  migration: boolean;
  verify: boolean;
  dryRun: boolean;
  cwd: string;
  config?: string;
  name?: string;
  grant: string[];
  lockTimeout?: number;
  format: 'text' | 'json' | 'markdown';
  /** Exit 1 unless the repository is already in the target state; writes nothing. */
  check: boolean;
  /** Scan this database's views, functions, policies and triggers (read-only). */
  databaseUrl?: string;
  debug: boolean;
}

const list = (values: string[] | undefined) =>
  values?.flatMap((v) => String(v).split(',')).map((v) => v.trim()).filter(Boolean);

/** The argument parser alone, so tests can check parsing apart from the handlers. */
export function buildParser(argv: string[], handlers: { move: (args: MoveArgs) => Promise<void> }): Argv {
  return yargs(argv)
    .scriptName('drizzle-reschema')
    .usage('$0 <command> [options]\n\nMove Drizzle ORM tables, enums, views and sequences between Postgres schemas without losing a row.')
    .command(
      'move <files..>',
      'Move the objects defined in <files> to another schema',
      (y) =>
        y
          .positional('files', { type: 'string', array: true, demandOption: true, describe: 'Schema files whose objects move' })
          .option('to', { type: 'string', describe: "Target schema ('public' moves objects back to pgTable)" })
          .option('tables', { type: 'string', array: true, describe: 'Only these tables, views and sequences (SQL names or TS identifiers; comma-separated or repeated)' })
          .option('enums', { type: 'string', array: true, describe: 'Only these enums (SQL names or TS identifiers)' })
          .option('migration', { type: 'boolean', default: true, describe: 'Generate the migration (--no-migration: rewrite the schema files only)' })
          .option('verify', { type: 'boolean', default: true, describe: 'Verify the migration on a throwaway database before writing (--no-verify skips)' })
          .option('dry-run', { type: 'boolean', default: false, describe: 'Print the diff; write nothing' })
          .option('cwd', { type: 'string', default: process.cwd(), describe: 'Project root' })
          .option('config', { type: 'string', describe: 'drizzle config file (default: the names drizzle-kit looks for)' })
          .option('name', { type: 'string', describe: 'Name part of the migration file (default move_to_<schema>)' })
          .option('grant', { type: 'string', array: true, default: [] as string[], describe: 'Role that gets USAGE and table/sequence privileges on the target schema (repeatable)' })
          .option('lock-timeout', { type: 'number', describe: 'Put SET lock_timeout = <ms> at the top of the migration' })
          .option('format', {
            choices: ['text', 'json', 'markdown'] as const,
            default: 'text' as const,
            describe: 'Output: text (status on stderr), json (schema/report.schema.json) or markdown (a review summary)',
          })
          .option('check', {
            type: 'boolean',
            default: false,
            describe: 'Exit 1 while the move is still to be done (files would change, or the migration is missing), 0 once done; writes nothing',
          })
          .option('database-url', {
            type: 'string',
            describe: 'Also scan this database (read-only) for views, functions, policies and triggers that name the moved objects',
          })
          .option('debug', { type: 'boolean', default: false, describe: 'Print stack traces' })
          .example('$0 move src/db/planner.ts --to feature_planner --no-migration', 'Rewrite the file to pgSchema("feature_planner")')
          .example('$0 move src/db/schema.ts --to growth --tables entities,jobs --dry-run', 'Show what moving two tables would change')
          .example('$0 move src/db/schema.ts --to growth --dry-run --format markdown', 'A review summary for a pull request (also appended to $GITHUB_STEP_SUMMARY)')
          .example('$0 move src/db/schema.ts --to growth --check', 'In CI: fail while the move or its migration is still to be done')
          .example('$0 move src/db/schema.ts --to growth --dry-run --database-url "$DATABASE_URL"', "Also list the database's views, functions, policies and triggers that name the moved tables"),
      async (args) => {
        await handlers.move({
          files: args.files as string[],
          ...(args.to !== undefined ? { to: args.to } : {}),
          ...(args.tables ? { tables: list(args.tables)! } : {}),
          ...(args.enums ? { enums: list(args.enums)! } : {}),
          migration: args.migration,
          verify: args.verify,
          dryRun: args['dry-run'],
          cwd: args.cwd,
          ...(args.config !== undefined ? { config: args.config } : {}),
          ...(args.name !== undefined ? { name: args.name } : {}),
          grant: list(args.grant) ?? [],
          ...(args['lock-timeout'] !== undefined ? { lockTimeout: args['lock-timeout'] } : {}),
          format: args.format,
          check: args.check,
          ...(args['database-url'] !== undefined ? { databaseUrl: args['database-url'] } : {}),
          debug: args.debug,
        });
      },
    )
    .demandCommand(1, 'Name a command: move')
    .strict()
    .help()
    .version(false)
    .wrap(Math.min(110, process.stdout.columns || 110));
}

function printMove(report: MoveReport, args: MoveArgs): void {
  // Loaded here so that --help does not load the renderers.
  const { renderJson } = require('./report/json') as typeof import('./report/json');
  const { renderMarkdown } = require('./report/markdown') as typeof import('./report/markdown');
  const { renderText } = require('./report/text') as typeof import('./report/text');
  const { appendStepSummary } = require('./report/stepSummary') as typeof import('./report/stepSummary');
  const { colourEnabled, painter } = require('./report/tty') as typeof import('./report/tty');
  const markdown = args.format === 'markdown' || process.env.GITHUB_STEP_SUMMARY ? renderMarkdown(report) : '';
  if (args.format === 'json') process.stdout.write(renderJson(report));
  else if (args.format === 'markdown') process.stdout.write(markdown);
  else {
    const text = renderText(report, { paint: painter(colourEnabled(process.stderr)) });
    process.stdout.write(text.stdout);
    process.stderr.write(text.stderr);
  }
  try {
    appendStepSummary(markdown);
  } catch (error) {
    process.stderr.write(`warning: cannot append to GITHUB_STEP_SUMMARY: ${error instanceof Error ? error.message : String(error)}\n`);
  }
}

export async function run(argv: string[]): Promise<void> {
  let debug = argv.includes('--debug');
  const parser = buildParser(argv, {
    move: async (args) => {
      debug = args.debug;
      // Loaded on demand so that --help does not pay for ts-morph.
      const { move } = require('./move') as typeof import('./move');
      const { reportMove } = require('./report/reportMove') as typeof import('./report/reportMove');
      const { readCatalog } = require('./report/hazards') as typeof import('./report/hazards');
      const { progress } = require('./report/tty') as typeof import('./report/tty');
      const steps = progress(process.stderr);
      const dryRun = args.dryRun || args.check;
      // Read the database first: a wrong URL must fail the run before anything is written.
      if (args.databaseUrl !== undefined) steps.step('reading views, functions, policies and triggers');
      const catalog = args.databaseUrl !== undefined ? await readCatalog(args.databaseUrl) : undefined;
      const result = await move({
        files: args.files,
        cwd: args.cwd,
        ...(args.to !== undefined ? { to: args.to } : {}),
        ...(args.tables ? { tables: args.tables } : {}),
        ...(args.enums ? { enums: args.enums } : {}),
        dryRun,
        migration: args.migration,
        ...(args.config !== undefined ? { config: args.config } : {}),
        ...(args.name !== undefined ? { name: args.name } : {}),
        grant: args.grant,
        ...(args.lockTimeout !== undefined ? { lockTimeoutMs: args.lockTimeout } : {}),
        onProgress: (step) => steps.step(step),
      }).finally(() => steps.done());
      steps.step('looking for raw SQL that names the moved objects');
      let report: MoveReport;
      try {
        report = reportMove(result, {
          root: resolve(args.cwd),
          dryRun,
          check: args.check,
          migration: args.migration,
          ...(args.config !== undefined ? { config: args.config } : {}),
          grants: args.grant,
          ...(catalog ? { database: catalog } : {}),
        });
      } finally {
        steps.done();
      }
      printMove(report, args);
      if (report.check && !report.check.ok) process.exitCode = 1;
    },
  });
  try {
    await parser.fail((message, error) => {
      throw error ?? new UsageFailure(message);
    }).parseAsync();
  } catch (error) {
    process.exitCode = reportError(error, debug);
  }
}

class UsageFailure extends Error {}

function reportError(error: unknown, debug: boolean): number {
  if (error instanceof UsageFailure) {
    process.stderr.write(`drizzle-reschema: ${error.message}\nRun 'drizzle-reschema --help' for usage.\n`);
    return 2;
  }
  if (isReschemaError(error)) {
    process.stderr.write(`drizzle-reschema: ${error.message}\n`);
    if (debug && error.stack) process.stderr.write(`${error.stack}\n`);
    return error.exitCode;
  }
  // Unknown errors are never swallowed: the stack says where.
  process.stderr.write(`drizzle-reschema: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return 2;
}
