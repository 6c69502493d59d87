import type { ObjectKind } from '../../plan/types';
import { qualified } from '../../sql/identifiers';

/** An object the move relocates, as raw SQL would name it. */
export interface HazardTarget {
  kind: ObjectKind;
  name: string;
  from: string;
  to: string;
}

/** A place in SQL text that names a target without its new schema. */
export interface SqlReference {
  /** Offset of the name (or of its schema qualifier) in the scanned text. */
  start: number;
  end: number;
  target: HazardTarget;
  /** The text as written. */
  found: string;
  /** The qualified name to write instead. */
  use: string;
}

type Token =
  | { type: 'ident'; value: string; start: number; end: number }
  | { type: 'string'; value: string; start: number; end: number }
  | { type: 'punct'; value: string; start: number; end: number };

/** Words after which a bare name is a relation or type, not a column or alias. */
const NAME_CONTEXT = new Set([
  'from',
  'join',
  'into',
  'update',
  'table',
  'only',
  'references',
  'on',
  'view',
  'sequence',
  'truncate',
  'copy',
  'type',
]);

/** Functions whose string argument is a regclass name resolved through search_path. */
const REGCLASS_FUNCTIONS = new Set(['nextval', 'currval', 'setval', 'pg_get_serial_sequence']);

/**
 * Finds the places where SQL names a moved object in a way that will not
 * reach it after the move: qualified with its old schema (`public.entities`,
 * `"public"."entities"`), or bare where Postgres resolves the name through
 * search_path (after FROM, JOIN, INTO, UPDATE, ON, REFERENCES, `::`, TYPE, in
 * `nextval('...')`). A bare name elsewhere is a column or an alias, and
 * `entities.id` qualifies a column by a name the FROM clause already gave.
 */
export function findSqlReferences(text: string, targets: HazardTarget[]): SqlReference[] {
  return sqlMatcher(targets)(text);
}

/** findSqlReferences with the targets indexed once, for scanning many texts. */
export function sqlMatcher(targets: HazardTarget[]): (text: string) => SqlReference[] {
  const byName = new Map<string, HazardTarget[]>();
  for (const t of targets) byName.set(t.name, [...(byName.get(t.name) ?? []), t]);
  const folded = nameIndex(byName.keys());
  return (text) => {
    // Most text names none of the objects: skip tokenising it.
    if (!mentionsAny(text, folded)) return [];
    return matchReferences(text, byName);
  };
}

const WORD = /[A-Za-z_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*/g;

/** Names case-folded: one-word names for lookups, the others for a substring search. */
export interface NameIndex {
  words: Set<string>;
  others: string[];
}

export function nameIndex(names: Iterable<string>): NameIndex {
  const folded = [...new Set([...names].map((n) => n.toLowerCase()))];
  return { words: new Set(folded), others: folded.filter((n) => n.replace(WORD, '') !== '') };
}

/** Whether the text mentions one of the names, in any case. */
export function mentionsAny(text: string, names: NameIndex): boolean {
  for (const word of text.matchAll(WORD)) {
    if (names.words.has(word[0].toLowerCase())) return true;
  }
  if (names.others.length === 0) return false;
  const lower = text.toLowerCase();
  return names.others.some((name) => lower.includes(name));
}

function matchReferences(text: string, byName: Map<string, HazardTarget[]>): SqlReference[] {
  const tokens = tokenize(text);
  const found: SqlReference[] = [];
  const report = (start: number, end: number, target: HazardTarget, as = text.slice(start, end)) =>
    found.push({ start, end, target, found: as, use: qualified(target.to, target.name) });

  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token.type === 'string') {
      const call = tokens[i - 2];
      const regclass =
        (tokens[i - 1]?.value === '(' && call?.type === 'ident' && REGCLASS_FUNCTIONS.has(call.value)) ||
        (tokens[i + 1]?.value === '::' && tokens[i + 2]?.type === 'ident' && tokens[i + 2]!.value === 'regclass');
      if (regclass) checkRegclassString(token, byName, report);
      continue;
    }
    if (token.type !== 'ident') continue;
    const previous = tokens[i - 1];
    // Only chains' first links start a check: `a.b.c` is read once, from `a`.
    if (previous?.value === '.') continue;
    const chain: Token[] = [token];
    while (tokens[i + 2 * chain.length - 1]?.value === '.' && tokens[i + 2 * chain.length]?.type === 'ident') {
      chain.push(tokens[i + 2 * chain.length]!);
    }
    if (chain.length === 1) {
      const candidates = byName.get(token.value);
      if (!candidates) continue;
      const afterName = previous && (previous.type === 'ident' ? NAME_CONTEXT.has(previous.value) : previous.value === '::');
      if (!afterName) continue;
      for (const target of candidates) if (target.to !== 'public') report(token.start, token.end, target);
      continue;
    }
    // `schema.name` somewhere in the chain (`public.entities`, `public.entities.id`).
    for (let k = 0; k + 1 < chain.length; k++) {
      const candidates = byName.get(chain[k + 1]!.value);
      if (!candidates) continue;
      for (const target of candidates) {
        if (chain[k]!.value === target.from && target.from !== target.to) report(chain[k]!.start, chain[k + 1]!.end, target);
      }
    }
  }
  return found;
}

