'use strict';
/**
 * Hazard scan benchmark: the raw-SQL scan every move runs after the rewrite.
 * Target: a project of 2,000 source files (1,000 with SQL) against 1,000 moved
 * tables in under 1 s, and exactly the planted references found: compared as
 * sets of file:line:table, so a miss cannot hide behind a false find.
 *
 * Times `scanHazards` from dist/ in-process: 1 warm-up run, then the median of 5.
 * BENCH_RUNS=5 sets the timed runs; BENCH_KEEP=1 keeps the generated project.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { nowMs } = require('./stats');

const TABLES = 1000;
const SQL_FILES = 1000;
const PLAIN_FILES = 1000;
const TARGET_MS = 1000;
const RUNS = Number.parseInt(process.env.BENCH_RUNS ?? '', 10) > 0 ? Number.parseInt(process.env.BENCH_RUNS, 10) : 5;

const table = (i) => `table_${i}`;

/**
 * Every SQL file names 2 moved tables wrongly (bare after FROM, public.x) and 1
 * correctly (bench_target.x); TypeScript files also hold the name in a plain
 * string that is no query. Returns the wrong ones as `file:line:table`.
 */
function generate(dir) {
  const planted = new Set();
  for (let i = 0; i < SQL_FILES; i++) {
    const a = table(i % TABLES);
    const b = table((i * 7 + 3) % TABLES);
    const c = table((i * 13 + 5) % TABLES);
    const text = i % 10 === 0
      ? `-- report ${i}\nselect count(*)\n  from ${a}\n  join public.${b} on true;\nselect * from bench_target.${c};\n`
      : [
          "import { sql } from 'drizzle-orm';",
          "import { db, client } from '../db';",
          `export const q${i} = () => db.execute(sql\`select * from ${a} where id = \${${i}}\`);`,
          `export const r${i} = () => client.query('update public.${b} set touched = now()');`,
          `export const s${i} = () => db.execute(sql\`select * from bench_target.${c}\`);`,
          `export const label${i} = '${c}';`,
          '',
        ].join('\n');
    const rel = `src/queries/q${i}${i % 10 === 0 ? '.sql' : '.ts'}`;
    planted.add(`${rel}:${3}:${a}`).add(`${rel}:${4}:${b}`);
    const file = path.join(dir, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
  }
  for (let i = 0; i < PLAIN_FILES; i++) {
    const file = path.join(dir, 'src', 'components', `c${i}.tsx`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, `export function C${i}() {\n  return <div className="c${i}">{'component ${i}'}</div>;\n}\n`);
  }
  return planted;
}

async function benchHazards() {
  const { scanHazards } = require('../dist/report/hazards');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reschema-bench-hazards-'));
  try {
    const planted = generate(dir);
    const objects = Array.from({ length: TABLES }, (_, i) => ({
      kind: 'table', name: table(i), identifier: undefined, from: 'public', to: 'bench_target', file: 'src/db/schema.ts', line: i + 1,
    }));
    const scan = () => scanHazards({ root: dir, objects, exclude: [], grants: [] });
    const first = scan();
    const times = [];
    for (let i = 0; i < RUNS; i++) {
      const start = nowMs();
      scan();
      times.push(nowMs() - start);
    }
    times.sort((x, y) => x - y);
    const ms = times[times.length >> 1];
    const found = new Set(first.code.map((h) => `${h.file}:${h.line}:${h.object}`));
    const missed = [...planted].filter((p) => !found.has(p));
    const extra = [...found].filter((f) => !planted.has(f));
    return {
      title: `Hazard scan: ${SQL_FILES + PLAIN_FILES} files (${SQL_FILES} with SQL), ${TABLES} moved tables, median of ${RUNS}`,
      rows: [
        { metric: 'scan time', value: ms, unit: 'ms', target: `< ${TARGET_MS} ms`, pass: ms < TARGET_MS },
        { metric: 'files scanned', value: first.filesScanned },
        { metric: 'references found / planted', value: `${found.size} / ${planted.size}` },
        {
          metric: 'planted not found / found not planted',
          value: `${missed.length} / ${extra.length}${[...missed, ...extra].length ? ` (${[...missed, ...extra].slice(0, 3).join(', ')})` : ''}`,
          target: '0 / 0',
          pass: missed.length === 0 && extra.length === 0,
        },
      ],
    };
  } finally {
    if (process.env.BENCH_KEEP === '1') console.log(`kept ${dir}`);
    else fs.rmSync(dir, { recursive: true, force: true });
  }
}

module.exports = { benchHazards };
