import {
  CORE_CONSTRUCTOR,
  PUBLIC_SCHEMA,
  SCHEMA_METHOD,
  type MovePlan,
  type ObjectMove,
  type ScannedFile,
  type SchemaBinding,
} from '../plan/types';
import { PgCoreImportEditor, renderNamedImports } from './pgCoreImports';
import { applyTextEdits, untouchedRuns, type TextEdit } from './textEdits';

/** A whole-file change: what the file holds now and what it will hold. Nothing is written here. */
export interface FileEdit {
  path: string;
  /** Undefined for a file the rewrite creates. */
  before: string | undefined;
  after: string;
  /**
   * Runs of top-level statements the rewrite did not touch, with what lies
   * between them: text of `before` that `after` holds verbatim, in order.
   * Formatting uses them to tell whether the file followed prettier.
   */
  untouched?: string[];
}

/**
 * Turns the plan into new file contents: `pgTable(` becomes `fp.table(` (or
 * back), `{ schema }` options drizzle-orm ignores are removed, pgSchema values
 * are declared, exported and imported where needed, and pg-core imports that
 * became unused are dropped. Lines the move does not concern are left alone.
 */
export function rewriteSchemaFiles(plan: MovePlan): FileEdit[] {
  const movesByFile = new Map<string, ObjectMove[]>();
  for (const move of plan.moves) {
    movesByFile.set(move.file, [...(movesByFile.get(move.file) ?? []), move]);
  }
  const touched = new Set<string>(movesByFile.keys());
  for (const binding of plan.bindings.values()) if ((binding.create || binding.export) && !binding.newFile) touched.add(binding.file);
  for (const declaration of plan.emptiedSchemas) touched.add(declaration.file);

  const edits: FileEdit[] = [];
  for (const path of touched) {
    const file = plan.files.get(path)!;
    const { text: after, untouched } = rewriteFile(file, movesByFile.get(path) ?? [], plan);
    const before = withBom(file, file.text);
    const next = withBom(file, after);
    if (next !== before) edits.push({ path, before, after: next, untouched });
  }
  edits.push(...newSchemaFiles(plan));
  return edits.sort((a, b) => a.path.localeCompare(b.path));
}

/**
 * Handle: the pgSchema declarations no moving file can hold (SchemaBinding.newFile),
 * each new file in the style of the file that re-exports from it.
 */
function newSchemaFiles(plan: MovePlan): FileEdit[] {
  const byFile = new Map<string, SchemaBinding[]>();
  for (const binding of plan.bindings.values()) if (binding.newFile) byFile.set(binding.file, [...(byFile.get(binding.file) ?? []), binding]);
  return [...byFile].map(([path, bindings]) => {
    // The first moving file's style (quotes, semicolons, line ends).
    const style = plan.files.get(bindings[0]!.newFile!.reExportFrom ?? plan.moves.find((m) => m.to === bindings[0]!.schema)!.file)!;
    const { eol, quote: q } = style;
    const semi = style.semicolons ? ';' : '';
    const declarations = bindings.map((b) => `export const ${b.identifier} = pgSchema(${q}${b.schema}${q})${semi}`);
    return { path, before: undefined, after: [`import { pgSchema } from ${q}drizzle-orm/pg-core${q}${semi}`, '', ...declarations, ''].join(eol) };
  });
}

/**
 * Handle: `const createTable = pgTableCreator(...)`, unexported, and every table it makes
 * moves: the declaration would be left unused (a type error under noUnusedLocals), so it
 * goes, and its pgTableCreator import with it when nothing else uses that.
 */
