/**
 * A drizzle config is a module of the project: it may import the project's
 * own TypeScript (an env or constants file, a workspace package whose entry
 * is source), as drizzle-kit's loader lets it. The tool must read the same
 * config drizzle-kit reads, or refuse with the module it could not find.
 */
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { loadDrizzleConfig, readsSchemaFile } from '../src/generate/drizzleConfig';
import { removedAfterEach, writeTempTree } from './helpers/tempProject';

const track = removedAfterEach();
const project = (files: Record<string, string>) => track(writeTempTree(new Map(Object.entries(files))));

describe('loadDrizzleConfig', () => {
  it("reads what the config imports from the project's own TypeScript: extensionless, NodeNext `.js` names of `.ts` files, index files, import cycles", () => {
    const dir = project({
      'drizzle.config.ts': [
        `import { DB_CASING } from './src/casing';`,
        `import { OUT } from './src/paths.js';`,
        `import { table } from './src/db';`,
        `export default { dialect: 'postgresql', schema: './src/schema.ts', casing: DB_CASING, out: OUT, migrations: { table } };`,
      ].join('\n'),
      'src/casing.ts': `export const DB_CASING = 'snake_case' as const;\n`,
      'src/paths.ts': `import { prefix } from './db/index';\nexport const OUT = \`./\${prefix}-migrations\`;\n`,
      'src/db/index.ts': `import { OUT } from '../paths';\nexport const prefix: string = 'app';\nexport const table = () => OUT;\n`,
    });
    const config = loadDrizzleConfig(dir);
    expect(config.casing).toBe('snake_case');
    expect(config.out).toBe(join(dir, 'app-migrations'));
    // The cycle paths -> db/index -> paths resolved as Node's require does: the exports so far, then complete.
    expect((config.raw.migrations as { table: () => string }).table()).toBe('./app-migrations');
  });

  it('reads a workspace package whose entry is TypeScript source, and leaves JavaScript packages to Node', () => {
    const dir = project({
      'drizzle.config.ts': `import { DB_OUT } from '@acme/db-constants';\nimport pad from 'pad-js';\nexport default { dialect: 'postgresql', schema: './schema.ts', out: pad(DB_OUT) };\n`,
      'packages/db-constants/package.json': JSON.stringify({ name: '@acme/db-constants', main: './src/index.ts' }),
      'packages/db-constants/src/index.ts': `export const DB_OUT: string = 'migrations';\n`,
      'node_modules/pad-js/package.json': JSON.stringify({ name: 'pad-js', main: 'index.js' }),
      'node_modules/pad-js/index.js': `module.exports = (s) => './' + s;\n`,
    });
    mkdirSync(join(dir, 'node_modules', '@acme'));
    symlinkSync(join(dir, 'packages', 'db-constants'), join(dir, 'node_modules', '@acme', 'db-constants'), 'dir');
    expect(loadDrizzleConfig(dir).out).toBe(join(dir, 'migrations'));
  });

  it('names the module a config imports that does not exist', () => {
    const dir = project({ 'drizzle.config.ts': `import { X } from './src/missing';\nexport default { dialect: 'postgresql', out: X };\n` });
    expect(() => loadDrizzleConfig(dir)).toThrow("drizzle.config.ts: cannot be loaded: Cannot find module './src/missing'");
  });
});

describe('readsSchemaFile: the files drizzle-kit reads as schema files', () => {
  const dir = () =>
    project({
      'src/db/schema/users.ts': '',
      'src/db/schema/index.ts': '',
      'src/db/schema/nested/deep.ts': '',
    });
  const reads = (root: string, schema: unknown, file: string) => readsSchemaFile({ raw: { schema } }, root, join(root, file));

  it('a file: that file only', () => {
    const root = dir();
    expect(reads(root, './src/db/schema/index.ts', 'src/db/schema/index.ts')).toBe(true);
    expect(reads(root, './src/db/schema/index.ts', 'src/db/schema/schemas.ts')).toBe(false);
  });

  it('a folder: the files in it, new ones too, and not those in its subfolders', () => {
    const root = dir();
    expect(reads(root, './src/db/schema', 'src/db/schema/schemas.ts')).toBe(true);
    expect(reads(root, 'src/db/schema/', 'src/db/schema/schemas.ts')).toBe(true);
    expect(reads(root, './src/db/schema', 'src/db/schema/nested/schemas.ts')).toBe(false);
  });

  it('globs, alone or in a list, and a glob that matches the folder', () => {
    const root = dir();
    expect(reads(root, './src/db/schema/*.ts', 'src/db/schema/schemas.ts')).toBe(true);
    expect(reads(root, './src/db/schema/*.schema.ts', 'src/db/schema/schemas.ts')).toBe(false);
    expect(reads(root, ['./src/other.ts', './src/**/*.ts'], 'src/db/schema/nested/schemas.ts')).toBe(true);
    expect(reads(root, './src/db/*', 'src/db/schema/schemas.ts')).toBe(true);
    expect(reads(root, undefined, 'src/db/schema/schemas.ts')).toBe(false);
  });
});
