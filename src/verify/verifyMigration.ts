import { checkpoint } from '../faults';
import type { PgSnapshot } from '../generate/migrationsFolder';
import { compareAcrossMigration } from './compareAcross';
import { findDrift, type Drift } from './drift';
import { aboutPlatformTable, platformTables, recordDrift } from './driftAcross';
import { chooseEngine } from './engineChoice';
import type { SchemaMove } from './fingerprint';
import type { MigrationSet } from './migrationSet';
import { checkBehaviour } from './probes';
import { extensionsCreatedBy } from './replay';
import { replayBeforeTarget, type EarlyReplay } from './earlyReplay';
import { replayedDatabase, replayInputFor } from './replayedDatabase';
import { applySeed, planSeed } from './seedRows';
import { DEFAULT_ROWS, seedRowCounts } from './seedRowCounts';
import { seedableSnapshot } from './seedCatalog';
import { seedScope } from './seedScope';
import { verifyLive } from './verifyLive';
import { isOk, Timer, type VerifyOptions, type VerifyReport } from './verifyReport';

export type { VerifyOptions, VerifyReport, VerifyRow } from './verifyReport';

const schemaOf = (s: string | undefined) => s || 'public';

/** What changed schema between two snapshots: same name, kind and definition, another schema. */
export function movesBetween(before: PgSnapshot, after: PgSnapshot): Array<SchemaMove & { kind: string }> {
  const out: Array<SchemaMove & { kind: string }> = [];
  const collect = (kind: string, a: Array<{ name: string; schema?: string }>, b: Array<{ name: string; schema?: string }>) => {
    const keyed = (xs: typeof a) => new Map(xs.map((x) => [`${schemaOf(x.schema)}.${x.name}`, x]));
    const ka = keyed(a);
    const kb = keyed(b);
    for (const [key, x] of ka) {
      if (kb.has(key)) continue;
      const landed = [...kb.entries()].filter(([k, y]) => y.name === x.name && !ka.has(k));
      if (landed.length === 1) out.push({ kind, name: x.name, from: schemaOf(x.schema), to: schemaOf(landed[0]![1].schema) });
    }
  };
  collect('table', Object.values(before.tables), Object.values(after.tables));
  collect('enum', Object.values(before.enums), Object.values(after.enums));
  collect('sequence', Object.values(before.sequences ?? {}), Object.values(after.sequences ?? {}));
  collect('view', Object.values(before.views ?? {}), Object.values(after.views ?? {}));
  return out;
}

/**
 * Proves that the migration under test keeps everything: on a throwaway
 * database (replay, fill, fingerprint, migrate, fingerprint, compare, roll
 * back and undo that, insert, break a foreign key), or on the
 * user's server inside a transaction. `early`: the replay `move` started
 * while drizzle-kit generated, used when it fits (earlyReplay.ts).
 */
