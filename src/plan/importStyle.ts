import { extname } from 'node:path';
import ts from 'typescript';

/**
 * How a relative import names the file it reaches: `./users.js` (ESM as
 * Node16/NodeNext want it), `./users.ts` (allowImportingTsExtensions,
 * rewriteRelativeImportExtensions) or `./users` (bundlers, node10).
 */
export type ImportExtension = '.js' | '.ts' | '';

/** The style of an existing relative specifier: `'./a.js'` -> `.js`, `'./a.mts'` -> `.ts`, `'./a'` -> ``. */
export function extensionStyleOf(specifier: string): ImportExtension {
  if (/\.[cm]?js$|\.jsx$/.test(specifier)) return '.js';
  if (/\.[cm]?ts$|\.tsx$/.test(specifier)) return '.ts';
  return '';
}

/** `module` Node16, Node18, Node20 or NodeNext: TypeScript numbers them from Node16 to NodeNext. */
export function isNodeModule(options: ts.CompilerOptions): boolean {
  return options.module !== undefined && options.module >= ts.ModuleKind.Node16 && options.module <= ts.ModuleKind.NodeNext;
}

/**
 * The styles the project's compiler options accept in a file. Node16/NodeNext
 * need an extension in ES module files (`commonJs` false); CommonJS ones (a
 * package without `"type": "module"`, `.cts`) accept both. `.ts` needs one
 * of the two options that allow it.
 */
function acceptedStyles(options: ts.CompilerOptions, commonJs: boolean): ImportExtension[] {
  const node = !commonJs && (isNodeModule(options) || [ts.ModuleResolutionKind.Node16, ts.ModuleResolutionKind.NodeNext].includes(options.moduleResolution ?? ts.ModuleResolutionKind.Classic));
  const tsExtensions = options.allowImportingTsExtensions === true || options.rewriteRelativeImportExtensions === true;
  return [...(node ? [] : ['' as const]), '.js', ...(tsExtensions ? ['.ts' as const] : [])];
}

/**
 * The style a new import takes: the importing file's own, else the project's
 * (its other files'), when the compiler options accept it; else what they
 * need, `.ts` first where the project opted into it.
 */
export function chooseImportExtension(
  options: ts.CompilerOptions,
  fileStyle: ImportExtension | undefined,
  projectStyle: ImportExtension | undefined,
  commonJs = false,
): ImportExtension {
  const accepted = acceptedStyles(options, commonJs);
  for (const style of [fileStyle, projectStyle]) if (style !== undefined && accepted.includes(style)) return style;
  if (accepted.includes('')) return '';
  return accepted.includes('.ts') && options.rewriteRelativeImportExtensions ? '.ts' : '.js';
}

/** `./db/users.ts` in the chosen style: `./db/users.js`, `./db/users.ts`, or `./db/users` (and `./db` for an index). */
export function styledSpecifier(relativePath: string, style: ImportExtension): string {
  const extension = extname(relativePath);
  const source = /^\.[cm]?tsx?$/.test(extension);
  let specifier = relativePath;
  if (style === '') {
    specifier = specifier.replace(/\.(?:[cm]?ts|tsx|[cm]?js|jsx)$/, '').replace(/\/index$/, '');
  } else if (style === '.js' && source) {
    // The output's name: .ts -> .js, .mts -> .mjs, .cts -> .cjs, .tsx -> .js.
    specifier = specifier.slice(0, -extension.length) + extension.replace('tsx', 'js').replace('ts', 'js');
  }
  return specifier.startsWith('.') ? specifier : `./${specifier}`;
}
