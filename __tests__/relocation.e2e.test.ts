/**
 * A pure move is only SET SCHEMA: on a project whose snapshot keeps SQL text
 * naming the moved tables (a partial and an expression index, checks, a
 * generated column, policies, views, on `"Posts"` and `"user"`), moves out of
 * public, between schemas and back write no DROP or CREATE of an index, view,
 * constraint, column or policy; the default verification passes and
 * drizzle-kit sees nothing left to do.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { relocateSqlText } from '../src/generate/relocateSqlText';
import { splitStatements } from '../src/verify/migrationSet';
import { runCliHere, runKit } from './helpers/run';
import { copyFixtureProject, removeTemp } from './helpers/tempProject';

const FILE = 'src/db/schema.ts';
const OBJECTS = ['--tables', 'user,Posts,published_posts', '--enums', 'postStatus'];
const PURE_MOVE = /^(CREATE SCHEMA "[^"]+";|ALTER (TABLE|TYPE|VIEW) "[^"]+"\."[^"]+" SET SCHEMA "[^"]+";)$/;

function migration(dir: string, name: string): string[] {
  const file = readdirSync(join(dir, 'drizzle')).find((f) => f.endsWith(`_${name}.sql`) && !f.endsWith('.rollback.sql'))!;
  return splitStatements(readFileSync(join(dir, 'drizzle', file), 'utf8')).map((s) => s.trim());
}

describe('relocation of SQL text in the snapshot', () => {
  let dir: string;
  beforeAll(() => {
    dir = copyFixtureProject('relocation');
  });
  afterAll(() => removeTemp(dir));

  it.each([
    ['growth', 'out of public'],
    ['archive', 'from one schema to another'],
    ['public', 'back to public'],
  ])('to %s (%s): only SET SCHEMA, verified, and drizzle-kit sees no change', async (to, _what) => {
    const r = await runCliHere(dir, ['move', FILE, '--to', to, ...OBJECTS, '--name', `to_${to}`, '--rows', '50']);
    expect(r.stderr).toContain('verified');
    expect(r.status).toBe(0);
    const statements = migration(dir, `to_${to}`);
    // Back to public empties archive (the previous case's target): its pgSchema declaration goes, so the schema is dropped after the moves.
    // Besides the lock every move takes first (src/patch/lockOrder.ts).
    expect(statements[0]).toMatch(/^\s*LOCK TABLE /m);
    expect(statements.slice(1).filter((s) => !PURE_MOVE.test(s))).toEqual(to === 'public' ? ['DROP SCHEMA "archive";'] : []);
    expect(statements.filter((s) => s.includes('SET SCHEMA'))).toHaveLength(4);
    const kit = runKit(dir);
    expect(kit.stdout + kit.stderr).toContain('No schema changes');
  });
});

describe('relocateSqlText', () => {
  const moves = [
    { name: 'Posts', from: 'public', to: 'growth' },
    { name: 'user', from: 'growth', to: 'public' },
    { name: 'jobs', from: 'growth', to: 'archive' },
  ];
  it.each([
    ['"Posts"."status" = \'published\'', '"growth"."Posts"."status" = \'published\''],
    ['select "id" from "Posts" inner join "Posts" on "Posts"."id" = 1', 'select "id" from "growth"."Posts" inner join "growth"."Posts" on "growth"."Posts"."id" = 1'],
    ['"growth"."user"."id" = (select "growth"."jobs"."id" from "growth"."jobs")', '"user"."id" = (select "archive"."jobs"."id" from "archive"."jobs")'],
    // A column called Posts, a literal, and what the user wrote qualified by hand stay as they are.
    ['lower("Posts") || \'"Posts"."x"\' || "notes"."Posts"', 'lower("Posts") || \'"Posts"."x"\' || "notes"."Posts"'],
    ['"public"."Posts"."id" from "public"."Posts"', '"public"."Posts"."id" from "public"."Posts"'],
    // A schema named like a moved public table: "Posts"."x"."y" is schema Posts.
    ['"Posts"."x"."y" from "Posts"."x"', '"Posts"."x"."y" from "Posts"."x"'],
  ])('%s', (text, expected) => {
    expect(relocateSqlText(text, moves)).toBe(expected);
  });
});
