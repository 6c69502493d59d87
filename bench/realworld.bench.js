'use strict';
/**
 * Real-world benchmark (issue 13's target): a verified `move` (the default,
 * verification on) of a 4-table slice of the corpus' largest schema
 * (fixtures/realworld/simstudioai-sim: 40 tables, 59 migrations) takes at
 * most 5x a bare `drizzle-kit generate` on the same project.
 *
 *   A (ours):     node bin/drizzle-reschema.js move db/schema.ts --to knowledge
 *                   --tables knowledge_base,document,embedding,docs_embeddings --format json
 *   B (baseline): node node_modules/drizzle-kit/bin.cjs generate   (nothing pending: it
 *                   reads the schema and the snapshots, diffs them and says so)
 *
 * Runs alternate A, B on fresh temp copies (copying is not timed), one
 * warm-up pair then BENCH_REALWORLD_PAIRS timed pairs (default 5); the ratio
 * is the median of the per-pair ratios. The wall clock is the whole child
 * process (node start-up included). The verification's own phase timings
 * (`verification.timingsMs` of the JSON report: engine start, prelude,
 * replay, seed, fingerprint, migrate, rollback, drift) are reported for the
 * median run, with what the move spent outside them (plan, rewrite, drizzle-kit).
 * The replay runs beside drizzle-kit (its phases are marked so): only the
 * wait for it, if any, counts as the verification's there.
 *
 * Upstream's snapshots have a broken prevId chain (four heads); the tool takes
 * the last snapshot as drizzle-kit does and warns, so the copies are timed as
 * they are. A run that does not exit 0 is timed all the same and its one-line
 * verdict reported: the ratio is then the time to that verdict, and the target
 * is not met.
 *
 * Environment knobs: BENCH_REALWORLD_PAIRS=5, BENCH_REALWORLD_ROWS (default:
 * the CLI's own rule: 1000, 20 in a table with an hnsw index), BENCH_KEEP=1,
 * BENCH_NODE=<path> (the node binary for both sides; default the bench's own).
 *
 * The warm-up pair also fills the replay cache (~/.cache/drizzle-reschema), as
 * a first move on a project does; the timed pairs restore it, as every later
 * move on the same project does (the phases then have no replay).

 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { median, nowMs, positiveInt, round } = require('./stats');
const { BESIDE_GENERATE } = require('../dist/verify/earlyReplay');

const REPO_ROOT = path.join(__dirname, '..');
const PROJECT = 'simstudioai-sim';
const FIXTURE = path.join(REPO_ROOT, 'fixtures', 'realworld', PROJECT);
const MOVE = ['move', 'db/schema.ts', '--to', 'knowledge', '--tables', 'knowledge_base,document,embedding,docs_embeddings', '--format', 'json'];
const CLI = path.join(REPO_ROOT, 'bin', 'drizzle-reschema.js');
const DRIZZLE_KIT = path.join(REPO_ROOT, 'node_modules', 'drizzle-kit', 'bin.cjs');
const NODE_MODULES = path.join(REPO_ROOT, 'node_modules');

const NODE = process.env.BENCH_NODE || process.execPath;
const TARGET_RATIO = 5;
const PAIRS = positiveInt(process.env.BENCH_REALWORLD_PAIRS, 5);
const ROWS = process.env.BENCH_REALWORLD_ROWS ? ['--rows', String(positiveInt(process.env.BENCH_REALWORLD_ROWS, 1000))] : [];

function freshCopy(label, dirs) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `reschema-bench-realworld-${label}-`));
  dirs.push(dir);
  fs.cpSync(FIXTURE, dir, { recursive: true });
  fs.symlinkSync(NODE_MODULES, path.join(dir, 'node_modules'), 'dir');
  return dir;
}

function timeNode(args, cwd, dirs) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'reschema-bench-tmpdir-'));
  dirs.push(tmp);
  return new Promise((resolve, reject) => {
    const start = nowMs();
    const child = spawn(NODE, args, {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CI: 'true', DATABASE_URL: '', GITHUB_STEP_SUMMARY: '', TMPDIR: tmp },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ ms: nowMs() - start, code, stdout, stderr }));
  });
}

/** The verdict line a failed run ends with (the CLI's one line naming the problem). */
function verdict(result) {
  const lines = result.stderr.trim().split('\n').filter(Boolean);
  return (lines.find((l) => l.startsWith('drizzle-reschema:')) ?? lines.at(-1) ?? `exit ${result.code}`).slice(0, 200);
}

