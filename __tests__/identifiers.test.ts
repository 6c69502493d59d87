/**
 * Names spelled exactly as Postgres prints them: quoteIdent/quoteQualified
 * against the server's own quote_ident and format('%I.%I') on PGlite, over
 * hundreds of generated names in one query, and the keyword list against the
 * server's pg_get_keywords().
 */
import { openPglite } from '../src/verify/database';
import type { Database } from '../src/verify/database';
import { quoteIdent, quoteQualified } from '../src/sql/identifiers';
import { QUOTED_KEYWORDS } from '../src/sql/keywords';

/** A small deterministic generator (xorshift), so a failure names the same name every run. */
function random(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

const PIECES = ['user', 'order', 'Suggestion', 'tracker', 'Status', 'id', '_', '$', '1', '9', ' ', '"', "'", '-', '.', 'é', 'ß', 'Ω', '名前', '🙂', 'x', 'A', 'z'];
const SHAPES = ['trackerStatus', 'TrackerStatus', 'tracker_status', 'user', 'User', 'USER', 'abort', 'names', 'a$b', '_a', '1a', 'a b', 'a"b', '"', '""', 'é', 'ça', 'select', 'int', 'json_table', 'between', 'authorization', 'x'.repeat(63), 'é'.repeat(31) + 'x', 'a'.repeat(64), 'public', 'auth'];

function generatedNames(): string[] {
  const next = random(13);
  const names = new Set<string>([...SHAPES, ...QUOTED_KEYWORDS, ...[...QUOTED_KEYWORDS].map((k) => k.toUpperCase())]);
  while (names.size < 800) {
    const parts = 1 + Math.floor(next() * 4);
    let name = '';
    for (let i = 0; i < parts; i++) name += PIECES[Math.floor(next() * PIECES.length)]!;
    names.add(name);
  }
  return [...names];
}

describe('identifiers as Postgres quotes them', () => {
  let db: Database;
  beforeAll(async () => {
    db = await openPglite();
  });
  afterAll(() => db.close());

  it('quoteIdent and quoteQualified equal quote_ident and format(%I.%I) on every generated name', async () => {
    const names = generatedNames();
    const schemas = names.map((_, i) => names[(i * 7 + 3) % names.length]!);
    const rows = await db.query<{ i: number; ident: string; qualified: string }>(
      `SELECT i::int AS i, quote_ident(n) AS ident, format('%I.%I', s, n) AS qualified
       FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS u(n, s, i) ORDER BY i`,
      [names, schemas],
    );
    expect(rows).toHaveLength(names.length);
    const ours = names.map((n, i) => ({ i: i + 1, ident: quoteIdent(n), qualified: quoteQualified(schemas[i]!, n) }));
    expect(ours).toEqual(rows);
  });

  it('the keyword list is the server\'s keywords that quote_ident quotes', async () => {
    const all = await db.query<{ word: string; quoted: boolean }>(
      `SELECT word, quote_ident(word) <> word AS quoted FROM pg_get_keywords() ORDER BY 1`,
    );
    expect(all.length).toBeGreaterThan(400);
    expect(new Set(all.filter((k) => k.quoted).map((k) => k.word))).toEqual(QUOTED_KEYWORDS);
    const byCategory = await db.query<{ word: string }>(`SELECT word FROM pg_get_keywords() WHERE catcode <> 'U' ORDER BY 1`);
    expect(new Set(byCategory.map((k) => k.word))).toEqual(QUOTED_KEYWORDS);
    // libpg-query, the parser the patch stage reads statements with, has the same grammar: 1 is UNRESERVED_KEYWORD.
    const { loadModule, scanSync } = require('libpg-query') as typeof import('libpg-query');
    await loadModule();
    const kinds = all.map((k) => ({ word: k.word, kind: scanSync(k.word).tokens[0]!.keywordKind }));
    expect(kinds.every((k) => k.kind > 0)).toBe(true);
    expect(new Set(kinds.filter((k) => k.kind !== 1).map((k) => k.word))).toEqual(QUOTED_KEYWORDS);
  });
});
