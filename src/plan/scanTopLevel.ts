import ts from 'typescript';
import type { SourceLocation } from '../errors';
import { extensionStyleOf, type ImportExtension } from './importStyle';
import {
  hasExportModifier,
  isTypeOnlyImport,
  stringLiteralValue,
  unwrapExpression,
} from './parseSource';
import {
  PG_CORE_MODULE,
  type ImportBinding,
  type NamedImportDeclaration,
  type PgCoreImport,
  type SchemaDeclaration,
  type Span,
} from './types';
import { readTableCreator, type TableCreator } from './tableCreator';

/** What a file's top-level statements say: its imports, its pgSchema declarations, its style. */
export interface TopLevel {
  pgCoreImports: PgCoreImport[];
  namedImports: NamedImportDeclaration[];
  runtimeImports: string[];
  /** local name -> pg-core export */
  coreNamed: Map<string, string>;
  coreNamespaces: Set<string>;
  importBindings: Map<string, ImportBinding>;
  topLevelNames: Set<string>;
  schemaDeclarations: SchemaDeclaration[];
  tableCreators: Map<string, TableCreator>;
  /** Local names the file exports (`export const`, `export { x }`). */
  exportedLocals: Set<string>;
  /** Offset just after the last import. */
  afterImports: number;
  /** Each top-level statement, from its first token to the end of its trailing comment. */
  statements: Span[];
  quote: "'" | '"';
  semicolons: boolean;
  /** The style of the file's first relative import; undefined without one. */
  importExtension: ImportExtension | undefined;
}

/**
 * Reads the top-level statements of a file: imports of drizzle-orm/pg-core and
 * of other modules, pgSchema and pgTableCreator declarations, exported names,
 * and the file's quote, semicolon and import-extension style.
 */
