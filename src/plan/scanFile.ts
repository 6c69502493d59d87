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
  IMPORTED_CREATOR_PREFIX,
  type DrizzleObject,
  type ObjectKind,
  type ScannedFile,
  type Span,
} from './types';
import { unknownCreatorReason, type TableCreator } from './tableCreator';

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
    let creator: TableCreator | undefined;
    const coreFn = coreFunctionOf(callee);
    if (coreFn && KIND_BY_CONSTRUCTOR.has(coreFn)) {
      kind = KIND_BY_CONSTRUCTOR.get(coreFn);
      schema = 'public';
    } else if (ts.isIdentifier(callee) && tableCreators.has(callee.text)) {
      kind = 'table';
      schema = 'public';
      creator = tableCreators.get(callee.text)!;
    } else if (
      ts.isIdentifier(callee) &&
      importBindings.get(callee.text)?.namespace === false &&
      stringLiteralValue(call.arguments[0]) !== undefined &&
      call.arguments.length >= 2
    ) {
      // Handle: import { createTable } from './table': perhaps a pgTableCreator; the plan resolves it later.
      kind = 'table';
      schema = `${IMPORTED_CREATOR_PREFIX}${callee.text}`;
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
    let name = stringLiteralValue(nameArg);
    if (creator && name !== undefined) {
      if (creator.sqlName) name = creator.sqlName(name);
      else {
        unmovable = unknownCreatorReason(creator);
        name = undefined;
      }
    }
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
      ...((creator?.sqlName || schema.startsWith(IMPORTED_CREATOR_PREFIX)) && name !== undefined
        ? { creatorNameArgument: { start: nameArg!.getStart(sourceFile), end: nameArg!.end } }
        : {}),
    };
    const bogus = bogusSchemaOption(kind, call);
    if (bogus) object.bogusSchemaOption = bogus;
    if (kind === 'table') object.columns = tableColumns(call.arguments[1]);
    return object;
  }

  // Handle: pgTable('x', { ownerId: uuid('owner_id') }) and pgTable('x', (t) => ({ ownerId: t.uuid() })).
  function tableColumns(argument: ts.Expression | undefined): Map<string, string> {
    const columns = new Map<string, string>();
    let node = argument && unwrapExpression(argument);
    if (node && ts.isArrowFunction(node) && !ts.isBlock(node.body)) node = unwrapExpression(node.body);
    if (!node || !ts.isObjectLiteralExpression(node)) return columns;
    for (const property of node.properties) {
      if (!ts.isPropertyAssignment(property)) continue;
      const key = propertyName(property);
      if (key !== undefined) columns.set(key, columnNameOf(property.initializer) ?? key);
    }
    return columns;
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
    // Handle: ownerId: uuid('owner_id').references(() => users.id, { onDelete: 'cascade' })
    if (ts.isPropertyAccessExpression(callee) && callee.name.text === 'references') {
      const fn = call.arguments[0];
      const own = enclosingProperty(call);
      if (fn && ts.isArrowFunction(fn) && !ts.isBlock(fn.body) && own !== undefined) {
        addConstraint(tableStart, [own], [unwrapExpression(fn.body)]);
      }
      return;
    }
    // Handle: foreignKey({ columns: [t.a, t.b], foreignColumns: [users.a, users.b] }): one constraint.
    if (coreFunctionOf(callee) === 'foreignKey') {
      const config = call.arguments[0];
      if (!config || !ts.isObjectLiteralExpression(config)) return;
      const list = (key: string): ts.Expression[] => {
        const property = config.properties.find(
          (p): p is ts.PropertyAssignment => ts.isPropertyAssignment(p) && propertyName(p) === key,
        );
        return property && ts.isArrayLiteralExpression(property.initializer)
          ? property.initializer.elements.map((e) => unwrapExpression(e))
          : [];
      };
      const own = list('columns').map((e) => (ts.isPropertyAccessExpression(e) ? e.name.text : undefined));
      if (own.some((p) => p === undefined)) return;
      addConstraint(tableStart, own as string[], list('foreignColumns'));
    }
  }
  function addConstraint(tableStart: number, properties: string[], targets: ts.Expression[]): void {
    const first = targets[0];
    if (!first || !ts.isPropertyAccessExpression(first) || !ts.isIdentifier(first.expression)) return;
    const targetIdentifier = first.expression.text;
    const targetProperties = targets.map((t) =>
      ts.isPropertyAccessExpression(t) && ts.isIdentifier(t.expression) && t.expression.text === targetIdentifier ? t.name.text : undefined,
    );
    if (targetProperties.some((p) => p === undefined)) return;
    foreignKeys.push({
      tableStart,
      targetIdentifier,
      properties,
      targetProperties: targetProperties as string[],
      location: locate(first.getStart(sourceFile)),
    });
  }

  /** The column property a builder chain is assigned to: `ownerId` in `{ ownerId: uuid().references(...) }`. */
  function enclosingProperty(node: ts.Node): string | undefined {
    for (let at: ts.Node | undefined = node.parent; at; at = at.parent) {
      if (ts.isPropertyAssignment(at)) return propertyName(at);
      if (!ts.isCallExpression(at) && !ts.isPropertyAccessExpression(at) && !ts.isParenthesizedExpression(at)) return undefined;
    }
    return undefined;
  }

  function propertyName(property: ts.PropertyAssignment): string | undefined {
    const name = property.name;
    return ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isNumericLiteral(name) ? name.text : undefined;
  }

  /** The SQL name of the column a builder chain starts from: `serial('id').primaryKey()` -> id. */
  function columnNameOf(expression: ts.Expression): string | undefined {
    let node = expression;
    for (;;) {
      // Handle: uuid('id'), pg.uuid('id') and t.uuid('id') (the callback form's builders)
      if (
        ts.isCallExpression(node) &&
        (ts.isIdentifier(node.expression) || (ts.isPropertyAccessExpression(node.expression) && ts.isIdentifier(node.expression.expression)))
      ) {
        return stringLiteralValue(node.arguments[0]);
      }
      if (ts.isCallExpression(node) || ts.isPropertyAccessExpression(node)) node = node.expression;
      else return undefined;
    }
  }

  // Handle: index('x').on(...), uniqueIndex('x'), unique('x'), primaryKey({ name }), serial('id'),
  // .primaryKey(), .unique(), .generatedAlwaysAsIdentity(): names Postgres gives relations of the table.
  function recordOwnedRelation(call: ts.CallExpression, table: DrizzleObject): void {
    if (table.name === undefined) return;
    const own = (name: string, what: string, derived = false) =>
      (table.ownedRelations ??= []).push({ name, what, location: locate(call.getStart(sourceFile)), ...(derived ? { derived } : {}) });
    const callee = call.expression;
    const fn = coreFunctionOf(callee);
    const literal = stringLiteralValue(call.arguments[0]);
    if (fn === 'index' || fn === 'uniqueIndex' || fn === 'unique') {
      if (literal !== undefined) own(literal, fn === 'unique' ? 'unique constraint index' : 'index');
    } else if (fn === 'primaryKey') {
      const name = objectProperty(call.arguments[0], 'name');
      if (name !== undefined) own(name, 'primary key index');
    } else if (fn === 'serial' || fn === 'bigserial' || fn === 'smallserial') {
      if (literal !== undefined) own(`${table.name}_${literal}_seq`, 'serial sequence', true);
    } else if (ts.isPropertyAccessExpression(callee)) {
      const column = columnNameOf(callee.expression);
      const method = callee.name.text;
      if (method === 'primaryKey' && call.arguments.length === 0) own(`${table.name}_pkey`, 'primary key index', true);
      else if (method === 'unique' && (literal !== undefined || column !== undefined)) {
        own(literal ?? `${table.name}_${column}_unique`, 'unique constraint index', literal === undefined);
      } else if ((method === 'generatedAlwaysAsIdentity' || method === 'generatedByDefaultAsIdentity') && column !== undefined) {
        const explicit = objectProperty(call.arguments[0], 'name');
        own(explicit ?? `${table.name}_${column}_seq`, 'identity sequence', explicit === undefined);
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
