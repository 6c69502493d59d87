import { InputError } from '../errors';
import type { ProjectIndex } from './projectIndex';
import type { Located } from './selection';
import type { ObjectMove } from './types';

/**
 * Tables, views, sequences and indexes share pg_class, and every table has a
 * row type in pg_type next to enums: one name may be used once per schema.
 */
export function checkNameClashes(moves: ObjectMove[], all: Located[], index: ProjectIndex): void {
  const moving = new Set(moves.map((m) => m.object));
  const occupied = new Map<string, Located>();
  // Indexes and sequences live in pg_class only: they clash with tables, views, sequences and
  // other indexes, not with enums (pg_type).
  const relations = new Map<string, { what: string; name: string; line: number; file: string }>();
  const relationKey = (schema: string, name: string) => `${schema}\0${name}`;
  for (const located of all) {
    const { object, file } = located;
    if (moving.has(object) || object.name === undefined) continue;
    occupied.set(`${object.schema}\0${object.name}`, located);
    if (object.kind !== 'enum') {
      relations.set(relationKey(object.schema, object.name), { what: object.kind, name: object.name, line: object.location.line, file: file.path });
    }
    for (const owned of object.ownedRelations ?? []) {
      relations.set(relationKey(object.schema, owned.name), {
        what: `${owned.what} of table '${object.name}'`,
        name: owned.name,
        line: owned.location.line,
        file: file.path,
      });
    }
  }
  const incoming = new Map<string, ObjectMove>();
  const incomingRelations = new Map<string, ObjectMove>();
  for (const move of moves) {
    const key = `${move.to}\0${move.object.name}`;
    const resident = occupied.get(key);
    if (resident) {
      throw new InputError(
        `cannot move ${move.object.kind} '${move.object.name}' to schema '${move.to}': ${resident.object.kind} '${resident.object.name}' already lives there (${index.display(resident.file.path)}:${resident.object.location.line})`,
        move.object.location,
      );
    }
    const twin = incoming.get(key);
    if (twin) {
      throw new InputError(
        `cannot move both ${twin.from}.${twin.object.name} and ${move.from}.${move.object.name} into schema '${move.to}'`,
        move.object.location,
      );
    }
    incoming.set(key, move);
    if (move.object.kind !== 'enum') {
      const relation = relations.get(relationKey(move.to, move.object.name!));
      if (relation) {
        throw new InputError(
          `cannot move ${move.object.kind} '${move.object.name}' to schema '${move.to}': the ${relation.what} '${relation.name}' there has the same name (${index.display(relation.file)}:${relation.line})`,
          move.object.location,
        );
      }
    }
    for (const owned of move.object.ownedRelations ?? []) {
      const ownedKey = relationKey(move.to, owned.name);
      const relation = relations.get(ownedKey);
      const other = incomingRelations.get(ownedKey);
      if (relation || (other && other !== move)) {
        const holder = relation
          ? `the ${relation.what} '${relation.name}' is already there (${index.display(relation.file)}:${relation.line})`
          : `table '${other!.object.name}' brings one of that name too`;
        throw new InputError(
          `cannot move table '${move.object.name}' to schema '${move.to}': its ${owned.what} '${owned.name}' moves with it, and ${holder}`,
          owned.location,
        );
      }
      incomingRelations.set(ownedKey, move);
    }
  }
  for (const move of moves) {
    const relationHere = incomingRelations.get(relationKey(move.to, move.object.name!));
    if (move.object.kind !== 'enum' && relationHere && relationHere !== move) {
      throw new InputError(
        `cannot move ${move.object.kind} '${move.object.name}' to schema '${move.to}': table '${relationHere.object.name}' moves an index or sequence of that name there too`,
        move.object.location,
      );
    }
  }
}
