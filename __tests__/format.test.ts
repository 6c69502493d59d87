/**
 * Formatting the rewrite with the project's prettier: one pass per file, kept
 * only when the statements the move did not touch come out of prettier
 * unchanged; the same result as prettier's main entry, whichever build ran.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as prettier from 'prettier';
import { planMove } from '../src/plan/planMove';
import { containsInOrder, formatFiles, PrettierSession } from '../src/rewrite/formatFiles';
import { rewriteSchemaFiles } from '../src/rewrite/rewriteSchemaFiles';
import { untouchedRuns } from '../src/rewrite/textEdits';
import { runCli } from './helpers/run';
import { copyFixtureProject, removedAfterEach, writeTempTree } from './helpers/tempProject';

const SCHEMA_FILE = 'src/lib/db/schema/feature-planner.schema.ts';

const track = removedAfterEach();
const plannerCopy = () => track(copyFixtureProject('feature-planner'));
const tree = (files: Record<string, string>) => track(writeTempTree(new Map(Object.entries(files))));

/** A schema file with one table and one statement the move does not touch. */
const NOTES_AND_ANSWER = [
  "import { pgTable, text } from 'drizzle-orm/pg-core';",
  '',
  "export const notes = pgTable('notes', { body: text('body') });",
  '',
  'export const answer = 42;',
  '',
];

/** prettier's main entry on the file's text, with the project's config: what `prettier --write` would give. */
async function mainEntryFormat(path: string, text: string): Promise<string> {
  const config = (await prettier.resolveConfig(path, { editorconfig: true })) ?? {};
  return prettier.format(text, { ...config, filepath: path });
}

const rewriteOf = (dir: string, files: string[], to: string) => rewriteSchemaFiles(planMove({ cwd: dir, files, to }));

