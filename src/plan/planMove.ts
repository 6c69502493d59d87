import { lstatSync, readlinkSync } from 'node:fs';
import { resolve } from 'node:path';
import { InputError } from '../errors';
import { planBindings, planEmptySchemas, planSchemaRefs, unusedSchemaImports } from './bindings';
import { emptiedSchemaDeclarations } from './emptiedSchemas';
import { collectForeignKeys } from './foreignKeys';
import { validateLockTimeout, validateMigrationName, validateObjectName, validateRoleName, validateSchemaName } from './identifiers';
import { checkNameClashes } from './nameClashes';
import { ProjectIndex, fileExists, findSchemaDeclaration, safeScan } from './projectIndex';
import { selectTargets, type Located } from './selection';
import { unknownCreatorReason } from './tableCreator';
import {
  IMPORTED_CREATOR_PREFIX,
  PUBLIC_SCHEMA,
  type DrizzleObject,
  type MovePlan,
  type ObjectMove,
  type ScannedFile,
} from './types';

export interface PlanOptions {
  /** The schema files whose objects move (paths relative to `cwd` or absolute). */
  files: string[];
  /** Project root: where imports resolve from and where the drizzle config lives. */
  cwd: string;
  /** Target schema; may be omitted when every object carries a `{ schema }` option to repair. */
  to?: string;
  /** Narrow the selection to these tables, views and sequences (SQL names or TS identifiers). */
  tables?: string[];
  /** Narrow the selection to these enums (SQL names or TS identifiers). */
  enums?: string[];
  /** Checked here, before anything is read, though later stages use them. */
  name?: string;
  grant?: string[];
  lockTimeoutMs?: number;
  /**
   * Several targets in one run: schema -> names of tables, enums, views or
   * sequences in the given files (SQL names or TS identifiers). With `to`, the
   * map wins for the names it lists and `to` covers the rest of the files
   * (narrowed by `tables`/`enums`). An enum the map does not name follows the
   * tables that use it when they all end up in one schema; when they end up in
   * several, it stays where it is and the plan warns.
   */
  map?: Record<string, string[]>;
  /** Schemas to create even if nothing moves into them (a pgSchema declaration is added). */
  createSchemas?: string[];
  /** `--strategy copy --keep-source`: the old objects stay, so the schemas they are in are not emptied. */
  keepSource?: boolean;
  /**
   * Whether drizzle-kit reads this file as a schema file (the config's
   * `schema`); undefined when that is not known. A new file for a pgSchema
   * declaration that it reads needs no re-export (SchemaBinding.newFile).
   */
  kitReadsFile?: (path: string) => boolean | undefined;
}

const IMPORTED_SCHEMA_PREFIX = '\0import:';


export function planMove(options: PlanOptions): MovePlan {
  const root = resolve(options.cwd);
  if (options.files.length === 0) throw new InputError('no schema files given');
  if (options.to !== undefined) validateSchemaName(options.to, '--to');
  if (options.tables?.length === 0) throw new InputError('--tables: no table names given');
  if (options.enums?.length === 0) throw new InputError('--enums: no enum names given');
  if (options.name !== undefined) validateMigrationName(options.name);
  for (const role of options.grant ?? []) validateRoleName(role);
  if (options.lockTimeoutMs !== undefined) validateLockTimeout(options.lockTimeoutMs);

  const index = new ProjectIndex(root);
  const inputFiles = options.files.map((f) => resolve(root, f));
  for (const path of inputFiles) {
    if (!fileExists(path)) throw new InputError(`${index.display(path)}: no such file`);
  }
  // Named files first, so that a syntax error in them is reported rather than skipped.
  const inputs = inputFiles.map((path) => index.scan(path));
  index.scanProject();
  const warnings: string[] = [];

  const all: Located[] = [];
  for (const file of index.files.values()) {
    resolveImportedSchemas(index, file);
    for (const object of file.objects) all.push({ object, file });
  }

  for (const file of inputs) {
    for (const declaration of file.schemaDeclarations) {
      if (declaration.name === PUBLIC_SCHEMA) {
        throw new InputError(
          "pgSchema('public') is rejected by drizzle-orm; declare public objects with pgTable/pgEnum",
          declaration.location,
        );
      }
    }
    if (file.objects.length === 0) {
      throw new InputError(`${index.display(file.path)}: no Drizzle tables, enums, views or sequences to move`);
    }
  }

  const selected = selectTargets(inputs, options, index, warnings);
  const moves: ObjectMove[] = [];
  const alreadyInPlace: ObjectMove[] = [];
  for (const { object, file, to: chosen, follows } of selected) {
    if (object.unmovable) throw new InputError(`cannot move: ${object.unmovable}`, object.location);
    validateObjectName(object.kind, object.name!, object.location);
    // Without a target the run only repairs `{ schema }` options; other objects stay where they are.
    const to = chosen ?? object.bogusSchemaOption?.schema ?? object.schema;
    if (chosen === undefined) validateSchemaName(to, `{ schema } option of '${object.name}'`);
    const from = object.schema;
    const move: ObjectMove = { object, file: file.path, from, to, ...(follows ? { follows } : {}) };
    if (from === to && !object.bogusSchemaOption) alreadyInPlace.push(move);
    else moves.push(move);
    if (chosen !== undefined && object.bogusSchemaOption?.schema && object.bogusSchemaOption.schema !== chosen) {
      warnings.push(
        `${index.display(file.path)}:${object.location.line}: '${object.name}' declared { schema: '${object.bogusSchemaOption.schema}' }, which drizzle-orm ignores; moving it to '${chosen}' as asked`,
      );
    }
  }

  // Without --to and nothing to repair, only an already-repaired file (objects outside public) is fine.
  if (
    options.to === undefined &&
    options.map === undefined &&
    !selected.some(({ object }) => object.bogusSchemaOption || object.schema !== PUBLIC_SCHEMA)
  ) {
    const first = selected[0]?.object;
    throw new InputError(
      first ? `no target schema for ${first.kind} '${first.name}': pass --to <schema>` : 'no target schema: pass --to <schema>',
      first?.location,
    );
  }
  checkNameClashes(moves, all, index);
  const bindings = planBindings(moves, index, options.kitReadsFile);
  const createSchemas = planEmptySchemas(options.createSchemas ?? [], moves, bindings, index, inputs[0]!);
  const rewritten = new Set([...moves.map((m) => m.file), ...[...bindings.values()].filter((b) => (b.create || b.export) && !b.newFile).map((b) => b.file)]);
  for (const path of rewritten) assertReplaceable(path, index);
  const schemaRefs = planSchemaRefs(moves, bindings, index);
  const foreignKeys = collectForeignKeys(all, moves, index);
  const unusedImports = unusedSchemaImports(moves, schemaRefs, index);
  const emptiedSchemas = options.keepSource ? [] : emptiedSchemaDeclarations(moves, unusedImports, index, warnings);
  for (const declaration of emptiedSchemas) assertReplaceable(declaration.file, index);

  return {
    projectRoot: root,
    files: index.files,
    inputFiles,
    moves,
    alreadyInPlace,
    bindings,
    unusedSchemaImports: unusedImports,
    emptiedSchemas,
    schemaRefs,
    foreignKeys,
    createSchemas,
    warnings,
  };
}

