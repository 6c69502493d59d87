import { readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import ts from 'typescript';
import { walkFiles } from '../../walkFiles';
import type { CodeHazard } from '../types';
import { mentionsAny, nameIndex, sqlMatcher, type HazardTarget, type SqlReference } from './sqlReferences';

/** Folders no project keeps its own SQL in. */
const SKIPPED_DIRS = new Set(['node_modules', '.git', 'dist', 'build', 'coverage', '.next', '.turbo', '.vercel', '.svelte-kit', '.output']);
const CODE_EXTENSIONS = new Set(['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs']);
const MAX_FILE_BYTES = 2 * 1024 * 1024;

/** Methods whose string argument is SQL (node-postgres, postgres.js, drizzle, Prisma, Kysely). */
const QUERY_METHODS = new Set(['execute', 'query', 'raw', 'unsafe', '$queryRawUnsafe', '$executeRawUnsafe', 'queryObject']);

export interface CodeScanInput {
  root: string;
  targets: HazardTarget[];
  /** Absolute folders to leave out (the migrations folder: its SQL is history). */
  exclude: string[];
}

export interface CodeScanResult {
  hazards: CodeHazard[];
  filesScanned: number;
}

/**
 * Raw SQL in the project's own files that names a moved object by a name that
 * will not reach it after the move: `sql` templates and strings given to
 * `.execute(`/`.query(`/`sql.raw(` in TypeScript and JavaScript (found with
 * the TypeScript parser, so Drizzle's own `pgTable('x', ...)` never counts),
 * supabase-js `.from('x')` calls, and whole `.sql` files.
 */
export function scanCode(input: CodeScanInput): CodeScanResult {
  const files = listSourceFiles(input.root, input.exclude);
  const hazards: CodeHazard[] = [];
  const match = sqlMatcher(input.targets);
  const names = nameIndex(input.targets.map((t) => t.name));
  for (const path of files) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      continue; // unreadable (a broken symlink, no permission): nothing to report from it
    }
    const rel = relative(input.root, path).split(sep).join('/');
    if (!mentionsAny(text, names)) continue;
    hazards.push(...(extname(path) === '.sql' ? scanSqlFile(rel, text, match) : scanScript(rel, path, text, input.targets, match)));
  }
  hazards.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column);
  return { hazards, filesScanned: files.length };
}

type Matcher = (text: string) => SqlReference[];

function scanSqlFile(file: string, text: string, match: Matcher): CodeHazard[] {
  const lines = lineStarts(text);
  return match(text).map((ref) => ({
    file,
    ...position(lines, ref.start),
    source: 'sql-file' as const,
    kind: ref.target.kind,
    object: ref.target.name,
    found: ref.found,
    use: ref.use,
  }));
}

/** A piece of SQL inside a script: its text and where each character sits in the file. */
interface SqlFragment {
  source: CodeHazard['source'];
  /** Literal parts of a string or template, with the file offset each starts at. */
  parts: { start: number; text: string }[];
}