describe('formatFiles', () => {
  it('formats the 000 rewrite as prettier --write would, rewrapping what the longer names pushed past printWidth', async () => {
    const dir = plannerCopy();
    const edits = rewriteOf(dir, [SCHEMA_FILE], 'feature_planner_with_a_long_name');
    const result = await formatFiles(edits);
    const path = join(dir, SCHEMA_FILE);
    expect(result.formatted).toEqual([path]);
    expect(result.edits[0]!.after).toBe(await mainEntryFormat(path, edits[0]!.after));
    expect(result.edits[0]!.after).not.toBe(edits[0]!.after);
    // The statements the move did not touch are still there, word for word.
    expect(edits[0]!.untouched!.length).toBeGreaterThan(0);
    expect(containsInOrder(result.edits[0]!.after, edits[0]!.untouched!.map((r) => r.trim()))).toBe(true);
  });

  it('leaves a file that did not follow prettier as the rewrite left it', async () => {
    const dir = plannerCopy();
    // The fixture uses single quotes: under this config every untouched line would change.
    writeFileSync(join(dir, '.prettierrc.json'), JSON.stringify({ singleQuote: false, printWidth: 100 }));
    const edits = rewriteOf(dir, [SCHEMA_FILE], 'feature_planner');
    expect(await formatFiles(edits)).toEqual({ edits, formatted: [], unloadable: [] });
  });

  it('leaves a file alone when only an untouched statement breaks prettier style', async () => {
    const dir = plannerCopy();
    const path = join(dir, SCHEMA_FILE);
    // Three blank lines above the last statement, one of the type exports the move does not touch.
    const text = readFileSync(path, 'utf8');
    const last = text.lastIndexOf('\nexport ');
    writeFileSync(path, `${text.slice(0, last)}\n\n${text.slice(last)}`);
    const edits = rewriteOf(dir, [SCHEMA_FILE], 'feature_planner');
    expect(edits[0]!.untouched!.length).toBeGreaterThan(0);
    expect(await formatFiles(edits)).toEqual({ edits, formatted: [], unloadable: [] });
  });

  describe('a file the move touches throughout (no untouched statement to go by)', () => {
    const files = (schema: string) => ({
      '.prettierrc.json': JSON.stringify({ singleQuote: true, printWidth: 60 }),
      'schema.ts': schema,
    });

    it('is formatted when it was formatted before the move', async () => {
      const schema = "import { pgTable, text } from 'drizzle-orm/pg-core';\nexport const notes = pgTable('notes', { body: text('body') });\n";
      const dir = tree(files(await prettier.format(schema, { parser: 'typescript', singleQuote: true, printWidth: 60 })));
      const edits = rewriteOf(dir, ['schema.ts'], 'feature_planner_with_a_long_name');
      expect(edits[0]!.untouched).toEqual([]);
      const result = await formatFiles(edits);
      expect(result.formatted).toEqual([join(dir, 'schema.ts')]);
      expect(result.edits[0]!.after).toBe(await mainEntryFormat(join(dir, 'schema.ts'), edits[0]!.after));
      // The new pgSchema declaration is past 60 columns.
      expect(result.edits[0]!.after).not.toBe(edits[0]!.after);
      expect(result.edits[0]!.after).toContain("pgSchema(\n  'feature_planner_with_a_long_name',\n);");
    });

    it('is left as the rewrite left it when it was not', async () => {
      const schema = "import { pgTable, text } from 'drizzle-orm/pg-core';\n\nexport const notes = pgTable('notes', {   body: text('body') });\n";
      const dir = tree(files(schema));
      const edits = rewriteOf(dir, ['schema.ts'], 'feature_planner');
      expect(await formatFiles(edits)).toEqual({ edits, formatted: [], unloadable: [] });
    });
  });

  it('keeps the byte-order mark and CRLF line endings', async () => {
    const dir = tree({
      '.prettierrc.json': JSON.stringify({ singleQuote: true, printWidth: 60 }),
      'schema.ts': `\ufeff${NOTES_AND_ANSWER.join('\r\n')}`,
    });
    const edits = rewriteOf(dir, ['schema.ts'], 'feature_planner');
    const result = await formatFiles(edits);
    expect(result.formatted).toHaveLength(1);
    const after = result.edits[0]!.after;
    expect(after.startsWith('\ufeff')).toBe(true);
    expect(after.replace(/\r\n/g, '')).not.toContain('\n');
    expect(after).toContain("featurePlanner.table('notes', {\r\n  body: text('body'),\r\n});");
  });

  it('formats a JavaScript schema file as prettier --write would', async () => {
    const dir = tree({ '.prettierrc.json': JSON.stringify({ singleQuote: true, printWidth: 60 }), 'schema.js': NOTES_AND_ANSWER.join('\n') });
    const edits = rewriteOf(dir, ['schema.js'], 'feature_planner');
    const result = await formatFiles(edits);
    expect(result.formatted).toEqual([join(dir, 'schema.js')]);
    expect(result.edits[0]!.after).toBe(await mainEntryFormat(join(dir, 'schema.js'), edits[0]!.after));
    expect(result.edits[0]!.after).not.toBe(edits[0]!.after);
  });

  it('goes through prettier main entry when the config names a parser, with the same result', async () => {
    const dir = plannerCopy();
    writeFileSync(join(dir, '.prettierrc.json'), JSON.stringify({ singleQuote: true, printWidth: 100, parser: 'babel-ts' }));
    const edits = rewriteOf(dir, [SCHEMA_FILE], 'feature_planner_with_a_long_name');
    const result = await formatFiles(edits);
    expect(result.formatted).toHaveLength(1);
    expect(result.edits[0]!.after).toBe(await mainEntryFormat(join(dir, SCHEMA_FILE), edits[0]!.after));
  });

  it('does nothing without a prettier config', async () => {
    const dir = tree({ 'schema.ts': "import { pgTable, text } from 'drizzle-orm/pg-core';\nexport const notes = pgTable('notes', { body: text('body') });\n" });
    const edits = rewriteOf(dir, ['schema.ts'], 'feature_planner');
    expect(await new PrettierSession().optionsFor(join(dir, 'schema.ts'), edits[0]!.before!)).toBeUndefined();
    expect(await formatFiles(edits)).toEqual({ edits, formatted: [], unloadable: [] });
  });
});

