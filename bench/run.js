#!/usr/bin/env node
'use strict';
/**
 * Benchmark runner: `npm run bench` (builds dist/ first), or `node bench/run.js [filter...]`.
 *
 * Runs every `bench/*.bench.js`. A bench file exports one or more async functions
 * whose names start with `bench`; each returns
 *
 *   { title, rows: [{ metric, value, unit?, target?, pass? }], details? }
 *
 * `target` is a human-readable goal and `pass` whether it was met; rows without
 * `pass` are informational. `details` is copied verbatim into results.json.
 * Arguments filter benches by file or function name (substring, case-insensitive).
 *
 * Prints one table per bench and writes bench/results.json. Targets are
 * reported, not asserted: the exit code is 0 unless a bench throws.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const BENCH_DIR = __dirname;
const RESULTS_FILE = path.join(BENCH_DIR, 'results.json');

function formatValue(row) {
  const { value, unit } = row;
  let text;
  if (typeof value === 'number') {
    text = Number.isInteger(value) ? String(value) : value.toFixed(Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2);
  } else text = String(value);
  return unit ? (unit === 'x' ? `${text}x` : `${text} ${unit}`) : text;
}

function status(row) {
  if (row.pass === undefined) return '';
  return row.pass ? 'PASS' : 'FAIL';
}

function printTable(result) {
  const header = ['metric', 'value', 'target', 'result'];
  const lines = result.rows.map((row) => [String(row.metric), formatValue(row), row.target ?? '', status(row)]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (cells) =>
    cells.map((c, i) => (i === 1 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  console.log(`\n${result.title}`);
  console.log(fmt(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const line of lines) console.log(fmt(line));
}

function validate(result, name) {
  if (!result || typeof result.title !== 'string' || !Array.isArray(result.rows)) {
    throw new Error(`${name} must return { title, rows: [{ metric, value, target?, pass? }] }`);
  }
  for (const row of result.rows) {
    if (!row || row.metric === undefined || row.value === undefined) {
      throw new Error(`${name}: every row needs a metric and a value`);
    }
  }
}

async function main() {
  const filters = process.argv.slice(2).map((f) => f.toLowerCase());
  const files = fs
    .readdirSync(BENCH_DIR)
    .filter((f) => f.endsWith('.bench.js'))
    .sort();

  const benches = [];
  // A file is loaded only when the filters may pick one of its benches: one stale bench file does not stop the others.
  const wanted = (id) => !filters.length || filters.some((f) => id.toLowerCase().includes(f));
  for (const file of files) {
    if (!wanted(file) && !filters.some((f) => f.startsWith('bench'))) continue;
    const mod = require(path.join(BENCH_DIR, file));
    for (const [name, fn] of Object.entries(mod)) {
      if (!/^bench/.test(name) || typeof fn !== 'function') continue;
      const id = `${file}#${name}`;
      if (!wanted(id)) continue;
      benches.push({ id, file, name, fn });
    }
  }
  if (benches.length === 0) {
    console.error(`no benches found${filters.length ? ` matching ${filters.join(', ')}` : ''} in ${BENCH_DIR}`);
  }

  const report = {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cpus: os.cpus().length,
    totalMemoryMb: Math.round(os.totalmem() / (1024 * 1024)),
    benches: [],
  };
  let failedToRun = 0;

  for (const bench of benches) {
    const start = process.hrtime.bigint();
    console.error(`running ${bench.id} ...`);
    try {
      const result = await bench.fn();
      validate(result, bench.id);
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      printTable(result);
      report.benches.push({ id: bench.id, seconds: Math.round(seconds * 10) / 10, ...result });
    } catch (error) {
      failedToRun++;
      console.error(`\n${bench.id} threw:\n${error && error.stack ? error.stack : error}`);
      report.benches.push({ id: bench.id, error: String(error && error.message ? error.message : error) });
    }
  }

  const targets = report.benches.flatMap((b) => (b.rows ?? []).filter((r) => r.pass !== undefined));
  const missed = targets.filter((r) => !r.pass);
  console.log(
    `\n${targets.length - missed.length}/${targets.length} targets met` +
      (failedToRun ? `; ${failedToRun} bench(es) threw` : '') +
      `  (${process.version}, ${report.cpu} x${report.cpus})`,
  );
  if (benches.length > 0) {
    fs.writeFileSync(RESULTS_FILE, JSON.stringify(report, null, 2) + '\n');
    console.log(`results written to ${path.relative(process.cwd(), RESULTS_FILE) || RESULTS_FILE}`);
  }
  process.exitCode = failedToRun ? 1 : 0;
}

main().catch((error) => {
  console.error(error && error.stack ? error.stack : error);
  process.exitCode = 1;
});
