import ts from 'typescript';
import type { SourceLocation } from '../errors';
import type { Span } from './types';
import { stringLiteralValue, unwrapExpression } from './parseSource';

/**
 * `const createTable = pgTableCreator((name) => \`project1_${name}\`)`: the SQL
 * name of `createTable('user', ...)` is what the callback returns for 'user'.
 * When the plan can work the callback out from its text, `sqlName` gives it;
 * otherwise `unknown` says why (its tables then cannot move).
 */
export interface TableCreator {
  identifier: string;
  location: SourceLocation;
  exported: boolean;
  /**
   * The declaring statement with its comments, when it declares nothing else:
   * what the rewrite removes once no table of an unexported creator is left.
   */
  statementSpan?: Span;
  /** The local name `pgTableCreator` is called by, when a bare one (an import the removal may leave unused). */
  constructorLocal?: string;
  sqlName?: (name: string) => string;
  unknown?: string;
}

/** Why a table of this creator cannot move, for the one-line error. */
export function unknownCreatorReason(creator: TableCreator): string {
  const where = `${creator.location.file}:${creator.location.line}`;
  return `'${creator.identifier}' is a pgTableCreator table whose SQL name the plan cannot work out: ${creator.unknown} (${where}); declare the table with pgTable('<its SQL name>', ...) to move it`;
}

/** A piece of the callback's result: literal text, or the name it was given. */
type Part = string | { name: true };

export function readTableCreator(
  identifier: string,
  call: ts.CallExpression,
  sourceFile: ts.SourceFile,
  declared: Pick<TableCreator, 'location' | 'exported' | 'statementSpan'>,
): TableCreator {
  const creator: TableCreator = {
    identifier,
    ...declared,
    ...(ts.isIdentifier(call.expression) ? { constructorLocal: call.expression.text } : {}),
  };
  const parts = callbackParts(call.arguments[0], sourceFile);
  if (typeof parts === 'string') return { ...creator, unknown: parts };
  return { ...creator, sqlName: (name) => parts.map((p) => (typeof p === 'string' ? p : name)).join('') };
}

/** The callback's result as parts, or why it cannot be read. */
function callbackParts(callback: ts.Expression | undefined, sourceFile: ts.SourceFile): Part[] | string {
  const fn = callback && unwrapExpression(callback);
  if (!fn || !(ts.isArrowFunction(fn) || ts.isFunctionExpression(fn))) return 'its argument is not a function written in place';
  const [param] = fn.parameters;
  if (!param || !ts.isIdentifier(param.name)) return 'its callback takes no plain name parameter';
  const name = param.name.text;
  let body: ts.Expression | undefined;
  if (!ts.isBlock(fn.body)) body = fn.body;
  else {
    // Handle: function (name) { return `app_${name}`; }
    const [only] = fn.body.statements;
    if (fn.body.statements.length === 1 && only && ts.isReturnStatement(only)) body = only.expression;
  }
  if (!body) return 'its callback is more than one returned expression';
  const text = body.getText(sourceFile).slice(0, 60);
  // A template literal shows as itself; anything else in backquotes.
  const shown = text.startsWith('`') ? text : `\`${text}\``;
  return expressionParts(body, name) ?? `its callback returns ${shown}, which is not text built from the name and literals`;
}

/** Handle: `p_${name}`, 'p_' + name, name + '_v2', ('p_' + name): literals and the name, joined. */
function expressionParts(node: ts.Expression, name: string): Part[] | undefined {
  const expression = unwrapExpression(node);
  const literal = stringLiteralValue(expression);
  if (literal !== undefined) return [literal];
  if (ts.isIdentifier(expression)) return expression.text === name ? [{ name: true }] : undefined;
  if (ts.isTemplateExpression(expression)) {
    const parts: Part[] = [expression.head.text];
    for (const span of expression.templateSpans) {
      const inner = expressionParts(span.expression, name);
      if (!inner) return undefined;
      parts.push(...inner, span.literal.text);
    }
    return parts;
  }
  if (ts.isBinaryExpression(expression) && expression.operatorToken.kind === ts.SyntaxKind.PlusToken) {
    const left = expressionParts(expression.left, name);
    const right = left && expressionParts(expression.right, name);
    // `1 + name` would be a number first: only text on the left keeps `+` a concatenation.
    return left && right && (typeof left[0] === 'string' || typeof right[0] === 'string') ? [...left, ...right] : undefined;
  }
  return undefined;
}
