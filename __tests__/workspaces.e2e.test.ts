import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PLANNER_MOVE } from './helpers/cases';
import { runCli, runCliHere, runKit } from './helpers/run';
import { hashTree, PROJECTS_DIR, removedAfterEach, REPO_ROOT } from './helpers/tempProject';

/**
 * A hoisted workspace, as npm, yarn and pnpm's `shamefully-hoist` lay it out:
 * drizzle-kit only in the monorepo root's node_modules, the package's own
 * node_modules holding the rest (drizzle-orm here), and the package's
 * tsconfig extending the root's.
 */
const track = removedAfterEach();

function monorepo(): { root: string; pkg: string } {
  const root = track(mkdtempSync(join(tmpdir(), 'reschema-monorepo-')));
  const pkg = join(root, 'packages', 'db');
  writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'mono', private: true, workspaces: ['packages/*'] }, null, 2));
  writeFileSync(join(root, 'tsconfig.base.json'), JSON.stringify({ compilerOptions: { strict: true, skipLibCheck: true } }, null, 2));
  mkdirSync(join(root, 'node_modules'));
  symlinkSync(join(REPO_ROOT, 'node_modules', 'drizzle-kit'), join(root, 'node_modules', 'drizzle-kit'), 'dir');
  cpSync(join(PROJECTS_DIR, PLANNER_MOVE.fixture), pkg, { recursive: true });
  const tsconfig = JSON.parse(readFileSync(join(pkg, 'tsconfig.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(pkg, 'tsconfig.json'), JSON.stringify({ extends: '../../tsconfig.base.json', ...tsconfig }, null, 2));
  mkdirSync(join(pkg, 'node_modules'));
  symlinkSync(join(REPO_ROOT, 'node_modules', 'drizzle-orm'), join(pkg, 'node_modules', 'drizzle-orm'), 'dir');
  return { root, pkg };
}

describe('a package of a hoisted workspace', () => {
  it('moves with drizzle-kit found only in the monorepo root, as a plain drizzle-kit generate finds it', () => {
    const { pkg } = monorepo();
    const migrations = join(pkg, PLANNER_MOVE.out);
    const before = readdirSync(migrations);
    const r = runCli(pkg, ['move', PLANNER_MOVE.schemaFile, '--to', PLANNER_MOVE.to, '--rows', '20']);
    expect(r.stderr).not.toMatch(/Cannot find module/);
    expect(r.status).toBe(0);
    const added = readdirSync(migrations).filter((f) => !before.includes(f));
    expect(added).toEqual([expect.stringMatching(/_move_to_feature_planner\.rollback\.sql$/), expect.stringMatching(/_move_to_feature_planner\.sql$/)]);
    expect(readFileSync(join(migrations, added.find((f) => !f.includes('rollback'))!), 'utf8')).toContain(
      'ALTER TABLE "public"."feature_plans" SET SCHEMA "feature_planner";',
    );
    // And drizzle-kit itself, run in the package, sees the move as done.
    const kit = runKit(pkg, ['generate', '--config', 'drizzle.config.ts']);
    expect(`${kit.stdout}${kit.stderr}`).toMatch(/No schema changes/);
  }, 180_000);

  it("names drizzle-kit's first error line when it fails, not the end of its stack", () => {
    const { pkg } = monorepo();
    // A schema file only drizzle-kit loads (the tool reads schema files as text) imports a package not installed.
    const index = join(pkg, 'src/lib/db/schema/index.ts');
    writeFileSync(index, `import 'no-such-package';\n${readFileSync(index, 'utf8')}`);
    const before = hashTree(pkg);
    const r = runCli(pkg, ['move', PLANNER_MOVE.schemaFile, '--to', PLANNER_MOVE.to, '--no-verify']);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^drizzle-reschema: drizzle-kit \S+ generate failed \(exit \d+\): Error: Cannot find module 'no-such-package'$/),
    ]);
    expect(hashTree(pkg)).toEqual(before);
  }, 180_000);
});

/** Sets the package's drizzle config: its `schema` and `out` as given (the rest as the fixture has them). */
function configure(pkg: string, schema: string[], out: string): void {
  writeFileSync(
    join(pkg, 'drizzle.config.ts'),
    `import { defineConfig } from 'drizzle-kit';\nexport default defineConfig({ dialect: 'postgresql', schema: ${JSON.stringify(schema)}, out: ${JSON.stringify(out)}, migrations: { prefix: 'timestamp' } });\n`,
  );
}

