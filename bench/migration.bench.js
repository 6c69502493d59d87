'use strict';
/**
 * Migration benchmark: the wait a user has, on the 000 fixture.
 *
 *   A: node bin/drizzle-reschema.js move <schema file> --to feature_planner          (the default: with verification)
 *   B: node bin/drizzle-reschema.js move <schema file> --to feature_planner --no-verify
 *   C: node node_modules/drizzle-kit/bin.cjs generate                                  (the baseline)
 *
 * A and B each run in a fresh temp copy of fixtures/projects/feature-planner
 * (a move done once has nothing left to move), with the repo's node_modules
 * symlinked in; copying is outside the timed region. C runs in one copy, warm
 * in place, as a user re-running drizzle-kit does: the copy holds one pending
 * column change (`notes: text('notes'),` in the first table) so that it
 * writes a migration, and its migrations folder is put back (untimed) after
 * each run. All runs share one temp folder (TMPDIR) kept for the whole bench,
 * so caches kept there (tsx's for C, Node's compile cache on Node >= 22.1)
 * are as warm as on a user's machine after the first run.
 *
 * The timed region is the wall clock of the whole child process (node
 * start-up included), spawned with CI=true. Runs alternate A, B, C, A, B, C
 * ...: one warm-up round, then BENCH_MIGRATION_ROUNDS timed rounds. The
 * ratio reported is the median of the per-round ratios B/C (target: at most
 * 2x, issue 17). Each run must exit 0 and write the expected new .sql file,
 * or the bench throws. The machine's load average is reported too: the
 * moves run drizzle-kit in a second process while prettier formats in the
 * first, so a busy machine hurts them more than the single-process baseline.
 *
 * Environment knobs (all optional):
 *   BENCH_MIGRATION_ROUNDS=7  timed rounds (after 1 warm-up round)
 *   BENCH_NODE=<path>         the node binary for all three (default: the one running the bench)
 *   BENCH_KEEP=1              keep the temp copies (their paths are printed)
 *   BENCH_MIGRATION_NO_A=1    leave out A (the verified move, ~4 s a round) when only the ratio is wanted
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');
const { median, nowMs, positiveInt, round } = require('./stats');

const REPO_ROOT = path.join(__dirname, '..');
const FIXTURE = path.join(REPO_ROOT, 'fixtures', 'projects', 'feature-planner');
const SCHEMA_FILE = 'src/lib/db/schema/feature-planner.schema.ts';
const MIGRATIONS_DIR = 'src/lib/db/migrations';
const TARGET_SCHEMA = 'feature_planner';
const CLI = path.join(REPO_ROOT, 'bin', 'drizzle-reschema.js');
const DRIZZLE_KIT = path.join(REPO_ROOT, 'node_modules', 'drizzle-kit', 'bin.cjs');
const NODE_MODULES = path.join(REPO_ROOT, 'node_modules');
const NODE = process.env.BENCH_NODE || process.execPath;

const PK_LINE = "    id: uuid('id').primaryKey().defaultRandom(),\n";
const PENDING_COLUMN = "    notes: text('notes'),\n";

const TARGET_RATIO = 2;
/** Issue 14's goal for the 1.0 line. */
const TARGET_RATIO_10 = 1.5;
const ROUNDS = positiveInt(process.env.BENCH_MIGRATION_ROUNDS, 7);
const WARMUP_ROUNDS = 1;
const WITH_VERIFIED_MOVE = process.env.BENCH_MIGRATION_NO_A !== '1';

function tail(text, lines = 20) {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** The 0.x line: the 000 fixture and the repo's own node_modules. */
const LINE_0X = { fixture: FIXTURE, nodeModules: NODE_MODULES };

/** A fresh copy of the fixture with the line's node_modules symlinked in (not timed). */
function freshCopy(label, dirs, line = LINE_0X) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `reschema-bench-migration-${label}-`));
  dirs.push(dir);
  fs.cpSync(line.fixture, dir, { recursive: true });
  fs.symlinkSync(line.nodeModules, path.join(dir, 'node_modules'), 'dir');
  return dir;
}

/** The migrations' SQL files: `<tag>.sql` on 0.x, `<folder>/migration.sql` on 1.0. */
function sqlFiles(dir) {
  const out = path.join(dir, MIGRATIONS_DIR);
  return new Set(
    fs.readdirSync(out, { withFileTypes: true }).flatMap((e) => {
      if (e.isFile() && e.name.endsWith('.sql')) return [e.name];
      if (e.isDirectory() && fs.existsSync(path.join(out, e.name, 'migration.sql'))) return [`${e.name}/migration.sql`];
      return [];
    }),
  );
}

