import { InputError } from '../errors';
import { tablesUsingEnums } from './enumUsage';
import { validateSchemaName } from './identifiers';
import type { PlanOptions } from './planMove';
import type { ProjectIndex } from './projectIndex';
import type { DrizzleObject, ScannedFile } from './types';

/** A located object: an object together with the file that declares it. */
export interface Located {
  object: DrizzleObject;
  file: ScannedFile;
}

/** A selected object and its target; undefined when only a `{ schema }` option is repaired. */
export interface Targeted extends Located {
  to: string | undefined;
  /** An enum nobody named that goes with the tables using it: their SQL names. */
  follows?: string[];
}

/**
 * Who goes where. Names in the map go to their schema; `--to` covers the rest
 * of the given files (narrowed by --tables/--enums); with a map and no `--to`
 * the rest stays, except that `{ schema }` options are repaired. Enums that
 * neither the map nor --enums names follow the tables that use them, so that
 * `--to x --tables a,b` and `--map x=a,b` move the same objects.
 */
export function selectTargets(inputs: ScannedFile[], options: PlanOptions, index: ProjectIndex, warnings: string[]): Targeted[] {
  const candidates: Located[] = inputs.flatMap((file) => file.objects.map((object) => ({ object, file })));
  if (!options.map) {
    const chosen: Targeted[] = select(inputs, options).map((l) => ({ ...l, to: options.to }));
    // Handle: --tables without --enums. Given --enums, the user chose the enums.
    if (!options.tables || options.enums || options.to === undefined) return chosen;
    return withFollowers(candidates, chosen, index, warnings, '--enums');
  }
  const mapped = new Map<DrizzleObject, Targeted>();
  for (const [schema, names] of Object.entries(options.map)) {
    validateSchemaName(schema, `--map ${schema}`);
    if (names.length === 0) throw new InputError(`--map ${schema}: no names given (expected ${schema}=name,name,...)`);
    for (const name of names) {
      const matches = candidates.filter(({ object }) => object.name === name || object.identifier === name);
      if (matches.length === 0) {
        const known = candidates.map(({ object }) => object.name).filter(Boolean).join(', ');
        throw new InputError(
          `--map ${schema}: no table, enum, view or sequence named '${name}' in the given files${known ? ` (found: ${known})` : ''}`,
        );
      }
      for (const match of matches) {
        const earlier = mapped.get(match.object);
        if (earlier && earlier.to !== schema) {
          throw new InputError(
            `--map: ${match.object.kind} '${match.object.name}' is mapped to both '${earlier.to}' and '${schema}'`,
            match.object.location,
          );
        }
        mapped.set(match.object, { ...match, to: schema });
      }
    }
  }
  let rest: Targeted[];
  if (options.to !== undefined) {
    rest = select(inputs, options)
      .filter(({ object }) => !mapped.has(object))
      .map((l) => ({ ...l, to: options.to }));
  } else {
    if (options.tables || options.enums) {
      throw new InputError('--tables and --enums narrow what --to covers; with --map and no --to, name the objects in --map');
    }
    rest = candidates.filter(({ object }) => object.bogusSchemaOption && !mapped.has(object)).map((l) => ({ ...l, to: undefined }));
  }
  // Enums the map and --to leave unplaced follow the tables that use them.
  return withFollowers(candidates, [...mapped.values(), ...rest], index, warnings, '--map');
}

/** The chosen objects and the enums of the given files that follow them, in declaration order. */
function withFollowers(candidates: Located[], chosen: Targeted[], index: ProjectIndex, warnings: string[], flag: string): Targeted[] {
  const placed = new Map<DrizzleObject, string>(
    chosen.map((t) => [t.object, t.to ?? t.object.bogusSchemaOption?.schema ?? t.object.schema]),
  );
  const unplacedEnums = candidates.filter(({ object }) => object.kind === 'enum' && !placed.has(object));
  const followers = followingEnums(unplacedEnums, placed, index, warnings, flag);
  const order = new Map(candidates.map((l, i) => [l.object, i]));
  return [...chosen, ...followers].sort((a, b) => order.get(a.object)! - order.get(b.object)!);
}

/**
 * An enum nobody named goes where the tables using it go. When they go to
 * different schemas (or some stay), the tool does not guess: the enum stays
 * where it is (Postgres columns may use an enum of another schema) and a
 * warning names it, so that the user can place it with `flag`.
 */
function followingEnums(
  enums: Located[],
  placed: Map<DrizzleObject, string>,
  index: ProjectIndex,
  warnings: string[],
  flag: string,
): Targeted[] {
  if (enums.length === 0) return [];
  const uses = tablesUsingEnums(enums, index);
  const followers: Targeted[] = [];
  for (const located of enums) {
    const { object } = located;
    const users = uses.get(object) ?? [];
    const destination = (table: DrizzleObject) => placed.get(table) ?? table.schema;
    if (!users.some(({ table }) => destination(table) !== table.schema)) continue;
    const destinations = [...new Set(users.map(({ table }) => destination(table)))];
    if (destinations.length === 1) {
      if (destinations[0] !== object.schema) {
        followers.push({ ...located, to: destinations[0]!, follows: users.map(({ table }) => table.name!).filter(Boolean) });
      }
      continue;
    }
    const where = destinations
      .map((schema) => `${schema} (${users.filter(({ table }) => destination(table) === schema).map(({ table }) => table.name).join(', ')})`)
      .join(', ');
    warnings.push(
      `${index.display(located.file.path)}:${object.location.line}: enum '${object.name}' is used by tables headed for different schemas: ${where}; it stays in '${object.schema}' (name it in ${flag} to choose)`,
    );
  }
  return followers;
}

function select(inputs: ScannedFile[], options: PlanOptions): Located[] {
  const candidates: Located[] = inputs.flatMap((file) => file.objects.map((object) => ({ object, file })));
  if (!options.tables && !options.enums) return candidates;
  const chosen: Located[] = [];
  const pick = (names: string[], flag: string, isKind: (o: DrizzleObject) => boolean) => {
    for (const name of names) {
      const matches = candidates.filter(
        ({ object }) => isKind(object) && (object.name === name || object.identifier === name),
      );
      if (matches.length === 0) {
        const known = candidates
          .filter(({ object }) => isKind(object) && object.name)
          .map(({ object }) => object.name)
          .join(', ');
        throw new InputError(`${flag}: no ${flag === '--enums' ? 'enum' : 'table'} named '${name}' in the given files${known ? ` (found: ${known})` : ''}`);
      }
      for (const match of matches) if (!chosen.includes(match)) chosen.push(match);
    }
  };
  pick(options.tables ?? [], '--tables', (o) => o.kind !== 'enum');
  pick(options.enums ?? [], '--enums', (o) => o.kind === 'enum');
  return chosen;
}
