import { relative, resolve } from 'node:path';
import { InputError, ToolError } from '../errors';
import { loadDrizzleConfig, type DrizzleConfig } from '../generate/drizzleConfig';
import { generateMigration } from '../generate/generateMigration';
import { compatViewsLeft, contractMigration, type CompatViewRecord } from '../patch/contractMigration';
import { unifiedDiff, type FileChange } from '../report/unifiedDiff';
import type { EngineName } from '../verify/database';
import { loadProjectMigrationSet } from '../verify/migrationSet';
import { withEarlyReplay, type EarlyReplay } from '../verify/earlyReplay';
import { pendingMigrationSet, pendingVerifyOptions } from '../verify/verifyProject';
import { verifyMigration, type VerifyOptions, type VerifyReport } from '../verify/verifyMigration';
import { writeChanges } from '../write/writeChanges';

export interface ContractOptions {
  cwd?: string;
  config?: string;
  /** Name part of the migration file (default `contract_compat`). */
  name?: string;
  dryRun?: boolean;
  /** Verify the migration on a throwaway database before writing (default true). */
  verify?: boolean;
  engine?: EngineName;
  rows?: number;
  prelude?: string[];
  lockTimeoutMs?: number;
}

export interface ContractResult {
  /** The compat views the migration drops, as their expand migrations made them. */
  views: CompatViewRecord[];
  migration?: { tag: string; sqlPath: string; rollbackPath: string; sql: string; rollbackSql: string };
  verification?: VerifyReport;
  changes: FileChange[];
  diff: string;
  written: boolean;
}

/**
 * `drizzle-reschema contract`, once no code that predates an expand (`move
 * --compat`) runs: the migration that drops the compat views the migrations
 * leave, in the project's own format (drizzle-kit writes its file, snapshot
 * and journal entry, or folder, with nothing else to say), with a rollback
 * that makes them again; verified like any migration before anything is written.
 */
export async function contract(options: ContractOptions = {}): Promise<ContractResult> {
  const root = resolve(options.cwd ?? process.cwd());
  const config = loadDrizzleConfig(root, options.config);
  const onDisk = await loadProjectMigrationSet(root, config);
  const views = compatViewsLeft(onDisk.steps.map((s) => s.sql));
  if (views.length === 0) return { views, changes: [], diff: '', written: false };
  const verifyOptions = options.verify !== false ? pendingVerifyOptions(root, config, options) : undefined;
  // As in move: the replay before the new migration runs while drizzle-kit writes it.
  return withEarlyReplay(root, config, verifyOptions, (early) => contractWith(options, root, config, views, verifyOptions, early), onDisk);
}

async function contractWith(
  options: ContractOptions,
  root: string,
  config: DrizzleConfig,
  views: ReturnType<typeof compatViewsLeft>,
  verifyOptions: VerifyOptions | undefined,
  early: EarlyReplay | undefined,
): Promise<ContractResult> {
  const generated = await generateMigration({ root, config, schemaEdits: [], relocations: [], name: options.name ?? 'contract_compat' });
  if (generated.statements.length > 0) {
    throw new InputError(
      `the schema has changes no migration holds yet (drizzle-kit would write ${generated.statements.length} statement(s), the first: ${generated.statements[0]!.split('\n')[0]}): generate them first; contract writes only the drops of the compat views`,
    );
  }
  const patched = contractMigration({
    views,
    tag: generated.tag,
    breakpoints: generated.breakpoints,
    rollbackNote: generated.rollbackNote,
    ...(options.lockTimeoutMs !== undefined ? { lockTimeoutMs: options.lockTimeoutMs } : {}),
  });
  const sqlChange: FileChange = { path: generated.sqlPath, before: undefined, after: patched.sql };
  const rollbackChange: FileChange = { path: generated.rollbackPath, before: undefined, after: patched.rollbackSql };
  const changes = [sqlChange, rollbackChange, ...generated.files];

  let verification: VerifyReport | undefined;
  if (verifyOptions) {
    const { next } = await generated.snapshots();
    if (!next) throw new ToolError(`verifying a migration of drizzle-kit ${generated.kit.version} is not built yet: pass --no-verify (nothing was written)`);
    const set = await pendingMigrationSet(root, config, {
      tag: generated.tag,
      when: generated.when,
      sqlPath: generated.sqlPath,
      sql: patched.sql,
      snapshot: next,
      rollbackPath: generated.rollbackPath,
      rollbackSql: patched.rollbackSql,
    }, await early?.onDisk());
    verification = await verifyMigration(set, verifyOptions, early);
  }
  const written = verification?.ok !== false && !options.dryRun;
  if (written) writeChanges(changes);
  return {
    views,
    migration: {
      tag: generated.tag,
      sqlPath: relative(root, generated.sqlPath),
      rollbackPath: relative(root, generated.rollbackPath),
      sql: patched.sql,
      rollbackSql: patched.rollbackSql,
    },
    ...(verification ? { verification } : {}),
    changes,
    diff: unifiedDiff([sqlChange, rollbackChange], root),
    written,
  };
}
