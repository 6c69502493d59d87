'use strict';
/**
 * Migration benchmark (the issue's target):
 *   `move --no-verify` on the 000 fixture, compared with a bare `drizzle-kit generate`
 *   on the same project holding one pending column change (so both write a
 *   migration), alternating runs: the median ratio must be <= 1.5.
 *
 * Each run gets a fresh temp copy of fixtures/projects/feature-planner with the
 * repo's node_modules symlinked in; copying is outside the timed region. The
 * timed region is the wall clock of the whole child process (node start-up
 * included), spawned with CI=true and an empty temp folder of its own (TMPDIR):
 *
 *   A (ours):     node bin/drizzle-reschema.js move <schema file> --to feature_planner --no-verify
 *   B (baseline): node node_modules/drizzle-kit/bin.cjs generate
 *                 (after adding `notes: text('notes'),` to the first table)
 *
 * The baseline runs warm in place, as a user re-running drizzle-kit in their
 * project does: one copy and one temp folder for every B run (tsx keys its
 * cache by path), the migration it wrote removed and the journal restored
 * after each run. Ours runs on a fresh copy each time (a move changes the
 * schema files), which is its worst case. The default `move` (verification
 * on PGlite included) is timed too, BENCH_MIGRATION_DEFAULT_RUNS times, with
 * no target: it is what a user waits for without --no-verify.
 *
 * Runs alternate A, B, A, B ...: one warm-up pair, then BENCH_MIGRATION_PAIRS
 * timed pairs. The ratio reported is the median of the per-pair ratios A/B.
 * Each run must exit 0 and write the expected new .sql file, or the bench throws.
 *
 * The CLI keeps a V8 code cache of the TypeScript compiler in
 * node_modules/.cache/drizzle-reschema (src/compileCache.ts); it depends on
 * the installed packages only, not on the project, so every run but the very
 * first after an install finds it. The warm-up pair fills it; one extra,
 * untimed-for-the-target run with an empty cache folder shows the first run's
 * cost. The machine's load average is reported too: both sides share two
 * cores with whatever else runs, and our side spreads its work over three
 * threads/processes (CLI, prettier worker, drizzle-kit), so a busy machine
 * hurts it more than the single-threaded baseline.
 *
 * Environment knobs (all optional):
 *   BENCH_MIGRATION_PAIRS=7   timed A/B pairs (after 1 warm-up pair)
 *   BENCH_MIGRATION_DEFAULT_RUNS=3   timed runs of the default `move`
 *   BENCH_KEEP=1              keep the temp copies (their paths are printed)
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { median, nowMs, positiveInt, round } = require('./stats');

const REPO_ROOT = path.join(__dirname, '..');
const FIXTURE = path.join(REPO_ROOT, 'fixtures', 'projects', 'feature-planner');
const SCHEMA_FILE = 'src/lib/db/schema/feature-planner.schema.ts';
const MIGRATIONS_DIR = 'src/lib/db/migrations';
const TARGET_SCHEMA = 'feature_planner';
const CLI = path.join(REPO_ROOT, 'bin', 'drizzle-reschema.js');
const DRIZZLE_KIT = path.join(REPO_ROOT, 'node_modules', 'drizzle-kit', 'bin.cjs');
const NODE_MODULES = path.join(REPO_ROOT, 'node_modules');

const PK_LINE = "    id: uuid('id').primaryKey().defaultRandom(),\n";
const PENDING_COLUMN = "    notes: text('notes'),\n";

const TARGET_RATIO = 1.5;
const PAIRS = positiveInt(process.env.BENCH_MIGRATION_PAIRS, 7);
const DEFAULT_RUNS = positiveInt(process.env.BENCH_MIGRATION_DEFAULT_RUNS, 3);
const WARMUP_PAIRS = 1;

function tail(text, lines = 20) {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** A fresh copy of the fixture with the repo's node_modules symlinked in (not timed). */
function freshCopy(label, dirs) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `reschema-bench-migration-${label}-`));
  dirs.push(dir);
  fs.cpSync(FIXTURE, dir, { recursive: true });
  fs.symlinkSync(NODE_MODULES, path.join(dir, 'node_modules'), 'dir');
  return dir;
}

/**
 * An empty temp folder for one run (TMPDIR), so neither side's time depends
 * on what earlier runs left in the machine's: drizzle-kit lists tsx's cache
 * folder there at every start-up, and it only ever grows (14,000 entries
 * after a day of tests here, ~30 ms per listing). An empty one is the
 * baseline's best case.
 */