function unusedCreatorRemovals(file: ScannedFile, moves: ObjectMove[], imports: PgCoreImportEditor): TextEdit[] {
  const removals: TextEdit[] = [];
  for (const creator of file.tableCreators.values()) {
    if (creator.exported || !creator.statementSpan) continue;
    const moved = moves.filter((m) => m.object.creatorNameArgument && file.text.slice(m.object.callee.start, m.object.callee.end) === creator.identifier);
    if (moved.length === 0 || (file.identifierUses.get(creator.identifier) ?? 0) > moved.length) continue;
    // The blank lines after it go with it (those before may be where new declarations are inserted),
    // unless it ends the file: then those before go, and the file keeps its last line break.
    let { start, end } = creator.statementSpan;
    while (end < file.text.length && /\s/.test(file.text.charAt(end))) end++;
    if (end === file.text.length) {
      end = creator.statementSpan.end;
      while (start > 0 && /\s/.test(file.text.charAt(start - 1))) start--;
    }
    removals.push({ start, end, text: '' });
    if (creator.constructorLocal) imports.release(creator.constructorLocal);
  }
  return removals;
}

/** A TypeScript string literal of `value` in the quote the source used. */
function quoteString(value: string, quote: string): string {
  const escaped = value.replace(/\\/g, '\\\\').split(quote).join(`\\${quote}`);
  return `${quote}${quote === '`' ? escaped.replace(/\$\{/g, '\\${') : escaped}${quote}`;
}

function withBom(file: ScannedFile, text: string): string {
  return file.bom ? `\ufeff${text}` : text;
}

function rewriteFile(file: ScannedFile, moves: ObjectMove[], plan: MovePlan): { text: string; untouched: string[] } {
  const imports = new PgCoreImportEditor(file);
  const edits: TextEdit[] = [];
  const refs = plan.schemaRefs.get(file.path);

  for (const move of moves) {
    const { object } = move;
    const oldCallee = file.text.slice(object.callee.start, object.callee.end);
    // Handle: pgTable(...) and aliased table(...) lose one use of their import; pg.pgTable(...) and fp.table(...) do not.
    if (/^[A-Za-z_$][\w$]*$/.test(oldCallee)) imports.release(oldCallee);
    const newCallee =
      move.to === PUBLIC_SCHEMA
        ? imports.reference(CORE_CONSTRUCTOR[object.kind])
        : `${refs!.get(move.to)!.localName}.${SCHEMA_METHOD[object.kind]}`;
    edits.push({ start: object.callee.start, end: object.callee.end, text: newCallee });
    // Handle: createTable("user", ...) of pgTableCreator((name) => `project1_${name}`) -> auth.table("project1_user", ...)
    if (object.creatorNameArgument) {
      const quote = file.text.charAt(object.creatorNameArgument.start);
      edits.push({ ...object.creatorNameArgument, text: quoteString(object.name!, quote === '"' || quote === '`' ? quote : "'") });
    }
    if (object.bogusSchemaOption) edits.push({ ...object.bogusSchemaOption.span, text: '' });
  }

  // Handle: `export const fp = pgSchema('fp')` that nothing uses after the move: it goes, with its line.
  for (const declaration of plan.emptiedSchemas) {
    if (declaration.file !== file.path) continue;
    const { start, end } = declaration.statementSpan;
    let from = start;
    while (from > 0 && /[ \t]/.test(file.text.charAt(from - 1))) from--;
    let to = end;
    if (file.text.startsWith('\r\n', to)) to += 2;
    else if (file.text.startsWith('\n', to)) to += 1;
    // One blank line around it goes too, so that two blank lines do not meet.
    if (/(^|\n)$/.test(file.text.slice(0, from)) && /^\r?\n/.test(file.text.slice(to))) to += file.text.startsWith('\r\n', to) ? 2 : 1;
    edits.push({ start: from, end: to, text: '' });
    const callee = /=\s*([A-Za-z_$][\w$]*)\s*\(/.exec(file.text.slice(start, end))?.[1];
    if (callee) imports.release(callee);
  }

  edits.push(...unusedCreatorRemovals(file, moves, imports));

  const eol = file.eol;
  const semi = file.semicolons ? ';' : '';
  const q = file.quote;
  const newImports: string[] = [];
  const declarations: string[] = [];
  for (const binding of plan.bindings.values()) {
    if (binding.newFile?.reExportFrom === file.path) {
      const { specifier } = refs!.get(binding.schema)!.addImport!;
      declarations.push(`export { ${binding.identifier} } from ${q}${specifier}${q}${semi}`);
    }
    if (binding.file !== file.path) continue;
    if (binding.create) {
      const pgSchema = imports.reference('pgSchema');
      declarations.push(`export const ${binding.identifier} = ${pgSchema}(${q}${binding.schema}${q})${semi}`);
    } else if (binding.declaration) {
      const { statementStart, statementSpan } = binding.declaration;
      // Handle: `const fp = pgSchema(...)` below a table that now uses it. A const cannot be read
      // before its declaration, so the declaration moves up to where a new one would go.
      if (moves.some((m) => m.to === binding.schema && m.object.callee.start < statementStart)) {
        let from = statementSpan.start;
        while (from > 0 && /\s/.test(file.text.charAt(from - 1))) from--;
        edits.push({ start: from, end: statementSpan.end, text: '' });
        const statement = file.text.slice(statementSpan.start, statementSpan.end);
        const at = statementStart - statementSpan.start;
        declarations.push(binding.export ? `${statement.slice(0, at)}export ${statement.slice(at)}` : statement);
      } else if (binding.export) {
        edits.push({ start: statementStart, end: statementStart, text: 'export ' });
      }
    }
  }
  const clausesBySpecifier = new Map<string, string[]>();
  for (const ref of refs?.values() ?? []) {
    if (!ref.addImport) continue;
    const { importedName, specifier } = ref.addImport;
    const clause = importedName === ref.localName ? importedName : `${importedName} as ${ref.localName}`;
    clausesBySpecifier.set(specifier, [...(clausesBySpecifier.get(specifier) ?? []), clause]);
  }
  // Handle: `import { fp } from './schemas'` whose last use moved away: the specifier goes.
  const unused = plan.unusedSchemaImports.get(file.path) ?? new Set<string>();
  const localOf = (specifier: string) => specifier.replace(/^type\s+/, '').split(/\s+as\s+/).pop()!.trim();
  for (const declaration of file.namedImports) {
    const kept = declaration.specifiers.filter((s) => !unused.has(localOf(s)));
    // Handle: the file already has `import { x } from '<specifier>'`: the name joins it.
    const clauses = clausesBySpecifier.get(declaration.module) ?? [];
    clausesBySpecifier.delete(declaration.module);
    if (kept.length === declaration.specifiers.length && clauses.length === 0) continue;
    if (kept.length === 0 && clauses.length === 0 && !declaration.hasDefault) {
      let end = declaration.span.end;
      if (file.text.startsWith('\r\n', end)) end += 2;
      else if (file.text.startsWith('\n', end)) end += 1;
      edits.push({ start: declaration.span.start, end, text: '' });
      continue;
    }
    const original = file.text.slice(declaration.braces.start, declaration.braces.end);
    edits.push({ ...declaration.braces, text: renderNamedImports(original, kept, clauses, eol) });
  }
  for (const [specifier, clauses] of clausesBySpecifier) {
    newImports.push(`import { ${clauses.join(', ')} } from ${q}${specifier}${q}${semi}`);
  }

  const importEdits = imports.edits();
  edits.push(...importEdits.edits);
  if (importEdits.newDeclaration) newImports.unshift(importEdits.newDeclaration);

  if (newImports.length > 0 || declarations.length > 0) {
    const importBlock = newImports.join(eol);
    const declarationBlock = declarations.join(eol);
    // Handle: the last import is the pg-core one and it is being removed whole (with its line
    // break): the new lines take its place. A separate insertion at its start would overlap it.
    const removed = edits.find((e) => e.start < file.afterImports && file.afterImports < e.end && e.text === '');
    if (removed) {
      removed.text =
        (importBlock ? importBlock + eol : '') + (declarationBlock ? eol + declarationBlock + eol : '');
    } else if (file.afterImports === 0) {
      const text = [importBlock, declarationBlock].filter(Boolean).join(eol + eol) + eol + eol;
      edits.push({ start: 0, end: 0, text });
    } else {
      const text = (importBlock ? eol + importBlock : '') + (declarationBlock ? eol + eol + declarationBlock : '');
      edits.push({ start: file.afterImports, end: file.afterImports, text });
    }
  }
  return { text: applyTextEdits(file.text, edits), untouched: untouchedRuns(file.text, file.statements, edits) };
}
