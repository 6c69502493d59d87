#!/usr/bin/env node
/**
 * The main job on the bundled 000 example, with the embedded database:
 * copy fixtures/projects/feature-planner to a temp folder and move its 8
 * tables and 11 enums to `feature_planner` with the CLI. Before it writes,
 * the CLI replays the project's migrations on PGlite, fills every table with
 * 1000 rows, applies the new migration, rolls it back and applies it again,
 * and shows that nothing was lost. Then the migration it wrote is printed.
 */
'use strict';
const { spawnSync } = require('node:child_process');
const { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const repo = join(__dirname, '..');

function main() {
  const dir = mkdtempSync(join(tmpdir(), 'drizzle-reschema-demo-'));
  try {
    cpSync(join(repo, 'fixtures/projects/feature-planner'), dir, { recursive: true });
    symlinkSync(join(repo, 'node_modules'), join(dir, 'node_modules'), 'dir');

    const args = ['move', 'src/lib/db/schema/feature-planner.schema.ts', '--to', 'feature_planner', '--grant', 'authenticated'];
    console.log(`$ drizzle-reschema ${args.join(' ')}   (in ${dir})\n`);
    const run = spawnSync(process.execPath, [join(repo, 'bin/drizzle-reschema.js'), ...args], {
      cwd: dir,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    if (run.status !== 0) return run.status ?? 1;

    const out = join(dir, 'src/lib/db/migrations');
    const journal = JSON.parse(readFileSync(join(out, 'meta/_journal.json'), 'utf8'));
    const tag = journal.entries.at(-1).tag;
    console.log(`\n--- ${tag}.sql ---`);
    console.log(readFileSync(join(out, `${tag}.sql`), 'utf8').replace(/\n--> statement-breakpoint/g, ''));
    console.log(`--- ${tag}.rollback.sql ---`);
    console.log(readFileSync(join(out, `${tag}.rollback.sql`), 'utf8'));
    return 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

process.exitCode = main();
