import { statSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

/**
 * Most of a `tsc --noEmit` run on a small project is parsing and binding
 * the declaration files it reads (TypeScript's lib, @types/node,
 * drizzle-orm's, next's): 487 files for 182 lines of the project's own code.
 * Every temp copy links the same node_modules, so those files are the same
 * files for every project of a test file. One DocumentRegistry (TypeScript's
 * own cache, keyed by path, version and the options that shape a parse)
 * parses each of them once; the type check is new each time.
 */
const registry = ts.createDocumentRegistry();
/** The last project's service stays open until the next one is built: closing it would drop the shared files. */
let previous: ts.LanguageService | undefined;

/**
 * What `tsc --noEmit -p tsconfig.json` run in `dir` prints, computed in this
 * process by the same TypeScript, in tsc's order: the config's errors, the
 * syntax errors, and only without those the options', global, semantic and
 * (for a project that emits declarations) declaration ones; in its plain
 * (not a TTY) format.
 */
export function typecheckProject(dir: string): string {
  const parsed = ts.getParsedCommandLineOfConfigFile(join(dir, 'tsconfig.json'), { noEmit: true }, {
    ...ts.sys,
    getCurrentDirectory: () => dir,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    },
  })!;
  const host: ts.LanguageServiceHost = {
    getCompilationSettings: () => parsed.options,
    getScriptFileNames: () => parsed.fileNames,
    getProjectReferences: () => parsed.projectReferences,
    // A file's version is its modification time: a copy edited by the move is another document.
    getScriptVersion: (file) => String(statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? 0),
    getScriptSnapshot: (file) => {
      const text = ts.sys.readFile(file);
      return text === undefined ? undefined : ts.ScriptSnapshot.fromString(text);
    },
    getCurrentDirectory: () => dir,
    getDefaultLibFileName: (options) => ts.getDefaultLibFilePath(options),
    fileExists: ts.sys.fileExists,
    readFile: ts.sys.readFile,
    readDirectory: ts.sys.readDirectory,
    directoryExists: ts.sys.directoryExists,
    getDirectories: ts.sys.getDirectories,
    realpath: ts.sys.realpath,
    useCaseSensitiveFileNames: () => ts.sys.useCaseSensitiveFileNames,
  };
  const service = ts.createLanguageService(host, registry);
  const program = service.getProgram()!;
  const diagnostics = [...parsed.errors, ...program.getSyntacticDiagnostics()];
  if (diagnostics.length === parsed.errors.length) {
    diagnostics.push(...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics());
    if (diagnostics.length === parsed.errors.length) diagnostics.push(...program.getSemanticDiagnostics());
    const declarations = parsed.options.declaration || parsed.options.composite;
    if (declarations && diagnostics.length === parsed.errors.length) diagnostics.push(...program.getDeclarationDiagnostics());
  }
  previous?.dispose();
  previous = service;
  return ts.formatDiagnostics(ts.sortAndDeduplicateDiagnostics(diagnostics), { getCanonicalFileName: (f) => f, getCurrentDirectory: () => dir, getNewLine: () => '\n' });
}
