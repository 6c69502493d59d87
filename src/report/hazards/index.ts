import type { MovedObject } from '../../move';
import type { HazardReport } from '../types';
import { scanCode } from './scanCode';
import { findDatabaseHazards, type CatalogEntry } from './scanDatabase';
import type { HazardTarget } from './sqlReferences';
import { supabaseAdvice } from './supabase';

export { findDatabaseHazards, readCatalog, type CatalogEntry } from './scanDatabase';
export { findSqlReferences, type HazardTarget } from './sqlReferences';
export { readApiSchemas, supabaseAdvice } from './supabase';
export { scanCode } from './scanCode';

export interface HazardScanInput {
  root: string;
  /**
   * The selected objects: those that move and those already in their target
   * (raw SQL can still name them by their old schema after an earlier run).
   */
  objects: MovedObject[];
  /** Absolute folders the code scan leaves out (the migrations folder). */
  exclude: string[];
  /** The migrations folder: a Supabase config.toml may sit beside it (supabaseConfigFile). */
  migrationsFolder?: string;
  /** Roles given to --grant. */
  grants: string[];
  /** The database's definitions (readCatalog), when --database-url was given. */
  database?: CatalogEntry[];
}

/**
 * Where the rest of the project will still look for the moved objects in
 * their old schema (seed 000 Phase 6, seed 004 open question 1).
 */
export function scanHazards(input: HazardScanInput): HazardReport {
  const targets = hazardTargets(input.objects);
  const code = scanCode({ root: input.root, targets, exclude: input.exclude });
  const supabase = supabaseAdvice(input.root, [...new Set(input.objects.map((o) => o.to))], input.grants, input.migrationsFolder);
  return {
    code: code.hazards,
    ...(input.database ? { database: findDatabaseHazards(input.database, targets) } : {}),
    ...(supabase ? { supabase } : {}),
    filesScanned: code.filesScanned,
  };
}

/**
 * Objects already in place count as moved out of public (the schema every
 * unqualified name falls back to) unless they live there.
 */
export function hazardTargets(objects: MovedObject[]): HazardTarget[] {
  return objects.map((o) => ({ kind: o.kind, name: o.name, from: o.from === o.to ? 'public' : o.from, to: o.to }));
}
