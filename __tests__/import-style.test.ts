import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { move } from '../src/move';
import { caseArguments, loadTransformCases } from './helpers/transformCases';
import { removedAfterEach, REPO_ROOT, writeTempTree } from './helpers/tempProject';
import { typecheckProject } from './helpers/typecheck';

/**
 * The imports a move adds type-check under the project's own settings: the
 * fixture pairs whose tsconfig uses NodeNext (where `./schemas` is TS2835),
 * moved and then checked by the project's tsc.
 */
const track = removedAfterEach();
const NODE_NEXT = loadTransformCases().filter((c) => /"module":\s*"NodeNext"/.test(c.input.get('tsconfig.json') ?? ''));

describe('imports added under NodeNext', () => {
  it('there are such cases', () => expect(NODE_NEXT.length).toBeGreaterThanOrEqual(3));

  it.each(NODE_NEXT.map((c) => [c.name, c] as const))('%s: tsc accepts the moved project', async (_name, testCase) => {
    const dir = track(writeTempTree(testCase.input));
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    const { files, args } = caseArguments(testCase.input);
    const result = await move({ files, cwd: dir, migration: false, to: args[args.indexOf('--to') + 1]! });
    expect(result.changes).not.toEqual([]);
    // What the project's `tsc -p` reports (helpers/typecheck.ts): nothing.
    expect(typecheckProject(dir)).toBe('');
  }, 60_000);
});