/** Spawns `node <args>` in cwd and resolves with its wall clock, exit code and output. */
function timeNode(args, cwd, env) {
  return new Promise((resolve, reject) => {
    const start = nowMs();
    const child = spawn(NODE, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: 'true', ...env } });
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

/** A and B: `drizzle-reschema move` (with extra arguments) on an untouched copy. */
async function runMove(label, extraArgs, ctx, line = LINE_0X) {
  const dir = freshCopy('move', ctx.dirs, line);
  const before = sqlFiles(dir);
  const result = await timeNode([CLI, 'move', SCHEMA_FILE, '--to', TARGET_SCHEMA, ...extraArgs], dir, ctx.env);
  if (result.code !== 0) fail(label, dir, result, 'did not exit 0');
  const added = [...sqlFiles(dir)].filter((f) => !before.has(f));
  const migration = added.find((f) => f.endsWith(`move_to_${TARGET_SCHEMA}.sql`) || f.endsWith(`move_to_${TARGET_SCHEMA}/migration.sql`));
  if (!migration) fail(label, dir, result, `wrote no new *move_to_${TARGET_SCHEMA}.sql (new .sql files: ${added.join(', ') || 'none'})`);
  const sql = fs.readFileSync(path.join(dir, MIGRATIONS_DIR, migration), 'utf8');
  if (!sql.includes(`SET SCHEMA "${TARGET_SCHEMA}"`)) fail(label, dir, result, `${migration} moves nothing into "${TARGET_SCHEMA}"`);
  if (!ctx.keep) fs.rmSync(dir, { recursive: true, force: true });
  return result.ms;
}

/** C's project: one copy holding a pending column change, and its migrations folder as committed. */
function baselineProject(dirs, line = LINE_0X) {
  const dir = freshCopy('kit', dirs, line);
  const schemaPath = path.join(dir, SCHEMA_FILE);
  const text = fs.readFileSync(schemaPath, 'utf8');
  const at = text.indexOf(PK_LINE);
  if (at < 0) throw new Error(`migration bench: cannot find the first table's id column in ${SCHEMA_FILE}`);
  fs.writeFileSync(schemaPath, text.slice(0, at + PK_LINE.length) + PENDING_COLUMN + text.slice(at + PK_LINE.length));
  const pristine = fs.mkdtempSync(path.join(os.tmpdir(), 'reschema-bench-migrations-'));
  dirs.push(pristine);
  fs.cpSync(path.join(dir, MIGRATIONS_DIR), pristine, { recursive: true });
  return { dir, pristine };
}

/** C: bare `drizzle-kit generate`, in place. */
async function runBaseline(project, ctx, kitBin = DRIZZLE_KIT) {
  const migrations = path.join(project.dir, MIGRATIONS_DIR);
  fs.rmSync(migrations, { recursive: true, force: true });
  fs.cpSync(project.pristine, migrations, { recursive: true });
  const before = sqlFiles(project.dir);
  const result = await timeNode([kitBin, 'generate'], project.dir, ctx.env);
  if (result.code !== 0) fail('drizzle-kit generate', project.dir, result, 'did not exit 0');
  const added = [...sqlFiles(project.dir)].filter((f) => !before.has(f));
  if (added.length !== 1) fail('drizzle-kit generate', project.dir, result, `expected 1 new .sql file, got ${added.length}`);
  const sql = fs.readFileSync(path.join(migrations, added[0]), 'utf8');
  if (!/ADD COLUMN "notes"/.test(sql)) fail('drizzle-kit generate', project.dir, result, `${added[0]} does not add the pending column`);
  return result.ms;
}

const spread = (values) => `${round(Math.min(...values))} / ${round(Math.max(...values))} ms`;

/**
 * What both comparisons start from: the built CLI and the drizzle-kit they
 * time (`kit`, else `missing` is the error), the Node version, the temp
 * folders to remove (the first is the TMPDIR every timed child gets).
 */
function benchSetup(kit, missing) {
  if (!fs.existsSync(path.join(REPO_ROOT, 'dist', 'cli.js'))) throw new Error('dist/cli.js is missing: run `npm run build` (npm run bench does)');
  if (!fs.existsSync(kit)) throw new Error(missing);
  const nodeVersion = spawnSync(NODE, ['--version'], { encoding: 'utf8' }).stdout.trim();
  const dirs = [];
  const keep = process.env.BENCH_KEEP === '1';
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'reschema-bench-tmpdir-'));
  dirs.push(tmp);
  return { nodeVersion, dirs, keep, tmp, ctx: { dirs, keep, env: { TMPDIR: tmp } } };
}

