import type { SourceLocation } from '../errors';
import type { TableCreator } from './tableCreator';
import type { ImportExtension } from './importStyle';

/** The kinds of Drizzle object that live in a Postgres schema. */
export type ObjectKind = 'table' | 'enum' | 'view' | 'materializedView' | 'sequence';

/** drizzle-orm/pg-core's top-level constructor for each kind (the `public` form). */
export const CORE_CONSTRUCTOR: Record<ObjectKind, string> = {
  table: 'pgTable',
  enum: 'pgEnum',
  view: 'pgView',
  materializedView: 'pgMaterializedView',
  sequence: 'pgSequence',
};

/** `pgSchema(name)`'s method for each kind (the non-public form). */
export const SCHEMA_METHOD: Record<ObjectKind, string> = {
  table: 'table',
  enum: 'enum',
  view: 'view',
  materializedView: 'materializedView',
  sequence: 'sequence',
};

export const PUBLIC_SCHEMA = 'public';
/** The schema of a `t('x', ...)` call whose `t` is imported: resolved (or dropped) once the project is read. */
export const IMPORTED_CREATOR_PREFIX = '\0creator:';
export const PG_CORE_MODULE = 'drizzle-orm/pg-core';

export interface Span {
  start: number;
  end: number;
}

/** One `pgTable(...)`, `pgEnum(...)`, `s.table(...)`, ... call found in a source file. */
export interface DrizzleObject {
  kind: ObjectKind;
  /** SQL name; undefined when the name is not a string literal (such objects cannot move). */
  name: string | undefined;
  /** The variable the object is assigned to, if any. */
  identifier: string | undefined;
  exported: boolean;
  /** The Postgres schema the object lives in today. */
  schema: string;
  location: SourceLocation;
  /** The callee text to replace (`pgTable`, `pg.pgTable`, `fp.table`). */
  callee: Span;
  /** A `{ schema: 'x' }` argument that drizzle-orm ignores (see seed 000), to be removed. */
  bogusSchemaOption?: { schema: string | undefined; span: Span };
  /** Why this object can never be moved, when it cannot. */
  unmovable?: string;
  /**
   * `createTable('user', ...)` of a pgTableCreator: the name argument, which a
   * move replaces with the SQL name (`auth.table('project1_user', ...)`), since
   * a pgSchema's `table()` adds no prefix.
   */
  creatorNameArgument?: Span;
  /**
   * Relations Postgres creates with a table and moves with it (indexes, the
   * primary key's index, serial and identity sequences), by their SQL names:
   * they too must be free in the target schema.
   */
  ownedRelations?: OwnedRelation[];
  /** A table's columns: TypeScript property -> SQL name (the property itself when the builder names none). */
  columns?: Map<string, string>;
}

export interface OwnedRelation {
  name: string;
  /** Named after the table (`<table>_pkey`): follows the table's SQL name. */
  derived?: boolean;
  /** 'index', 'sequence', ... for messages. */
  what: string;
  location: SourceLocation;
}

/** An import declaration from drizzle-orm/pg-core. */
export interface PgCoreImport {
  /** The declaration with its trailing comment. */
  span: Span;
  namespace?: string;
  /** Each specifier with its source text (`pgTable`, `pgTable as table`, `type AnyPgColumn`). */
  named: { name: string; alias?: string; isTypeOnly: boolean; text: string }[];
  /** The `{ ... }` of the named imports, when there is one. */
  braces?: Span;
  isTypeOnly: boolean;
}

/** A value `import { a, b as c } from 'm'` from a module other than pg-core: a new import from `m` joins it. */
export interface NamedImportDeclaration {
  module: string;
  /** The whole declaration with its trailing comment. */
  span: Span;
  /** Whether it also has a default import (`import d, { a } from 'm'`). */
  hasDefault: boolean;
  /** The `{ ... }` of the named imports. */
  braces: Span;
  /** Each specifier's source text (`a`, `b as c`, `type T`). */
  specifiers: string[];
}

/** `const x = pgSchema('name')` */
export interface SchemaDeclaration {
  identifier: string;
  name: string | undefined;
  exported: boolean;
  file: string;
  location: SourceLocation;
  /** Where to insert `export ` when the declaration must become exported. */
  statementStart: number;
  /** The whole statement with its comments (what moves when the declaration must move up). */
  statementSpan: Span;
}

/** One foreign key constraint: a `.references(() => x.id)` or a `foreignKey({ columns, foreignColumns })` of a table. */
export interface ForeignKeyRef {
  fromTable: { name: string; schema: string };
  /** The identifier the FK points at (`users` in `users.id`). */
  targetIdentifier: string;
  /** The first referenced property, as written (`id` in `users.id`). */
  column: string;
  /** The constraint's own columns, by SQL name. */
  columns: string[];
  location: SourceLocation;
  /** The resolved target, when the identifier is a known table, with the referenced columns by SQL name. */
  to?: { name: string; schema: string; columns: string[] };
}