/**
 * The write stage replaces a file by renaming a new one over it. A symlink
 * would become a plain file (and its target stay as it was), and a file the
 * user made read-only would be replaced anyway (renaming needs only the
 * folder's permission): both are refused before anything is computed.
 */
function assertReplaceable(path: string, index: ProjectIndex): void {
  const stat = lstatSync(path);
  if (stat.isSymbolicLink()) {
    throw new InputError(
      `${index.display(path)}: is a symbolic link (to ${readlinkSync(path)}); name the file it points to, so that the link stays a link`,
    );
  }
  if ((stat.mode & 0o222) === 0) {
    throw new InputError(`${index.display(path)}: is read-only; make it writable (chmod u+w) if it should change`);
  }
}

/**
 * `fp.table(...)` where `fp` is imported: find the pgSchema declaration it refers to.
 * `createTable('user', ...)` where `createTable` is imported: keep it if it is a pgTableCreator.
 */
function resolveImportedSchemas(index: ProjectIndex, file: ScannedFile): void {
  file.objects = file.objects.filter((object) => {
    if (object.schema.startsWith(IMPORTED_CREATOR_PREFIX)) return resolveImportedCreator(index, file, object);
    if (!object.schema.startsWith(IMPORTED_SCHEMA_PREFIX)) return true;
    const local = object.schema.slice(IMPORTED_SCHEMA_PREFIX.length);
    const declaration = findSchemaDeclaration(index, file.path, local);
    if (!declaration) return false; // `x.table(...)` on something that is not a pgSchema
    if (declaration.name === undefined) {
      object.unmovable = `schema '${local}' has a name that is not a string literal`;
      object.schema = local;
    } else object.schema = declaration.name;
    return true;
  });
}

function resolveImportedCreator(index: ProjectIndex, file: ScannedFile, object: DrizzleObject): boolean {
  const local = object.schema.slice(IMPORTED_CREATOR_PREFIX.length);
  const resolved = index.resolveLocal(file.path, local);
  const declaring = resolved && (index.files.get(resolved.file) ?? safeScan(index, resolved.file));
  const creator = resolved && declaring?.tableCreators.get(resolved.localName);
  if (!creator) return false; // an imported function that is not a pgTableCreator
  const argument = object.name!;
  object.schema = PUBLIC_SCHEMA;
  if (!creator.sqlName) {
    object.unmovable = unknownCreatorReason(creator);
    object.name = undefined;
    delete object.creatorNameArgument;
    return true;
  }
  const name = creator.sqlName(argument);
  object.name = name;
  for (const relation of object.ownedRelations ?? []) {
    if (relation.derived) relation.name = `${name}${relation.name.slice(argument.length)}`;
  }
  return true;
}
