import type { Argv } from 'yargs';
import { once, parseLockTimeout, wholeNumber, type ContractArgs } from './cliArgs';
import { printContract } from './cliOutput';

/** The `contract` command's options (cli.ts's buildParser registers them). */
export function contractOptions(y: Argv) {
  return y
    .option('cwd', { type: 'string', default: process.cwd(), describe: 'Project root' })
    .option('config', { type: 'string', describe: 'drizzle config file (default: the names drizzle-kit looks for)' })
    .option('name', { type: 'string', describe: 'Name part of the migration file (default contract_compat)' })
    .option('dry-run', { type: 'boolean', default: false, describe: 'Print the migration and its rollback; write nothing' })
    .option('verify', { type: 'boolean', default: true, describe: 'Verify the migration on a throwaway database before writing (--no-verify skips)' })
    .option('engine', { choices: ['pglite', 'postgres'] as const, default: 'pglite' as const, describe: 'Throwaway database for the verification' })
    .option('rows', { requiresArg: true, coerce: wholeNumber('rows', 0), describe: 'Generated rows per table for the verification' })
    .option('prelude', { type: 'string', requiresArg: true, describe: 'SQL file run on the throwaway database before the migrations replay, as for verify (repeatable)' })
    .option('lock-timeout', { type: 'string', describe: 'Put SET lock_timeout = <ms> at the top of the migration' })
    .option('format', { choices: ['text', 'json'] as const, default: 'text' as const, describe: 'Output format' })
    .option('debug', { type: 'boolean', default: false, describe: 'Print stack traces' })
    .example('$0 contract', 'After the last instance of the old code is gone: drop the compat views of move --compat');
}

type ParsedContract = Awaited<ReturnType<typeof contractOptions>['argv']>;

/** The parsed options as the handler gets them. */
export function contractArgs(args: ParsedContract): ContractArgs {
  return {
    cwd: once(args.cwd, '--cwd'),
    ...(args.config !== undefined ? { config: once(args.config, '--config') } : {}),
    ...(args.name !== undefined ? { name: once(args.name, '--name') } : {}),
    dryRun: args['dry-run'],
    verify: args.verify,
    engine: args.engine,
    ...(args.rows !== undefined ? { rows: args.rows as number } : {}),
    ...(args['lock-timeout'] !== undefined ? { lockTimeout: parseLockTimeout(args['lock-timeout'])! } : {}),
    format: args.format,
    debug: args.debug,
    ...(args.prelude !== undefined ? { prelude: [args.prelude].flat().map(String) } : {}),
  };
}

/** `drizzle-reschema contract`: runs the library's contract() and prints; exit 1 when its verification fails. */
export async function runContract(args: ContractArgs): Promise<void> {
  // Loaded on demand so that --help does not pay for TypeScript.
  const { contract } = require('./contract/contract') as typeof import('./contract/contract');
  const result = await contract({
    cwd: args.cwd,
    ...(args.config !== undefined ? { config: args.config } : {}),
    ...(args.name !== undefined ? { name: args.name } : {}),
    dryRun: args.dryRun,
    verify: args.verify,
    engine: args.engine,
    ...(args.rows !== undefined ? { rows: args.rows } : {}),
    ...(args.lockTimeout !== undefined ? { lockTimeoutMs: args.lockTimeout } : {}),
    ...(args.prelude ? { prelude: args.prelude } : {}),
  });
  printContract(result, args);
  if (result.verification?.ok === false) {
    const { failureLine } = require('./verify/summary') as typeof import('./verify/summary');
    process.stderr.write(`drizzle-reschema: ${failureLine(result.verification)}\n`);
    process.exitCode = 1;
  }
}
