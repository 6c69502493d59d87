/**
 * Schema files that import each other (a foreign key one way, relations()
 * the other: the usual real-world layout) and all move. A pgSchema declared
 * in any of them would be read in its temporal dead zone while the others
 * load, so the move declares it in a new `schemas.ts` that imports none of
 * them, and one of them re-exports it for drizzle-kit. Was refused ("declare
 * it in a file of its own"), as on Dokploy and onlook. End to end with the
 * real drizzle-kit 0.31 and 1.0, with the move's default verification; a
 * drizzle config reading a folder (which then loads schemas.ts as well) and
 * one reading a barrel (which sees it only through the re-export).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { copyKit10Project, kit10Bin } from './helpers/kit10Project';
import { runCliHere, runKit } from './helpers/run';
import { copyFixtureProject, removedAfterEach } from './helpers/tempProject';
import { typecheckProject } from './helpers/typecheck';
import { spawnSync } from 'node:child_process';

const track = removedAfterEach();

/**
 * users.ts gains a value from growth.ts, closing a cycle with growth.ts's
 * foreign key to users: relations() on 0.31; drizzle-orm 1.0 has no
 * relations() (its defineRelations lives in a file of its own), so a plain
 * list there.
 */
function closeSplitCycle(dir: string, kit10: boolean): void {
  const users = join(dir, 'src/db/schema/users.ts');
  const text = readFileSync(users, 'utf8');
  const use = kit10
    ? 'export const ownedByUsers = [entities];\n'
    : 'export const usersRelations = relations(users, ({ many }) => ({\n  entities: many(entities),\n}));\n';
  writeFileSync(users, `${kit10 ? '' : 'import { relations } from "drizzle-orm";\n'}${text}\nimport { entities } from "./growth";\n\n${use}`);
}

function noSchemaChanges(dir: string, kit10: boolean): string {
  const run = kit10
    ? spawnSync(process.execPath, [kit10Bin(), 'generate'], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: 'true' } })
    : runKit(dir);
  return run.stdout + run.stderr;
}

describe.each([
  ['0.31', () => copyFixtureProject('schema-split'), false],
  ['1.0', () => copyKit10Project('schema-split-v1'), true],
] as const)('drizzle-kit %s, a config reading the schema folder', (_line, copy, kit10) => {
  it('moves two files that import each other: the pgSchema goes into a new schemas.ts, verified, and drizzle-kit finds nothing left to do', async () => {
    const dir = track(copy());
    closeSplitCycle(dir, kit10);
    const r = await runCliHere(dir, ['move', 'src/db/schema/growth.ts', 'src/db/schema/users.ts', '--to', 'growth', '--rows', '20']);
    expect(r.stderr).not.toMatch(/drizzle-reschema:/);
    expect(r.status).toBe(0);
    expect(readFileSync(join(dir, 'src/db/schema/schemas.ts'), 'utf8')).toBe('import { pgSchema } from "drizzle-orm/pg-core";\n\nexport const growth = pgSchema("growth");\n');
    const growth = readFileSync(join(dir, 'src/db/schema/growth.ts'), 'utf8');
    const users = readFileSync(join(dir, 'src/db/schema/users.ts'), 'utf8');
    expect(growth).toContain('import { growth } from "./schemas";');
    expect(users).toContain('import { growth } from "./schemas";');
    // The config reads the folder, so drizzle-kit finds schemas.ts itself: a re-export would show
    // drizzle-kit 1.0 the value twice, which it refuses ("duplicate schema name").
    expect(`${growth}${users}`).not.toContain('export { growth }');
    expect(r.stdout + r.stderr).toMatch(/verified/i);
    expect(noSchemaChanges(dir, kit10)).toContain('No schema changes');
    expect(typecheckProject(dir)).toBe('');
  });
});

describe.each([
  ['0.31', () => copyFixtureProject('feature-planner'), false],
  ['1.0', () => copyKit10Project('feature-planner-v1'), true],
] as const)('drizzle-kit %s, a config reading a barrel', (_line, copy, kit10) => {
  it('one of the files re-exports the pgSchema, which is how drizzle-kit finds it', async () => {
    const dir = track(copy());
    const users = join(dir, 'src/lib/db/schema/users.schema.ts');
    // users.schema.ts names a feature-planner table (as a relations() file would), which already imports users.
    writeFileSync(users, `${readFileSync(users, 'utf8')}\nimport { featurePlans } from '@/lib/db/schema/feature-planner.schema';\n\nexport const planTables = [featurePlans];\n`);
    const r = await runCliHere(dir, ['move', 'src/lib/db/schema/feature-planner.schema.ts', 'src/lib/db/schema/users.schema.ts', '--to', 'feature_planner', '--rows', '20']);
    expect(r.stderr).not.toMatch(/drizzle-reschema:/);
    expect(r.status).toBe(0);
    expect(existsSync(join(dir, 'src/lib/db/schema/schemas.ts'))).toBe(true);
    const reExports = ['feature-planner.schema.ts', 'users.schema.ts'].filter((f) =>
      readFileSync(join(dir, 'src/lib/db/schema', f), 'utf8').includes("export { featurePlanner } from './schemas';"),
    );
    expect(reExports).toHaveLength(1);
    expect(readFileSync(join(dir, 'src/lib/db/schema/index.ts'), 'utf8')).not.toContain('schemas');
    expect(noSchemaChanges(dir, kit10)).toContain('No schema changes');
    expect(typecheckProject(dir)).toBe('');
  });
});
