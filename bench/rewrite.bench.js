'use strict';
/**
 * Rewrite benchmark (the issue's target):
 *   rewriting 1,000 tables with 100 enums across 100 files takes under 1 s, and
 *   cost grows linearly (100 -> 1,000 tables: at most 12x).
 *
 * Times `move({ ..., migration: false, dryRun: true })` from dist/ (plan + rewrite
 * + format, nothing written) in-process: 1 warm-up run, then the median of 5.
 * For comparison it also times the naive approach the issue cites: a ts-morph
 * Project over the same files calling `replaceWithText` on the callee of every
 * pgTable/pgEnum call.
 *
 * Environment knobs (all optional):
 *   BENCH_RUNS=5          timed runs per size (median reported)
 *   BENCH_NAIVE_RUNS=1    timed runs of the naive baseline
 *   BENCH_KEEP=1          keep the generated projects (their paths are printed)
 *   BENCH_PRETTIER=1      also time both sizes in a project with a .prettierrc whose
 *                         files are already formatted, so move() re-formats every
 *                         touched file (informational rows; adds ~20 s)
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { generateSchemaProject } = require('./generateSchema');
const { median, nowMs, positiveInt, round } = require('./stats');

const SIZES = [
  { tables: 100, enums: 10, files: 10 },
  { tables: 1000, enums: 100, files: 100 },
];
const TARGET_MS = 1000;
const TARGET_RATIO = 12;
const TARGET_SCHEMA = 'bench_target';

const RUNS = positiveInt(process.env.BENCH_RUNS, 5);
const NAIVE_RUNS = positiveInt(process.env.BENCH_NAIVE_RUNS, 1);
const WITH_PRETTIER = process.env.BENCH_PRETTIER === '1';
const PRETTIER_CONFIG = { singleQuote: true, printWidth: 100 };

function mb(bytes) {
  return round(bytes / (1024 * 1024), 1);
}

function count(text, re) {
  return (text.match(re) || []).length;
}

function loadMove() {
  const distMove = path.join(__dirname, '..', 'dist', 'move.js');
  if (!fs.existsSync(distMove)) throw new Error('dist/move.js is missing: run `npm run build` (npm run bench does)');
  return require(distMove).move;
}

/**
 * Guards against a bench that "passes" by doing nothing: every table and enum
 * must be planned as a move, and the rewritten text must call the schema's
 * `.table(` / `.enum(` exactly that many more times than before.
 */
