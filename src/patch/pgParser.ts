import { ToolError } from '../errors';

/**
 * Postgres' own parser (libpg-query, compiled to WASM), reduced to what the
 * patch stage asks of a statement: what it creates or alters, and where.
 * Offsets from the parser are UTF-8 byte offsets; everything here returns
 * string (UTF-16) offsets.
 */

/** `"schema"."name"` as the parser resolved it; schema undefined when unqualified. */
export interface RelationName {
  schema: string | undefined;
  name: string;
}

export type StatementKind =
  | { kind: 'createSchema'; schema: string }
  | { kind: 'createType'; type: RelationName }
  | { kind: 'createSequence'; sequence: RelationName }
  | { kind: 'createTable'; table: RelationName }
  | { kind: 'createView'; view: RelationName }
  | { kind: 'addForeignKey'; table: RelationName; references: RelationName; constraint: string | undefined }
  | { kind: 'createIndex'; table: RelationName; index: string | undefined }
  | { kind: 'createPolicy'; table: RelationName; policy: string }
  | { kind: 'enableRowSecurity'; table: RelationName }
  | { kind: 'dropConstraint'; table: RelationName; constraint: string }
  /** `DROP SCHEMA s` of one schema, RESTRICT. */
  | { kind: 'dropSchema'; schema: string }
  /** `ALTER TABLE t ALTER COLUMN c SET DATA TYPE x` alone; `endOffset` is where a USING clause goes. */
  | { kind: 'alterColumnType'; table: RelationName; column: string; type: RelationName; arrayDims: number; hasUsing: boolean; endOffset: number }
  | { kind: 'other' };

export type ParsedStatement = StatementKind & { sql: string };

type Node = Record<string, any>; // the parser's JSON AST

interface LibPgQuery {
  loadModule(): Promise<void>;
  parseSync(sql: string): { stmts: { stmt: Node; stmt_location?: number; stmt_len?: number }[] };
}

let parser: LibPgQuery | undefined;

/** Loads the WASM parser once; every other function here needs it loaded. */
export async function loadPgParser(): Promise<void> {
  if (parser) return;
  const lib = require('libpg-query') as LibPgQuery;
  await lib.loadModule();
  parser = lib;
}

function parseTree(sql: string) {
  if (!parser) throw new ToolError('internal: the Postgres parser was used before loadPgParser()');
  try {
    return parser.parseSync(sql);
  } catch (error) {
    throw new ToolError(`cannot parse drizzle-kit's SQL (${error instanceof Error ? error.message : String(error)}): ${sql.slice(0, 120)}`);
  }
}

const relation = (r: Node): RelationName => ({ schema: r.schemaname, name: r.relname });
const strings = (list: Node[] | undefined): string[] => (list ?? []).map((n) => n.String?.sval as string);
function qualifiedName(names: Node[] | undefined): RelationName {
  const parts = strings(names);
  return parts.length > 1 ? { schema: parts[parts.length - 2], name: parts[parts.length - 1]! } : { schema: undefined, name: parts[0]! };
}

/** One SQL text (which may hold several statements) as single statements, each classified. */
export function parseStatements(sql: string): ParsedStatement[] {
  const bytes = Buffer.from(sql, 'utf8');
  return parseTree(sql).stmts.map(({ stmt, stmt_location = 0, stmt_len }) => {
    const end = stmt_len === undefined || stmt_len === 0 ? bytes.length : stmt_location + stmt_len;
    // stmt_len stops before the semicolon, except for a last statement that runs to the end.
    let text = bytes.subarray(stmt_location, end).toString('utf8').trim();
    if (text.endsWith(';')) text = text.slice(0, -1).trimEnd();
    return { ...classify(stmt, text), sql: `${text};` };
  });
}

