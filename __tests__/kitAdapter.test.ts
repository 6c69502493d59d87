/**
 * One adapter per drizzle-kit line, picked once from the installed version:
 * 0.x gets the 0.31 adapter; a line without an adapter is refused by name
 * before anything runs, rather than failing later on a folder layout it does
 * not have.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ToolError } from '../src/errors';
import { resolveDrizzleKit } from '../src/generate/drizzleKit';
import { adapterFor } from '../src/generate/kitAdapter';
import { copyFixtureProject, removedAfterEach, writeTempTree } from './helpers/tempProject';

const track = removedAfterEach();

/** A project whose node_modules holds a drizzle-kit manifest of this version. */
function projectWithKit(version: string): string {
  const dir = track(writeTempTree(new Map([['package.json', '{"name":"p"}']])));
  mkdirSync(join(dir, 'node_modules', 'drizzle-kit'), { recursive: true });
  writeFileSync(join(dir, 'node_modules', 'drizzle-kit', 'package.json'), JSON.stringify({ name: 'drizzle-kit', version, bin: { 'drizzle-kit': 'bin.cjs' } }));
  return dir;
}

it("picks the 0.31 adapter for the project's drizzle-kit 0.31", () => {
  const dir = track(copyFixtureProject('feature-planner'));
  const adapter = adapterFor(resolveDrizzleKit(dir));
  expect(adapter.kit.version).toMatch(/^0\.31\./);
  expect(adapter.kit.source).toBe('project');
});

it('refuses a drizzle-kit line it has no adapter for, naming the version', () => {
  const kit = resolveDrizzleKit(projectWithKit('2.0.0-beta.2'));
  expect(() => adapterFor(kit)).toThrow(ToolError);
  expect(() => adapterFor(kit)).toThrow(/drizzle-kit 2\.0\.0-beta\.2 \(the project's one\) is not supported yet.*0\.31.*1\.0\.0-rc\.5/);
});