export async function verifyMigration(set: MigrationSet, options: VerifyOptions = {}, early?: EarlyReplay): Promise<VerifyReport> {
  checkpoint('verify:start');
  const target = set.steps[set.target]!;
  const previous = set.target > 0 ? set.steps[set.target - 1]!.snapshot : undefined;
  const moves = previous ? movesBetween(previous, target.snapshot) : [];
  const timer = new Timer();
  const report: VerifyReport = {
    ok: false,
    engine: '',
    migration: { tag: target.tag, file: target.file },
    moves,
    seededRows: 0,
    tables: [],
    checked: {},
    differences: [],
    added: [],
    drift: [],
    driftExisting: [],
    driftChecked: false,
    outsideDrizzle: [],
    behaviour: [],
    committed: false,
    notChecked: [],
    notes: [],
    timingsMs: timer.timings,
  };
  const exclude = [...(options.excludeSchemas ?? [])];
  if (options.databaseUrl) return verifyLive(set, options, report, timer, exclude);

  const sqls = [...set.steps.slice(0, set.target + 1).map((s) => s.sql), set.rollback?.sql ?? ''];
  const engine = chooseEngine(options.engine ?? 'pglite', set, options.preludes ?? [], report.notes);
  report.engine = 'pglite';
  const extensions = extensionsCreatedBy([...(options.preludes ?? []).map((p) => p.sql), ...sqls]).filter((e) => e !== 'plpgsql');
  // The server has its extensions on disk; PGlite gets each bundle loaded, worth saying (pgvector comes from a package of its own).
  if (engine === 'pglite' && extensions.length) report.notes.push(`extension${extensions.length > 1 ? 's' : ''} ${extensions.join(', ')} loaded on PGlite`);
  // Drift the replayed migrations already had against their own snapshot: measured before this
  // migration runs, so that only what it introduces fails it (seed 003's drift is a warning).
  const checksDrift = set.target === set.steps.length - 1;
  // The replay as if the migration under test were still to be written, which move and verify share (earlyReplay.ts).
  const before = early ?? (checksDrift && set.target > 0 ? replayBeforeTarget(set, options) : undefined);
  const claimed = await before?.claim(set, engine, extensions, report.notes, report.timingsMs);
  const { db, baseline, driftBefore } =
    claimed ?? (await replayedDatabase(replayInputFor(set, checksDrift ? previous : undefined), options, engine, extensions, exclude, report.notes, timer));
  try {
    if (engine === 'postgres') {
      const [{ version } = { version: '?' }] = await db.query<{ version: string }>("SELECT current_setting('server_version') AS version");
      report.engine = `postgres ${version.split(' ')[0]} (embedded)`;
    }
    exclude.push(...baseline.schemas);
    const stubbed = platformTables(baseline.objects);
    const notBaseline = (d: Drift) => !(d.expected === 'absent' && baseline.objects.has(d.object)) && !aboutPlatformTable(d, stubbed);
    const rows = options.rows ?? DEFAULT_ROWS;
    if (previous) {
      // Rows for what the replayed database has, not what the snapshot says: drift already there must not fail the move.
      const seedable = await timer.time('seed', () => seedableSnapshot(db, previous));
      const scope = seedScope(seedable, moves, target.sql);
      await timer.time('seed', async () => {
        const { fewer } = await seedRowCounts(db, scope.tables, options.rows);
        if (Object.keys(fewer).length) report.seededRowsFewer = fewer;
        const seed = planSeed(seedable, rows, 1, scope.tables, fewer);
        report.seededRowsByTable = await applySeed(db, seed);
        if (seed.unfilled.length) report.notes.push(`no generated values (default or NULL) for ${seed.unfilled.join(', ')}: no generator knows their types`);
      });
      report.seededRows = rows;
      report.seededTables = [...scope.tables].sort();
      const all = Object.keys(seedable.tables).length;
      if (scope.tables.size < all) {
        report.notes.push(
          `generated rows in ${scope.tables.size} of ${all} tables (those the migration concerns, their foreign-key parents and the tables with foreign keys into them); the other ${all - scope.tables.size} compared by structure only`,
        );
      }
    }
    await compareAcrossMigration(db, set, target, moves, options, report, timer, exclude);
    if (report.differences.length === 0 && report.rollback?.ok !== false) {
      await timer.time('behaviour', async () => {
        // The probes' rows, like the seed's, fit what the migrated database has (drift included).
        await checkBehaviour(db, await seedableSnapshot(db, target.snapshot), moves, rows, report);
      });
    } else {
      report.notChecked.push('probes');
    }
    if (checksDrift) {
      const kept = options.keepSource ? moves.map((m) => `${m.from}.${m.name}`) : [];
      const after = await timer.time('drift', () => findDrift(db, target.snapshot, exclude, { kept }));
      recordDrift(report, after, driftBefore.filter(notBaseline), moves, notBaseline);
    } else {
      report.notes.push(`drift not checked: ${set.steps.length - 1 - set.target} newer migration(s) follow ${target.tag}`);
      report.notChecked.push('drift');
    }
  } finally {
    await db.close();
  }
  report.ok = isOk(report);
  return report;
}
