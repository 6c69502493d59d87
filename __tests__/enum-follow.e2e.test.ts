/**
 * `--to growth --tables a,b` and `--map growth=a,b` move the same objects: an
 * enum of the given files that only moved tables use follows them, and every
 * output says so. Through the built CLI (run `npm run build` first), on temp
 * copies of the schema-split project (seed 004).
 */
import Ajv from 'ajv';
import { readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, copyFixtureProject, hashTree, removedAfterEach, writeTempTree } from './helpers/tempProject';
import { runCliHere, runKit } from './helpers/run';

const FILES = ['src/db/schema/growth.ts', 'src/db/schema/enums.ts'];
const validate = new Ajv().compile(JSON.parse(readFileSync(join(REPO_ROOT, 'schema', 'report.schema.json'), 'utf8')));

describe('enums follow the tables named in --tables, as they do with --map', () => {
  const track = removedAfterEach();

  it('the same moves and the same migration either way; job_status, shared with a table that stays, stays and is named', async () => {
    const dir = track(copyFixtureProject('schema-split'));
    const before = hashTree(dir);
    const json = async (args: string[]) => {
      const run = await runCliHere(dir, ['move', ...FILES, ...args, '--dry-run', '--no-verify', '--format', 'json']);
      expect({ code: run.status, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
      return JSON.parse(run.stdout);
    };
    const narrowed = await json(['--to', 'growth', '--tables', 'entities,jobs']);
    const mapped = await json(['--map', 'growth=entities,jobs']);
    expect(hashTree(dir)).toEqual(before);
    expect(validate(narrowed)).toBe(true);

    const moved = (report: { moves: { kind: string; name: string; follows?: string[] }[] }) =>
      report.moves.map((m) => `${m.kind} ${m.name}${m.follows ? ` follows ${m.follows.join(',')}` : ''}`);
    expect(moved(narrowed)).toEqual(['table entities', 'table jobs', 'enum entity_type follows entities']);
    expect(moved(mapped)).toEqual(moved(narrowed));
    expect(narrowed.migration.sql).toContain('ALTER TYPE "public"."entity_type" SET SCHEMA "growth";');
    expect(narrowed.migration.sql).toBe(mapped.migration.sql);
    expect(narrowed.warnings).toEqual([
      "src/db/schema/enums.ts:18: enum 'job_status' is used by tables headed for different schemas: growth (jobs), public (generation_jobs); it stays in 'public' (name it in --enums to choose)",
    ]);
  });

  it('text and markdown say which enum follows which tables; --enums still decides', async () => {
    const dir = track(copyFixtureProject('schema-split'));
    const args = ['move', ...FILES, '--to', 'growth', '--tables', 'entities', '--dry-run', '--no-migration'];
    const text = await runCliHere(dir, args);
    expect(text.status).toBe(0);
    expect(text.stderr).toContain(
      "would move 1 table, 1 enum: public -> growth\nenum 'entity_type' follows 1 table using it (entities) to growth; --enums chooses the enums instead\n",
    );
    const markdown = await runCliHere(dir, [...args, '--format', 'markdown']);
    expect(markdown.stdout).toContain('An enum nobody named follows the tables that use it (`--enums` chooses instead): `entity_type` with `entities`.');
    expect(markdown.stdout).toContain('| `entity_type` | enum, follows `entities` | `public` | `growth` | `src/db/schema/enums.ts:3` |');

    const chosen = await runCliHere(dir, [...args, '--enums', 'section_type', '--format', 'json']);
    expect(chosen.status).toBe(0);
    expect(JSON.parse(chosen.stdout).moves.map((m: { name: string }) => m.name)).toEqual(['entities', 'section_type']);
  });
});

describe('an enum made from a TypeScript enum, under drizzle-kit 0.31', () => {
  const track = removedAfterEach();

  it('verifies in public, and is refused out of public (exit 2, nothing written): drizzle-kit writes its columns without a schema, and its next migrations would name a type Postgres does not find', async () => {
    const dir = track(
      writeTempTree(
        new Map([
          ['drizzle.config.ts', `export default { dialect: 'postgresql', schema: './src/schema.ts', out: './drizzle' };\n`],
          [
            'src/schema.ts',
            `import { pgEnum, pgTable, serial } from 'drizzle-orm/pg-core';\nexport enum Color { RED = 'red', GREEN = 'green' }\nexport const color = pgEnum('color', Color);\nexport const items = pgTable('items', { id: serial('id').primaryKey(), color: color('color').notNull() });\n`,
          ],
        ]),
      ),
    );
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    expect(runKit(dir).status).toBe(0);
    // What drizzle-kit 0.31 records: the type's bare name, no typeSchema.
    const snapshot = JSON.parse(readFileSync(join(dir, 'drizzle', 'meta', '0000_snapshot.json'), 'utf8'));
    expect(snapshot.tables['public.items'].columns.color).toEqual(expect.not.objectContaining({ typeSchema: expect.anything() }));
    const tree = hashTree(dir);
    // In public it is what the snapshot says: the bare name is public's type, not drift.
    const verified = await runCliHere(dir, ['verify', '--rows', '5']);
    expect(verified.stderr).not.toMatch(/drift|type color/i);
    expect(verified.status).toBe(0);
    const run = await runCliHere(dir, ['move', 'src/schema.ts', '--to', 'billing', '--no-verify']);
    expect(run.stderr).toContain('enum color is made from a TypeScript enum');
    expect(run.stderr).toContain('(billing.items.color)');
    expect(run.status).toBe(2);
    expect(hashTree(dir)).toEqual(tree);
  });
});
