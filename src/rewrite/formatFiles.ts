import { dirname, extname, join } from 'node:path';
import type { Options, Plugin } from 'prettier';
import type { FileEdit } from './rewriteSchemaFiles';

type Prettier = typeof import('prettier');
type Standalone = typeof import('prettier/standalone');

export interface FormatResult {
  edits: FileEdit[];
  /** Files formatted with the project's prettier config. */
  formatted: string[];
  /** Prettier configs that failed to load (a `.prettierrc.cjs` requiring a package not installed): their files stay as the rewrite left them. */
  unloadable: UnloadableConfig[];
}

export interface UnloadableConfig {
  configFile: string;
  /** The first line of prettier's error. */
  reason: string;
  files: string[];
}

/** A prettier config (or a plugin it names) that prettier could not load. */
class ConfigLoadError extends Error {
  constructor(
    readonly configFile: string,
    readonly reason: string,
  ) {
    super(reason);
  }
}

const firstLine = (error: unknown) => (error instanceof Error ? error.message : String(error)).split('\n')[0]!.trim();

/** Files the bundled parsers cover, by extension: TypeScript's and JavaScript's. */
const TYPESCRIPT_FILES = new Set(['.ts', '.tsx', '.mts', '.cts']);
const JAVASCRIPT_FILES = new Set(['.js', '.jsx', '.mjs', '.cjs']);

/**
 * Prettier as the move uses it: the project's config for each file (its
 * `.prettierrc`, `package.json` key, overrides and `.editorconfig`, resolved
 * by prettier itself), then the format itself.
 *
 * For a TypeScript or JavaScript file whose config names no plugin and no
 * parser, the format runs on prettier's own CommonJS build of the same
 * version (`prettier/standalone` with its typescript or babel and estree
 * plugins): one CommonJS file per part instead of the many ES modules the
 * main entry loads. Anything else (plugins, another parser, another language) goes
 * through prettier's main entry, which loads what the config asks for.
 */
export class PrettierSession {
  private main: Prettier | undefined;
  private standalone: Standalone | undefined;
  private readonly bundled = new Map<string, Plugin>();
  // One config lookup per folder: each lookup walks up the tree (~180 stat calls).
  private readonly configByDir = new Map<string, Promise<string | null>>();

  private prettier(): Prettier {
    return (this.main ??= require('prettier') as Prettier);
  }

  /** The project's prettier options for `path`; undefined when no prettier config applies to it. */
  async optionsFor(path: string, text: string): Promise<Options | undefined> {
    const dir = dirname(path);
    if (!this.configByDir.has(dir)) this.configByDir.set(dir, this.prettier().resolveConfigFile(path));
    const configFile = await this.configByDir.get(dir)!;
    if (!configFile) return undefined;
    let config: Options;
    try {
      config = (await this.prettier().resolveConfig(path, { config: configFile, editorconfig: true })) ?? {};
    } catch (error) {
      throw new ConfigLoadError(configFile, firstLine(error));
    }
    // prettier's endOfLine defaults to lf: keep the file's own line endings.
    return { ...config, filepath: path, endOfLine: stripBom(text).includes('\r\n') ? 'crlf' : 'lf' };
  }

  formatText(text: string, options: Options): Promise<string> {
    const plugins = this.bundledPlugins(options);
    return plugins ? this.loadStandalone().format(text, { ...options, plugins }) : this.prettier().format(text, options);
  }

  checkText(text: string, options: Options): Promise<boolean> {
    const plugins = this.bundledPlugins(options);
    return plugins ? this.loadStandalone().check(text, { ...options, plugins }) : this.prettier().check(text, options);
  }

  /** The CommonJS plugins that cover this file, when nothing in its options needs the main entry. */
  private bundledPlugins(options: Options): Plugin[] | undefined {
    if ((options.plugins?.length ?? 0) > 0 || options.parser !== undefined || !options.filepath) return undefined;
    const extension = extname(options.filepath).toLowerCase();
    const parserPlugin = TYPESCRIPT_FILES.has(extension) ? 'typescript' : JAVASCRIPT_FILES.has(extension) ? 'babel' : undefined;
    if (!parserPlugin) return undefined;
    return [this.loadPlugin(parserPlugin), this.loadPlugin('estree')];
  }

