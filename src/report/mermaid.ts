import type { MoveReport } from './types';

interface Placed {
  kind: string;
  name: string;
  schema: string;
}

/**
 * A Mermaid flowchart of the schemas before and after the move: every
 * selected object (enums grouped into one node per schema), the tables the
 * moved ones reference or are referenced by, and the foreign keys that cross
 * a schema boundary, which are the ones a schema move creates or removes.
 */
export function schemaDiagram(report: MoveReport): string {
  const objects = [...report.moves, ...report.alreadyInPlace];
  const before: Placed[] = objects.map((o) => ({ kind: o.kind, name: o.name, schema: o.from }));
  const after: Placed[] = objects.map((o) => ({ kind: o.kind, name: o.name, schema: o.to }));
  const beforeEdges: [Placed, Placed, string][] = [];
  const afterEdges: [Placed, Placed, string][] = [];
  const table = (list: Placed[], schema: string, name: string): Placed => {
    let found = list.find((p) => p.kind === 'table' && p.schema === schema && p.name === name);
    if (!found) list.push((found = { kind: 'table', name, schema }));
    return found;
  };
  for (const fk of report.foreignKeys) {
    if (!fk.to) continue;
    const fromBefore = fk.before.fromSchema;
    const toBefore = fk.before.toSchema ?? fk.to.schema;
    // Both ends appear in both pictures; only the edges that cross a schema are drawn.
    const edgeBefore: [Placed, Placed, string] = [table(before, fromBefore, fk.from.table), table(before, toBefore, fk.to.table), fk.to.column];
    const edgeAfter: [Placed, Placed, string] = [table(after, fk.from.schema, fk.from.table), table(after, fk.to.schema, fk.to.table), fk.to.column];
    if (fromBefore !== toBefore) beforeEdges.push(edgeBefore);
    if (fk.crossSchema) afterEdges.push(edgeAfter);
  }

  const lines = ['flowchart LR'];
  const ids = new Map<Placed, string>();
  const phase = (key: string, title: string, placed: Placed[]) => {
    lines.push(`  subgraph ${key}["${label(title)}"]`, '    direction TB');
    const schemas = [...new Set(placed.map((p) => p.schema))].sort();
    schemas.forEach((schema, s) => {
      lines.push(`    subgraph ${key}_s${s}["${label(schema)}"]`);
      const here = placed.filter((p) => p.schema === schema);
      const enums = here.filter((p) => p.kind === 'enum');
      here
        .filter((p) => p.kind !== 'enum')
        .forEach((p, i) => {
          const id = `${key}_s${s}_${i}`;
          ids.set(p, id);
          const suffix = p.kind === 'table' ? '' : ` (${kindLabel(p.kind)})`;
          lines.push(`      ${id}["${label(p.name + suffix)}"]`);
        });
      if (enums.length > 0) {
        const names = enums.map((e) => label(e.name)).join('<br/>');
        lines.push(`      ${key}_s${s}_enums["${enums.length} enum${enums.length === 1 ? '' : 's'}<br/>${names}"]`);
      }
      lines.push('    end');
    });
    lines.push('  end');
  };
  phase('before', 'Before', before);
  phase('after', 'After', after);
  for (const [from, to, column] of [...beforeEdges, ...afterEdges]) {
    lines.push(`  ${ids.get(from)} -->|"${label(column)}"| ${ids.get(to)}`);
  }
  return lines.join('\n') + '\n';
}

function kindLabel(kind: string): string {
  return kind === 'materializedView' ? 'materialized view' : kind;
}

/** Mermaid labels are quoted; a quote or angle bracket inside is written as an entity. */
function label(text: string): string {
  return text.replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;');
}
