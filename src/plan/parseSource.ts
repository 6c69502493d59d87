import ts from 'typescript';
import { InputError } from '../errors';
import type { ExportTable } from './types';

/**
 * Parsing and the syntax questions the scanner asks of a node: the parts of
 * the plan stage that know TypeScript's tree but nothing of Drizzle.
 */

export interface SourceText {
  text: string;
  bom: boolean;
  eol: '\n' | '\r\n';
}

export function decodeSource(raw: string): SourceText {
  const bom = raw.charCodeAt(0) === 0xfeff;
  const text = bom ? raw.slice(1) : raw;
  return { text, bom, eol: text.includes('\r\n') ? '\r\n' : '\n' };
}

/** Parses a file; a syntax error is an input error naming the file and line. */
export function parseSource(path: string, displayPath: string, text: string): ts.SourceFile {
  // TypeScript's parser alone: no program, no type checker, no disk. The file's
  // extension picks the dialect (.ts, .tsx, .js, ...); JSDoc is only comments here.
  const sourceFile = ts.createSourceFile(
    path,
    text,
    { languageVersion: ts.ScriptTarget.Latest, jsDocParsingMode: ts.JSDocParsingMode.ParseNone },
    /* setParentNodes */ true,
  );
  // parseDiagnostics is internal to TypeScript but has been stable for years; it is
  // the only way to get syntax errors without building a whole program.
  const diagnostics = (sourceFile as unknown as { parseDiagnostics?: ts.DiagnosticWithLocation[] }).parseDiagnostics ?? [];
  const first = diagnostics[0];
  if (first) {
    const { line, character } = sourceFile.getLineAndCharacterOfPosition(first.start);
    throw new InputError(`does not parse: ${ts.flattenDiagnosticMessageText(first.messageText, ' ')}`, {
      file: displayPath,
      line: line + 1,
      column: character + 1,
    });
  }
  return sourceFile;
}

export function stringLiteralValue(node: ts.Node | undefined): string | undefined {
  if (node && (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node))) return node.text;
  return undefined;
}

export function hasExportModifier(node: ts.Node): boolean {
  return (ts.canHaveModifiers(node) ? ts.getModifiers(node) : undefined)?.some(
    (m) => m.kind === ts.SyntaxKind.ExportKeyword,
  ) ?? false;
}

/** Identifier positions that are not value references. */
export function isNonReference(node: ts.Identifier): boolean {
  const parent = node.parent;
  if (!parent) return true;
  if (
    ts.isImportSpecifier(parent) ||
    ts.isImportClause(parent) ||
    ts.isNamespaceImport(parent) ||
    ts.isImportEqualsDeclaration(parent)
  )
    return true;
  if (ts.isPropertyAccessExpression(parent) && parent.name === node) return true;
  if (ts.isQualifiedName(parent) && parent.right === node) return true;
  if (
    (ts.isPropertyAssignment(parent) ||
      ts.isPropertyDeclaration(parent) ||
      ts.isPropertySignature(parent) ||
      ts.isMethodDeclaration(parent) ||
      ts.isMethodSignature(parent) ||
      ts.isVariableDeclaration(parent) ||
      ts.isFunctionDeclaration(parent) ||
      ts.isClassDeclaration(parent) ||
      ts.isInterfaceDeclaration(parent) ||
      ts.isTypeAliasDeclaration(parent) ||
      ts.isEnumDeclaration(parent) ||
      ts.isEnumMember(parent) ||
      ts.isParameter(parent) ||
      ts.isBindingElement(parent) ||
      ts.isGetAccessor(parent) ||
      ts.isSetAccessor(parent)) &&
    parent.name === node
  )
    return true;
  if (ts.isLabeledStatement(parent) && parent.label === node) return true;
  return false;
}

/** Walks up through `.as(...)`, `.enableRLS()`, casts and parentheses to the variable a call is assigned to. */
export function assignedVariable(call: ts.CallExpression): ts.VariableDeclaration | undefined {
  let node: ts.Node = call;
  while (node.parent) {
    const parent: ts.Node = node.parent;
    if (ts.isVariableDeclaration(parent)) return parent.initializer === node ? parent : undefined;
    if (
      ts.isPropertyAccessExpression(parent) ||
      (ts.isCallExpression(parent) && parent.expression === node) ||
      ts.isParenthesizedExpression(parent) ||
      ts.isAsExpression(parent) ||
      ts.isSatisfiesExpression(parent) ||
      ts.isNonNullExpression(parent)
    ) {
      node = parent;
      continue;
    }
    return undefined;
  }
  return undefined;
}

/** `import type { A }` and `import { type A, type B }`: erased from the emitted JavaScript. */
export function isTypeOnlyImport(clause: ts.ImportClause): boolean {
  if (clause.isTypeOnly) return true;
  const bindings = clause.namedBindings;
  return (
    !clause.name &&
    bindings !== undefined &&
    ts.isNamedImports(bindings) &&
    bindings.elements.length > 0 &&
    bindings.elements.every((e) => e.isTypeOnly)
  );
}

export function unwrapExpression(node: ts.Expression): ts.Expression {
  while (ts.isParenthesizedExpression(node) || ts.isAsExpression(node) || ts.isNonNullExpression(node)) {
    node = node.expression;
  }
  return node;
}

export function exportTableOf(sourceFile: ts.SourceFile): ExportTable {
  const table: ExportTable = { local: new Map(), from: [] };
  for (const statement of sourceFile.statements) {
    if (ts.isExportDeclaration(statement)) {
      const module =
        statement.moduleSpecifier && ts.isStringLiteral(statement.moduleSpecifier)
          ? statement.moduleSpecifier.text
          : undefined;
      const clause = statement.exportClause;
      if (module === undefined) {
        if (clause && ts.isNamedExports(clause)) {
          for (const e of clause.elements) table.local.set(e.name.text, (e.propertyName ?? e.name).text);
        }
      } else if (!clause) {
        table.from.push({ module });
      } else if (ts.isNamedExports(clause)) {
        table.from.push({
          module,
          names: new Map(clause.elements.map((e) => [e.name.text, (e.propertyName ?? e.name).text])),
        });
      }
    } else if (ts.isVariableStatement(statement) && hasExportModifier(statement)) {
      for (const d of statement.declarationList.declarations) {
        if (ts.isIdentifier(d.name)) table.local.set(d.name.text, d.name.text);
      }
    } else if (
      (ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement)) &&
      statement.name &&
      hasExportModifier(statement)
    ) {
      table.local.set(statement.name.text, statement.name.text);
    }
  }
  return table;
}