function freshTempDir(dirs) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reschema-bench-tmpdir-'));
  dirs.push(dir);
  return dir;
}

function sqlFiles(dir) {
  return new Set(fs.readdirSync(path.join(dir, MIGRATIONS_DIR)).filter((f) => f.endsWith('.sql')));
}

/** Spawns `node <args>` in cwd and resolves with its wall clock, exit code and output. */
function timeNode(args, cwd, env = {}) {
  return new Promise((resolve, reject) => {
    const start = nowMs();
    const child = spawn(process.execPath, args, {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CI: 'true', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ ms: nowMs() - start, code, signal, stdout, stderr }));
  });
}

function fail(label, dir, result, message) {
  throw new Error(
    `migration bench, ${label}: ${message} (in ${dir}; set BENCH_KEEP=1 to keep it)\n` +
      `exit code: ${result.code}${result.signal ? `, signal ${result.signal}` : ''}\n` +
      `--- stdout ---\n${tail(result.stdout)}\n--- stderr ---\n${tail(result.stderr)}`,
  );
}

/** Run A: `drizzle-reschema move --no-verify` (or the default `move`, verification included) on an untouched copy. */
async function runOurs(dirs, env = {}, verify = false) {
  const dir = freshCopy('ours', dirs);
  const before = sqlFiles(dir);
  const args = [CLI, 'move', SCHEMA_FILE, '--to', TARGET_SCHEMA, ...(verify ? [] : ['--no-verify'])];
  const result = await timeNode(args, dir, { TMPDIR: freshTempDir(dirs), ...env });
  if (result.code !== 0) fail('move --no-verify', dir, result, 'did not exit 0');
  const added = [...sqlFiles(dir)].filter((f) => !before.has(f));
  const migration = added.find((f) => f.endsWith(`move_to_${TARGET_SCHEMA}.sql`));
  if (!migration) {
    fail('move --no-verify', dir, result, `wrote no new *move_to_${TARGET_SCHEMA}.sql (new .sql files: ${added.join(', ') || 'none'})`);
  }
  const sql = fs.readFileSync(path.join(dir, MIGRATIONS_DIR, migration), 'utf8');
  if (!sql.includes(`SET SCHEMA "${TARGET_SCHEMA}"`)) {
    fail('move --no-verify', dir, result, `${migration} moves nothing into "${TARGET_SCHEMA}"`);
  }
  return { ms: result.ms, migration };
}

/** The baseline's one copy, holding one pending column change, and its one temp folder (not timed). */
function baselineProject(dirs) {
  const dir = freshCopy('kit', dirs);
  const schemaPath = path.join(dir, SCHEMA_FILE);
  const text = fs.readFileSync(schemaPath, 'utf8');
  const at = text.indexOf(PK_LINE);
  if (at < 0) throw new Error(`migration bench: cannot find the first table's id column in ${SCHEMA_FILE}`);
  fs.writeFileSync(schemaPath, text.slice(0, at + PK_LINE.length) + PENDING_COLUMN + text.slice(at + PK_LINE.length));
  const migrations = path.join(dir, MIGRATIONS_DIR);
  const files = (sub) => new Set(fs.readdirSync(path.join(migrations, sub)));
  return { dir, tmp: freshTempDir(dirs), sql: files(''), meta: files('meta'), journal: fs.readFileSync(path.join(migrations, 'meta', '_journal.json')) };
}

/** Run B: bare `drizzle-kit generate` in the baseline's copy, which is then put back as it was (not timed). */
async function runBaseline(project) {
  const { dir } = project;
  const before = sqlFiles(dir);
  const result = await timeNode([DRIZZLE_KIT, 'generate'], dir, { TMPDIR: project.tmp });
  if (result.code !== 0) fail('drizzle-kit generate', dir, result, 'did not exit 0');
  const added = [...sqlFiles(dir)].filter((f) => !before.has(f));
  if (added.length !== 1) fail('drizzle-kit generate', dir, result, `expected 1 new .sql file, got ${added.length}`);
  const sql = fs.readFileSync(path.join(dir, MIGRATIONS_DIR, added[0]), 'utf8');
  if (!/ADD COLUMN "notes"/.test(sql)) fail('drizzle-kit generate', dir, result, `${added[0]} does not add the pending column`);
  const migrations = path.join(dir, MIGRATIONS_DIR);
  for (const f of fs.readdirSync(migrations)) if (!project.sql.has(f)) fs.rmSync(path.join(migrations, f));
  for (const f of fs.readdirSync(path.join(migrations, 'meta'))) if (!project.meta.has(f)) fs.rmSync(path.join(migrations, 'meta', f));
  fs.writeFileSync(path.join(migrations, 'meta', '_journal.json'), project.journal);
  return { ms: result.ms, migration: added[0] };
}