function checkResult(result, size, expectFormatted) {
  const expected = size.tables + size.enums;
  if (result.moves.length !== expected) {
    throw new Error(`rewrite bench: expected ${expected} moves, got ${result.moves.length}`);
  }
  if (result.written) throw new Error('rewrite bench: dryRun wrote files');
  if (expectFormatted && result.formatted.length !== size.files) {
    throw new Error(`rewrite bench: expected prettier to format ${size.files} files, it formatted ${result.formatted.length}`);
  }
  let tablesAdded = 0;
  let enumsAdded = 0;
  for (const change of result.changes) {
    tablesAdded += count(change.after, /\.table\(/g) - count(change.before ?? '', /\.table\(/g);
    enumsAdded += count(change.after, /\.enum\(/g) - count(change.before ?? '', /\.enum\(/g);
  }
  if (tablesAdded !== size.tables || enumsAdded !== size.enums) {
    throw new Error(
      `rewrite bench: rewritten text has ${tablesAdded} new .table( and ${enumsAdded} new .enum( calls, expected ${size.tables} and ${size.enums}`,
    );
  }
}

async function timeMove(move, project, size, expectFormatted = false) {
  const options = {
    files: project.schemaFiles,
    cwd: project.dir,
    to: TARGET_SCHEMA,
    migration: false,
    dryRun: true,
  };
  const samples = [];
  let rssPeak = process.memoryUsage().rss;
  let cold;
  let last;
  for (let run = 0; run <= RUNS; run++) {
    const start = nowMs();
    last = await move(options);
    const elapsed = nowMs() - start;
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    checkResult(last, size, expectFormatted);
    if (run === 0) cold = elapsed; // warm-up
    else samples.push(elapsed);
  }
  return {
    ...size,
    coldMs: round(cold),
    medianMs: round(median(samples)),
    minMs: round(Math.min(...samples)),
    maxMs: round(Math.max(...samples)),
    samplesMs: samples.map((s) => round(s)),
    rssPeakMb: mb(rssPeak),
    moves: last.moves.length,
    changedFiles: last.changes.length,
    formattedFiles: last.formatted.length,
    foreignKeys: last.foreignKeys.length,
  };
}

/** Adds a .prettierrc and formats every file with it, so that move() formats what it touches. */
async function usePrettier(project) {
  const prettier = require('prettier');
  fs.writeFileSync(path.join(project.dir, '.prettierrc'), JSON.stringify(PRETTIER_CONFIG) + '\n');
  for (const relative of [...project.schemaFiles, project.usersFile]) {
    const file = path.join(project.dir, relative);
    const text = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, await prettier.format(text, { ...PRETTIER_CONFIG, filepath: file }));
  }
}

/** The baseline the issue cites: one ts-morph `replaceWithText` per pgTable/pgEnum call. */
function naiveRewrite(project, size) {
  const { Project, SyntaxKind } = require('ts-morph');
  const start = nowMs();
  const tsProject = new Project({
    skipAddingFilesFromTsConfig: true,
    skipFileDependencyResolution: true,
    skipLoadingLibFiles: true,
    compilerOptions: { allowJs: true },
  });
  let replaced = 0;
  let bytes = 0;
  for (const relative of project.schemaFiles) {
    const sourceFile = tsProject.addSourceFileAtPath(path.join(project.dir, relative));
    const calls = sourceFile.getDescendantsOfKind(SyntaxKind.CallExpression).filter((call) => {
      const callee = call.getExpression();
      return callee.getKind() === SyntaxKind.Identifier && (callee.getText() === 'pgTable' || callee.getText() === 'pgEnum');
    });
    for (const call of calls) {
      const callee = call.getExpression();
      callee.replaceWithText(callee.getText() === 'pgTable' ? 'benchTarget.table' : 'benchTarget.enum');
      replaced++;
    }
    bytes += sourceFile.getFullText().length;
  }
  const elapsed = nowMs() - start;
  const expected = size.tables + size.enums;
  if (replaced !== expected) throw new Error(`naive baseline: replaced ${replaced} callees, expected ${expected}`);
  if (bytes === 0) throw new Error('naive baseline: produced no text');
  return elapsed;
}

async function benchRewrite() {
  const move = loadMove();
  const keep = process.env.BENCH_KEEP === '1';
  const results = [];
  const formattedResults = [];
  let naive;
  const dirs = [];
  try {
    for (const size of SIZES) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), `reschema-bench-${size.tables}-`));
      dirs.push(dir);
      const project = generateSchemaProject(dir, size);
      results.push(await timeMove(move, project, size));
      if (size.tables === 1000) {
        const samples = [];
        for (let i = 0; i < NAIVE_RUNS; i++) samples.push(naiveRewrite(project, size));
        naive = { medianMs: round(median(samples)), samplesMs: samples.map((s) => round(s)) };
      }
    }
    if (WITH_PRETTIER) {
      for (const size of SIZES) {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), `reschema-bench-prettier-${size.tables}-`));
        dirs.push(dir);
        const project = generateSchemaProject(dir, size);
        await usePrettier(project);
        formattedResults.push(await timeMove(move, project, size, true));
      }
    }
  } finally {
    if (keep) for (const dir of dirs) console.error(`bench: kept ${dir}`);
    else for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  }

  const small = results.find((r) => r.tables === 100);
  const large = results.find((r) => r.tables === 1000);
  const ratio = round(large.medianMs / small.medianMs, 2);
  // ru_maxrss: the true high-water mark of the whole process (includes the naive baseline).
  const maxRssMb = round(process.resourceUsage().maxRSS / 1024, 1);
  const label = (r) => `move(), ${r.tables} tables / ${r.enums} enums / ${r.files} files (median of ${RUNS})`;
  const prettierRows = formattedResults.map((r) => ({
    metric: `move(), ${r.tables} tables, with .prettierrc (${r.formattedFiles} files formatted)`,
    value: r.medianMs,
    unit: 'ms',
  }));

  return {
    title: 'Schema rewrite (plan + rewrite + format, dryRun, no migration)',
    rows: [
      { metric: label(small), value: small.medianMs, unit: 'ms' },
      { metric: label(large), value: large.medianMs, unit: 'ms', target: `< ${TARGET_MS} ms`, pass: large.medianMs < TARGET_MS },
      { metric: 'ratio 1000 / 100 tables', value: ratio, unit: 'x', target: `<= ${TARGET_RATIO}x`, pass: ratio <= TARGET_RATIO },
      { metric: 'move(), 1000 tables, warm-up run (after the 100-table runs)', value: large.coldMs, unit: 'ms' },
      { metric: `naive ts-morph replaceWithText, 1000 tables (${naive.samplesMs.length === 1 ? '1 run' : `median of ${naive.samplesMs.length}`})`, value: naive.medianMs, unit: 'ms' },
      { metric: 'speed-up over naive', value: round(naive.medianMs / large.medianMs, 1), unit: 'x' },
      { metric: 'RSS after move() runs, peak sample (1000 tables)', value: large.rssPeakMb, unit: 'MB' },
      { metric: 'process max RSS (ru_maxrss, incl. naive)', value: maxRssMb, unit: 'MB' },
      ...prettierRows,
    ],
    details: {
      sizes: results,
      naive,
      ...(WITH_PRETTIER ? { withPrettier: formattedResults } : {}),
      runs: RUNS,
      targetMs: TARGET_MS,
      targetRatio: TARGET_RATIO,
    },
  };
}

module.exports = { benchRewrite };
