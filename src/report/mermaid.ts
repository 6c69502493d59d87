import type { MoveReport, ReportedForeignKey } from './types';

interface Placed {
  kind: string;
  name: string;
  schema: string;
}

interface Edge {
  from: Placed;
  to: Placed;
  label: string;
  crossSchema: boolean;
}

/** Past this many edges a diagram stops being read; GitHub renders it, nobody follows the lines. */
export const MAX_DIAGRAM_EDGES = 60;

export interface SchemaDiagram {
  mermaid: string;
  /** What the diagram leaves out, in a sentence for the reader; undefined when it draws every key. */
  note?: string;
}

/**
 * A Mermaid flowchart of the schemas before and after the move: every
 * selected object (enums grouped into one node per schema), the tables the
 * moved ones reference or are referenced by, and in both pictures every
 * foreign key that touches a moved table, one edge per constraint labelled
 * with its columns. Over `maxEdges` edges it keeps, in this order, the keys
 * that cross a schema (what a move changes), the other keys of the picture
 * after the move, then those before it; the note says what it left out.
 */
export function buildSchemaDiagram(report: MoveReport, maxEdges = MAX_DIAGRAM_EDGES): SchemaDiagram {
  const objects = [...report.moves, ...report.alreadyInPlace];
  const before: Placed[] = objects.map((o) => ({ kind: o.kind, name: o.name, schema: o.from }));
  const after: Placed[] = objects.map((o) => ({ kind: o.kind, name: o.name, schema: o.to }));
  const table = (list: Placed[], schema: string, name: string): Placed => {
    let found = list.find((p) => p.kind === 'table' && p.schema === schema && p.name === name);
    if (!found) list.push((found = { kind: 'table', name, schema }));
    return found;
  };
  const edge = (list: Placed[], fromSchema: string, fk: ReportedForeignKey, toSchema: string): Edge => ({
    from: table(list, fromSchema, fk.from.table),
    to: table(list, toSchema, fk.to!.table),
    label: `${fk.columns.join(', ')} → ${fk.to!.columns.join(', ')}`,
    crossSchema: fromSchema !== toSchema,
  });
  const beforeEdges: Edge[] = [];
  const afterEdges: Edge[] = [];
  for (const fk of report.foreignKeys) {
    if (!fk.to) continue;
    beforeEdges.push(edge(before, fk.before.fromSchema, fk, fk.before.toSchema ?? fk.to.schema));
    afterEdges.push(edge(after, fk.from.schema, fk, fk.to.schema));
  }

  let edges = [...beforeEdges, ...afterEdges];
  const total = edges.length;
  let note: string | undefined;
  if (total > maxEdges) {
    // What a move changes first (keys that cross a schema), then the new state, then the old one.
    const rank = (e: Edge) => (e.crossSchema ? 0 : 2) + (afterEdges.includes(e) ? 0 : 1);
    const kept = new Set([...edges].sort((a, b) => rank(a) - rank(b)).slice(0, maxEdges));
    edges = edges.filter((e) => kept.has(e));
    const cross = edges.filter((e) => e.crossSchema).length;
    const inside = (list: Edge[]) => list.filter((e) => kept.has(e) && !e.crossSchema).length;
    note =
      `The diagram draws ${maxEdges} of its ${total} foreign key edges (${cross} crossing a schema, ` +
      `${inside(afterEdges)} inside one after the move, ${inside(beforeEdges)} before it); ` +
      `the other ${total - maxEdges} are left out to keep it readable. The JSON report (--format json) has every key.`;
    // Tables that only the left-out keys brought in are left out with them.
    const ends = new Set(edges.flatMap((e) => [e.from, e.to]));
    const named = (list: Placed[]) => list.filter((p, i) => i < objects.length || ends.has(p));
    before.splice(0, before.length, ...named(before));
    after.splice(0, after.length, ...named(after));
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
  for (const e of edges) lines.push(`  ${ids.get(e.from)} -->|"${label(e.label)}"| ${ids.get(e.to)}`);
  if (note) lines.push(`  %% ${note}`);
  return { mermaid: lines.join('\n') + '\n', ...(note ? { note } : {}) };
}

export function schemaDiagram(report: MoveReport): string {
  return buildSchemaDiagram(report).mermaid;
}

function kindLabel(kind: string): string {
  return kind === 'materializedView' ? 'materialized view' : kind;
}

/** Mermaid labels are quoted; a quote or angle bracket inside is written as an entity. */
function label(text: string): string {
  return text.replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;');
}
