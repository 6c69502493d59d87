import type { MovedObject } from '../move';
import type { ReportedFile } from './types';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export function kindName(kind: string): string {
  return kind === 'materializedView' ? 'materialized view' : kind;
}

/** `public -> growth: 5 tables, 1 sequence`, one line per route, kinds in order of appearance. */
export function routes(moves: MovedObject[]): { from: string; to: string; what: string }[] {
  const byRoute = new Map<string, { from: string; to: string; kinds: Map<string, number> }>();
  for (const m of moves) {
    const key = `${m.from}\0${m.to}`;
    const route = byRoute.get(key) ?? { from: m.from, to: m.to, kinds: new Map<string, number>() };
    route.kinds.set(m.kind, (route.kinds.get(m.kind) ?? 0) + 1);
    byRoute.set(key, route);
  }
  return [...byRoute.values()].map(({ from, to, kinds }) => ({
    from,
    to,
    what: [...kinds].map(([k, n]) => plural(n, kindName(k))).join(', '),
  }));
}

/** `5 files (1 modified, 4 added)`. */
export function filesSummary(files: ReportedFile[]): string {
  const modified = files.filter((f) => f.status === 'modified').length;
  const added = files.length - modified;
  const parts = [modified ? `${modified} modified` : '', added ? `${added} added` : ''].filter(Boolean);
  return `${plural(files.length, 'file')}${parts.length ? ` (${parts.join(', ')})` : ''}`;
}

export { plural };