function classify(stmt: Node, text: string): StatementKind {
  const [type, node] = Object.entries(stmt)[0] as [string, Node];
  switch (type) {
    case 'CreateSchemaStmt':
      return { kind: 'createSchema', schema: node.schemaname };
    case 'CreateEnumStmt':
      return { kind: 'createType', type: qualifiedName(node.typeName) };
    case 'CreateSeqStmt':
      return { kind: 'createSequence', sequence: relation(node.sequence) };
    case 'CreateStmt':
      return { kind: 'createTable', table: relation(node.relation) };
    case 'ViewStmt':
      return { kind: 'createView', view: relation(node.view) };
    case 'CreateTableAsStmt':
      return node.objtype === 'OBJECT_MATVIEW' ? { kind: 'createView', view: relation(node.into.rel) } : { kind: 'other' };
    case 'IndexStmt':
      return { kind: 'createIndex', table: relation(node.relation), index: node.idxname };
    case 'DropStmt': {
      const objects = (node.objects ?? []) as Node[];
      return node.removeType === 'OBJECT_SCHEMA' && objects.length === 1 && node.behavior !== 'DROP_CASCADE' && objects[0]!.String
        ? { kind: 'dropSchema', schema: objects[0]!.String.sval }
        : { kind: 'other' };
    }
    case 'CreatePolicyStmt':
      return { kind: 'createPolicy', table: relation(node.table), policy: node.policy_name };
    case 'AlterTableStmt': {
      const cmds = (node.cmds as Node[]).map((c) => c.AlterTableCmd as Node);
      if (cmds.length !== 1 || node.objtype !== 'OBJECT_TABLE') return { kind: 'other' };
      const cmd = cmds[0]!;
      const constraint = cmd.def?.Constraint as Node | undefined;
      if (cmd.subtype === 'AT_AddConstraint' && constraint?.contype === 'CONSTR_FOREIGN') {
        return { kind: 'addForeignKey', table: relation(node.relation), references: relation(constraint.pktable), constraint: constraint.conname };
      }
      if (cmd.subtype === 'AT_EnableRowSecurity') return { kind: 'enableRowSecurity', table: relation(node.relation) };
      if (cmd.subtype === 'AT_DropConstraint') return { kind: 'dropConstraint', table: relation(node.relation), constraint: cmd.name };
      if (cmd.subtype === 'AT_AlterColumnType') {
        const def = cmd.def.ColumnDef as Node;
        return {
          kind: 'alterColumnType',
          table: relation(node.relation),
          column: cmd.name,
          type: qualifiedName(def.typeName.names),
          arrayDims: (def.typeName.arrayBounds ?? []).length,
          hasUsing: def.raw_default !== undefined,
          // The only command, so a USING clause goes at the statement's end (before its semicolon).
          endOffset: text.length,
        };
      }
      return { kind: 'other' };
    }
    default:
      return { kind: 'other' };
  }
}

/**
 * The schemas a statement puts an object of its own in: what it creates under
 * a qualified name (a table, type, domain, sequence, view, function,
 * aggregate, statistics object, an extension's objects) or moves there with
 * `SET SCHEMA`. What hangs off a table (an index, constraint, policy, trigger,
 * rule, a column) lives where the table does, and a schema a statement only
 * names (`ALTER POLICY ... ON realtime.messages USING (... chat.rooms_users
 * ...)`) gets nothing from it. An unqualified name lands in the search_path's
 * first schema, which is left out: drizzle-kit qualifies every other one.
 */
export function schemasWrittenBy(sql: string): string[] {
  const out = new Set<string>();
  for (const { stmt } of parseTree(sql).stmts) {
    const [type, node] = Object.entries(stmt)[0] as [string, Node];
    const schema = schemaWritten(type, node);
    if (schema !== undefined) out.add(schema);
  }
  return [...out];
}

function schemaWritten(type: string, node: Node): string | undefined {
  switch (type) {
    case 'CreateSchemaStmt':
      // Handle: CREATE SCHEMA s CREATE TABLE t (...): its elements are created in s.
      return (node.schemaElts ?? []).length > 0 ? node.schemaname : undefined;
    case 'CreateStmt':
      return node.relation.schemaname;
    case 'CreateForeignTableStmt':
      return node.base.relation.schemaname;
    case 'CreateTableAsStmt':
      return node.into.rel.schemaname;
    case 'ViewStmt':
      return node.view.schemaname;
    case 'CreateSeqStmt':
      return node.sequence.schemaname;
    case 'CompositeTypeStmt':
      return node.typevar.schemaname;
    case 'CreateEnumStmt':
    case 'CreateRangeStmt':
      return qualifiedName(node.typeName).schema;
    case 'CreateDomainStmt':
      return qualifiedName(node.domainname).schema;
    case 'CreateFunctionStmt':
      return qualifiedName(node.funcname).schema;
    case 'DefineStmt':
    case 'CreateStatsStmt':
      return qualifiedName(node.defnames).schema;
    case 'CreateConversionStmt':
      return qualifiedName(node.conversion_name).schema;
    case 'CreateOpClassStmt':
      return qualifiedName(node.opclassname).schema;
    case 'CreateOpFamilyStmt':
      return qualifiedName(node.opfamilyname).schema;
    case 'CreateExtensionStmt':
      return ((node.options ?? []) as Node[]).find((o) => o.DefElem?.defname === 'schema')?.DefElem.arg?.String?.sval;
    case 'AlterObjectSchemaStmt':
      return node.newschema;
    default:
      return undefined;
  }
}
