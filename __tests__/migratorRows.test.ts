/**
 * How drizzle-orm 1.0's migrator names the rows of a migrations table
 * drizzle-orm 0.x made (src/verify/migratorRows.ts): by the folder's time to
 * the second, the hash breaking a tie or standing in when no time matches.
 * The real migrator is run on such a table in kit10.e2e.test.ts.
 */
import { appliedNames } from '../src/verify/migratorRows';

const local = [
  { tag: '20260101000000_a', when: Date.UTC(2026, 0, 1, 0, 0, 0), hash: 'ha' },
  { tag: '20260101000000_b', when: Date.UTC(2026, 0, 1, 0, 0, 0), hash: 'hb' },
  { tag: '20260102000000_c', when: Date.UTC(2026, 0, 2, 0, 0, 0), hash: 'hc' },
  { tag: '20260103000000_d', when: Date.UTC(2026, 0, 3, 0, 0, 0), hash: 'hd' },
];

describe('the migrations drizzle-orm 1.0 takes as applied', () => {
  it('on a 0.x table: one migration in that second is it, whatever the hash (the file may have changed since)', () => {
    expect(appliedNames([{ hash: 'edited', createdAt: Date.UTC(2026, 0, 2, 0, 0, 0) + 734, name: undefined }], local, false)).toEqual(new Set(['20260102000000_c']));
  });

  it('on a 0.x table: two in the same second are told apart by hash; a time no folder has falls back to the hash', () => {
    const rows = [
      { hash: 'hb', createdAt: Date.UTC(2026, 0, 1, 0, 0, 0) + 5, name: undefined },
      { hash: 'hd', createdAt: Date.UTC(2025, 5, 5), name: undefined },
      { hash: 'nowhere', createdAt: Date.UTC(2025, 5, 6), name: undefined },
    ];
    expect(appliedNames(rows, local, false)).toEqual(new Set(['20260101000000_b', '20260103000000_d']));
  });

  it("on a 1.0 table: the names its rows carry, nothing else", () => {
    const rows = [{ hash: 'hc', createdAt: Date.UTC(2026, 0, 2), name: '20260101000000_a' }];
    expect(appliedNames(rows, local, true)).toEqual(new Set(['20260101000000_a']));
  });
});
