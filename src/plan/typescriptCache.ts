import { dirname, join } from 'node:path';
import { preloadWithCompileCache } from '../compileCache';

/**
 * Imported for its effect, before anything imports ts-morph: loads ts-morph
 * and its 9 MB copy of the TypeScript compiler through the compile cache
 * (when the CLI turned it on), which halves the time the first
 * `require('ts-morph')` takes.
 */
try {
  const tsMorph = require.resolve('ts-morph');
  const common = require.resolve('@ts-morph/common', { paths: [dirname(tsMorph)] });
  for (const file of [join(dirname(common), 'typescript.js'), common, tsMorph]) preloadWithCompileCache(file);
} catch {
  // Node's own require loads them as usual.
}
