import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import ts from 'typescript';
import { InputError } from '../errors';
import { walkFiles, type WalkFilter } from '../walkFiles';
import { chooseImportExtension, isNodeModule, styledSpecifier } from './importStyle';
import { decodeSource, exportTableOf, parseSource } from './parseSource';
import { scanFile } from './scanFile';
import type { ExportTable, ScannedFile, SchemaDeclaration } from './types';

const SOURCE_EXTENSIONS = /\.(?:[cm]?ts|tsx|[cm]?js|jsx)$/;
const SKIPPED_DIRECTORIES = new Set(['node_modules', 'dist', 'build', 'out', 'coverage', '.next', '.turbo', '.git']);
/** Files larger than this are not searched for pgSchema declarations or tables (they are still read when named). */
const MAX_SEARCHED_FILE_BYTES = 4 * 1024 * 1024;
/** `export * from` or `export { a } from`: a file that may be a barrel. */
const RE_EXPORT = /\bexport\s*(?:\*|\{[^}]*\})\s*(?:as\s+\w+\s*)?from\b/;

/** A declaration reached by following imports and re-exports. */
export interface ResolvedBinding {
  file: string;
  localName: string;
}

/**
 * Everything the plan needs to know about the project's source: which files
 * declare Drizzle objects and schemas, and how imports resolve (tsconfig
 * `paths` included, through barrels).
 */
export class ProjectIndex {
  readonly files = new Map<string, ScannedFile>();
  /** Files without Drizzle that re-export from other modules: barrels, parsed only when asked about. */
  private readonly reExportingFiles = new Set<string>();
  private readonly exportTables = new Map<string, ExportTable | null>();
  private readonly compilerOptions: ts.CompilerOptions;
  private readonly resolutionCache: ts.ModuleResolutionCache;

  constructor(readonly root: string) {
    this.compilerOptions = readCompilerOptions(root);
    this.resolutionCache = ts.createModuleResolutionCache(root, (f) => f, this.compilerOptions);
  }

  display(path: string): string {
    return relative(this.root, path) || path;
  }

  /** Reads and scans a file, once. Throws InputError when it does not parse. */
  scan(path: string): ScannedFile {
    const cached = this.files.get(path);
    if (cached) return cached;
    const scanned = scanFile(path, this.display(path), readFileSync(path, 'utf8'));
    this.files.set(path, scanned);
    this.exportTables.set(path, scanned.exports);
    return scanned;
  }

  /** Scans every source file under the root that mentions drizzle-orm. */
  scanProject(): void {
    for (const path of walkFiles(this.root, PROJECT_SOURCES)) {
      if (this.files.has(path)) continue;
      let raw: string;
      try {
        if (statSync(path).size > MAX_SEARCHED_FILE_BYTES) continue;
        raw = readFileSync(path, 'utf8');
      } catch {
        continue;
      }
      if (!raw.includes('drizzle-orm')) {
        if (RE_EXPORT.test(raw)) this.reExportingFiles.add(path);
        continue;
      }
      try {
        const scanned = scanFile(path, this.display(path), raw);
        this.files.set(path, scanned);
        this.exportTables.set(path, scanned.exports);
      } catch (error) {
        // A broken file the user did not name does not stop the run; it is simply not searched.
        if (!(error instanceof InputError)) throw error;
      }
    }
  }

  /** Source files scanProject skipped (no drizzle-orm in them) whose text has `word`: scanned now. */
  scanFilesMentioning(word: string): ScannedFile[] {
    const found: ScannedFile[] = [];
    for (const path of walkFiles(this.root, PROJECT_SOURCES)) {
      if (this.files.has(path)) continue;
      try {
        if (statSync(path).size > MAX_SEARCHED_FILE_BYTES || !readFileSync(path, 'utf8').includes(word)) continue;
        found.push(this.scan(path));
      } catch {
        // Unreadable or not parsed: it names nothing the plan can follow.
      }
    }
    return found;
  }

  resolveModule(specifier: string, fromFile: string): string | undefined {
    const result = ts.resolveModuleName(specifier, fromFile, this.compilerOptions, ts.sys, this.resolutionCache);
    const resolved = result.resolvedModule;
    if (!resolved || resolved.isExternalLibraryImport || resolved.resolvedFileName.endsWith('.d.ts')) return undefined;
    return resolve(resolved.resolvedFileName);
  }

  private exportTable(path: string): ExportTable | undefined {
    if (this.exportTables.has(path)) return this.exportTables.get(path) ?? undefined;
    let table: ExportTable | null = null;
    try {
      const { text } = decodeSource(readFileSync(path, 'utf8'));
      table = exportTableOf(parseSource(path, this.display(path), text));
    } catch {
      table = null;
    }
    this.exportTables.set(path, table);
    return table ?? undefined;
  }

  /** Follows `export { x }`, `export * from` and `export { a as b } from` to the declaring file. */
  resolveExport(path: string, name: string, seen = new Set<string>()): ResolvedBinding | undefined {
    const key = `${path}#${name}`;
    if (seen.has(key)) return undefined;
    seen.add(key);
    const table = this.exportTable(path);
    if (!table) return undefined;
    const local = table.local.get(name);
    if (local !== undefined) return this.resolveLocal(path, local, seen);
    for (const entry of table.from) {
      const target = this.resolveModule(entry.module, path);
      if (!target) continue;
      if (entry.names) {
        const imported = entry.names.get(name);
        if (imported !== undefined) return this.resolveExport(target, imported, seen);
      } else {
        const found = this.resolveExport(target, name, seen);
        if (found) return found;
      }
    }
    return undefined;
  }