async function benchMigration() {
  const { nodeVersion, dirs, keep, ctx } = benchSetup(DRIZZLE_KIT, `drizzle-kit is not installed (${DRIZZLE_KIT})`);
  const loadBefore = os.loadavg()[0];
  const { rounds, warmup } = await alternateRounds(dirs, keep, () => baselineProject(dirs), async (project) => {
    const moveMs = WITH_VERIFIED_MOVE ? await runMove('move', [], ctx) : NaN;
    const noVerifyMs = await runMove('move --no-verify', ['--no-verify'], ctx);
    const kitMs = await runBaseline(project, ctx);
    return { moveMs: round(moveMs), noVerifyMs: round(noVerifyMs), kitMs: round(kitMs), ratio: round(noVerifyMs / kitMs, 3) };
  });

  const moves = rounds.map((r) => r.moveMs);
  const noVerify = rounds.map((r) => r.noVerifyMs);
  const kit = rounds.map((r) => r.kitMs);
  const ratios = rounds.map((r) => r.ratio);
  const ratio = round(median(ratios), 2);

  return {
    title: `Migration: move and move --no-verify vs drizzle-kit generate warm in place (000 fixture, Node ${nodeVersion}, ${ROUNDS} alternating rounds)`,
    rows: [
      ...(WITH_VERIFIED_MOVE ? [{ metric: `move (with verification), median of ${ROUNDS}`, value: round(median(moves)), unit: 'ms' }] : []),
      { metric: `move --no-verify, median of ${ROUNDS}`, value: round(median(noVerify)), unit: 'ms' },
      { metric: `drizzle-kit generate (1 pending column, warm), median of ${ROUNDS}`, value: round(median(kit)), unit: 'ms' },
      { metric: 'median ratio (per-round move --no-verify / generate)', value: ratio, unit: 'x', target: `<= ${TARGET_RATIO}x`, pass: ratio <= TARGET_RATIO },
      { metric: 'ratio min / max', value: `${round(Math.min(...ratios), 2)}x / ${round(Math.max(...ratios), 2)}x` },
      ...(WITH_VERIFIED_MOVE ? [{ metric: 'move min / max', value: spread(moves) }] : []),
      { metric: 'move --no-verify min / max', value: spread(noVerify) },
      { metric: 'drizzle-kit generate min / max', value: spread(kit) },
      { metric: 'warm-up round (move / --no-verify / generate)', value: `${warmup.moveMs} / ${warmup.noVerifyMs} / ${warmup.kitMs} ms` },
      { metric: 'load average (1 min) before / after', value: `${round(loadBefore, 2)} / ${round(os.loadavg()[0], 2)} (${os.cpus().length} CPUs)` },
    ],
    details: {
      fixture: path.relative(REPO_ROOT, FIXTURE),
      schemaFile: SCHEMA_FILE,
      to: TARGET_SCHEMA,
      node: nodeVersion,
      rounds,
      warmup,
      loadAverage: { before: loadBefore, after: os.loadavg()[0] },
      targetRatio: TARGET_RATIO,
    },
  };
}

/**
 * WARMUP_ROUNDS then ROUNDS of `runRound` on the baseline project `prepare` makes; the
 * bench's temp folders go afterwards (kept with BENCH_KEEP=1), also when a round throws.
 */
async function alternateRounds(dirs, keep, prepare, runRound) {
  const rounds = [];
  let warmup;
  try {
    const project = prepare();
    for (let i = 0; i < WARMUP_ROUNDS + ROUNDS; i++) {
      const r = await runRound(project);
      if (i < WARMUP_ROUNDS) warmup = r;
      else rounds.push(r);
    }
  } finally {
    if (keep) for (const dir of dirs) console.error(`bench: kept ${dir}`);
    else for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  }
  return { rounds, warmup };
}