function scanScript(file: string, path: string, text: string, targets: HazardTarget[], match: Matcher): CodeHazard[] {
  const sourceFile = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, false, scriptKind(path));
  const fragments: SqlFragment[] = [];
  const hazards: CodeHazard[] = [];
  const lines = lineStarts(text);
  const mentionsSupabase = /supabase/i.test(text);

  const visit = (node: ts.Node): void => {
    // Handle: sql`select * from entities`, db.sql`...`, tx.sql`...`
    if (ts.isTaggedTemplateExpression(node) && lastName(node.tag) === 'sql') {
      fragments.push({ source: 'sql-template', parts: templateParts(node.template, sourceFile) });
    } else if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression)) {
      const method = node.expression.name.text;
      const first = node.arguments[0];
      // Handle: db.execute('select ...'), client.query(`...`), sql.raw('...')
      if (QUERY_METHODS.has(method) && first && isUntaggedString(first)) {
        fragments.push({ source: 'query-string', parts: templateParts(first, sourceFile) });
      }
      // Handle: supabase.from('entities'): PostgREST serves the client's schema, public unless told.
      if (method === 'from' && mentionsSupabase && first && ts.isStringLiteralLike(first)) {
        const receiverNamesSchema = /\.schema\(\s*['"`]/.test(node.expression.expression.getText(sourceFile));
        for (const target of targets) {
          if (target.name !== first.text || target.to === 'public' || receiverNamesSchema) continue;
          if (target.kind !== 'table' && target.kind !== 'view' && target.kind !== 'materializedView') continue;
          hazards.push({
            file,
            ...position(lines, first.getStart(sourceFile)),
            source: 'supabase-from',
            kind: target.kind,
            object: target.name,
            found: `from(${first.getText(sourceFile)})`,
            use: `schema('${target.to}').from('${target.name}')`,
          });
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);

  for (const fragment of fragments) {
    // Interpolations become a placeholder, so `from ${t} join entities` keeps its words apart.
    let joined = '';
    const offsets: { at: number; start: number }[] = [];
    for (const part of fragment.parts) {
      if (joined) joined += ' $0 ';
      offsets.push({ at: joined.length, start: part.start });
      joined += part.text;
    }
    for (const ref of match(joined)) {
      const part = [...offsets].reverse().find((o) => o.at <= ref.start)!;
      hazards.push({
        file,
        ...position(lines, part.start + ref.start - part.at),
        source: fragment.source,
        kind: ref.target.kind,
        object: ref.target.name,
        found: ref.found,
        use: ref.use,
      });
    }
  }
  return hazards;
}

function isUntaggedString(node: ts.Node): node is ts.StringLiteral | ts.NoSubstitutionTemplateLiteral | ts.TemplateExpression {
  return ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) || ts.isTemplateExpression(node);
}

/** `sql` for `sql`, `db.sql`, `this.sql`. */
function lastName(tag: ts.Expression): string | undefined {
  if (ts.isIdentifier(tag)) return tag.text;
  if (ts.isPropertyAccessExpression(tag)) return tag.name.text;
  return undefined;
}

/** The source text between the quotes/backticks and around `${...}`, as written (escapes kept, so offsets hold). */
function templateParts(
  node: ts.StringLiteral | ts.NoSubstitutionTemplateLiteral | ts.TemplateLiteral,
  sourceFile: ts.SourceFile,
): { start: number; text: string }[] {
  const text = sourceFile.text;
  const inner = (literal: ts.Node, closeLength: number) => {
    const start = literal.getStart(sourceFile) + 1;
    // Escapes keep their length so offsets hold: \' becomes ' (a quote SQL sees), \n two spaces.
    const raw = text.slice(start, literal.getEnd() - closeLength);
    return { start, text: raw.replace(/\\(['"`\\])|\\[\s\S]/g, (_escape, quote: string | undefined) => (quote ? ` ${quote}` : '  ')) };
  };
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return [inner(node, 1)];
  return [inner(node.head, 2), ...node.templateSpans.map((span) => inner(span.literal, ts.isTemplateTail(span.literal) ? 1 : 2))];
}

function scriptKind(path: string): ts.ScriptKind {
  const ext = extname(path);
  if (ext === '.tsx') return ts.ScriptKind.TSX;
  if (ext === '.jsx') return ts.ScriptKind.JSX;
  if (ext === '.js' || ext === '.mjs' || ext === '.cjs') return ts.ScriptKind.JS;
  return ts.ScriptKind.TS;
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}

function position(lineStarts: number[], offset: number): { line: number; column: number } {
  let lo = 0;
  let hi = lineStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (lineStarts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, column: offset - lineStarts[lo]! + 1 };
}

/** `.ts/.tsx/.js/.mjs/.cjs/.sql` files under root, without the usual build and dependency folders, plain .gitignore entries, or `exclude`. */
export function listSourceFiles(root: string, exclude: string[]): string[] {
  const ignored = gitignoredNames(root);
  const excluded = new Set(exclude);
  const isIgnored = (name: string, path: string) => ignored.has(name) || ignored.has(relative(root, path).split(sep).join('/'));
  const files = walkFiles(root, {
    enter: (entry, path) => !isIgnored(entry.name, path) && !SKIPPED_DIRS.has(entry.name) && !excluded.has(path),
    keep: (entry, path) => {
      const ext = extname(entry.name);
      return (
        !isIgnored(entry.name, path) &&
        !entry.name.endsWith('.d.ts') &&
        (CODE_EXTENSIONS.has(ext) || ext === '.sql') &&
        statSync(path).size <= MAX_FILE_BYTES
      );
    },
  });
  return [...files].sort();
}

/** The plain names and paths in the root .gitignore (`dist/`, `/build`, `.env`); patterns with wildcards are not read. */
function gitignoredNames(root: string): Set<string> {
  let text: string;
  try {
    text = readFileSync(join(root, '.gitignore'), 'utf8');
  } catch {
    return new Set();
  }
  return new Set(
    text
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#') && !line.startsWith('!') && !/[*?[\]]/.test(line))
      .map((line) => line.replace(/^\/+|\/+$/g, '')),
  );
}