/** `nextval('invoice_number_seq')`, `'public.entities'::regclass`. */
function checkRegclassString(
  token: Token,
  byName: Map<string, HazardTarget[]>,
  report: (start: number, end: number, target: HazardTarget, as?: string) => void,
): void {
  const parts = tokenize(token.value).filter((t) => t.type === 'ident');
  const name = parts[parts.length - 1];
  const schema = parts.length === 2 ? parts[0] : undefined;
  if (!name || parts.length > 2) return;
  for (const target of byName.get(name.value) ?? []) {
    if (schema ? schema.value === target.from && target.from !== target.to : target.to !== 'public') {
      report(token.start, token.end, target, `'${token.value.trim()}'`);
    }
  }
}

/** A dollar-quote delimiter: `$$` or `$tag$`. */
const DOLLAR_QUOTE = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/;

/**
 * Identifiers (unquoted ones folded to lower case, as Postgres does), string
 * literals and punctuation; comments and whitespace are dropped, and
 * dollar-quote delimiters are skipped so that function bodies are read as SQL.
 */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let dollar: RegExpExecArray | null;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '-' && text[i + 1] === '-') {
      const end = text.indexOf('\n', i);
      i = end < 0 ? text.length : end;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 2;
    } else if (c === '"' || c === "'") {
      const { value, end } = readQuoted(text, i);
      tokens.push({ type: c === '"' ? 'ident' : 'string', value, start: i, end });
      i = end;
    } else if (c === '$' && (dollar = DOLLAR_QUOTE.exec(text.slice(i, i + 66)))) {
      i += dollar[0].length;
    } else if (/[A-Za-z_\u0080-\uffff]/.test(c)) {
      let j = i + 1;
      while (j < text.length && /[A-Za-z0-9_$\u0080-\uffff]/.test(text[j]!)) j++;
      tokens.push({ type: 'ident', value: text.slice(i, j).toLowerCase(), start: i, end: j });
      i = j;
    } else if (c === ':' && text[i + 1] === ':') {
      tokens.push({ type: 'punct', value: '::', start: i, end: i + 2 });
      i += 2;
    } else {
      tokens.push({ type: 'punct', value: c, start: i, end: i + 1 });
      i++;
    }
  }
  return tokens;
}

/** The quoted token at `start` ("ident" or 'string'; its quote doubled stands for itself): its value and the offset after it. */
function readQuoted(text: string, start: number): { value: string; end: number } {
  const quote = text[start]!;
  let j = start + 1;
  let value = '';
  while (j < text.length) {
    if (text[j] === quote && text[j + 1] === quote) {
      value += quote;
      j += 2;
    } else if (text[j] === quote) break;
    else value += text[j++];
  }
  return { value, end: Math.min(j + 1, text.length) };
}