/** A foreign key as one file declares it; properties are TypeScript names, resolved by the plan. */
export interface ScannedForeignKey {
  tableStart: number;
  targetIdentifier: string;
  /** The table's own properties (`ownerId`). */
  properties: string[];
  /** The referenced table's properties (`id` in `users.id`). */
  targetProperties: string[];
  location: SourceLocation;
}

export interface ImportBinding {
  module: string;
  importedName: string;
  /** Whether `import * as x`. */
  namespace: boolean;
}

/** What the plan stage learns from one source file. Offsets refer to `text`. */
export interface ScannedFile {
  path: string;
  /** Text without the byte-order mark. */
  text: string;
  bom: boolean;
  eol: '\n' | '\r\n';
  pgCoreImports: PgCoreImport[];
  namedImports: NamedImportDeclaration[];
  /** Modules imported or re-exported for their values (type-only imports are erased at run time). */
  runtimeImports: string[];
  schemaDeclarations: SchemaDeclaration[];
  objects: DrizzleObject[];
  foreignKeys: ScannedForeignKey[];
  /** Value references per identifier, excluding declarations and import specifiers. */
  identifierUses: Map<string, number>;
  /** Non-pg-core imports: local name to where it comes from. */
  importBindings: Map<string, ImportBinding>;
  /** Names declared at the top level (or imported): what a new declaration must not shadow. */
  topLevelNames: Set<string>;
  /** Offset right after the last import declaration and its trailing comment (0 when none). */
  afterImports: number;
  /** Each top-level statement, from its first token to the end of its trailing comment. */
  statements: Span[];
  /** Quote character used by the file's imports. */
  quote: "'" | '"';
  semicolons: boolean;
  /** `const createTable = pgTableCreator(...)` declarations of the file, by name. */
  tableCreators: Map<string, TableCreator>;
  /** How the file's relative imports name files (`./a.js`, `./a.ts`, `./a`); undefined without any. */
  importExtension: ImportExtension | undefined;
  exports: ExportTable;
}

/** What a module exports: its own names, and what it re-exports from elsewhere. */
export interface ExportTable {
  /** exported name -> local name */
  local: Map<string, string>;
  /** `export * from 'm'` (names undefined) and `export { a as b } from 'm'` (b -> a). */
  from: { module: string; names?: Map<string, string> }[];
}

export interface ObjectMove {
  object: DrizzleObject;
  file: string;
  from: string;
  to: string;
  /** An enum nobody named, moving with the tables that use it (their SQL names). */
  follows?: string[];
}

/** How a file refers to the `pgSchema` value for a target schema. */
export interface SchemaBinding {
  schema: string;
  identifier: string;
  /** File that declares it. */
  file: string;
  /** True when the declaration does not exist yet and the rewrite adds it. */
  create: boolean;
  /** True when an existing declaration must be exported. */
  export: boolean;
  declaration?: SchemaDeclaration;
  /**
   * Set when `file` is a new file the rewrite creates: every file the objects
   * move from imports another of them, so a declaration in any would close an
   * import cycle. drizzle-kit emits CREATE SCHEMA only for a pgSchema value
   * it finds in the exports of a file it reads: unless its config reads the
   * new file, `reExportFrom`, one of the moving files (whose objects it
   * reads), re-exports the value.
   */
  newFile?: { reExportFrom?: string };
}

/** How one file names a target schema's pgSchema value. */
export interface SchemaRef {
  localName: string;
  /** Set when the file must import the value: `import { importedName as localName } from specifier`. */
  addImport?: { importedName: string; specifier: string };
}

export interface MovePlan {
  projectRoot: string;
  /** Every file the plan read, by absolute path. */
  files: Map<string, ScannedFile>;
  /** The files named by the user. */
  inputFiles: string[];
  moves: ObjectMove[];
  /** Objects that were selected but already live in their target schema. */
  alreadyInPlace: ObjectMove[];
  bindings: Map<string, SchemaBinding>;
  /** file -> local names of imported pgSchema values the move leaves unused (their import specifiers go). */
  unusedSchemaImports: Map<string, Set<string>>;
  /** pgSchema declarations every object moved out of and nothing names any more: the rewrite removes them. */
  emptiedSchemas: SchemaDeclaration[];
  /** file -> schema -> how that file refers to the schema's pgSchema value. */
  schemaRefs: Map<string, Map<string, SchemaRef>>;
  foreignKeys: ForeignKeyRef[];
  /** Schemas created empty (--create-schema) whose pgSchema declaration the run adds or exports. */
  createSchemas: string[];
  warnings: string[];
}
