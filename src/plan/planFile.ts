import { readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { InputError } from '../errors';

/** The parts of PlanOptions a plan file (`--plan`) or `--map`/`--create-schema` give. */
export interface TargetSpec {
  to?: string;
  map?: Record<string, string[]>;
  createSchemas?: string[];
}

const PLAN_KEYS = ['to', 'map', 'createSchemas'] as const;

/**
 * `--map growth=entities,jobs --map shared=users` -> { growth: [entities, jobs], shared: [users] }.
 * A schema named twice collects both lists.
 */
export function parseMapArguments(values: string[]): Record<string, string[]> {
  const map: Record<string, string[]> = {};
  for (const value of values) {
    const match = /^\s*([^=\s]+)\s*=(.*)$/.exec(value);
    const names = match?.[2]!.split(',').map((n) => n.trim()).filter(Boolean) ?? [];
    if (!match || names.length === 0) {
      throw new InputError(`--map '${value}': expected <schema>=<name>[,<name>...]`);
    }
    map[match[1]!] = [...new Set([...(map[match[1]!] ?? []), ...names])];
  }
  return map;
}

/**
 * Reads a plan file, JSON or YAML (by extension; `.json` is JSON, anything
 * else YAML, of which JSON is a subset):
 *
 *   to: growth                 # optional: the schema for everything the map does not name
 *   map:                       # schema -> names (a list, or one comma-separated string)
 *     growth: [entities, artifacts, jobs, microsites, generation_jobs]
 *     shared: [users]
 *   createSchemas: [engineering, product]
 *
 * Errors name the file and the key.
 */
export function readPlanFile(path: string, cwd: string): TargetSpec {
  const absolute = resolve(cwd, path);
  const display = relative(cwd, absolute) || absolute;
  let text: string;
  try {
    text = readFileSync(absolute, 'utf8');
  } catch {
    throw new InputError(`${display}: cannot read the plan file`);
  }
  let data: unknown;
  try {
    if (/\.json$/i.test(absolute)) data = JSON.parse(text);
    else {
      const YAML = require('yaml') as typeof import('yaml');
      data = YAML.parse(text, { prettyErrors: false });
    }
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new InputError(`${display}: does not parse: ${reason}`);
  }
  return validatePlan(data, display);
}

export function validatePlan(data: unknown, display: string): TargetSpec {
  const fail = (key: string, reason: string) => new InputError(`${display}: ${key}: ${reason}`);
  if (!isRecord(data)) throw new InputError(`${display}: expected an object with ${PLAN_KEYS.join(', ')}`);
  for (const key of Object.keys(data)) {
    if (!(PLAN_KEYS as readonly string[]).includes(key)) throw fail(key, `unknown key (expected ${PLAN_KEYS.join(', ')})`);
  }
  const spec: TargetSpec = {};
  if (data.to !== undefined && data.to !== null) {
    if (typeof data.to !== 'string') throw fail('to', 'expected a schema name');
    spec.to = data.to;
  }
  if (data.map !== undefined && data.map !== null) {
    if (!isRecord(data.map)) throw fail('map', 'expected schema: [names]');
    spec.map = {};
    for (const [schema, value] of Object.entries(data.map)) {
      const names = namesOf(value);
      if (!names || names.length === 0) throw fail(`map.${schema}`, 'expected a list of table, enum, view or sequence names');
      spec.map[schema] = names;
    }
  }
  if (data.createSchemas !== undefined && data.createSchemas !== null) {
    const names = namesOf(data.createSchemas);
    if (!names) throw fail('createSchemas', 'expected a list of schema names');
    spec.createSchemas = names;
  }
  if (!spec.to && !spec.map && !spec.createSchemas) {
    throw new InputError(`${display}: names no target (expected at least one of ${PLAN_KEYS.join(', ')})`);
  }
  return spec;
}

/** Command-line flags add to the plan file; a `--to` on the command line replaces the file's. */
export function mergeTargets(file: TargetSpec, flags: TargetSpec): TargetSpec {
  const map: Record<string, string[]> = { ...file.map };
  for (const [schema, names] of Object.entries(flags.map ?? {})) map[schema] = [...new Set([...(map[schema] ?? []), ...names])];
  const createSchemas = [...new Set([...(file.createSchemas ?? []), ...(flags.createSchemas ?? [])])];
  const to = flags.to ?? file.to;
  return {
    ...(to !== undefined ? { to } : {}),
    ...(Object.keys(map).length > 0 ? { map } : {}),
    ...(createSchemas.length > 0 ? { createSchemas } : {}),
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function namesOf(value: unknown): string[] | undefined {
  if (typeof value === 'string') return value.split(',').map((n) => n.trim()).filter(Boolean);
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.map((v) => v.trim()).filter(Boolean);
  return undefined;
}