  private loadStandalone(): Standalone {
    return (this.standalone ??= loadPrettierFile('standalone.js') as Standalone);
  }

  private loadPlugin(name: string): Plugin {
    let plugin = this.bundled.get(name);
    if (!plugin) {
      plugin = loadPrettierFile(`plugins/${name}.js`) as Plugin;
      this.bundled.set(name, plugin);
    }
    return plugin;
  }

  /**
   * Formats touched files with the project's own prettier config, in one pass
   * per file. The result is kept only if prettier left every run of
   * statements the move did not touch exactly as it was (FileEdit.untouched):
   * otherwise the file did not follow prettier before the move, and
   * formatting it would rewrite lines the move does not concern. A file the
   * move touched throughout has no such evidence: it is formatted only if
   * prettier finds it formatted before the move (a second pass).
   */
  async format(edits: FileEdit[]): Promise<FormatResult> {
    const formatted: string[] = [];
    const out: FileEdit[] = [];
    const unloadable = new Map<string, UnloadableConfig>();
    for (const edit of edits) {
      let after: string | undefined;
      try {
        after = await this.formatEdit(edit);
      } catch (error) {
        if (!(error instanceof ConfigLoadError)) throw error;
        const entry = unloadable.get(error.configFile) ?? { configFile: error.configFile, reason: error.reason, files: [] };
        entry.files.push(edit.path);
        unloadable.set(error.configFile, entry);
      }
      if (after === undefined) {
        out.push(edit);
        continue;
      }
      formatted.push(edit.path);
      out.push({ ...edit, after });
    }
    return { edits: out, formatted, unloadable: [...unloadable.values()] };
  }

  private async formatEdit(edit: FileEdit): Promise<string | undefined> {
    const options = await this.optionsFor(edit.path, edit.before ?? edit.after);
    if (!options) return undefined;
    try {
      return await this.formatWith(edit, options);
    } catch (error) {
      // A plugin the config names that is not installed fails here, not when the config loads.
      if (/cannot find (package|module)/i.test(firstLine(error))) {
        throw new ConfigLoadError((await this.configByDir.get(dirname(edit.path)))!, firstLine(error));
      }
      throw error;
    }
  }

  private async formatWith(edit: FileEdit, options: Options): Promise<string | undefined> {
    // A file the move creates follows the project's config, as its editor would write it.
    if (edit.before === undefined) return this.formatText(edit.after, options);
    const untouched = (edit.untouched ?? []).map((run) => run.trim()).filter(Boolean);
    if (untouched.length === 0 && !(await this.checkText(stripBom(edit.before), options))) return undefined;
    const bom = edit.before.startsWith('\ufeff');
    const after = await this.formatText(stripBom(edit.after), options);
    if (!containsInOrder(after, untouched)) return undefined;
    return bom ? `\ufeff${after}` : after;
  }
}

/** Whether every part appears in `text`, in order, without overlapping. */
export function containsInOrder(text: string, parts: string[]): boolean {
  let from = 0;
  for (const part of parts) {
    const at = text.indexOf(part, from);
    if (at < 0) return false;
    from = at + part.length;
  }
  return true;
}

/** A file of the installed prettier package. */
function loadPrettierFile(relativePath: string): unknown {
  return require(join(dirname(require.resolve('prettier/package.json')), relativePath));
}

function stripBom(text: string): string {
  return text.startsWith('\ufeff') ? text.slice(1) : text;
}

export async function formatFiles(edits: FileEdit[], session = new PrettierSession()): Promise<FormatResult> {
  if (edits.length === 0) return { edits, formatted: [], unloadable: [] };
  return session.format(edits);
}