export function scanTopLevel(path: string, sourceFile: ts.SourceFile, locate: (pos: number) => SourceLocation): TopLevel {
  const text = sourceFile.text;
  const coreFunctionOf = (callee: ts.Expression) => coreFunction(callee, coreNamed, coreNamespaces);
  const pgCoreImports: PgCoreImport[] = [];
  const namedImports: NamedImportDeclaration[] = [];
  const runtimeImports: string[] = [];
  const coreNamed = new Map<string, string>(); // local name -> pg-core export
  const coreNamespaces = new Set<string>();
  const importBindings = new Map<string, ImportBinding>();
  const topLevelNames = new Set<string>();
  const schemaDeclarations: SchemaDeclaration[] = [];
  const tableCreators = new Map<string, TableCreator>();
  const exportedLocals = new Set<string>();
  let afterImports = 0;
  let quote: "'" | '"' = "'";
  let semicolons = true;
  let sawImport = false;
  let importExtension: ImportExtension | undefined;
  const spanWithComments = (statement: ts.Statement): Span => ({
    start: ts.getLeadingCommentRanges(text, statement.getFullStart())?.[0]?.pos ?? statement.getStart(sourceFile),
    end: ts.getTrailingCommentRanges(text, statement.end)?.at(-1)?.end ?? statement.end,
  });

  for (const statement of sourceFile.statements) {
    if (ts.isImportDeclaration(statement) && ts.isStringLiteral(statement.moduleSpecifier)) {
      const module = statement.moduleSpecifier.text;
      // Handle: `import { x } from 'y'; // why`: the comment belongs to the import.
      const end = ts.getTrailingCommentRanges(text, statement.end)?.at(-1)?.end ?? statement.end;
      afterImports = end;
      if (!sawImport) {
        sawImport = true;
        quote = statement.moduleSpecifier.getText(sourceFile).startsWith('"') ? '"' : "'";
        semicolons = statement.getText(sourceFile).trimEnd().endsWith(';');
      }
      if (module.startsWith('.') && importExtension === undefined) importExtension = extensionStyleOf(module);
      const clause = statement.importClause;
      if (!clause || !isTypeOnlyImport(clause)) runtimeImports.push(module);
      if (!clause) continue;
      if (clause.name) {
        topLevelNames.add(clause.name.text);
        importBindings.set(clause.name.text, { module, importedName: 'default', namespace: false });
      }
      const bindings = clause.namedBindings;
      if (module === PG_CORE_MODULE) {
        const entry: PgCoreImport = {
          span: { start: statement.getStart(sourceFile), end },
          named: [],
          isTypeOnly: clause.isTypeOnly,
        };
        if (bindings && ts.isNamespaceImport(bindings)) {
          entry.namespace = bindings.name.text;
          if (!clause.isTypeOnly) coreNamespaces.add(bindings.name.text);
          topLevelNames.add(bindings.name.text);
        } else if (bindings && ts.isNamedImports(bindings)) {
          entry.braces = { start: bindings.getStart(sourceFile), end: bindings.end };
          for (const element of bindings.elements) {
            const name = (element.propertyName ?? element.name).text;
            const local = element.name.text;
            entry.named.push({
              name,
              ...(element.propertyName ? { alias: local } : {}),
              isTypeOnly: element.isTypeOnly,
              text: element.getText(sourceFile),
            });
            if (!clause.isTypeOnly && !element.isTypeOnly) coreNamed.set(local, name);
            topLevelNames.add(local);
          }
        }
        pgCoreImports.push(entry);
        continue;
      }
      if (bindings && ts.isNamespaceImport(bindings)) {
        topLevelNames.add(bindings.name.text);
        importBindings.set(bindings.name.text, { module, importedName: '*', namespace: true });
      } else if (bindings && ts.isNamedImports(bindings)) {
        if (!clause.isTypeOnly) {
          namedImports.push({
            module,
            span: { start: statement.getStart(sourceFile), end },
            hasDefault: clause.name !== undefined,
            braces: { start: bindings.getStart(sourceFile), end: bindings.end },
            specifiers: bindings.elements.map((e) => e.getText(sourceFile)),
          });
        }
        for (const element of bindings.elements) {
          topLevelNames.add(element.name.text);
          importBindings.set(element.name.text, {
            module,
            importedName: (element.propertyName ?? element.name).text,
            namespace: false,
          });
        }
      }
    } else if (ts.isVariableStatement(statement)) {
      const exported = hasExportModifier(statement);
      for (const declaration of statement.declarationList.declarations) {
        if (!ts.isIdentifier(declaration.name)) continue;
        const identifier = declaration.name.text;
        topLevelNames.add(identifier);
        const init = declaration.initializer && unwrapExpression(declaration.initializer);
        if (!init || !ts.isCallExpression(init)) continue;
        const fn = coreFunctionOf(init.expression);
        if (fn === 'pgSchema') {
          schemaDeclarations.push({
            identifier,
            name: stringLiteralValue(init.arguments[0]),
            exported,
            file: path,
            location: locate(declaration.getStart(sourceFile)),
            statementStart: statement.getStart(sourceFile),
            statementSpan: spanWithComments(statement),
          });
        } else if (fn === 'pgTableCreator') {
          tableCreators.set(
            identifier,
            readTableCreator(identifier, init, sourceFile, {
              location: locate(declaration.getStart(sourceFile)),
              exported,
              ...(statement.declarationList.declarations.length === 1 ? { statementSpan: spanWithComments(statement) } : {}),
            }),
          );
        }
      }
    } else if (ts.isExportDeclaration(statement) && statement.moduleSpecifier && ts.isStringLiteral(statement.moduleSpecifier)) {
      if (!statement.isTypeOnly) runtimeImports.push(statement.moduleSpecifier.text);
    } else if (ts.isExportDeclaration(statement) && !statement.moduleSpecifier && statement.exportClause) {
      if (ts.isNamedExports(statement.exportClause)) {
        for (const element of statement.exportClause.elements) {
          exportedLocals.add((element.propertyName ?? element.name).text);
        }
      }
    } else if (
      (ts.isFunctionDeclaration(statement) ||
        ts.isClassDeclaration(statement) ||
        ts.isEnumDeclaration(statement) ||
        ts.isInterfaceDeclaration(statement) ||
        ts.isTypeAliasDeclaration(statement)) &&
      statement.name
    ) {
      topLevelNames.add(statement.name.text);
    }
  }
  for (const declaration of schemaDeclarations) {
    if (exportedLocals.has(declaration.identifier)) declaration.exported = true;
  }
  for (const creator of tableCreators.values()) {
    if (exportedLocals.has(creator.identifier)) creator.exported = true;
  }
  const statements = sourceFile.statements.map((statement) => ({
    start: statement.getStart(sourceFile),
    end: ts.getTrailingCommentRanges(text, statement.end)?.at(-1)?.end ?? statement.end,
  }));
  return { statements, exportedLocals, pgCoreImports, namedImports, runtimeImports, coreNamed, coreNamespaces, importBindings, topLevelNames, schemaDeclarations, tableCreators, afterImports, quote, semicolons, importExtension };
}

/** `pgTable` for `pgTable`, `table` (aliased) or `pg.pgTable`; undefined otherwise. */
export function coreFunction(callee: ts.Expression, coreNamed: Map<string, string>, coreNamespaces: Set<string>): string | undefined {
  if (ts.isIdentifier(callee)) return coreNamed.get(callee.text);
  if (ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression) && coreNamespaces.has(callee.expression.text)) {
    return callee.name.text;
  }
  return undefined;
}
