import { readFileSync, statSync } from 'node:fs';
import { createRequire, isBuiltin } from 'node:module';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';

/**
 * Evaluates a drizzle config file the way drizzle-kit's loader does, without
 * writing anything: the config and every module of the project's own it
 * imports (a local `env.ts`, a constants file, a workspace package whose
 * entry is TypeScript source) are transpiled to CommonJS and run; packages
 * of node_modules, JSON and Node's built-ins are Node's to load. Returns
 * the config's default export (or its exports without one).
 */
export function evaluateConfigModule(path: string): Record<string, unknown> {
  // Loaded here, not at the top: the CLI starts drizzle-kit's process before TypeScript loads.
  const ts = require('typescript') as typeof import('typescript');
  const loaded = new Map<string, { exports: Record<string, unknown> }>();
  const load = (file: string): Record<string, unknown> => {
    const known = loaded.get(file);
    if (known) return known.exports;
    const module = { exports: {} as Record<string, unknown> };
    // Before it runs: a module that imports this one back gets its exports so far, as Node gives.
    loaded.set(file, module);
    const { outputText } = ts.transpileModule(readFileSync(file, 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
      fileName: file,
    });
    const nodeRequire = createRequire(file);
    const requireHere = Object.assign(
      (specifier: string) => {
        const compiled = compiledTarget(specifier, file, nodeRequire);
        return compiled ? load(compiled) : nodeRequire(specifier);
      },
      { resolve: nodeRequire.resolve },
    );
    const evaluate = new Function('require', 'module', 'exports', '__filename', '__dirname', outputText);
    evaluate(requireHere, module, module.exports, file, dirname(file));
    return module.exports;
  };
  const exported = load(path);
  return (exported.default ?? exported) as Record<string, unknown>;
}

/** The file `specifier` names from `from` when it is one to transpile here; undefined for Node to load (or to report missing). */
function compiledTarget(specifier: string, from: string, nodeRequire: NodeJS.Require): string | undefined {
  if (isBuiltin(specifier)) return undefined;
  let file: string | undefined;
  if (specifier.startsWith('.') || isAbsolute(specifier)) {
    file = localFile(resolve(dirname(from), specifier));
    // Every name Node would try was tried: in a test runner's require too, the same message.
    if (!file) throw new Error(`Cannot find module '${specifier}'`);
  } else {
    try {
      file = nodeRequire.resolve(specifier);
    } catch {
      return undefined;
    }
  }
  return file && transpiled(file) ? file : undefined;
}

/** TypeScript anywhere (a workspace package's entry can be source); JavaScript only of the project's own, which may be ES modules. */
function transpiled(file: string): boolean {
  if (/\.[cm]?tsx?$/.test(file)) return true;
  return /\.[cm]?jsx?$/.test(file) && !file.split(sep).includes('node_modules');
}

/** Node's order of extensions first, then TypeScript's; `./x.js` also names `./x.ts` (NodeNext-style imports). */
const EXTENSIONS = ['.js', '.json', '.node', '.ts', '.tsx', '.mts', '.cts', '.mjs', '.cjs', '.jsx'];

function localFile(base: string): string | undefined {
  const isFile = (p: string) => statSync(p, { throwIfNoEntry: false })?.isFile() ?? false;
  const js = /\.([cm]?)js(x?)$/.exec(base);
  const twin = js ? [`${base.slice(0, -js[0].length)}.${js[1]}ts${js[2]}`] : [];
  const candidates = [base, ...twin, ...EXTENSIONS.map((e) => base + e), ...EXTENSIONS.map((e) => join(base, `index${e}`))];
  return candidates.find(isFile);
}