async function benchMigration() {
  if (!fs.existsSync(path.join(REPO_ROOT, 'dist', 'cli.js'))) {
    throw new Error('dist/cli.js is missing: run `npm run build` (npm run bench does)');
  }
  if (!fs.existsSync(DRIZZLE_KIT)) throw new Error(`drizzle-kit is not installed (${DRIZZLE_KIT})`);

  const keep = process.env.BENCH_KEEP === '1';
  const pairs = [];
  let warmup;
  let coldCache;
  const verified = [];
  const dirs = [];
  const baselineDirs = [];
  const loadBefore = os.loadavg()[0];
  try {
    // The first run after an install: an empty compile cache folder (not part of the target).
    const emptyCache = fs.mkdtempSync(path.join(os.tmpdir(), 'reschema-bench-cache-'));
    dirs.push(emptyCache);
    coldCache = await runOurs(dirs, { DRIZZLE_RESCHEMA_COMPILE_CACHE: emptyCache });
    if (!keep) for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });

    const baseline = baselineProject(baselineDirs);
    for (let i = 0; i < WARMUP_PAIRS + PAIRS; i++) {
      const ours = await runOurs(dirs);
      const kit = await runBaseline(baseline);
      const pair = { oursMs: round(ours.ms), kitMs: round(kit.ms), ratio: round(ours.ms / kit.ms, 3) };
      if (i < WARMUP_PAIRS) warmup = pair;
      else pairs.push(pair);
      // Remove each pair's copies as we go (unless kept) so /tmp stays small.
      if (!keep) for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
    }
    for (let i = 0; i < DEFAULT_RUNS; i++) {
      verified.push((await runOurs(dirs, {}, true)).ms);
      if (!keep) for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    dirs.push(...baselineDirs);
    if (keep) for (const dir of dirs) console.error(`bench: kept ${dir}`);
    else for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  }

  const ours = pairs.map((p) => p.oursMs);
  const kit = pairs.map((p) => p.kitMs);
  const ratios = pairs.map((p) => p.ratio);
  const ratio = round(median(ratios), 2);

  return {
    title: `Migration: move --no-verify vs bare drizzle-kit generate (000 fixture, ${PAIRS} alternating pairs)`,
    rows: [
      { metric: `move --no-verify, median of ${PAIRS}`, value: round(median(ours)), unit: 'ms' },
      { metric: `drizzle-kit generate (1 pending column, warm in place), median of ${PAIRS}`, value: round(median(kit)), unit: 'ms' },
      { metric: 'median ratio (per-pair move / generate)', value: ratio, unit: 'x', target: `<= ${TARGET_RATIO}x`, pass: ratio <= TARGET_RATIO },
      { metric: 'ratio min / max', value: `${round(Math.min(...ratios), 2)}x / ${round(Math.max(...ratios), 2)}x` },
      { metric: 'move --no-verify min / max', value: `${round(Math.min(...ours))} / ${round(Math.max(...ours))} ms` },
      { metric: 'drizzle-kit generate min / max', value: `${round(Math.min(...kit))} / ${round(Math.max(...kit))} ms` },
      { metric: 'warm-up pair (move / generate)', value: `${warmup.oursMs} / ${warmup.kitMs} ms` },
      { metric: 'move --no-verify, empty compile cache (first run after install)', value: round(coldCache.ms), unit: 'ms' },
      { metric: `move (default: verified on PGlite, 1000 rows per table), median of ${DEFAULT_RUNS}`, value: round(median(verified)), unit: 'ms' },
      { metric: 'load average (1 min) before / after', value: `${round(loadBefore, 2)} / ${round(os.loadavg()[0], 2)} (${os.cpus().length} CPUs)` },
    ],
    details: {
      fixture: path.relative(REPO_ROOT, FIXTURE),
      schemaFile: SCHEMA_FILE,
      to: TARGET_SCHEMA,
      pairs,
      warmup,
      coldCacheMs: round(coldCache.ms),
      defaultMoveMs: verified.map((ms) => round(ms)),
      loadAverage: { before: loadBefore, after: os.loadavg()[0] },
      targetRatio: TARGET_RATIO,
    },
  };
}

module.exports = { benchMigration };