  /** A local name in a file: declared there, or imported (then followed). */
  resolveLocal(path: string, localName: string, seen = new Set<string>()): ResolvedBinding | undefined {
    const scanned = this.files.get(path);
    const binding = scanned?.importBindings.get(localName);
    if (binding && !binding.namespace) {
      const target = this.resolveModule(binding.module, path);
      return target ? this.resolveExport(target, binding.importedName, seen) : undefined;
    }
    return { file: path, localName };
  }

  /**
   * Whether loading `from` loads `to`, following value imports and re-exports
   * through the project's files. A new import in the other direction would
   * then close a cycle, and a pgSchema read while its module is still loading
   * is undefined (CommonJS) or in its temporal dead zone (ESM).
   */
  loads(from: string, to: string): boolean {
    const seen = new Set<string>();
    const pending = [from];
    for (let path = pending.pop(); path !== undefined; path = pending.pop()) {
      if (path === to) return true;
      if (seen.has(path) || !SOURCE_EXTENSIONS.test(path)) continue;
      seen.add(path);
      let file: ScannedFile | undefined;
      try {
        file = this.scan(path);
      } catch (error) {
        if (!(error instanceof InputError)) throw error;
        continue;
      }
      for (const module of file.runtimeImports) {
        const target = this.resolveModule(module, path);
        if (target && !seen.has(target)) pending.push(target);
      }
    }
    return false;
  }

  /**
   * Names that barrels re-exporting `file` (directly or through other barrels)
   * also export from elsewhere: a new export of `file` must not take one.
   */
  namesReExportedAlongside(file: string): Set<string> {
    const names = new Set<string>();
    const candidates = [...new Set([...this.files.keys(), ...this.reExportingFiles])];
    const visited = new Set<string>([file]);
    const pending = [file];
    for (let current = pending.pop(); current !== undefined; current = pending.pop()) {
      for (const barrel of candidates) {
        const table = this.exportTable(barrel);
        if (!table) continue;
        const throughCurrent = table.from.filter((e) => !e.names && this.resolveModule(e.module, barrel) === current);
        if (throughCurrent.length === 0) continue;
        for (const name of table.local.keys()) names.add(name);
        for (const entry of table.from) {
          if (throughCurrent.includes(entry)) continue;
          if (entry.names) for (const name of entry.names.keys()) names.add(name);
          else {
            const target = this.resolveModule(entry.module, barrel);
            if (target) for (const name of this.exportedNames(target)) names.add(name);
          }
        }
        if (!visited.has(barrel)) {
          visited.add(barrel);
          pending.push(barrel);
        }
      }
    }
    return names;
  }

  /** Every name a module exports, following `export *`. */
  private exportedNames(path: string, seen = new Set<string>()): Set<string> {
    const names = new Set<string>();
    if (seen.has(path)) return names;
    seen.add(path);
    const table = this.exportTable(path);
    if (!table) return names;
    for (const name of table.local.keys()) names.add(name);
    for (const entry of table.from) {
      if (entry.names) for (const name of entry.names.keys()) names.add(name);
      else {
        const target = this.resolveModule(entry.module, path);
        if (target) for (const name of this.exportedNames(target, seen)) if (name !== 'default') names.add(name);
      }
    }
    return names;
  }

  /**
   * The import specifier that reaches `toFile` from `fromFile`, in the
   * importing file's style (else the project's) when the tsconfig accepts it.
   */
  importSpecifier(fromFile: string, toFile: string): string {
    const projectStyle = [...this.files.values()].find((f) => f.importExtension !== undefined)?.importExtension;
    // TypeScript's own reading of the file's module format (the nearest package.json's "type", .cts/.mts).
    const format = ts.getImpliedNodeFormatForFile(fromFile, this.resolutionCache.getPackageJsonInfoCache(), ts.sys, this.compilerOptions);
    const style = chooseImportExtension(this.compilerOptions, this.files.get(fromFile)?.importExtension, projectStyle, format === ts.ModuleKind.CommonJS);
    return styledSpecifier(relative(dirname(fromFile), toFile).split('\\').join('/'), style);
  }
}

function readCompilerOptions(root: string): ts.CompilerOptions {
  const fallback: ts.CompilerOptions = {
    allowJs: true,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    module: ts.ModuleKind.ESNext,
  };
  const configPath = ts.findConfigFile(root, ts.sys.fileExists, 'tsconfig.json');
  if (!configPath || !resolve(configPath).startsWith(resolve(root))) return fallback;
  const read = ts.readConfigFile(configPath, ts.sys.readFile);
  if (read.error) return fallback;
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, dirname(configPath), undefined, configPath);
  const options = { ...fallback, ...parsed.options, allowJs: true };
  // `module: NodeNext` alone implies its own resolution, not the fallback's.
  if (parsed.options.moduleResolution === undefined && isNodeModule(parsed.options)) {
    delete options.moduleResolution;
  }
  return options;
}

/** The project's own source files: no build output, dependencies or dot-folders, no declaration files. */
const PROJECT_SOURCES: WalkFilter = {
  enter: (entry) => !SKIPPED_DIRECTORIES.has(entry.name) && !entry.name.startsWith('.'),
  keep: (entry) => SOURCE_EXTENSIONS.test(entry.name) && !entry.name.endsWith('.d.ts'),
};

export function fileExists(path: string): boolean {
  return existsSync(path) && statSync(path).isFile();
}

/** The pgSchema declaration a local name of a file refers to, declared there or imported. */
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

export function safeScan(index: ProjectIndex, path: string): ScannedFile | undefined {
  try {
    return index.scan(path);
  } catch {
    return undefined;
  }
}
