import yargsParser from 'yargs/helpers';
import { move } from '../src/move';
import { mergeTargets, parseMapArguments, readPlanFile } from '../src/plan/planFile';
import { caseArguments, loadTransformCases } from './helpers/transformCases';
import { hashTree, readTree, removeTemp, writeTempTree } from './helpers/tempProject';

/** The move options a case's `// @reschema` line asks for (`--plan` is read from the case's folder). */
function optionsFor(args: string[], dir: string) {
  const parsed = yargsParser.Parser(args, {
    string: ['to', 'plan'],
    array: ['tables', 'enums', 'map', 'create-schema'],
  });
  const split = (v: unknown) => (v as string[] | undefined)?.flatMap((s) => String(s).split(','));
  const targets = mergeTargets(parsed.plan !== undefined ? readPlanFile(String(parsed.plan), dir) : {}, {
    ...(parsed.to !== undefined ? { to: String(parsed.to) } : {}),
    ...(parsed.map ? { map: parseMapArguments((parsed.map as unknown[]).map(String)) } : {}),
    ...(parsed['create-schema'] ? { createSchemas: split(parsed['create-schema'])! } : {}),
  });
  return {
    ...targets,
    ...(parsed.tables ? { tables: split(parsed.tables)! } : {}),
    ...(parsed.enums ? { enums: split(parsed.enums)! } : {}),
  };
}

describe.each(loadTransformCases().map((c) => [c.name, c] as const))('transform %s', (_name, testCase) => {
  let dir: string;
  beforeEach(() => {
    dir = writeTempTree(testCase.input);
  });
  afterEach(() => removeTemp(dir));

  const { files, args } = caseArguments(testCase.input);
  const run = async () => move({ files, cwd: dir, migration: false, ...optionsFor(args, dir) });

  if (testCase.expectedError !== undefined) {
    it('fails with a clear error and changes nothing', async () => {
      const before = hashTree(dir);
      await expect(run()).rejects.toThrow(testCase.expectedError);
      expect(hashTree(dir)).toEqual(before);
    });
    return;
  }

  it('rewrites to the expected output', async () => {
    await run();
    const actual = readTree(dir, testCase.expected!.keys());
    for (const [path, expected] of testCase.expected!) {
      expect({ path, content: actual.get(path) }).toEqual({ path, content: expected });
    }
    // Files without an expected version are left alone.
    for (const [path, content] of testCase.input) {
      if (!testCase.expected!.has(path)) expect(readTree(dir, [path]).get(path)).toBe(content);
    }
  });

  it('is idempotent: a second run changes nothing', async () => {
    await run();
    const before = hashTree(dir);
    const second = await run();
    expect(second.moves).toEqual([]);
    expect(second.changes).toEqual([]);
    expect(hashTree(dir)).toEqual(before);
  });
});
