// The directory's query model (schema version 5) on a real SQLite file:
// search (trigram substring, short-term prefix, accents and case), filters,
// natural sort on every column both ways, windows, positions, streaming,
// selections, the FTS index kept in step with writes, the upgrade of a
// version-4 database, and query plans served by indexes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USER_SORT_COLUMNS, type UsersQuery } from '../../../src/shared/ipc/users.ts';
import { LATEST_VERSION, openStore, userVersion, type Store } from '../../../src/main/store/db.ts';
import {
  deleteUsers,
  getUser,
  insertUsers,
  setDeviceStates,
  setLastAuth,
  updateUserDetails,
  type DirectoryUser,
} from '../../../src/main/store/directory.ts';
import {
  countQuery,
  indexOfQuery,
  iterateQuery,
  selectionIds,
  SORT_MATCHES_UP_TO,
  windowAndCount,
  windowPlan,
  windowQuery,
} from '../../../src/main/store/user-query.ts';
import { naturalKey, prefixRanges } from '../../../src/shared/user-order.ts';
import { insertProfile } from '../../../src/main/store/profiles.ts';
import { testProfile } from './fixture.ts';

let dir: string;
let store: Store;
const P = 'q';
const DAY = 86_400_000;
const NOW = 1000 * DAY;

const ids = (users: readonly DirectoryUser[]) => users.map((u) => u.userId);
const all = (q: UsersQuery, ctx = {}) => ids([...iterateQuery(store, P, q, { now: NOW, ...ctx })]);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'iampass-query-'));
  store = openStore(join(dir, 'admin.sqlite'));
  insertProfile(store, testProfile(P));
  insertProfile(store, testProfile('other'));
  const users = [];
  for (let i = 1; i <= 120; i++) users.push({ userId: `user${i}`, displayName: `Person ${(i * 37) % 120}` });
  users.push(
    { userId: 'Élodie', displayName: 'Élodie Dupont' },
    { userId: 'bob', displayName: 'BOB the builder' },
    { userId: 'zoë', displayName: '' },
    { userId: '100%_sure', displayName: 'Percent "quoted"' },
  );
  insertUsers(store, P, users, { now: 500 * DAY });
  insertUsers(store, 'other', [{ userId: 'user1' }, { userId: 'elodie-other' }]);
  setDeviceStates(
    store,
    P,
    users.filter((_, i) => i % 3 === 0).map((u) => ({ userId: u.userId, state: 'registered' as const })),
    600 * DAY,
  );
  for (let i = 1; i <= 120; i += 7) setLastAuth(store, P, `user${i}`, NOW - (i % 20) * DAY);
});