describe('a prettier config that cannot load', () => {
  const unformattedMove = (dir: string) => {
    const r = runCli(dir, ['move', SCHEMA_FILE, '--to', 'feature_planner_with_a_long_name', '--no-migration']);
    expect(r.stderr).not.toMatch(/unexpected error|\n\s+at /);
    expect(r.status).toBe(0);
    // Left as the rewrite leaves it in a project without a prettier config.
    const bare = plannerCopy();
    rmSync(join(bare, '.prettierrc.json'));
    expect(runCli(bare, ['move', SCHEMA_FILE, '--to', 'feature_planner_with_a_long_name', '--no-migration']).status).toBe(0);
    const after = readFileSync(join(dir, SCHEMA_FILE), 'utf8');
    expect(after).toBe(readFileSync(join(bare, SCHEMA_FILE), 'utf8'));
    return { r, after };
  };

  it('is named in a warning, and the files are left unformatted', () => {
    const dir = plannerCopy();
    rmSync(join(dir, '.prettierrc.json'));
    writeFileSync(join(dir, '.prettierrc.cjs'), "module.exports = { ...require('@acme/prettier-config'), printWidth: 100 };\n");
    const { r } = unformattedMove(dir);
    expect(r.stderr).toMatch(
      /warning: \.prettierrc\.cjs: prettier cannot load this config \(Cannot find module '@acme\/prettier-config'.*\); left unformatted: src\/lib\/db\/schema\/feature-planner\.schema\.ts\n/,
    );
  });

  it('names the config when a plugin it lists is not installed', () => {
    const dir = plannerCopy();
    writeFileSync(join(dir, '.prettierrc.json'), JSON.stringify({ singleQuote: true, printWidth: 100, plugins: ['prettier-plugin-not-installed'] }));
    const { r } = unformattedMove(dir);
    expect(r.stderr).toMatch(/warning: \.prettierrc\.json: prettier cannot load this config \(Cannot find package 'prettier-plugin-not-installed'.*\); left unformatted: /);
  });
});

describe('untouchedRuns', () => {
  //            0         1         2         3
  //            0123456789012345678901234567890123
  const text = 'a = 1;\nb = 2;\n\nc = 3; // c\nd = 4;\n';
  const statements = [
    { start: 0, end: 6 },
    { start: 7, end: 13 },
    { start: 15, end: 26 },
    { start: 27, end: 33 },
  ];

  it('joins consecutive untouched statements with what lies between them', () => {
    expect(untouchedRuns(text, statements, [{ start: 7, end: 8, text: 'B' }])).toEqual(['a = 1;', 'c = 3; // c\nd = 4;']);
  });

  it('counts an insertion at a statement edge as touching it', () => {
    expect(untouchedRuns(text, statements, [{ start: 26, end: 26, text: '\ne = 5;' }])).toEqual(['a = 1;\nb = 2;', 'd = 4;']);
  });

  it('gives everything when nothing is edited, and nothing when everything is', () => {
    expect(untouchedRuns(text, statements, [])).toEqual([text.trimEnd()]);
    expect(untouchedRuns(text, statements, [{ start: 0, end: 33, text: '' }])).toEqual([]);
  });
});

describe('containsInOrder', () => {
  it('wants every part, in order, without overlap', () => {
    expect(containsInOrder('abcabc', ['abc', 'abc'])).toBe(true);
    expect(containsInOrder('abcab', ['abc', 'abc'])).toBe(false);
    expect(containsInOrder('b a', ['a', 'b'])).toBe(false);
    expect(containsInOrder('anything', [])).toBe(true);
  });
});
