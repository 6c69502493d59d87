import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { removeTemp, REPO_ROOT } from './helpers/tempProject';

/**
 * PGlite starts from the saved data folder of a fresh start (a fifth of
 * initdb's time), never from one a run has used, and never from one another
 * user could have written. Each start runs in a child process of the built
 * tool with its own XDG_CACHE_HOME (jest's process.env is not the real one).
 */
const ownTmp = mkdtempSync(join(tmpdir(), 'reschema-pglite-template-'));
afterAll(() => removeTemp(ownTmp));
const folder = join(ownTmp, 'drizzle-reschema');
const DIST = JSON.stringify(join(REPO_ROOT, 'dist', 'verify'));

function child(body: string): string {
  const script = `
    const { openPglite } = require(${DIST} + '/database.js');
    const { templatePath } = require(${DIST} + '/pgliteTemplate.js');
    const hasTable = async (db, name) => (await db.query("SELECT to_regclass('public." + name + "') IS NOT NULL AS found"))[0].found;
    (async () => { ${body} })().catch((error) => { console.error(error); process.exitCode = 1; });`;
  const r = spawnSync(process.execPath, ['-e', script], { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, XDG_CACHE_HOME: ownTmp }, timeout: 120_000 });
  expect(r.stderr).toBe('');
  return r.stdout.trim();
}

const openAndLook = (table: string) => child(`const db = await openPglite(); console.log(await hasTable(db, '${table}')); await db.close();`);

/**
 * A template with a marker table in it, as if an earlier start had saved it: a start that restores it sees the table.
 * Made from the saved template when one loads (initdb in WebAssembly is the slow part), else from a fresh start.
 */
function plantTemplate(marker: string): void {
  child(`
    const { existsSync, readFileSync } = require('node:fs');
    const { PGlite } = require('@electric-sql/pglite');
    let db;
    try {
      if (!existsSync(templatePath())) throw new Error('no template yet');
      db = new PGlite({ loadDataDir: new Blob([readFileSync(templatePath())]) });
      await db.waitReady;
    } catch {
      db = new PGlite();
    }
    await db.exec('CREATE TABLE ${marker} (x int)');
    require('node:fs').writeFileSync(templatePath(), Buffer.from(await (await db.dumpDataDir('none')).arrayBuffer()));
    await db.close();`);
}

/** What a start gives: its buffer pool, WAL segment size and reuse, its databases and how many WAL segments it has. */
const LOOK = `async (db) => {
  const [s] = await db.query("SELECT current_setting('shared_buffers') || ' ' || current_setting('wal_segment_size') || ' ' || current_setting('wal_recycle') AS s");
  const [d] = await db.query("SELECT string_agg(datname, ',' ORDER BY datname) AS d FROM pg_database");
  const [w] = await db.query("SELECT count(*)::int AS w FROM pg_ls_waldir()");
  return s.s + ' ' + d.d + ' ' + (w.w <= 2 ? 'few' : w.w) + ' WAL';
}`;

describe('the PGlite template', () => {
  // Expected of every start, fresh (initdb), from the template it saved, from a saved replay:
  // template0 and template1 dropped, no WAL segment initdb renamed for reuse.
  const expected = '16MB 1MB off postgres few WAL';

  it('is saved by the first start, before any SQL, replacing the templates of older layouts, and restored by the next', () => {
    const path = child('console.log(templatePath())');
    expect(path).toBe(join(folder, path.split('/').pop()!));
    expect(existsSync(path)).toBe(false);
    // This version's templates of the names and layouts of before, and another version's: the fresh start removes only the first.
    const version = /^pglite-(.+?)-wal/.exec(basename(path))![1]!;
    const oldLayouts = [`pglite-${version}.tar`, `pglite-${version}-wal1mb.tar`].map((f) => join(folder, f));
    const otherVersion = join(folder, 'pglite-0.0.1-wal1mb-notemplates.tar');
    for (const f of [...oldLayouts, otherVersion]) writeFileSync(f, 'a template of another layout or version');
    // The one fresh start of this test: what it has, then SQL the template must not keep.
    const fresh = child(`const db = await openPglite(); console.log(await (${LOOK})(db)); await db.exec('CREATE TABLE used_by_a_run (x int)'); await db.close();`);
    expect(fresh).toBe(expected);
    expect(existsSync(path)).toBe(true);
    expect(oldLayouts.filter((f) => existsSync(f))).toEqual([]);
    expect(existsSync(otherVersion)).toBe(true);
    expect(openAndLook('used_by_a_run')).toBe('false');
    plantTemplate('from_the_template');
    expect(openAndLook('from_the_template')).toBe('true');
  }, 240_000);

  it('every start from the template or from a saved data folder has the small buffer pool and WAL segments, and one database', () => {
    const settings = child(`
      const look = ${LOOK};
      const seen = [];
      const db = await openPglite();
      seen.push(await look(db));
      const saved = await db.dump();
      await db.close();
      const restored = await openPglite(['pg_trgm'], saved);
      seen.push(await look(restored));
      await restored.close();
      console.log(seen.join(' | '));`);
    expect(settings).toBe([expected, expected].join(' | '));
  }, 240_000);

  it('that does not load is replaced by a fresh start', () => {
    writeFileSync(child('console.log(templatePath())'), 'not a tar file');
    expect(child(`const db = await openPglite(); console.log((await db.query('SELECT 1 AS one'))[0].one); await db.close();`)).toBe('1');
  }, 240_000);

  it('is not used from a folder others can write', () => {
    plantTemplate('planted');
    chmodSync(folder, 0o777);
    try {
      expect(openAndLook('planted')).toBe('false');
    } finally {
      chmodSync(folder, 0o700);
    }
  }, 240_000);
});
