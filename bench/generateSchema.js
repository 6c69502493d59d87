'use strict';
/**
 * Synthetic Drizzle project generator for the benchmarks.
 *
 *   generateSchemaProject(dir, { tables, enums, files, seed? })
 *
 * writes into `dir`:
 *   package.json, tsconfig.json, drizzle.config.ts
 *   src/db/schema/users.ts            -- `users`, never moved
 *   src/db/schema/schema_NNN.ts x files -- the enums and tables, split in contiguous blocks
 *
 * Every table has 6-10 columns: a uuid primary key, a name, an enum column
 * (the enum comes from the same file or, imported, from an earlier one), a
 * `.references(() => table_j.id)` foreign key to an earlier table (in an
 * earlier file whenever there is one), every third table an FK to `users`,
 * plus filler columns, and an index on `name`. The output is fully
 * deterministic: the only "randomness" is a seeded PRNG.
 *
 * Returns { dir, schemaDir, usersFile, schemaFiles, tables, enums, files }
 * where schemaFiles are paths relative to `dir` (users.ts excluded).
 */
const fs = require('node:fs');
const path = require('node:path');

/** mulberry32: a tiny seeded PRNG, good enough to spread references around. */
function prng(seed) {
  let a = seed >>> 0;
  return function next() {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** [start, end) of block `i` when `count` items are split into `parts` contiguous blocks. */
function block(i, count, parts) {
  return [Math.floor((i * count) / parts), Math.floor(((i + 1) * count) / parts)];
}

function pad(n, width) {
  return String(n).padStart(width, '0');
}

/** Filler columns, taken in order until the table has its column count. */
const FILLER = [
  { code: "note: text('note')", uses: ['text'] },
  { code: "count: integer('count').notNull().default(0)", uses: ['integer'] },
  { code: "active: boolean('active').notNull().default(true)", uses: ['boolean'] },
  { code: "meta: jsonb('meta')", uses: ['jsonb'] },
  { code: "score: integer('score')", uses: ['integer'] },
  { code: "updatedAt: timestamp('updated_at', { withTimezone: true })", uses: ['timestamp'] },
  { code: "slug: text('slug').unique()", uses: ['text'] },
];

function generateSchemaProject(dir, options) {
  const { tables, enums, files, seed = 0x5eed } = options;
  if (!(tables > 0 && files > 0 && enums >= 0)) throw new Error('generateSchemaProject: need tables > 0, files > 0, enums >= 0');
  if (tables < files) throw new Error('generateSchemaProject: every schema file needs at least one table');
  const random = prng(seed);
  const width = Math.max(3, String(files - 1).length);
  const fileName = (f) => `schema_${pad(f, width)}`;
  const schemaDir = path.join(dir, 'src', 'db', 'schema');
  fs.mkdirSync(schemaDir, { recursive: true });

  fs.writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify(
      {
        name: 'bench-synthetic-schema',
        version: '0.0.0',
        private: true,
        dependencies: { 'drizzle-kit': '^0.31.11', 'drizzle-orm': '^0.45.4' },
      },
      null,
      2,
    ) + '\n',
  );
  fs.writeFileSync(
    path.join(dir, 'tsconfig.json'),
    JSON.stringify(
      {
        compilerOptions: {
          target: 'ES2022',
          lib: ['ES2022'],
          module: 'ESNext',
          moduleResolution: 'Bundler',
          strict: true,
          esModuleInterop: true,
          skipLibCheck: true,
          noEmit: true,
        },
        include: ['src', 'drizzle.config.ts'],
      },
      null,
      2,
    ) + '\n',
  );
  fs.writeFileSync(
    path.join(dir, 'drizzle.config.ts'),
    [
      "import { defineConfig } from 'drizzle-kit';",
      '',
      'export default defineConfig({',
      "  dialect: 'postgresql',",
      "  schema: './src/db/schema',",
      "  out: './drizzle',",
      "  dbCredentials: { url: process.env.DATABASE_URL ?? 'postgres://localhost:5432/app' },",
      '});',
      '',
    ].join('\n'),
  );

  const usersFile = path.join('src', 'db', 'schema', 'users.ts');
  fs.writeFileSync(
    path.join(dir, usersFile),
    [
      "import { pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';",
      '',
      "export const users = pgTable('users', {",
      "  id: uuid('id').primaryKey().defaultRandom(),",
      "  email: text('email').notNull().unique(),",
      "  displayName: text('display_name'),",
      "  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),",
      '});',
      '',
    ].join('\n'),
  );

  const fileOfEnum = new Array(enums);
  const fileOfTable = new Array(tables);
  for (let f = 0; f < files; f++) {
    const [es, ee] = block(f, enums, files);
    for (let e = es; e < ee; e++) fileOfEnum[e] = f;
    const [ts, te] = block(f, tables, files);
    for (let t = ts; t < te; t++) fileOfTable[t] = f;
  }

  const schemaFiles = [];
  for (let f = 0; f < files; f++) {
    const [enumStart, enumEnd] = block(f, enums, files);
    const [tableStart, tableEnd] = block(f, tables, files);
    const core = new Set(['index', 'pgTable', 'text', 'timestamp', 'uuid']);
    if (enumEnd > enumStart) core.add('pgEnum');
    /** other file index -> names imported from it */
    const imports = new Map();
    const importFrom = (file, name) => {
      if (file === f) return;
      if (!imports.has(file)) imports.set(file, new Set());
      imports.get(file).add(name);
    };
    let usesUsers = false;
    const body = [];

    for (let e = enumStart; e < enumEnd; e++) {
      body.push(`export const enum_${e} = pgEnum('enum_${e}', ['a', 'b', 'c']);`);
    }
    if (enumEnd > enumStart) body.push('');

    for (let t = tableStart; t < tableEnd; t++) {
      const columnCount = 6 + Math.floor(random() * 5); // 6..10
      const columns = ["id: uuid('id').primaryKey().defaultRandom()", "name: text('name').notNull()"];

      if (enums > 0) {
        // Half the time an enum of this file, otherwise one imported from an earlier
        // file: imports only ever point backwards, so the modules form no cycle
        // (drizzle-kit could load the project as is).
        const hasLocal = enumEnd > enumStart;
        const hasEarlier = enumStart > 0;
        const local = hasLocal && (!hasEarlier || random() < 0.5);
        const e = local
          ? enumStart + Math.floor(random() * (enumEnd - enumStart))
          : Math.floor(random() * (hasEarlier ? enumStart : enums));
        importFrom(fileOfEnum[e], `enum_${e}`);
        columns.push(`status: enum_${e}('status').notNull().default('a')`);
      }

      // An FK to an earlier table: in an earlier file when there is one, else the previous table.
      let parent;
      if (tableStart > 0) parent = Math.floor(random() * tableStart);
      else if (t > 0) parent = t - 1;
      if (parent !== undefined) {
        importFrom(fileOfTable[parent], `table_${parent}`);
        columns.push(`parentId: uuid('parent_id').references(() => table_${parent}.id, { onDelete: 'set null' })`);
      }

      if (t % 3 === 0) {
        usesUsers = true;
        columns.push("ownerId: uuid('owner_id').notNull().references(() => users.id, { onDelete: 'cascade' })");
      }
      columns.push("createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow()");
      for (let k = 0; columns.length < columnCount; k++) {
        const filler = FILLER[k];
        for (const use of filler.uses) core.add(use);
        columns.push(filler.code);
      }

      body.push(`export const table_${t} = pgTable(`);
      body.push(`  'table_${t}',`);
      body.push('  {');
      for (const column of columns) body.push(`    ${column},`);
      body.push('  },');
      body.push(`  (t) => [index('table_${t}_idx').on(t.name)],`);
      body.push(');');
      body.push('');
    }

    const header = [];
    header.push(`import { ${[...core].sort().join(', ')} } from 'drizzle-orm/pg-core';`);
    for (const file of [...imports.keys()].sort((a, b) => a - b)) {
      const names = [...imports.get(file)].sort((a, b) => {
        const [ka, na] = a.split('_');
        const [kb, nb] = b.split('_');
        return ka === kb ? Number(na) - Number(nb) : ka < kb ? -1 : 1;
      });
      header.push(`import { ${names.join(', ')} } from './${fileName(file)}';`);
    }
    if (usesUsers) header.push("import { users } from './users';");
    header.push('');

    const relative = path.join('src', 'db', 'schema', `${fileName(f)}.ts`);
    fs.writeFileSync(path.join(dir, relative), header.concat(body).join('\n'));
    schemaFiles.push(relative);
  }

  return { dir, schemaDir, usersFile, schemaFiles, tables, enums, files };
}

module.exports = { generateSchemaProject, prng };
