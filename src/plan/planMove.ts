import { lstatSync, readlinkSync } from 'node:fs';
import { resolve } from 'node:path';
import { InputError } from '../errors';
import { ProjectIndex, fileExists } from './projectIndex';
import { tablesUsingEnums } from './enumUsage';
import { validateLockTimeout, validateMigrationName, validateObjectName, validateRoleName, validateSchemaName } from './identifiers';
import {
  PUBLIC_SCHEMA,
  type DrizzleObject,
  type ForeignKeyRef,
  type MovePlan,
  type ObjectMove,
  type ScannedFile,
  type SchemaBinding,
  type SchemaDeclaration,
  type SchemaRef,
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
}

const IMPORTED_SCHEMA_PREFIX = '\0import:';

/** A located object: an object together with the file that declares it. */
interface Located {
  object: DrizzleObject;
  file: ScannedFile;
}

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
  for (const { object, file, to: chosen } of selected) {
    if (object.unmovable) throw new InputError(`cannot move: ${object.unmovable}`, object.location);
    validateObjectName(object.kind, object.name!, object.location);
    // Without a target the run only repairs `{ schema }` options; other objects stay where they are.
    const to = chosen ?? object.bogusSchemaOption?.schema ?? object.schema;
    if (chosen === undefined) validateSchemaName(to, `{ schema } option of '${object.name}'`);
    const from = object.schema;
    const move: ObjectMove = { object, file: file.path, from, to };
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
  const bindings = planBindings(moves, index);
  const createSchemas = planEmptySchemas(options.createSchemas ?? [], moves, bindings, index, inputs[0]!);
  const rewritten = new Set([...moves.map((m) => m.file), ...[...bindings.values()].filter((b) => b.create || b.export).map((b) => b.file)]);
  for (const path of rewritten) assertReplaceable(path, index);
  const schemaRefs = planSchemaRefs(moves, bindings, index);
  const foreignKeys = collectForeignKeys(all, moves, index);

  return {
    projectRoot: root,
    files: index.files,
    inputFiles,
    moves,
    alreadyInPlace,
    bindings,
    unusedSchemaImports: unusedSchemaImports(moves, schemaRefs, index),
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

/** `fp.table(...)` where `fp` is imported: find the pgSchema declaration it refers to. */
function resolveImportedSchemas(index: ProjectIndex, file: ScannedFile): void {
  file.objects = file.objects.filter((object) => {
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

export function findSchemaDeclaration(
  index: ProjectIndex,
  file: string,
  localName: string,
): SchemaDeclaration | undefined {
  const resolved = index.resolveLocal(file, localName);
  if (!resolved) return undefined;
  const declaringFile = index.files.get(resolved.file) ?? safeScan(index, resolved.file);
  return declaringFile?.schemaDeclarations.find((d) => d.identifier === resolved.localName);
}

function safeScan(index: ProjectIndex, path: string): ScannedFile | undefined {
  try {
    return index.scan(path);
  } catch {
    return undefined;
  }
}

/** A selected object and its target; undefined when only a `{ schema }` option is repaired. */
interface Targeted extends Located {
  to: string | undefined;
}

/**
 * Who goes where. Names in the map go to their schema; `--to` covers the rest
 * of the given files (narrowed by --tables/--enums); with a map and no `--to`
 * the rest stays, except that `{ schema }` options are repaired and enums the
 * map does not name follow the tables that use them.
 */
function selectTargets(inputs: ScannedFile[], options: PlanOptions, index: ProjectIndex, warnings: string[]): Targeted[] {
  if (!options.map) return select(inputs, options).map((l) => ({ ...l, to: options.to }));
  const candidates: Located[] = inputs.flatMap((file) => file.objects.map((object) => ({ object, file })));
  const mapped = new Map<DrizzleObject, Targeted>();
  for (const [schema, names] of Object.entries(options.map)) {
    validateSchemaName(schema, `--map ${schema}`);
    if (names.length === 0) throw new InputError(`--map ${schema}: no names given (expected ${schema}=name,name,...)`);
    for (const name of names) {
      const matches = candidates.filter(({ object }) => object.name === name || object.identifier === name);
      if (matches.length === 0) {
        const known = candidates.map(({ object }) => object.name).filter(Boolean).join(', ');
        throw new InputError(
          `--map ${schema}: no table, enum, view or sequence named '${name}' in the given files${known ? ` (found: ${known})` : ''}`,
        );
      }
      for (const match of matches) {
        const earlier = mapped.get(match.object);
        if (earlier && earlier.to !== schema) {
          throw new InputError(
            `--map: ${match.object.kind} '${match.object.name}' is mapped to both '${earlier.to}' and '${schema}'`,
            match.object.location,
          );
        }
        mapped.set(match.object, { ...match, to: schema });
      }
    }
  }
  let rest: Targeted[];
  if (options.to !== undefined) {
    rest = select(inputs, options)
      .filter(({ object }) => !mapped.has(object))
      .map((l) => ({ ...l, to: options.to }));
  } else {
    if (options.tables || options.enums) {
      throw new InputError('--tables and --enums narrow what --to covers; with --map and no --to, name the objects in --map');
    }
    rest = candidates.filter(({ object }) => object.bogusSchemaOption && !mapped.has(object)).map((l) => ({ ...l, to: undefined }));
  }
  const placed = new Map<DrizzleObject, string>(
    [...mapped.values(), ...rest].map((t) => [t.object, t.to ?? t.object.bogusSchemaOption?.schema ?? t.object.schema]),
  );
  const unplacedEnums = candidates.filter(({ object }) => object.kind === 'enum' && !placed.has(object));
  const followers = followingEnums(unplacedEnums, placed, index, warnings);
  const order = new Map(candidates.map((l, i) => [l.object, i]));
  return [...mapped.values(), ...rest, ...followers].sort((a, b) => order.get(a.object)! - order.get(b.object)!);
}

/**
 * An enum the map does not name goes where the tables using it go. When they
 * go to different schemas (or some stay), the tool does not guess: the enum
 * stays where it is (Postgres columns may use an enum of another schema) and
 * a warning names it, so that the user can place it with --map.
 */
function followingEnums(
  enums: Located[],
  placed: Map<DrizzleObject, string>,
  index: ProjectIndex,
  warnings: string[],
): Targeted[] {
  if (enums.length === 0) return [];
  const uses = tablesUsingEnums(enums, index);
  const followers: Targeted[] = [];
  for (const located of enums) {
    const { object } = located;
    const users = uses.get(object) ?? [];
    const destination = (table: DrizzleObject) => placed.get(table) ?? table.schema;
    if (!users.some(({ table }) => destination(table) !== table.schema)) continue;
    const destinations = [...new Set(users.map(({ table }) => destination(table)))];
    if (destinations.length === 1) {
      if (destinations[0] !== object.schema) followers.push({ ...located, to: destinations[0]! });
      continue;
    }
    const where = destinations
      .map((schema) => `${schema} (${users.filter(({ table }) => destination(table) === schema).map(({ table }) => table.name).join(', ')})`)
      .join(', ');
    warnings.push(
      `${index.display(located.file.path)}:${object.location.line}: enum '${object.name}' is used by tables headed for different schemas: ${where}; it stays in '${object.schema}' (name it in --map to choose)`,
    );
  }
  return followers;
}

/**
 * `--create-schema x`: drizzle-kit creates a schema when it finds an exported
 * pgSchema value for it. A schema that objects move into gets one anyway; an
 * existing declaration is exported if it is not; otherwise
 * `export const x = pgSchema('x')` goes into the first file given (a file
 * the drizzle config already reads, since its objects are in the migrations).
 * Returns the schemas whose declaration the run adds or exports.
 */
function planEmptySchemas(
  schemas: string[],
  moves: ObjectMove[],
  bindings: Map<string, SchemaBinding>,
  index: ProjectIndex,
  firstFile: ScannedFile,
): string[] {
  const created: string[] = [];
  const declarations = [...index.files.values()].flatMap((f) => f.schemaDeclarations);
  for (const schema of new Set(schemas)) {
    validateSchemaName(schema, '--create-schema');
    if (moves.some((m) => m.to === schema)) continue;
    const existing = declarations.find((d) => d.name === schema && d.exported) ?? declarations.find((d) => d.name === schema);
    if (existing?.exported) continue;
    created.push(schema);
    bindings.set(
      schema,
      existing
        ? { schema, identifier: existing.identifier, file: existing.file, create: false, export: true, declaration: existing }
        : {
            schema,
            identifier: freeIdentifier(schemaIdentifier(schema), [firstFile], bindings),
            file: firstFile.path,
            create: true,
            export: false,
          },
    );
  }
  return created;
}

function select(inputs: ScannedFile[], options: PlanOptions): Located[] {
  const candidates: Located[] = inputs.flatMap((file) => file.objects.map((object) => ({ object, file })));
  if (!options.tables && !options.enums) return candidates;
  const chosen: Located[] = [];
  const pick = (names: string[], flag: string, isKind: (o: DrizzleObject) => boolean) => {
    for (const name of names) {
      const matches = candidates.filter(
        ({ object }) => isKind(object) && (object.name === name || object.identifier === name),
      );
      if (matches.length === 0) {
        const known = candidates
          .filter(({ object }) => isKind(object) && object.name)
          .map(({ object }) => object.name)
          .join(', ');
        throw new InputError(`${flag}: no ${flag === '--enums' ? 'enum' : 'table'} named '${name}' in the given files${known ? ` (found: ${known})` : ''}`);
      }
      for (const match of matches) if (!chosen.includes(match)) chosen.push(match);
    }
  };
  pick(options.tables ?? [], '--tables', (o) => o.kind !== 'enum');
  pick(options.enums ?? [], '--enums', (o) => o.kind === 'enum');
  return chosen;
}

/**
 * Tables, views, sequences and indexes share pg_class, and every table has a
 * row type in pg_type next to enums: one name may be used once per schema.
 */
function checkNameClashes(moves: ObjectMove[], all: Located[], index: ProjectIndex): void {
  const moving = new Set(moves.map((m) => m.object));
  const occupied = new Map<string, Located>();
  // Indexes and sequences live in pg_class only: they clash with tables, views, sequences and
  // other indexes, not with enums (pg_type).
  const relations = new Map<string, { what: string; name: string; line: number; file: string }>();
  const relationKey = (schema: string, name: string) => `${schema}\0${name}`;
  for (const located of all) {
    const { object, file } = located;
    if (moving.has(object) || object.name === undefined) continue;
    occupied.set(`${object.schema}\0${object.name}`, located);
    if (object.kind !== 'enum') {
      relations.set(relationKey(object.schema, object.name), { what: object.kind, name: object.name, line: object.location.line, file: file.path });
    }
    for (const owned of object.ownedRelations ?? []) {
      relations.set(relationKey(object.schema, owned.name), {
        what: `${owned.what} of table '${object.name}'`,
        name: owned.name,
        line: owned.location.line,
        file: file.path,
      });
    }
  }
  const incoming = new Map<string, ObjectMove>();
  const incomingRelations = new Map<string, ObjectMove>();
  for (const move of moves) {
    const key = `${move.to}\0${move.object.name}`;
    const resident = occupied.get(key);
    if (resident) {
      throw new InputError(
        `cannot move ${move.object.kind} '${move.object.name}' to schema '${move.to}': ${resident.object.kind} '${resident.object.name}' already lives there (${index.display(resident.file.path)}:${resident.object.location.line})`,
        move.object.location,
      );
    }
    const twin = incoming.get(key);
    if (twin) {
      throw new InputError(
        `cannot move both ${twin.from}.${twin.object.name} and ${move.from}.${move.object.name} into schema '${move.to}'`,
        move.object.location,
      );
    }
    incoming.set(key, move);
    if (move.object.kind !== 'enum') {
      const relation = relations.get(relationKey(move.to, move.object.name!));
      if (relation) {
        throw new InputError(
          `cannot move ${move.object.kind} '${move.object.name}' to schema '${move.to}': the ${relation.what} '${relation.name}' there has the same name (${index.display(relation.file)}:${relation.line})`,
          move.object.location,
        );
      }
    }
    for (const owned of move.object.ownedRelations ?? []) {
      const ownedKey = relationKey(move.to, owned.name);
      const relation = relations.get(ownedKey);
      const other = incomingRelations.get(ownedKey);
      if (relation || (other && other !== move)) {
        const holder = relation
          ? `the ${relation.what} '${relation.name}' is already there (${index.display(relation.file)}:${relation.line})`
          : `table '${other!.object.name}' brings one of that name too`;
        throw new InputError(
          `cannot move table '${move.object.name}' to schema '${move.to}': its ${owned.what} '${owned.name}' moves with it, and ${holder}`,
          owned.location,
        );
      }
      incomingRelations.set(ownedKey, move);
    }
  }
  for (const move of moves) {
    const relationHere = incomingRelations.get(relationKey(move.to, move.object.name!));
    if (move.object.kind !== 'enum' && relationHere && relationHere !== move) {
      throw new InputError(
        `cannot move ${move.object.kind} '${move.object.name}' to schema '${move.to}': table '${relationHere.object.name}' moves an index or sequence of that name there too`,
        move.object.location,
      );
    }
  }
}

/** Picks, for every target schema, the pgSchema value to use: an existing declaration, or a new one. */
function planBindings(moves: ObjectMove[], index: ProjectIndex): Map<string, SchemaBinding> {
  const bindings = new Map<string, SchemaBinding>();
  const targets = [...new Set(moves.map((m) => m.to))].filter((s) => s !== PUBLIC_SCHEMA);
  const declarations = [...index.files.values()].flatMap((f) => f.schemaDeclarations);
  for (const schema of targets) {
    const movingFiles = new Set(moves.filter((m) => m.to === schema).map((m) => m.file));
    const existing =
      declarations.find((d) => d.name === schema && movingFiles.has(d.file)) ??
      declarations.find((d) => d.name === schema && d.exported) ??
      declarations.find((d) => d.name === schema);
    if (existing) {
      bindings.set(schema, {
        schema,
        identifier: existing.identifier,
        file: existing.file,
        create: false,
        export: !existing.exported,
        declaration: existing,
      });
      continue;
    }
    // Handle: payments.ts imports invoices.ts and both move: the declaration goes into a file
    // that loads none of the others, so that their new imports of it close no cycle.
    const candidates = [...new Set(moves.filter((m) => m.to === schema).map((m) => m.file))];
    const home =
      candidates.find((f) => candidates.every((other) => other === f || !index.loads(f, other))) ?? candidates[0]!;
    const users = [...movingFiles].map((f) => index.files.get(f)!);
    // Handle: index.ts does `export * from './planner'` and `export * from './flags'`, and flags
    // exports the name already: a second `export *` of it would make the barrel's export ambiguous.
    const alongside = index.namesReExportedAlongside(home);
    bindings.set(schema, {
      schema,
      identifier: freeIdentifier(schemaIdentifier(schema), users, bindings, alongside),
      file: home,
      create: true,
      export: false,
    });
  }
  return bindings;
}

function planSchemaRefs(
  moves: ObjectMove[],
  bindings: Map<string, SchemaBinding>,
  index: ProjectIndex,
): Map<string, Map<string, SchemaRef>> {
  const refs = new Map<string, Map<string, SchemaRef>>();
  for (const move of moves) {
    const binding = bindings.get(move.to);
    if (!binding) continue;
    const perFile = refs.get(move.file) ?? new Map<string, SchemaRef>();
    refs.set(move.file, perFile);
    if (perFile.has(move.to)) continue;
    perFile.set(move.to, schemaRefFor(move.file, binding, index));
  }
  return refs;
}

function schemaRefFor(file: string, binding: SchemaBinding, index: ProjectIndex): SchemaRef {
  if (file === binding.file) return { localName: binding.identifier };
  const scanned = index.files.get(file)!;
  // Handle: the file already imports the schema value, perhaps under another name.
  for (const local of scanned.importBindings.keys()) {
    const resolved = index.resolveLocal(file, local);
    if (resolved?.file === binding.file && resolved.localName === binding.identifier) return { localName: local };
  }
  if (index.loads(binding.file, file)) {
    throw new InputError(
      `cannot use pgSchema('${binding.schema}') in ${index.display(file)}: it is declared in ${index.display(binding.file)}, which imports ${index.display(file)}, and the import cycle would leave it undefined while the files load; declare it in a file of its own (say, a schemas.ts both import) and run again`,
      binding.declaration?.location,
    );
  }
  const localName = scanned.topLevelNames.has(binding.identifier)
    ? freeIdentifier(`${binding.identifier}`, [scanned], new Map())
    : binding.identifier;
  // Handle: the file already imports other names from the declaring module (perhaps through a
  // path alias): reuse its specifier, so that the rewrite adds the name to that import.
  const sameModule = scanned.namedImports.find((d) => index.resolveModule(d.module, file) === binding.file);
  return {
    localName,
    addImport: { importedName: binding.identifier, specifier: sameModule?.module ?? index.importSpecifier(file, binding.file) },
  };
}

/**
 * Handle: `import { fp } from './schemas'` and every `fp.table(...)` in the file moves
 * elsewhere: the import would be left unused (a lint error, or a type error under
 * noUnusedLocals), so its specifier goes.
 */
function unusedSchemaImports(
  moves: ObjectMove[],
  schemaRefs: Map<string, Map<string, SchemaRef>>,
  index: ProjectIndex,
): Map<string, Set<string>> {
  const removed = new Map<string, Map<string, number>>();
  for (const move of moves) {
    const file = index.files.get(move.file)!;
    const callee = file.text.slice(move.object.callee.start, move.object.callee.end);
    const local = /^([A-Za-z_$][\w$]*)\.[A-Za-z]+$/.exec(callee)?.[1];
    const binding = local === undefined ? undefined : file.importBindings.get(local);
    if (!local || !binding || binding.namespace) continue;
    const perFile = removed.get(move.file) ?? new Map<string, number>();
    perFile.set(local, (perFile.get(local) ?? 0) + 1);
    removed.set(move.file, perFile);
  }
  const unused = new Map<string, Set<string>>();
  for (const [path, counts] of removed) {
    const file = index.files.get(path)!;
    const stillNamed = new Set([...(schemaRefs.get(path)?.values() ?? [])].map((r) => r.localName));
    const names = [...counts].filter(([local, n]) => !stillNamed.has(local) && (file.identifierUses.get(local) ?? 0) <= n);
    if (names.length > 0) unused.set(path, new Set(names.map(([local]) => local)));
  }
  return unused;
}

/** `feature_planner` -> `featurePlanner`; `2fa` -> `schema2fa`. */
export function schemaIdentifier(schema: string): string {
  const words = schema.split(/[^A-Za-z0-9]+/).filter(Boolean);
  let id = words
    .map((w, i) => (i === 0 ? w.charAt(0).toLowerCase() + w.slice(1) : w.charAt(0).toUpperCase() + w.slice(1)))
    .join('');
  if (!/^[A-Za-z_$]/.test(id)) id = `schema${id.charAt(0).toUpperCase()}${id.slice(1)}`;
  return id || 'schema';
}

const RESERVED = new Set(
  'break case catch class const continue debugger default delete do else enum export extends false finally for function if import in instanceof new null return super switch this throw true try typeof var void while with yield let static implements interface package private protected public await'.split(
    ' ',
  ),
);

function freeIdentifier(
  base: string,
  files: ScannedFile[],
  taken: Map<string, SchemaBinding>,
  exportedAlongside: Set<string> = new Set(),
): string {
  const used = (name: string) =>
    RESERVED.has(name) ||
    exportedAlongside.has(name) ||
    [...taken.values()].some((b) => b.identifier === name) ||
    files.some((f) => f.topLevelNames.has(name) || f.identifierUses.has(name));
  if (!used(base)) return base;
  if (!used(`${base}Schema`)) return `${base}Schema`;
  for (let n = 2; ; n++) if (!used(`${base}Schema${n}`)) return `${base}Schema${n}`;
}

/** Foreign keys of moved tables, and foreign keys of other tables that point at moved ones. */
function collectForeignKeys(all: Located[], moves: ObjectMove[], index: ProjectIndex): ForeignKeyRef[] {
  const schemaAfter = new Map<DrizzleObject, string>(moves.map((m) => [m.object, m.to]));
  const byDeclaration = new Map<string, DrizzleObject>();
  for (const { object, file } of all) {
    if (object.identifier) byDeclaration.set(`${file.path}#${object.identifier}`, object);
  }
  const refs: ForeignKeyRef[] = [];
  for (const file of index.files.values()) {
    const tables = new Map(file.objects.filter((o) => o.kind === 'table').map((o) => [o.callee.start, o]));
    for (const fk of file.foreignKeys) {
      const table = tables.get(fk.tableStart);
      if (!table?.name) continue;
      const resolved = index.resolveLocal(file.path, fk.targetIdentifier);
      const target = resolved && byDeclaration.get(`${resolved.file}#${resolved.localName}`);
      if (!schemaAfter.has(table) && !(target && schemaAfter.has(target))) continue;
      refs.push({
        fromTable: { name: table.name, schema: schemaAfter.get(table) ?? table.schema },
        targetIdentifier: fk.targetIdentifier,
        column: fk.column,
        location: fk.location,
        ...(target?.name ? { to: { name: target.name, schema: schemaAfter.get(target) ?? target.schema } } : {}),
      });
    }
  }
  return refs;
}