/**
 * The same comparison on the drizzle-kit 1.0 line (issue 14): `move --no-verify` on the 000
 * fixture as a 1.0 project (fixtures/projects/feature-planner-v1, baselines by 1.0.0-rc.5)
 * against a bare drizzle-kit 1.0 `generate` warm in place with one pending column. Both run
 * with a node_modules where drizzle-kit and drizzle-orm are the repo's 1.0 aliases
 * (drizzle-kit-v1, drizzle-orm-v1) and everything else the repo's, built once (untimed) in
 * the bench's temp folder. Runs alternate B, C, B, C ...; same knobs as above.
 */
async function benchMigration10() {
  const kitV1 = path.join(NODE_MODULES, 'drizzle-kit-v1');
  const { nodeVersion, dirs, keep, tmp, ctx } = benchSetup(kitV1, `drizzle-kit 1.0 is not installed (${kitV1}; npm install)`);
  const line = {
    fixture: path.join(REPO_ROOT, 'fixtures', 'projects', 'feature-planner-v1'),
    nodeModules: kit10NodeModules(tmp),
  };
  const kitBin = path.join(line.nodeModules, 'drizzle-kit', 'bin.cjs');
  const loadBefore = os.loadavg()[0];
  const { rounds, warmup } = await alternateRounds(dirs, keep, () => baselineProject(dirs, line), async (project) => {
    const noVerifyMs = await runMove('move --no-verify (1.0)', ['--no-verify'], ctx, line);
    const kitMs = await runBaseline(project, ctx, kitBin);
    return { noVerifyMs: round(noVerifyMs), kitMs: round(kitMs), ratio: round(noVerifyMs / kitMs, 3) };
  });
  const noVerify = rounds.map((r) => r.noVerifyMs);
  const kit = rounds.map((r) => r.kitMs);
  const ratios = rounds.map((r) => r.ratio);
  const ratio = round(median(ratios), 2);
  return {
    title: `Migration on drizzle-kit 1.0.0-rc.5: move --no-verify vs drizzle-kit 1.0 generate warm in place (000 fixture as a 1.0 project, Node ${nodeVersion}, ${ROUNDS} alternating rounds)`,
    rows: [
      { metric: `move --no-verify, median of ${ROUNDS}`, value: round(median(noVerify)), unit: 'ms' },
      { metric: `drizzle-kit 1.0 generate (1 pending column, warm), median of ${ROUNDS}`, value: round(median(kit)), unit: 'ms' },
      { metric: 'median ratio (per-round move --no-verify / generate)', value: ratio, unit: 'x', target: `<= ${TARGET_RATIO_10}x`, pass: ratio <= TARGET_RATIO_10 },
      { metric: 'ratio min / max', value: `${round(Math.min(...ratios), 2)}x / ${round(Math.max(...ratios), 2)}x` },
      { metric: 'move --no-verify min / max', value: spread(noVerify) },
      { metric: 'drizzle-kit generate min / max', value: spread(kit) },
      { metric: 'warm-up round (--no-verify / generate)', value: `${warmup.noVerifyMs} / ${warmup.kitMs} ms` },
      { metric: 'load average (1 min) before / after', value: `${round(loadBefore, 2)} / ${round(os.loadavg()[0], 2)} (${os.cpus().length} CPUs)` },
    ],
    details: { fixture: path.relative(REPO_ROOT, line.fixture), node: nodeVersion, rounds, warmup, targetRatio: TARGET_RATIO_10 },
  };
}

/**
 * A node_modules whose drizzle-kit and drizzle-orm are the 1.0 line: drizzle-kit copied (Node
 * resolves a linked package's imports from its real path, which would find drizzle-orm 0.x),
 * drizzle-orm and everything else linked. Named node_modules so the copy finds drizzle-orm.
 */
function kit10NodeModules(tmp) {
  const target = path.join(tmp, 'kit10', 'node_modules');
  fs.mkdirSync(target, { recursive: true });
  for (const entry of fs.readdirSync(NODE_MODULES)) {
    if (entry === 'drizzle-kit' || entry === 'drizzle-orm' || entry === '.bin') continue;
    fs.symlinkSync(path.join(NODE_MODULES, entry), path.join(target, entry));
  }
  fs.cpSync(path.join(NODE_MODULES, 'drizzle-kit-v1'), path.join(target, 'drizzle-kit'), { recursive: true });
  fs.symlinkSync(path.join(NODE_MODULES, 'drizzle-orm-v1'), path.join(target, 'drizzle-orm'), 'dir');
  return target;
}

module.exports = { benchMigration, benchMigration10 };
