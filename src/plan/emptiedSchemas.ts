import { findSchemaDeclaration, type ProjectIndex } from './projectIndex';
import type { ObjectMove, SchemaDeclaration } from './types';

/**
 * Handle: every object of `export const fp = pgSchema('feature_planner')` moves out
 * (back to public, say). An empty declaration left behind keeps an empty schema
 * in every migration to come; it goes, with its pg-core import when nothing else
 * uses that. It stays, and a warning says why, when something still names it:
 * another statement of its file, or a file that imports or re-exports it (and
 * keeps doing so after the move). A schema that still holds an object (a
 * partial move, or another declaration of it) keeps its declarations.
 */
export function emptiedSchemaDeclarations(
  moves: ObjectMove[],
  unusedImports: Map<string, Set<string>>,
  index: ProjectIndex,
  warnings: string[],
): SchemaDeclaration[] {
  const movedOut = new Map<SchemaDeclaration, number>();
  for (const move of moves) {
    const file = index.files.get(move.file)!;
    const local = /^([A-Za-z_$][\w$]*)\.[A-Za-z]+$/.exec(file.text.slice(move.object.callee.start, move.object.callee.end))?.[1];
    const declaration = local === undefined ? undefined : findSchemaDeclaration(index, move.file, local);
    if (!declaration || declaration.name !== move.from) continue;
    // Only the calls in the declaring file count against its own uses there.
    const here = move.file === declaration.file ? 1 : 0;
    movedOut.set(declaration, (movedOut.get(declaration) ?? 0) + here);
  }

  const moved = new Set(moves.map((m) => m.object));
  // drizzle-kit 0.31 takes a schema dropped beside one created in the same run
  // for a rename and asks which it is (no TTY: it writes nothing), so a
  // declaration emptied by a move into another schema stays until a later run.
  const created = [...new Set(moves.map((m) => m.to).filter((to) => to !== 'public'))];
  const removed: SchemaDeclaration[] = [];
  for (const [declaration, movedHere] of movedOut) {
    const objects = [...index.files.values()].flatMap((f) => f.objects);
    // Objects that stay in the schema keep their declaration: a partial move.
    if (objects.some((o) => !moved.has(o) && o.schema === declaration.name)) continue;
    const reasons = [
      ...(created.length > 0
        ? [`this run moves objects into ${created.map((s) => `'${s}'`).join(', ')}, and drizzle-kit would take dropping '${declaration.name}' beside that for a rename (remove it in a run of its own)`]
        : []),
      ...stillNamedBy(declaration, movedHere, unusedImports, index),
    ];
    if (reasons.length === 0) {
      removed.push(declaration);
      if (declaration.exported) {
        warnings.push(
          `${index.display(declaration.file)}:${declaration.location.line}: ${declaration.identifier} = pgSchema('${declaration.name}') is removed: nothing is left in it, so the migration drops the schema (DROP SCHEMA fails if anything made outside Drizzle is still in it; the rollback creates it again)`,
        );
      }
      continue;
    }
    warnings.push(
      `${index.display(declaration.file)}:${declaration.location.line}: ${declaration.identifier} = pgSchema('${declaration.name}') holds nothing after the move but stays: ${reasons.join('; ')}`,
    );
  }
  return removed;
}

function stillNamedBy(
  declaration: SchemaDeclaration,
  movedHere: number,
  unusedImports: Map<string, Set<string>>,
  index: ProjectIndex,
): string[] {
  const reasons: string[] = [];
  const own = index.files.get(declaration.file)!;
  const usesHere = own.identifierUses.get(declaration.identifier) ?? 0;
  if (usesHere > movedHere) reasons.push(`${index.display(declaration.file)} uses it ${usesHere - movedHere} more time(s)`);
  const importers: string[] = [];
  // Handle: db.ts imports { fp } for fp.schemaName and never mentions drizzle-orm (so the project scan skipped it).
  index.scanFilesMentioning(declaration.identifier);
  for (const file of index.files.values()) {
    if (file.path === declaration.file) continue;
    for (const [local, binding] of file.importBindings) {
      if (binding.namespace || unusedImports.get(file.path)?.has(local)) continue;
      const resolved = index.resolveLocal(file.path, local);
      if (resolved?.file === declaration.file && resolved.localName === declaration.identifier) importers.push(index.display(file.path));
    }
    // Handle: export { fp } from './planner' in a barrel: someone may import it from there.
    for (const entry of file.exports.from) {
      if (!entry.names || ![...entry.names.values()].includes(declaration.identifier)) continue;
      if (index.resolveModule(entry.module, file.path) === declaration.file) importers.push(`${index.display(file.path)} (re-export)`);
    }
  }
  if (importers.length > 0) reasons.push(`imported by ${[...new Set(importers)].join(', ')}`);
  return reasons;
}
