/**
 * The CLI's faster paths give what the plain ones give: a drizzle-kit process
 * started ahead writes the same migration as a fresh `node <bin> generate`,
 * and a module loaded through the V8 code cache is the module `require` loads.
 * They live in the compiled code (dist/: `npm test` builds it first), which
 * is what the CLI runs; jest runs the TypeScript sources, where move() takes
 * the plain paths.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, copyFixtureProject, removedAfterEach } from './helpers/tempProject';

const DIST = join(REPO_ROOT, 'dist');
const SCHEMA_FILE = 'src/lib/db/schema/feature-planner.schema.ts';
const MIGRATIONS = 'src/lib/db/migrations';

type DrizzleKitModule = typeof import('../src/generate/drizzleKit');

beforeAll(() => {
  if (!existsSync(join(DIST, 'generate', 'kitRunner.js'))) {
    throw new Error('dist/ is missing: run `npx tsc -p tsconfig.build.json` (npm test does it) first');
  }
});

const track = removedAfterEach();
const plannerCopy = () => track(copyFixtureProject('feature-planner'));

/** The 000 fixture with one pending column, so drizzle-kit has a migration to write. */
function plannerWithPendingColumn(): string {
  const dir = plannerCopy();
  const path = join(dir, SCHEMA_FILE);
  const text = readFileSync(path, 'utf8');
  const pk = "    id: uuid('id').primaryKey().defaultRandom(),\n";
  writeFileSync(path, text.replace(pk, `${pk}    notes: text('notes'),\n`));
  return dir;
}

const newSql = (dir: string, before: string[]) =>
  readdirSync(join(dir, MIGRATIONS)).filter((f) => f.endsWith('.sql') && !before.includes(f));

describe('a drizzle-kit process started ahead', () => {
  const kitModule = () => require(join(DIST, 'generate', 'drizzleKit.js')) as DrizzleKitModule;

  it('writes the same migration as drizzle-kit started when its work is ready', async () => {
    const { resolveDrizzleKit, runDrizzleKit, startDrizzleKit } = kitModule();
    const fresh = plannerWithPendingColumn();
    const ahead = plannerWithPendingColumn();
    const kit = resolveDrizzleKit(fresh);
    const started = startDrizzleKit(kit);
    try {
      const before = readdirSync(join(fresh, MIGRATIONS));
      const args = ['generate', '--name', 'pending'];
      const plain = await runDrizzleKit(kit, args, fresh);
      const early = await started.run(args, ahead);
      expect(plain.code).toBe(0);
      expect(early.code).toBe(0);
      const [plainSql] = newSql(fresh, before);
      const [earlySql] = newSql(ahead, before);
      expect(plainSql).toMatch(/_pending\.sql$/);
      expect(readFileSync(join(ahead, MIGRATIONS, earlySql!), 'utf8')).toBe(readFileSync(join(fresh, MIGRATIONS, plainSql!), 'utf8'));
      expect(readFileSync(join(ahead, MIGRATIONS, earlySql!), 'utf8')).toContain('ADD COLUMN "notes" text');
    } finally {
      started.dispose();
    }
  });

  it('reports drizzle-kit failing, with its exit code and output', async () => {
    const { resolveDrizzleKit, startDrizzleKit } = kitModule();
    const dir = plannerCopy();
    const started = startDrizzleKit(resolveDrizzleKit(dir));
    try {
      const run = await started.run(['generate', '--config', 'missing.config.ts'], dir);
      expect(run.code).not.toBe(0);
      expect(`${run.stdout}${run.stderr}`).toMatch(/missing\.config\.ts/);
    } finally {
      started.dispose();
    }
  });

  it('ends quietly, having run nothing, when its stdin closes without work', () => {
    const { resolveDrizzleKit, KIT_RUNNER } = kitModule();
    const dir = plannerWithPendingColumn();
    const before = readdirSync(join(dir, MIGRATIONS));
    const result = spawnSync(process.execPath, [KIT_RUNNER, resolveDrizzleKit(dir).bin], { cwd: dir, input: '', encoding: 'utf8' });
    expect(result.status).toBe(0);
    expect(result.stdout + result.stderr).toBe('');
    expect(newSql(dir, before)).toEqual([]);
  });

  it('leaves nothing in the temp folder: no tsx cache entries for files of a copy nobody reads again', () => {
    const dir = plannerCopy();
    const temp = track(mkdtempSync(join(tmpdir(), 'reschema-tmpdir-')));
    const run = spawnSync(
      process.execPath,
      [join(REPO_ROOT, 'bin', 'drizzle-reschema.js'), 'move', SCHEMA_FILE, '--to', 'feature_planner', '--no-verify'],
      { cwd: dir, encoding: 'utf8', env: { ...process.env, CI: 'true', TMPDIR: temp } },
    );
    expect(run.status).toBe(0);
    expect(run.stderr).toContain('written');
    expect(newSql(dir, [])).toEqual(expect.arrayContaining([expect.stringMatching(/_move_to_feature_planner\.sql$/)]));
    // The shadow copies are gone too.
    expect(readdirSync(temp)).toEqual([]);
  });
});

