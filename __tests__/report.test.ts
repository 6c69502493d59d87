import Ajv from 'ajv';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { move } from '../src/move';
import { buildVerifyCommandReport } from '../src/report/buildReport';
import { renderJson } from '../src/report/json';
import { fence, renderMarkdown, renderVerificationMarkdown } from '../src/report/markdown';
import { buildSchemaDiagram, schemaDiagram } from '../src/report/mermaid';
import { redactSecrets, redactUrl } from '../src/report/redact';
import { reportMove } from '../src/report/reportMove';
import { appendStepSummary } from '../src/report/stepSummary';
import { renderText } from '../src/report/text';
import { colourEnabled, painter, progress } from '../src/report/tty';
import type { MoveReport, VerificationReport } from '../src/report/types';
import { renderVerifyText, toVerificationReport } from '../src/report/verifyTable';
import type { VerifyReport } from '../src/verify/verifyReport';
import { REPO_ROOT, copyFixtureProject, hashTree, removeTemp, writeTempTree } from './helpers/tempProject';

const schema = JSON.parse(readFileSync(join(REPO_ROOT, 'schema', 'report.schema.json'), 'utf8'));
const validate = new Ajv({ allErrors: true }).compile(schema);
const valid = (value: unknown) => {
  const ok = validate(value);
  return ok ? 'valid' : JSON.stringify(validate.errors, null, 2);
};

/** The contents of the fenced blocks of one language, in order. */
function blocks(markdown: string, language: string): string[] {
  return [...markdown.matchAll(new RegExp(`^(\`{3,})${language}\\n([\\s\\S]*?)^\\1$`, 'gm'))].map((m) => m[2]!);
}

const VERIFICATION: VerificationReport = {
  engine: 'pglite',
  rows: [
    { object: 'public.entities', kind: 'rows', before: 1000, after: 1000, ok: true },
    { object: 'entities_owner_id_idx', kind: 'index', before: 'btree (owner_id)', after: null, ok: false },
  ],
  summary: { ok: false, checked: 2, failed: 1 },
};