async function runOurs(dirs) {
  const dir = freshCopy('ours', dirs);
  const result = await timeNode([CLI, ...MOVE, ...ROWS], dir, dirs);
  let phases;
  try {
    phases = JSON.parse(result.stdout).verification?.timingsMs;
  } catch {
    phases = undefined;
  }
  return { ms: result.ms, code: result.code, verdict: result.code === 0 ? 'ok' : verdict(result), phases };
}

async function runBaseline(dirs) {
  const dir = freshCopy('kit', dirs);
  const result = await timeNode([DRIZZLE_KIT, 'generate'], dir, dirs);
  if (result.code !== 0 || !/No schema changes/.test(result.stdout)) {
    throw new Error(`realworld bench: drizzle-kit generate on ${PROJECT} did not say "No schema changes" (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
  }
  return { ms: result.ms };
}

async function benchRealworld() {
  if (!fs.existsSync(path.join(REPO_ROOT, 'dist', 'cli.js'))) {
    throw new Error('dist/cli.js is missing: run `npm run build` (npm run bench does)');
  }
  const keep = process.env.BENCH_KEEP === '1';
  const dirs = [];
  const pairs = [];
  let warmup;
  const loadBefore = os.loadavg()[0];
  try {
    for (let i = 0; i < 1 + PAIRS; i++) {
      const ours = await runOurs(dirs);
      const kit = await runBaseline(dirs);
      const pair = { ...ours, oursMs: round(ours.ms), kitMs: round(kit.ms), ratio: round(ours.ms / kit.ms, 3) };
      if (i === 0) warmup = pair;
      else pairs.push(pair);
      if (!keep) for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    if (keep) for (const dir of dirs) console.error(`bench: kept ${dir}`);
    else for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  }

  const ratios = pairs.map((p) => p.ratio);
  const ratio = round(median(ratios), 2);
  const mid = [...pairs].sort((a, b) => a.ratio - b.ratio)[pairs.length >> 1];
  const passed = pairs.filter((p) => p.code === 0).length;
  const phases = mid.phases ? Object.entries(mid.phases).map(([k, v]) => `${k} ${v}`).join(', ') : 'none (no JSON report)';
  // The replay move starts beside drizzle-kit is not on the way to the end, but what waiting for it took is.
  const verifying = mid.phases ? Object.entries(mid.phases).reduce((a, [k, v]) => (k.endsWith(BESIDE_GENERATE) ? a : a + v), 0) : 0;

  return {
    title: `Real world: verified move of 4 of ${PROJECT}'s 40 tables vs bare drizzle-kit generate (${PAIRS} alternating pairs, node ${NODE === process.execPath ? process.version : NODE})`,
    rows: [
      { metric: `move (verified${ROWS.length ? `, --rows ${ROWS[1]}` : ''}), median of ${PAIRS}`, value: round(median(pairs.map((p) => p.oursMs))), unit: 'ms' },
      { metric: `drizzle-kit generate (nothing pending), median of ${PAIRS}`, value: round(median(pairs.map((p) => p.kitMs))), unit: 'ms' },
      {
        metric: 'median ratio (per-pair move / generate)',
        value: ratio,
        unit: 'x',
        target: `<= ${TARGET_RATIO}x, exit 0`,
        pass: ratio <= TARGET_RATIO && passed === pairs.length,
      },
      { metric: 'moves that exited 0', value: `${passed}/${pairs.length}` },
      { metric: 'verdict of the median run', value: mid.verdict },
      { metric: 'verification phases of the median run (ms)', value: phases },
      { metric: 'the median run outside those phases (node, plan, rewrite, drizzle-kit, write)', value: round(mid.oursMs - verifying), unit: 'ms' },
      { metric: 'warm-up pair (move / generate)', value: `${warmup.oursMs} / ${warmup.kitMs} ms` },
      { metric: 'load average (1 min) before / after', value: `${round(loadBefore, 2)} / ${round(os.loadavg()[0], 2)} (${os.cpus().length} CPUs)` },
    ],
    details: { pairs: pairs.map(({ oursMs, kitMs, ratio, code, verdict, phases }) => ({ oursMs, kitMs, ratio, code, verdict, phases })) },
  };
}

module.exports = { benchRealworld };