describe('the compile cache', () => {
  /** A node process that loads `main` through the cache, then requires it, and prints what it got. */
  const loadThroughCache = (cacheDir: string, main: string) =>
    spawnSync(
      process.execPath,
      [
        '-e',
        `const cache = require(${JSON.stringify(join(DIST, 'compileCache.js'))});
         cache.enableCompileCache();
         cache.preloadWithCompileCache(${JSON.stringify(main)});
         const loaded = require(${JSON.stringify(main)});
         process.stdout.write(JSON.stringify({ answer: loaded.answer, same: loaded.self() === loaded }));`,
      ],
      { encoding: 'utf8', env: { ...process.env, DRIZZLE_RESCHEMA_COMPILE_CACHE: cacheDir } },
    );

  it('loads the module require would load, writes an entry, and reads it (or a damaged one) next time', () => {
    const dir = track(mkdtempSync(join(tmpdir(), 'reschema-compile-cache-')));
    const cacheDir = join(dir, 'cache');
    const main = join(dir, 'main.js');
    writeFileSync(join(dir, 'dep.js'), 'module.exports = 41;\n');
    writeFileSync(main, "#!/usr/bin/env node\nconst dep = require('./dep');\nexports.answer = dep + 1;\nexports.self = () => module.exports;\n");

    const first = loadThroughCache(cacheDir, main);
    expect(first.stderr).toBe('');
    expect(JSON.parse(first.stdout)).toEqual({ answer: 42, same: true });
    const entries = readdirSync(cacheDir);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatch(/^[0-9a-f]{20}-[0-9a-f]{20}\.bin$/);

    const second = loadThroughCache(cacheDir, main);
    expect(JSON.parse(second.stdout)).toEqual({ answer: 42, same: true });

    writeFileSync(join(cacheDir, entries[0]!), 'not a V8 code cache');
    const damaged = loadThroughCache(cacheDir, main);
    expect(JSON.parse(damaged.stdout)).toEqual({ answer: 42, same: true });
    // V8 rejected the damaged entry; it was written afresh.
    expect(readFileSync(join(cacheDir, entries[0]!), 'utf8')).not.toBe('not a V8 code cache');

    // The file changes (an upgrade): its entry is replaced, not joined by another.
    writeFileSync(main, readFileSync(main, 'utf8').replace('dep + 1', 'dep + 2'));
    const changed = loadThroughCache(cacheDir, main);
    expect(JSON.parse(changed.stdout)).toEqual({ answer: 43, same: true });
    const after = readdirSync(cacheDir);
    expect(after).toHaveLength(1);
    expect(after[0]).not.toBe(entries[0]);
    expect(after[0]!.split('-')[0]).toBe(entries[0]!.split('-')[0]);
  });
});