describe('another package of the workspace (Dokploy: the config in apps/dokploy, the schema in packages/server; onlook: the migrations in apps/backend)', () => {
  it('moves a schema file of another package the config reads, with verification; drizzle-kit then finds nothing to do', async () => {
    const { root, pkg } = monorepo();
    const shared = join(root, 'packages', 'shared');
    mkdirSync(shared);
    writeFileSync(join(shared, 'package.json'), JSON.stringify({ name: 'shared', private: true }));
    // Its own dependencies, as pnpm links them.
    mkdirSync(join(shared, 'node_modules'));
    symlinkSync(join(REPO_ROOT, 'node_modules', 'drizzle-orm'), join(shared, 'node_modules', 'drizzle-orm'), 'dir');
    writeFileSync(join(shared, 'columns.ts'), `import { text } from 'drizzle-orm/pg-core';\nexport const body = () => text('body');\n`);
    writeFileSync(
      join(shared, 'schema.ts'),
      `import { pgTable, serial } from 'drizzle-orm/pg-core';\nimport { body } from './columns';\n\nexport const notes = pgTable('notes', { id: serial('id').primaryKey(), body: body() });\n`,
    );
    configure(pkg, ['./src/lib/db/schema/index.ts', '../shared/schema.ts'], PLANNER_MOVE.out);
    runKit(pkg, ['generate', '--config', 'drizzle.config.ts', '--name', 'notes']);
    const migrations = join(pkg, PLANNER_MOVE.out);
    const notes = readdirSync(migrations).find((f) => f.endsWith('_notes.sql'));
    expect(notes && readFileSync(join(migrations, notes), 'utf8')).toContain('CREATE TABLE "notes"');
    const r = await runCliHere(pkg, ['move', '../shared/schema.ts', '--to', 'notes_schema', '--rows', '20']);
    expect(r.stderr).not.toMatch(/drizzle-reschema:/);
    expect(r.status).toBe(0);
    expect(readFileSync(join(shared, 'schema.ts'), 'utf8')).toContain("export const notes = notesSchema.table('notes'");
    const sql = readdirSync(migrations).find((f) => /_move_to_notes_schema\.sql$/.test(f))!;
    expect(readFileSync(join(migrations, sql), 'utf8')).toContain('ALTER TABLE "public"."notes" SET SCHEMA "notes_schema";');
    const kit = runKit(pkg, ['generate', '--config', 'drizzle.config.ts']);
    expect(`${kit.stdout}${kit.stderr}`).toMatch(/No schema changes/);
  });

  it('writes the migration into a migrations folder of another package, with verification', async () => {
    const { root, pkg } = monorepo();
    const elsewhere = join(root, 'apps', 'backend', 'migrations');
    mkdirSync(join(root, 'apps', 'backend'), { recursive: true });
    cpSync(join(pkg, PLANNER_MOVE.out), elsewhere, { recursive: true });
    rmSync(join(pkg, PLANNER_MOVE.out), { recursive: true });
    configure(pkg, ['./src/lib/db/schema/index.ts'], '../../apps/backend/migrations');
    const r = await runCliHere(pkg, ['move', PLANNER_MOVE.schemaFile, '--to', PLANNER_MOVE.to, '--rows', '20']);
    expect(r.stderr).not.toMatch(/drizzle-reschema:/);
    expect(r.status).toBe(0);
    expect(readdirSync(elsewhere).filter((f) => f.includes('_move_to_feature_planner'))).toHaveLength(2);
    const kit = runKit(pkg, ['generate', '--config', 'drizzle.config.ts']);
    expect(`${kit.stdout}${kit.stderr}`).toMatch(/No schema changes/);
  });

  it('is exit 2 naming it and what to do for a schema file outside the workspace, before drizzle-kit runs, nothing written', async () => {
    const { root, pkg } = monorepo();
    const outside = track(mkdtempSync(join(tmpdir(), 'reschema-outside-')));
    writeFileSync(
      join(outside, 'schema.ts'),
      `import { pgTable, serial, text } from 'drizzle-orm/pg-core';\nexport const notes = pgTable('notes', { id: serial('id').primaryKey(), body: text('body') });\n`,
    );
    const tree = hashTree(root);
    const r = await runCliHere(pkg, ['move', join(outside, 'schema.ts'), '--to', 'notes_schema', '--rows', '20']);
    expect(r.stderr).toContain(`a schema file to move (${join(outside, 'schema.ts')}) is outside the project (${pkg}) and not in a package of its workspace (${root})`);
    expect(r.status).toBe(2);
    expect(hashTree(root)).toEqual(tree);
  });
});