afterAll(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('natural keys', () => {
  it('orders numbers by value, before letters, ignoring case and accents', () => {
    const sorted = ['user10', 'User2', 'user1', 'userA', 'Élan', 'elan2', 'x007', 'x7'].sort((a, b) =>
      naturalKey(a) < naturalKey(b) ? -1 : naturalKey(a) > naturalKey(b) ? 1 : 0,
    );
    expect(sorted).toEqual(['Élan', 'elan2', 'user1', 'User2', 'user10', 'userA', 'x7', 'x007']);
  });

  it('maps a prefix ending in digits to one range per run length', () => {
    const r = prefixRanges('u1');
    expect(r.length).toBeGreaterThan(2);
    const inRange = (v: string) => r.some(([lo, hi]) => naturalKey(v) >= lo && naturalKey(v) < hi);
    expect(['u1', 'u10', 'u1999', 'U1x'].every(inRange)).toBe(true);
    expect(['u2', 'u01', 'v1'].some(inRange)).toBe(false);
  });
});

describe('search', () => {
  it('matches substrings of user ID, display name or IAMPASS ID, case- and accent-insensitively', () => {
    expect(all({ search: 'LODI' })).toEqual(['Élodie']);
    expect(all({ search: 'élodie dup' })).toEqual(['Élodie']);
    expect(all({ search: 'the build' })).toEqual(['bob']);
    expect(all({ search: 'ser11' })).toEqual([
      'user11',
      'user110',
      'user111',
      'user112',
      'user113',
      'user114',
      'user115',
      'user116',
      'user117',
      'user118',
      'user119',
    ]);
    const u = getUser(store, P, 'user42')!;
    expect(all({ search: u.iampassId.slice(5, 20).toUpperCase() })).toEqual(['user42']);
    // FTS syntax and LIKE wildcards are plain text.
    expect(all({ search: '0%_s' })).toEqual(['100%_sure']);
    expect(all({ search: '"quoted"' })).toEqual(['100%_sure']);
    expect(all({ search: 'AND OR' })).toEqual([]);
  });

  it('matches 1-2 character terms as prefixes', () => {
    const norm = (s: string) => s.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
    const byPrefix = (term: string) =>
      ids(
        [...iterateQuery(store, P, {})].filter((u) =>
          [u.userId, u.displayName, u.iampassId].some((v) => norm(v).startsWith(norm(term))),
        ),
      );
    for (const term of ['b', 'zo', 'El', 'u', 'U1', 'pe', '1', '9'])
      expect(all({ search: term }), term).toEqual(byPrefix(term));
    expect(all({ search: 'zo' })).toContain('zoë');
    expect(all({ search: 'bo' })).toContain('bob');
    expect(all({ search: 'us' })).toHaveLength(120);
  });

  it('stays in one profile', () => {
    expect(all({ search: 'elodie' })).toEqual(['Élodie']);
  });

  it("counts a trigram search in its index, less the other profiles' matches; with a filter row by row: the same numbers", () => {
    // 'user1' and 'lodi' also match users of the other profile; 'AND OR' nothing.
    for (const search of ['user1', 'lodi', 'ser11', 'person 1', 'AND OR', '0%_s'])
      for (const filter of [{}, { states: ['registered' as const] }, { atIampass: true }, { inactiveDays: 30 }]) {
        const q: UsersQuery = { search, ...filter };
        expect(countQuery(store, P, q, { now: NOW }), `${search} ${JSON.stringify(filter)}`).toBe(all(q).length);
      }
    expect(countQuery(store, 'other', { search: 'user1' })).toBe(1);
  });
});

describe('filters', () => {
  it('filters on device states, failed checks and inactivity', () => {
    expect(countQuery(store, P, { states: ['registered'] })).toBe(42);
    expect(countQuery(store, P, { states: ['registered', 'unknown', 'not_registered'] })).toBe(124);
    expect(all({ checkFailed: true }, { failedUserIds: ['bob', 'user3', 'ghost'] })).toEqual(['bob', 'user3']);
    expect(all({ checkFailed: true })).toEqual([]);
    // Authenticated within 10 days: i % 20 < 10 among i = 1, 8, 15, ... ; never authenticated counts as inactive.
    const active: string[] = [];
    for (let i = 1; i <= 120; i += 7) if (i % 20 <= 10) active.push(`user${i}`);
    const inactive = all({ inactiveDays: 10 });
    expect(inactive).toHaveLength(124 - active.length);
    expect(inactive.some((id) => active.includes(id))).toBe(false);
    expect(all({ search: 'user1', states: ['registered'], inactiveDays: 10 })).toEqual(
      all({ search: 'user1' }).filter((id) => all({ states: ['registered'] }).includes(id) && !active.includes(id)),
    );
  });
});

describe('order, windows and positions', () => {
  it('sorts naturally by user ID and windows through the same order', () => {
    const order = all({});
    expect(order.slice(0, 4)).toEqual(['100%_sure', 'bob', 'Élodie', 'user1']);
    expect(order.indexOf('user2')).toBeLessThan(order.indexOf('user10'));
    const windows = [0, 50, 100].flatMap((o) => ids(windowQuery(store, P, {}, o, 50)));
    expect(windows).toEqual(order);
    expect(windowQuery(store, P, {}, 1000, 10)).toEqual([]);
    expect(windowQuery(store, P, {}, 0, 5000)).toHaveLength(124);
  });

  it('sorts by every column both ways, and every position agrees with the order', () => {
    for (const column of USER_SORT_COLUMNS)
      for (const descending of [false, true]) {
        const q: UsersQuery = { sort: { column, descending } };
        const rows = [...iterateQuery(store, P, q)];
        expect(rows).toHaveLength(124);
        expect(ids(windowQuery(store, P, q, 60, 20))).toEqual(ids(rows.slice(60, 80)));
        const key = (u: DirectoryUser): string | number | null =>
          ({
            userId: naturalKey(u.userId),
            displayName: naturalKey(u.displayName),
            iampassId: u.iampassId,
            deviceState: u.deviceState,
            deviceCheckedAt: u.deviceCheckedAt,
            addedAt: u.addedAt,
            lastAuthAt: u.lastAuthAt,
          })[column];
        for (let i = 1; i < rows.length; i++) {
          const [a, b] = descending ? [rows[i]!, rows[i - 1]!] : [rows[i - 1]!, rows[i]!];
          const ka = key(a);
          const kb = key(b);
          const ok = ka === kb ? a.rowId < b.rowId : ka === null || (kb !== null && ka < kb);
          expect(ok, `${column} ${descending ? 'desc' : 'asc'} at ${i}`).toBe(true);
        }
        for (const i of [0, 1, 17, 63, 122, 123])
          expect(indexOfQuery(store, P, q, rows[i]!.userId), `${column} ${String(descending)} ${i}`).toBe(i);
      }
  });

  it('reads windows past the middle from the other end: the same rows, every column both ways, with a search', () => {
    for (const column of USER_SORT_COLUMNS)
      for (const descending of [false, true])
        for (const search of [undefined, 'user', 'er1']) {
          const q: UsersQuery = { sort: { column, descending }, ...(search ? { search } : {}) };
          const rows = ids([...iterateQuery(store, P, q)]);
          const total = rows.length;
          const what = `${column} ${descending ? 'desc' : 'asc'} ${search ?? ''}`;
          // Past the middle (read from the end), straddling it, the last rows, a window longer than what is left.
          for (const [offset, limit] of [
            [total - 20, 10],
            [Math.floor(total / 2) - 3, 8],
            [total - 1, 1],
            [total - 4, 50],
            [total + 3, 5],
          ] as const) {
            expect(ids(windowQuery(store, P, q, offset, limit, { total })), `${what} @${offset}`).toEqual(
              rows.slice(offset, offset + limit),
            );
            expect(ids(windowAndCount(store, P, q, offset, limit).rows), `${what} @${offset} (counted)`).toEqual(
              rows.slice(offset, offset + limit),
            );
          }
        }
  });

  it('orders a search the same whether it sorts the matches or walks the sort index', () => {
    for (const search of ['user1', 'u', 'pe', 'son 1'])
      for (const column of USER_SORT_COLUMNS)
        for (const descending of [false, true]) {
          const q: UsersQuery = { search, sort: { column, descending } };
          const walked = all(q); // iterateQuery: the sort index's order
          const total = walked.length;
          const sorted = ids(windowQuery(store, P, q, 0, 1000, { total })); // matches sorted (total <= SORT_MATCHES_UP_TO)
          const scanned = ids(windowQuery(store, P, q, 0, 1000, { total: SORT_MATCHES_UP_TO + 1 })); // forced walk
          expect(sorted, `${search} ${column} ${String(descending)}`).toEqual(walked);
          expect(scanned).toEqual(walked);
          expect(ids(windowQuery(store, P, q, 3, 4, { total }))).toEqual(walked.slice(3, 7));
          const both = windowAndCount(store, P, q, 3, 4);
          expect([ids(both.rows), both.total]).toEqual([walked.slice(3, 7), total]);
          expect(windowAndCount(store, P, q, total + 5, 4)).toEqual({ rows: [], total });
        }
  });

  it('a large search (prefix or substring) reads its first windows from the start of the sort order when they are there, else sorts: the same rows', () => {
    for (const search of ['u', 'us', 'pe', 'b', '1', 'ser', 'son 1', 'er1'])
      for (const column of USER_SORT_COLUMNS)
        for (const descending of [false, true]) {
          const q: UsersQuery = { search, sort: { column, descending } };
          const walked = all(q);
          const total = walked.length;
          // rows: 10 (the probe rarely holds a whole window: falls back), 40 (sometimes), 1000 (always holds it).
          for (const rows of [10, 40, 1000])
            for (const [offset, limit] of [
              [0, 5],
              [2, 7],
              [0, 30],
            ] as const) {
              const got = ids(windowQuery(store, P, q, offset, limit, { total, prefixProbe: { from: 0, rows } }));
              expect(got, `${search} ${column} ${String(descending)} rows ${rows} [${offset}, +${limit})`).toEqual(
                walked.slice(offset, offset + limit),
              );
            }
        }
  });

  it('has no position for a user outside the query', () => {
    expect(indexOfQuery(store, P, { search: 'bob' }, 'user1')).toBeNull();
    expect(indexOfQuery(store, P, {}, 'ghost')).toBeNull();
    expect(indexOfQuery(store, P, { search: 'user1' }, 'user11')).toBe(2); // user1, user10, user11
  });

  it('serves every sort and the count from indexes (no sort of the whole directory)', () => {
    for (const column of USER_SORT_COLUMNS)
      for (const descending of [false, true]) {
        const [win] = windowPlan(store, P, { sort: { column, descending } });
        expect(win, column).not.toMatch(/TEMP B-TREE/);
        expect(win, column).toMatch(/USING (COVERING )?INDEX/);
      }
    const [, count] = windowPlan(store, P, { search: 'odie' });
    expect(count).toMatch(/VIRTUAL TABLE INDEX/);
  });
});

describe('selections and writes', () => {
  it('turns a query minus exceptions into user IDs', () => {
    expect(selectionIds(store, P, { search: 'user11' }, ['user110', 'nobody'])).toEqual([
      'user11',
      ...Array.from({ length: 9 }, (_, i) => `user11${i + 1}`),
    ]);
  });

  it('keeps the search index and keys in step with renames and deletes', () => {
    insertUsers(store, P, [{ userId: 'carol9', displayName: 'Carol' }]);
    expect(all({ search: 'carol' })).toEqual(['carol9']);
    updateUserDetails(store, P, 'carol9', { displayName: 'Karolína Nováková' });
    expect(all({ search: 'carol' })).toEqual(['carol9']);
    expect(all({ search: 'novak' })).toEqual(['carol9']);
    expect(all({ sort: { column: 'displayName' }, search: 'ka' })).toEqual(['carol9']);
    deleteUsers(store, P, ['carol9']);
    expect(all({ search: 'carol' })).toEqual([]);
    expect(all({ search: 'novak' })).toEqual([]);
  });
});

describe('migration 5', () => {
  it('upgrades a version-4 directory: keys filled, search index built', () => {
    const path = join(dir, 'v4.sqlite');
    const old = openStore(path, { targetVersion: 4 });
    insertProfile(old, testProfile('p'));
    old.db
      .prepare(
        `INSERT INTO users (profile_id, user_id, display_name, iampass_id, added_at, updated_at) VALUES ('p', 'user10', 'Zoë', 'a', 1, 1), ('p', 'user2', 'Ann', 'b', 1, 1)`,
      )
      .run();
    old.close();
    const upgraded = openStore(path);
    try {
      expect(userVersion(upgraded.db)).toBe(LATEST_VERSION);
      expect(ids([...iterateQuery(upgraded, 'p', {})])).toEqual(['user2', 'user10']);
      expect(ids([...iterateQuery(upgraded, 'p', { search: 'zoe' })])).toEqual(['user10']);
      expect(ids([...iterateQuery(upgraded, 'p', { sort: { column: 'displayName' } })])).toEqual(['user2', 'user10']);
    } finally {
      upgraded.close();
    }
  });
});
