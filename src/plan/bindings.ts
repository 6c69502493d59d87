import { existsSync, readdirSync } from 'node:fs';
import { dirname, extname, join, sep } from 'node:path';
import { InputError } from '../errors';
import { validateSchemaName } from './identifiers';
import type { ProjectIndex } from './projectIndex';
import { PUBLIC_SCHEMA, type ObjectMove, type ScannedFile, type SchemaBinding, type SchemaRef } from './types';

/** Picks, for every target schema, the pgSchema value to use: an existing declaration, or a new one. */
export function planBindings(
  moves: ObjectMove[],
  index: ProjectIndex,
  kitReadsFile: (path: string) => boolean | undefined = () => undefined,
): Map<string, SchemaBinding> {
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
    const home = candidates.find((f) => candidates.every((other) => other === f || !index.loads(f, other)));
    // Handle: a.ts and b.ts import each other (a foreign key each way, or relations()) and both
    // move: the declaration goes into a new file that imports neither, and a.ts re-exports it.
    const exporter = home ?? candidates[0]!;
    const users = [...movingFiles].map((f) => index.files.get(f)!);
    // Handle: index.ts does `export * from './planner'` and `export * from './flags'`, and flags
    // exports the name already: a second `export *` of it would make the barrel's export ambiguous.
    const alongside = index.namesReExportedAlongside(exporter);
    const file = home ?? newSchemaFile(candidates, schema, bindings);
    bindings.set(schema, {
      schema,
      identifier: freeIdentifier(schemaIdentifier(schema), users, bindings, alongside),
      file,
      create: true,
      export: false,
      // drizzle-kit 1.0 refuses one pgSchema value found twice ("duplicate schema name"): no
      // re-export when its config reads the new file itself (a folder or a glob).
      ...(home ? {} : { newFile: kitReadsFile(file) === true ? {} : { reExportFrom: exporter } }),
    });
  }
  return bindings;
}

export function planSchemaRefs(
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
  if (binding.newFile) return { localName: binding.identifier, addImport: { importedName: binding.identifier, specifier: index.importSpecifier(file, binding.file) } };
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
 * Handle: `import { fp } from './schemas'` (or `import { createTable } from './table'`)
 * and every `fp.table(...)` in the file moves elsewhere: the import would be left unused (a lint error, or a type error under
 * noUnusedLocals), so its specifier goes.
 */
export function unusedSchemaImports(
  moves: ObjectMove[],
  schemaRefs: Map<string, Map<string, SchemaRef>>,
  index: ProjectIndex,
): Map<string, Set<string>> {
  const removed = new Map<string, Map<string, number>>();
  for (const move of moves) {
    const file = index.files.get(move.file)!;
    const callee = file.text.slice(move.object.callee.start, move.object.callee.end);
    // Handle: `fp.table(...)`, and `createTable(...)` of an imported pgTableCreator.
    const local = /^([A-Za-z_$][\w$]*)\.[A-Za-z]+$/.exec(callee)?.[1] ?? (move.object.creatorNameArgument ? callee : undefined);
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

/**
 * Where a pgSchema declaration no moving file can hold goes: `schemas.ts` (in
 * the moving files' extension) in the folder that holds them all, else
 * `pg-schemas.ts`, else `<schema>-schema.ts`; a name another module would
 * resolve first (`schemas.js`, `schemas/`) counts as taken. Another schema of
 * the same run that needs one shares it.
 */
function newSchemaFile(files: string[], schema: string, bindings: Map<string, SchemaBinding>): string {
  const shared = [...bindings.values()].find((b) => b.newFile && files.every((f) => f.startsWith(dirname(b.file) + sep)));
  if (shared) return shared.file;
  let dir = dirname(files[0]!);
  while (!files.every((f) => f.startsWith(dir + sep))) dir = dirname(dir);
  const extension = extname(files[0]!);
  const taken = (stem: string) =>
    existsSync(join(dir, stem)) || readdirSync(dir).some((entry) => entry.startsWith(`${stem}.`) && /\.(?:[cm]?[jt]sx?|json)$/.test(entry));
  const stem = ['schemas', 'pg-schemas', `${schema.replace(/[^A-Za-z0-9_-]+/g, '-')}-schema`].find((s) => !taken(s));
  if (!stem) throw new InputError(`cannot place pgSchema('${schema}'): schemas, pg-schemas and the like are taken in ${dir}; declare it in a file of its own and run again`);
  return join(dir, `${stem}${extension}`);
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


/**
 * `--create-schema x`: drizzle-kit creates a schema when it finds an exported
 * pgSchema value for it. A schema that objects move into gets one anyway; an
 * existing declaration is exported if it is not; otherwise
 * `export const x = pgSchema('x')` goes into the first file given (a file
 * the drizzle config already reads, since its objects are in the migrations).
 * Returns the schemas whose declaration the run adds or exports.
 */
export function planEmptySchemas(
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