describe('reports of a dry run on the feature-planner project (seed 000)', () => {
  const PLANNER = 'src/lib/db/schema/feature-planner.schema.ts';
  let dir: string;
  let report: MoveReport;
  beforeAll(async () => {
    dir = copyFixtureProject('feature-planner');
    const before = hashTree(dir);
    const result = await move({ files: [PLANNER], cwd: dir, to: 'feature_planner', dryRun: true });
    report = await reportMove(result, { root: dir, dryRun: true, grants: [] });
    expect(hashTree(dir)).toEqual(before);
  });
  afterAll(() => removeTemp(dir));

  it('JSON: version 1, valid against schema/report.schema.json, paths relative to the project', () => {
    const json = JSON.parse(renderJson(report));
    expect(valid(json)).toBe('valid');
    expect(json).toMatchObject({ version: 1, command: 'move', mode: 'dry-run', written: false });
    expect(json.moves).toHaveLength(19);
    expect(json.files.map((f: { role: string }) => f.role).sort()).toEqual(['journal', 'migration', 'rollback', 'schema', 'snapshot']);
    expect(renderJson(report)).not.toContain(dir);
  });

  it('the schema catches what it does not document: an unknown field, another version, a missing field', () => {
    const json = JSON.parse(renderJson(report));
    expect(validate({ ...json, surprise: true })).toBe(false);
    expect(validate({ ...json, version: 2 })).toBe(false);
    const { moves: _moves, ...withoutMoves } = json;
    expect(validate(withoutMoves)).toBe(false);
  });

  it('markdown: the TypeScript diff in a diff block, the migration in a sql block, the moves table and the diagram', () => {
    const markdown = renderMarkdown(report);
    expect(markdown).toMatch(/^## drizzle-reschema: move to `feature_planner` \(dry run\)\n/);
    expect(markdown).toContain('Would move 11 enums, 8 tables: `public` → `feature_planner`.');
    expect(blocks(markdown, 'diff')).toEqual([report.schemaDiff]);
    expect(report.schemaDiff).toContain("+export const featurePlanner = pgSchema('feature_planner');");
    // The diff block holds the TypeScript only; the SQL has blocks of its own.
    expect(report.schemaDiff).not.toContain('.sql');
    const [sql, rollback] = blocks(markdown, 'sql');
    expect(sql).toBe(report.migration!.sql);
    expect(rollback).toBe(report.migration!.rollbackSql);
    for (const m of report.moves) {
      expect(markdown).toContain(`| \`${m.name}\` | ${m.kind} | \`public\` | \`feature_planner\` | \`${m.file}:${m.line}\` |`);
    }
    expect(blocks(markdown, 'mermaid')).toEqual([schemaDiagram(report)]);
  });

  it('mermaid: every foreign key of the moved tables in both pictures, one edge per constraint, labelled with its SQL columns', () => {
    const diagram = schemaDiagram(report);
    expect(diagram.startsWith('flowchart LR\n')).toBe(true);
    expect(diagram).toMatch(/subgraph before_s0\["public"\]/);
    expect(diagram).toMatch(/subgraph after_s0\["feature_planner"\]/);
    expect(diagram).toMatch(/subgraph after_s1\["public"\]\n\s+after_s1_0\["users"\]/);
    expect(diagram).toContain('"11 enums<br/>');
    const cross = report.foreignKeys.filter((fk) => fk.crossSchema);
    expect(cross).toHaveLength(3);
    expect(cross.every((fk) => fk.to?.schema === 'public' && fk.to.table === 'users' && fk.before.fromSchema === 'public')).toBe(true);
    // 11 constraints: 3 to public.users, 8 among the moved tables (a self-reference among them).
    expect(report.foreignKeys).toHaveLength(11);
    const edges = diagram.split('\n').filter((l) => l.includes('-->'));
    expect(edges.filter((e) => e.startsWith('  before_'))).toHaveLength(11);
    const after = edges.filter((e) => e.startsWith('  after_'));
    expect(after).toHaveLength(11);
    expect(after.filter((e) => / after_s1_0$/.test(e)).map((e) => e.replace(/^ {2}after_s0_\d+ /, ''))).toEqual([
      '-->|"user_id → id"| after_s1_0',
      '-->|"added_by_user_id → id"| after_s1_0',
      '-->|"user_id → id"| after_s1_0',
    ]);
    expect(after).toContain('  after_s0_0 -->|"parent_plan_id → id"| after_s0_0');
    expect(diagram).not.toContain('%%');
  });

  it('mermaid: a composite foreign key is one edge with its columns; over the limit, the keys inside one schema are left out and the note says so', () => {
    const fk = (table: string, toTable: string, columns: string[], cross: boolean) => ({
      from: { schema: 'growth', table, file: 'src/db/schema.ts', line: 1 },
      columns,
      to: { schema: cross ? 'public' : 'growth', table: toTable, column: 'id', columns: columns.map((c) => c.replace(/_id$/, '')) },
      before: { fromSchema: 'public', toSchema: 'public' },
      crossSchema: cross,
    });
    const small: MoveReport = {
      ...report,
      moves: [{ kind: 'table', name: 'members', identifier: 'members', from: 'public', to: 'growth', file: 'src/db/schema.ts', line: 1 }],
      alreadyInPlace: [],
      foreignKeys: [fk('members', 'org_users', ['org_id', 'user_id'], true)],
    };
    expect(schemaDiagram(small).split('\n').filter((l) => l.includes('-->'))).toEqual([
      '  before_s0_0 -->|"org_id, user_id → org, user"| before_s0_1',
      '  after_s0_0 -->|"org_id, user_id → org, user"| after_s1_0',
    ]);

    // 40 constraints, 80 edges: the 8 that cross a schema after the move, then the 32 others after it, then 20 before it.
    const big: MoveReport = {
      ...small,
      foreignKeys: Array.from({ length: 40 }, (_, i) => fk('members', `t${i}`, [`c${i}_id`], i < 8)),
    };
    const diagram = buildSchemaDiagram(big);
    const edges = diagram.mermaid.split('\n').filter((l) => l.includes('-->'));
    expect(edges).toHaveLength(60);
    expect(edges.filter((e) => e.startsWith('  after_'))).toHaveLength(40);
    expect(diagram.note).toBe(
      'The diagram draws 60 of its 80 foreign key edges (8 crossing a schema, 32 inside one after the move, 20 before it); the other 20 are left out to keep it readable. The JSON report (--format json) has every key.',
    );
    expect(diagram.mermaid).toContain(`  %% ${diagram.note}\n`);
    expect(renderMarkdown(big)).toContain('the other 20 are left out to keep it readable');
    // A move whose keys all stay inside one schema still shows them, as far as the limit goes.
    const inside = buildSchemaDiagram({ ...big, foreignKeys: big.foreignKeys.map((k) => ({ ...k, crossSchema: false, to: { ...k.to!, schema: 'growth' } })) });
    const insideEdges = inside.mermaid.split('\n').filter((l) => l.includes('-->'));
    expect(insideEdges.filter((e) => e.startsWith('  after_'))).toHaveLength(40);
    expect(insideEdges).toHaveLength(60);
  });

  it('text: the diff on stdout, status and a closing per-file summary on stderr, no colour unless asked', () => {
    const { stdout, stderr } = renderText(report);
    expect(stdout).toBe(report.diff);
    const lines = stderr.trimEnd().split('\n');
    expect(lines[0]).toBe('would move 11 enums, 8 tables: public -> feature_planner');
    const perFile = lines.filter((l) => /^[AM] /.test(l));
    expect(perFile).toHaveLength(report.files.length);
    expect(perFile).toContain(`M ${PLANNER}  +${report.files[0]!.additions} -${report.files[0]!.deletions}`);
    expect(lines[lines.length - 1]).toBe('dry run: 5 files (2 modified, 3 added) would change; nothing written');
    expect(stderr).not.toContain('\u001b[');
    expect(renderText(report, { paint: painter(true) }).stderr).toContain('\u001b[36mM\u001b[39m');
  });

  it('a verification section, when given one, in every format', () => {
    const withVerification: MoveReport = { ...report, verification: VERIFICATION };
    expect(valid(JSON.parse(renderJson(withVerification)))).toBe('valid');
    const markdown = renderMarkdown(withVerification);
    expect(markdown).toContain('❌ 1 of 2 checks failed on pglite.');
    expect(markdown).toContain('| `public.entities` | rows | `1000` | `1000` | ✅ |');
    expect(markdown).toContain('| `entities_owner_id_idx` | index | `btree (owner_id)` | — | ❌ |');
    expect(renderText(withVerification).stderr).toContain('differs: index entities_owner_id_idx: before btree (owner_id), after null\n');
    const verify = buildVerifyCommandReport(VERIFICATION);
    expect(valid(JSON.parse(renderJson(verify)))).toBe('valid');
    expect(renderVerificationMarkdown(verify)).toContain('### Verification');
  });
});

describe('reports on the schema-split project (seed 004)', () => {
  let dir: string;
  afterEach(() => removeTemp(dir));

  it('a second run has nothing to move: every format says so, and the JSON is still valid', async () => {
    dir = copyFixtureProject('schema-split');
    await move({ files: ['src/db/schema/growth.ts'], cwd: dir, to: 'growth', migration: false });
    const result = await move({ files: ['src/db/schema/growth.ts'], cwd: dir, to: 'growth', dryRun: true });
    const report = await reportMove(result, { root: dir, dryRun: true, check: true, grants: [] });
    expect(valid(JSON.parse(renderJson(report)))).toBe('valid');
    expect(report.moves).toEqual([]);
    expect(report.alreadyInPlace.map((m) => m.name)).toEqual(['invoice_number_seq', 'entities', 'artifacts', 'jobs', 'microsites', 'generation_jobs']);
    expect(renderText(report).stderr).toMatch(/^nothing to do: 6 objects already in growth\n/);
    expect(renderMarkdown(report)).toContain('Nothing to move: 6 objects already in `growth`.');
    // The files are done but the migration is not: --check says so.
    expect(report.check!.ok).toBe(false);
    expect(report.check!.reasons).toHaveLength(6);
  });

  it('mermaid shows every key of the moved table, before and after a partial move', async () => {
    dir = copyFixtureProject('schema-split');
    const result = await move({ files: ['src/db/schema/growth.ts'], cwd: dir, to: 'growth', tables: ['entities'], dryRun: true, migration: false });
    const diagram = schemaDiagram(await reportMove(result, { root: dir, dryRun: true }));
    // artifacts and microsites stay in public and point at entities, which moves: those keys cross schemas only after.
    expect(diagram).toContain('subgraph after_s0["growth"]\n      after_s0_0["entities"]\n    end');
    expect(diagram).toContain('subgraph after_s1["public"]\n      after_s1_0["users"]\n      after_s1_1["artifacts"]\n      after_s1_2["microsites"]\n    end');
    expect(diagram.split('\n').filter((l) => l.includes('-->'))).toEqual([
      '  before_s0_0 -->|"owner_id → id"| before_s0_1',
      '  before_s0_2 -->|"entity_id → id"| before_s0_0',
      '  before_s0_3 -->|"entity_id → id"| before_s0_0',
      '  after_s0_0 -->|"owner_id → id"| after_s1_0',
      '  after_s1_1 -->|"entity_id → id"| after_s0_0',
      '  after_s1_2 -->|"entity_id → id"| after_s0_0',
    ]);
  });
});

describe('foreign keys as the plan reads them', () => {
  let dir: string;
  afterEach(() => removeTemp(dir));

  it('one per constraint, composite ones included, with SQL column names from either column form', async () => {
    dir = writeTempTree(
      new Map([
        [
          'schema.ts',
          `import { foreignKey, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core';

export const orgUsers = pgTable('org_users', (t) => ({
  orgId: t.uuid('org_id').notNull(),
  userId: t.uuid().notNull(),
}), (t) => [primaryKey({ columns: [t.orgId, t.userId] })]);

export const members = pgTable('members', {
  id: uuid('id').primaryKey(),
  orgId: uuid('member_org_id').notNull(),
  userId: uuid('member_user_id').notNull(),
  invitedBy: uuid('invited_by').references(() => members.id),
  note: text(),
}, (t) => [
  foreignKey({ columns: [t.orgId, t.userId], foreignColumns: [orgUsers.orgId, orgUsers.userId], name: 'members_org_user_fk' }),
]);
`,
        ],
      ]),
    );
    const result = await move({ files: ['schema.ts'], cwd: dir, to: 'growth', tables: ['members'], dryRun: true, migration: false });
    const report = await reportMove(result, { root: dir, dryRun: true });
    expect(report.foreignKeys.map((fk) => `${fk.from.table}(${fk.columns.join(', ')}) -> ${fk.to!.schema}.${fk.to!.table}(${fk.to!.columns.join(', ')})`)).toEqual([
      'members(invited_by) -> growth.members(id)',
      'members(member_org_id, member_user_id) -> public.org_users(org_id, userId)',
    ]);
    expect(valid(JSON.parse(renderJson(report)))).toBe('valid');
    expect(schemaDiagram(report)).toContain('  after_s0_0 -->|"member_org_id, member_user_id → org_id, userId"| after_s1_0\n');
  });
});

describe('what a verification did not check, and what its rows were', () => {
  const passed: VerifyReport = {
    ok: true, engine: 'pglite', migration: { tag: '0001_move', file: 'drizzle/0001_move.sql' },
    moves: [{ kind: 'table', name: 'flags', from: 'public', to: 'app' }],
    seededRows: 100, seededRowsByTable: { 'public.flags': 2, 'public.users': 100 }, seededTables: ['public.flags', 'public.users'],
    tables: [{ object: 'public.flags -> app.flags', before: '2 rows', after: '2 rows', ok: true }],
    checked: { table: { objects: 2, differing: 0 } }, differences: [], added: [], drift: [], driftExisting: [], driftChecked: false,
    outsideDrizzle: [], behaviour: [{ object: 'insert into app.users', before: 'inserts', after: 'inserts', ok: true }], committed: false,
    notChecked: ['drift', 'insert into app.flags'], notes: ['insert into app.flags not checked: no generated row fits its keys and CHECK constraints'], timingsMs: {},
  };
  const DATA = 'on 100 generated rows per table in 2 tables (not your data: verify with --database-url on a copy for real rows); fewer where the keys allow no more: public.flags 2';

  it('text: the rows are generated, with the real count of a table that got fewer; skipped probes and drift are not checked', () => {
    const text = renderVerifyText(passed);
    expect(text.split('\n')[1]).toBe(DATA);
    expect(text).toContain('drift against the latest snapshot: not checked');
    expect(text).toContain('after the migration: 1/1 tables take a new row, 0/0 foreign keys refuse a missing parent; 1 probe not checked (see the notes)');
    expect(text).toContain('; not checked: drift, insert into app.flags\n');
  });

  it('JSON and markdown: the same sentence, and "not checked" where a check did not run', () => {
    const verification = toVerificationReport(passed);
    expect(verification).toMatchObject({ data: DATA, notChecked: ['drift', 'insert into app.flags'] });
    const versioned = buildVerifyCommandReport(verification);
    expect(valid(JSON.parse(JSON.stringify({ ...versioned, details: passed })))).toBe('valid');
    const markdown = renderVerificationMarkdown(versioned);
    expect(markdown).toContain('✅ 3 checks passed on pglite, on 100 generated rows per table in 2 tables (not your data: verify with --database-url on a copy for real rows); fewer where the keys allow no more: public.flags 2.');
    expect(markdown).toContain('⚠️ Not checked: `drift`, `insert into app.flags` (see the notes).');
    // A live run has no generated rows: no sentence about them.
    expect(toVerificationReport({ ...passed, seededRows: 0 }).data).toBeUndefined();
  });
});

describe('small parts', () => {
  it('fence: a fence longer than any backtick run in the content', () => {
    expect(fence('sql', 'select 1;')).toBe('```sql\nselect 1;\n```');
    expect(fence('diff', '+ a ``` b\n')).toBe('````diff\n+ a ``` b\n````');
  });

  it('colour only on a TTY and never with NO_COLOR set', () => {
    expect(colourEnabled({ isTTY: true, write: () => true }, {})).toBe(true);
    expect(colourEnabled({ isTTY: false, write: () => true }, {})).toBe(false);
    expect(colourEnabled({ write: () => true }, {})).toBe(false);
    expect(colourEnabled({ isTTY: true, write: () => true }, { NO_COLOR: '1' })).toBe(false);
    // no-color.org: an empty NO_COLOR does not count.
    expect(colourEnabled({ isTTY: true, write: () => true }, { NO_COLOR: '' })).toBe(true);
    expect(painter(false)('red', 'x')).toBe('x');
  });

  it('progress: nothing without a TTY, one overwritten line with one', () => {
    const written: string[] = [];
    const pipe = progress({ isTTY: false, write: (t: string) => written.push(t) }, {});
    pipe.step('reading the project');
    pipe.done();
    expect(written).toEqual([]);
    const tty = progress({ isTTY: true, write: (t: string) => written.push(t) }, { NO_COLOR: '1' });
    tty.step('reading the project');
    tty.step('generating the migration with drizzle-kit');
    tty.done();
    tty.done();
    expect(written).toEqual([
      '\r\u001b[2K… reading the project',
      '\r\u001b[2K… generating the migration with drizzle-kit',
      '\r\u001b[2K',
    ]);
  });

  it('GITHUB_STEP_SUMMARY is appended to, never written over, and left alone when unset', () => {
    const dir = mkdtempSync(join(tmpdir(), 'reschema-summary-'));
    try {
      const path = join(dir, 'summary.md');
      writeFileSync(path, '# earlier step\n');
      expect(appendStepSummary('## one\n', { GITHUB_STEP_SUMMARY: path })).toBe(path);
      appendStepSummary('## two', { GITHUB_STEP_SUMMARY: path });
      expect(readFileSync(path, 'utf8')).toBe('# earlier step\n## one\n\n## two\n\n');
      expect(appendStepSummary('## three', {})).toBeUndefined();
    } finally {
      removeTemp(dir);
    }
  });

  it('redactUrl hides the password and nothing else', () => {
    expect(redactUrl('postgres://app:s3cr%40t@db.example.com:5432/app?sslmode=require')).toBe(
      'postgres://app:***@db.example.com:5432/app?sslmode=require',
    );
    expect(redactUrl('postgres://app@localhost/app')).toBe('postgres://app@localhost/app');
    const url = 'postgresql://u:p%40ss@h/db';
    expect(redactSecrets(`connect ${url} failed: password "p@ss" rejected, p%40ss`, url)).toBe(
      'connect postgresql://u:***@h/db failed: password "***" rejected, ***',
    );
  });
});
