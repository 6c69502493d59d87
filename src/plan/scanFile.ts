import ts from 'typescript';
import type { SourceLocation } from '../errors';
import { coreFunction, scanTopLevel } from './scanTopLevel';
import {
  assignedVariable,
  decodeSource,
  exportTableOf,
  hasExportModifier,
  isNonReference,
  parseSource,
  stringLiteralValue,
  unwrapExpression,
} from './parseSource';
import {
  CORE_CONSTRUCTOR,
  type DrizzleObject,
  type ObjectKind,
  type ScannedFile,
  type Span,
} from './types';

const KIND_BY_CONSTRUCTOR = new Map<string, ObjectKind>(
  Object.entries(CORE_CONSTRUCTOR).map(([kind, fn]) => [fn, kind as ObjectKind]),
);
const KIND_BY_METHOD = new Map<string, ObjectKind>([
  ['table', 'table'],
  ['enum', 'enum'],
  ['view', 'view'],
  ['materializedView', 'materializedView'],
  ['sequence', 'sequence'],
]);

export function scanFile(path: string, displayPath: string, raw: string): ScannedFile {
  const { text, bom, eol } = decodeSource(raw);
  const sourceFile = parseSource(path, displayPath, text);
  const locate = (pos: number): SourceLocation => {
    const { line, character } = sourceFile.getLineAndCharacterOfPosition(pos);
    return { file: displayPath, line: line + 1, column: character + 1 };
  };

  const {
    pgCoreImports,
    namedImports,
    runtimeImports,
    coreNamed,
    coreNamespaces,
    importBindings,
    topLevelNames,
    schemaDeclarations,
    tableCreators,
    afterImports,
    statements,
    quote,
    semicolons,
    importExtension,
    exportedLocals,
  } = scanTopLevel(path, sourceFile, locate);

  const coreFunctionOf = (callee: ts.Expression) => coreFunction(callee, coreNamed, coreNamespaces);

  const objects: DrizzleObject[] = [];
  const foreignKeys: ScannedFile['foreignKeys'] = [];
  const identifierUses = new Map<string, number>();
  const localSchemaIds = new Map(schemaDeclarations.map((d) => [d.identifier, d]));

  function objectFromCall(call: ts.CallExpression): DrizzleObject | undefined {
    const callee = call.expression;
    let kind: ObjectKind | undefined;
    let schema: string | undefined;
    let unmovable: string | undefined;
    const coreFn = coreFunctionOf(callee);
    if (coreFn && KIND_BY_CONSTRUCTOR.has(coreFn)) {
      kind = KIND_BY_CONSTRUCTOR.get(coreFn);
      schema = 'public';
    } else if (ts.isIdentifier(callee) && tableCreators.has(callee.text)) {
      kind = 'table';
      schema = 'public';
      unmovable = `'${callee.text}' is a pgTableCreator table: its SQL name is computed at run time`;
    } else if (ts.isPropertyAccessExpression(callee) && KIND_BY_METHOD.has(callee.name.text)) {
      const target = callee.expression;
      kind = KIND_BY_METHOD.get(callee.name.text);
      if (ts.isIdentifier(target)) {
        const local = localSchemaIds.get(target.text);
        if (local) {
          // Handle: pgSchema(`${env}_app`): the object is found (and refused), not mistaken for no object.
          schema = local.name ?? target.text;
          if (local.name === undefined) unmovable = `schema '${target.text}' has a name that is not a string literal`;
        } else if (importBindings.has(target.text) && !importBindings.get(target.text)!.namespace) {
          // Resolved against the project later: `<imported>.table(...)` may be a pgSchema.
          schema = `\0import:${target.text}`;
        } else return undefined;
      } else if (ts.isCallExpression(target) && coreFunctionOf(target.expression) === 'pgSchema') {
        schema = stringLiteralValue(target.arguments[0]);
        if (schema === undefined) {
          schema = target.getText(sourceFile);
          unmovable = 'the schema name is not a string literal';
        }
      } else return undefined;
    }
    if (!kind || schema === undefined) return undefined;

    const nameArg = call.arguments[0];
    const name = stringLiteralValue(nameArg);
    if (name === undefined && !unmovable) {
      unmovable = nameArg
        ? `the ${kind} name \`${nameArg.getText(sourceFile).slice(0, 60)}\` is not a string literal`
        : `the ${kind} has no name`;
    }
    const variable = assignedVariable(call);
    const identifier = variable && ts.isIdentifier(variable.name) ? variable.name.text : undefined;
    const statement = variable?.parent?.parent;
    const exported =
      (statement !== undefined && ts.isVariableStatement(statement) && hasExportModifier(statement)) ||
      (identifier !== undefined && exportedLocals.has(identifier));

    const object: DrizzleObject = {
      kind,
      name,
      identifier,
      exported,
      schema,
      location: locate(call.getStart(sourceFile)),
      callee: { start: callee.getStart(sourceFile), end: callee.end },
      ...(unmovable ? { unmovable } : {}),
    };
    const bogus = bogusSchemaOption(kind, call);
    if (bogus) object.bogusSchemaOption = bogus;
    return object;
  }

  // Handle: pgTable('x', cols, extra, { schema: 'y' }) and pgEnum('x', values, { schema: 'y' })
  function bogusSchemaOption(kind: ObjectKind, call: ts.CallExpression): DrizzleObject['bogusSchemaOption'] {
    if (kind !== 'table' && kind !== 'enum') return undefined;
    for (let i = 2; i < call.arguments.length; i++) {
      const arg = call.arguments[i]!;
      if (!ts.isObjectLiteralExpression(arg)) continue;
      const schemaProp = arg.properties.find(
        (p): p is ts.PropertyAssignment =>
          ts.isPropertyAssignment(p) && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) && p.name.text === 'schema',
      );
      if (!schemaProp) continue;
      const span: Span = { start: call.arguments[i - 1]!.end, end: arg.end };
      return { schema: stringLiteralValue(schemaProp.initializer), span };
    }
    return undefined;
  }

  function recordForeignKey(call: ts.CallExpression, tableStart: number): void {
    const callee = call.expression;
    // Handle: .references(() => users.id, { onDelete: 'cascade' })
    if (ts.isPropertyAccessExpression(callee) && callee.name.text === 'references') {
      const fn = call.arguments[0];
      if (fn && ts.isArrowFunction(fn) && !ts.isBlock(fn.body)) addTarget(unwrapExpression(fn.body), tableStart);
      return;
    }
    // Handle: foreignKey({ columns: [t.a], foreignColumns: [users.id] })
    if (coreFunctionOf(callee) === 'foreignKey') {
      const config = call.arguments[0];
      if (!config || !ts.isObjectLiteralExpression(config)) return;
      for (const property of config.properties) {
        if (
          ts.isPropertyAssignment(property) &&
          ts.isIdentifier(property.name) &&
          property.name.text === 'foreignColumns' &&
          ts.isArrayLiteralExpression(property.initializer)
        ) {
          for (const element of property.initializer.elements) addTarget(unwrapExpression(element), tableStart);
        }
      }
    }
  }
  function addTarget(expression: ts.Expression, tableStart: number): void {
    if (ts.isPropertyAccessExpression(expression) && ts.isIdentifier(expression.expression)) {
      foreignKeys.push({
        tableStart,
        targetIdentifier: expression.expression.text,
        column: expression.name.text,
        location: locate(expression.getStart(sourceFile)),
      });
    }
  }

  /** The SQL name of the column a builder chain starts from: `serial('id').primaryKey()` -> id. */
  function columnNameOf(expression: ts.Expression): string | undefined {
    let node = expression;
    for (;;) {
      if (ts.isCallExpression(node) && ts.isIdentifier(node.expression)) return stringLiteralValue(node.arguments[0]);
      if (ts.isCallExpression(node) || ts.isPropertyAccessExpression(node)) node = node.expression;
      else return undefined;
    }
  }

  // Handle: index('x').on(...), uniqueIndex('x'), unique('x'), primaryKey({ name }), serial('id'),
  // .primaryKey(), .unique(), .generatedAlwaysAsIdentity(): names Postgres gives relations of the table.
  function recordOwnedRelation(call: ts.CallExpression, table: DrizzleObject): void {
    if (table.name === undefined) return;
    const own = (name: string, what: string) =>
      (table.ownedRelations ??= []).push({ name, what, location: locate(call.getStart(sourceFile)) });
    const callee = call.expression;
    const fn = coreFunctionOf(callee);
    const literal = stringLiteralValue(call.arguments[0]);
    if (fn === 'index' || fn === 'uniqueIndex' || fn === 'unique') {
      if (literal !== undefined) own(literal, fn === 'unique' ? 'unique constraint index' : 'index');
    } else if (fn === 'primaryKey') {
      const name = objectProperty(call.arguments[0], 'name');
      if (name !== undefined) own(name, 'primary key index');
    } else if (fn === 'serial' || fn === 'bigserial' || fn === 'smallserial') {
      if (literal !== undefined) own(`${table.name}_${literal}_seq`, 'serial sequence');
    } else if (ts.isPropertyAccessExpression(callee)) {
      const column = columnNameOf(callee.expression);
      const method = callee.name.text;
      if (method === 'primaryKey' && call.arguments.length === 0) own(`${table.name}_pkey`, 'primary key index');
      else if (method === 'unique' && (literal !== undefined || column !== undefined)) {
        own(literal ?? `${table.name}_${column}_unique`, 'unique constraint index');
      } else if ((method === 'generatedAlwaysAsIdentity' || method === 'generatedByDefaultAsIdentity') && column !== undefined) {
        own(objectProperty(call.arguments[0], 'name') ?? `${table.name}_${column}_seq`, 'identity sequence');
      }
    }
  }

  function objectProperty(node: ts.Node | undefined, key: string): string | undefined {
    if (!node || !ts.isObjectLiteralExpression(node)) return undefined;
    for (const p of node.properties) {
      if (ts.isPropertyAssignment(p) && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) && p.name.text === key) {
        return stringLiteralValue(p.initializer);
      }
    }
    return undefined;
  }

  function visit(node: ts.Node, table: DrizzleObject | undefined): void {
    if (ts.isIdentifier(node)) {
      if (!isNonReference(node)) identifierUses.set(node.text, (identifierUses.get(node.text) ?? 0) + 1);
      return;
    }
    let innerTable = table;
    if (ts.isCallExpression(node)) {
      const object = objectFromCall(node);
      if (object) {
        objects.push(object);
        if (object.kind === 'table') innerTable = object;
      } else if (table !== undefined) {
        recordForeignKey(node, table.callee.start);
        recordOwnedRelation(node, table);
      }
    }
    ts.forEachChild(node, (child) => visit(child, innerTable));
  }
  visit(sourceFile, undefined);

  return {
    path,
    text,
    bom,
    eol,
    pgCoreImports,
    namedImports,
    runtimeImports,
    schemaDeclarations,
    objects,
    foreignKeys,
    identifierUses,
    importBindings,
    topLevelNames,
    afterImports,
    statements,
    quote,
    semicolons,
    importExtension,
    tableCreators,
    exports: exportTableOf(sourceFile),
  };
}
