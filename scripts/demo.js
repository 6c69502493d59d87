#!/usr/bin/env node
/**
 * The main job on the bundled 000 example, with the embedded database:
 * copy fixtures/projects/feature-planner to a temp folder, move its 8 tables
 * and 11 enums to `feature_planner` with the CLI, then replay the migrations on
 * PGlite with rows in every table and show that none was lost.
 */
'use strict';
const { spawnSync } = require('node:child_process');
const { cpSync, mkdtempSync, rmSync, symlinkSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const repo = join(__dirname, '..');
const { openEngine } = require(join(repo, 'dist/verify/database'));
const { fingerprint, compareFingerprints } = require(join(repo, 'dist/verify/fingerprint'));
const { planSeed } = require(join(repo, 'dist/verify/seedRows'));
const { readMigrationsState } = require(join(repo, 'dist/generate/migrationsFolder'));

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'drizzle-reschema-demo-'));
  const baseline = `${dir}-baseline`;
  try {
    cpSync(join(repo, 'fixtures/projects/feature-planner'), dir, { recursive: true });
    symlinkSync(join(repo, 'node_modules'), join(dir, 'node_modules'), 'dir');
    const out = join(dir, 'src/lib/db/migrations');
    cpSync(out, baseline, { recursive: true });

    const args = ['move', 'src/lib/db/schema/feature-planner.schema.ts', '--to', 'feature_planner', '--grant', 'authenticated'];
    console.log(`$ drizzle-reschema ${args.join(' ')}   (in ${dir})\n`);
    const run = spawnSync(process.execPath, [join(repo, 'bin/drizzle-reschema.js'), ...args, '--no-verify'], {
      cwd: dir,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    if (run.status !== 0) process.exit(run.status ?? 1);

    const migration = readMigrationsState(out, dir);
    const tag = migration.journal.entries.at(-1).tag;
    console.log(`\n--- ${tag}.sql ---`);
    console.log(require('node:fs').readFileSync(join(out, `${tag}.sql`), 'utf8').replace(/\n--> statement-breakpoint/g, ''));

    console.log('--- replaying the migrations on PGlite (embedded) ---');
    const db = await openEngine('pglite');
    try {
      const { drizzle } = require('drizzle-orm/pglite');
      const { migrate } = require('drizzle-orm/pglite/migrator');
      await db.exec('CREATE ROLE authenticated');
      await migrate(drizzle(db.raw), { migrationsFolder: baseline });
      const seed = planSeed(readMigrationsState(baseline, baseline).head.snapshot, 1000);
      for (const statement of [...seed.inserts, ...seed.updates]) await db.exec(statement);
      const before = await fingerprint(db, ['public']);
      await migrate(drizzle(db.raw), { migrationsFolder: out });
      const after = await fingerprint(db, ['public', 'feature_planner']);
      console.log('table                            before -> after  schema after     checksum');
      for (const [name, t] of after.tables) {
        const b = before.tables.get(name);
        const ok = b && b.rows === t.rows && b.checksum === t.checksum ? 'same' : 'DIFFERENT';
        console.log(`${name.padEnd(32)} ${String(b ? b.rows : '-').padStart(6)} -> ${String(t.rows).padEnd(6)} ${t.schema.padEnd(16)} ${ok}`);
      }
      const diffs = compareFingerprints(before, after);
      console.log(
        diffs.length === 0
          ? `\nnothing lost: ${after.tables.size} tables, ${after.indexes.size} indexes, ${after.constraints.size} constraints, ${after.sequences.size} sequences identical`
          : `\n${diffs.length} differences:\n${diffs.map((d) => `  ${d.object}: ${d.before} -> ${d.after}`).join('\n')}`,
      );
      if (diffs.length > 0) process.exitCode = 1;
    } finally {
      await db.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(baseline, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
