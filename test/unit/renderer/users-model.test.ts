// The Users screen's in-memory model (src/renderer/src/screens/users/model.ts):
// its cached, incremental search and its sorts give exactly the rows a plain
// filter + comparator sort gives, over random directories and random
// sequences of typing, Backspace, filter and sort changes and change events.
import fc from 'fast-check';
import { expect, it } from 'vitest';
import {
  applyChange,
  fromSnapshot,
  visibleRows,
  type DeviceFilter,
  type Directory,
  type SortColumn,
  type SortSpec,
} from '../../../src/renderer/src/screens/users/model.ts';
import type { DeviceState, UserRow, UsersSnapshot } from '../../../src/shared/ipc/users.ts';

const STATES: DeviceState[] = ['registered', 'not_registered', 'unknown'];
const COLUMNS: SortColumn[] = ['userId', 'displayName', 'deviceState', 'addedAt', 'lastAuthAt'];
const FILTERS: DeviceFilter[] = ['all', ...STATES];
const RANK: Record<DeviceState, number> = { registered: 0, not_registered: 1, unknown: 2 };

interface User {
  userId: string;
  displayName: string;
  iampassId: string;
  deviceState: DeviceState;
  addedAt: number;
  lastAuthAt: number | null;
}

/** The reference: every row tested, then sorted with the column's comparator and the lowercased key as tie-breaker. */
function reference(users: User[], sort: SortSpec, query: string, filter: DeviceFilter): string[] {
  const key = (u: User) => `${u.userId}\u0000${u.displayName}\u0000${u.iampassId}`.toLowerCase();
  const q = query.trim().toLowerCase();
  const rows = users.filter((u) => (filter === 'all' || u.deviceState === filter) && (!q || key(u).includes(q)));
  const byKey = (a: User, b: User) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
  const cmp = (a: User, b: User): number => {
    switch (sort.column) {
      case 'userId':
        return byKey(a, b);
      case 'displayName': {
        const x = a.displayName.toLowerCase();
        const y = b.displayName.toLowerCase();
        return x < y ? -1 : x > y ? 1 : byKey(a, b);
      }
      case 'deviceState':
        return RANK[a.deviceState] - RANK[b.deviceState] || byKey(a, b);
      case 'addedAt':
        return a.addedAt - b.addedAt || byKey(a, b);
      case 'lastAuthAt':
        return (a.lastAuthAt ?? -1) - (b.lastAuthAt ?? -1) || byKey(a, b);
    }
  };
  return rows.sort(sort.desc ? (a, b) => cmp(b, a) : cmp).map((u) => u.userId);
}

function snapshot(users: User[]): UsersSnapshot {
  // main sends the rows ordered by SQLite's NOCASE user ID: ASCII-only folding, so not always the renderer's order.
  const nocase = (s: string) => s.replace(/[A-Z]/g, (c) => c.toLowerCase());
  const sorted = [...users].sort((a, b) =>
    nocase(a.userId) < nocase(b.userId) ? -1 : nocase(a.userId) > nocase(b.userId) ? 1 : 0,
  );
  return {
    profileId: 'p',
    profileName: 'P',
    sendOwnIds: false,
    revision: 1,
    count: sorted.length,
    rowIds: sorted.map((_, i) => i + 1),
    userIds: sorted.map((u) => u.userId),
    displayNames: sorted.map((u) => u.displayName),
    iampassIds: sorted.map((u) => u.iampassId),
    deviceStates: sorted.map((u) => u.deviceState),
    deviceCheckedAt: sorted.map(() => null),
    addedAt: sorted.map((u) => u.addedAt),
    lastAuthAt: sorted.map((u) => u.lastAuthAt),
    statusErrors: {},
  };
}

const shown = (d: Directory, rows: Int32Array) => Array.from(rows, (i) => d.userIds[i]!);

// Small alphabets so that queries match often and values tie often.
const text = (chars: string, max: number) =>
  fc.array(fc.constantFrom(...chars), { maxLength: max }).map((a) => a.join(''));
const userArb = fc.record({
  userId: text('abAB É1-é ', 6).map((s) => `u${s}`),
  displayName: text('abAB Éé', 4),
  iampassId: text('0123abc', 5),
  deviceState: fc.constantFrom(...STATES),
  addedAt: fc.integer({ min: 0, max: 5 }),
  lastAuthAt: fc.option(fc.integer({ min: 0, max: 5 }), { nil: null }),
});
// Unique lowercased user IDs keep the renderer's key (and so every order) total.
const usersArb = fc.uniqueArray(userArb, { maxLength: 60, selector: (u) => u.userId.toLowerCase() });

type Step =
  | { kind: 'type'; ch: string }
  | { kind: 'backspace' }
  | { kind: 'filter'; filter: DeviceFilter }
  | { kind: 'sort'; column: SortColumn; desc: boolean }
  | { kind: 'change'; pick: number; displayName: string; deviceState: DeviceState; remove: boolean };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...'abÉé1 0'.split('')).map((ch): Step => ({ kind: 'type', ch })) },
  { weight: 3, arbitrary: fc.constant<Step>({ kind: 'backspace' }) },
  { weight: 1, arbitrary: fc.constantFrom(...FILTERS).map((filter): Step => ({ kind: 'filter', filter })) },
  {
    weight: 2,
    arbitrary: fc
      .record({ column: fc.constantFrom(...COLUMNS), desc: fc.boolean() })
      .map((s): Step => ({ kind: 'sort', ...s })),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({
        pick: fc.nat(),
        displayName: text('abÉ', 3),
        deviceState: fc.constantFrom(...STATES),
        remove: fc.boolean(),
      })
      .map((c): Step => ({ kind: 'change', ...c })),
  },
);

it('search and sort answer the reference rows through any sequence of keystrokes, filters, sorts and change events', () => {
  fc.assert(
    fc.property(usersArb, fc.array(stepArb, { maxLength: 40 }), (initial, steps) => {
      let users = initial.map((u) => ({ ...u }));
      let dir = fromSnapshot(snapshot(users));
      let query = '';
      let filter: DeviceFilter = 'all';
      let sort: SortSpec = { column: 'userId', desc: false };
      let revision = 1;
      for (const step of steps) {
        if (step.kind === 'type') query += step.ch;
        else if (step.kind === 'backspace') query = query.slice(0, -1);
        else if (step.kind === 'filter') filter = step.filter;
        else if (step.kind === 'sort') sort = { column: step.column, desc: step.desc };
        else if (users.length > 0) {
          const target = users[step.pick % users.length]!;
          revision++;
          if (step.remove) {
            users = users.filter((u) => u !== target);
            dir = applyChange(dir, { profileId: 'p', revision, upserts: [], removed: [target.userId], reset: false });
          } else {
            target.displayName = step.displayName;
            target.deviceState = step.deviceState;
            const row: UserRow = {
              rowId: 0,
              userId: target.userId,
              displayName: target.displayName,
              iampassId: target.iampassId,
              deviceState: target.deviceState,
              deviceCheckedAt: null,
              addedAt: target.addedAt,
              lastAuthAt: target.lastAuthAt,
              statusError: null,
            };
            dir = applyChange(dir, { profileId: 'p', revision, upserts: [row], removed: [], reset: false });
          }
        }
        expect(shown(dir, visibleRows(dir, sort, query, filter))).toEqual(reference(users, sort, query, filter));
      }
    }),
    { numRuns: 300 },
  );
});

it('a repeated query answers the same rows object (a cache hit: React memo keys stay stable)', () => {
  const users: User[] = Array.from({ length: 50 }, (_, i) => ({
    userId: `user${i}`,
    displayName: i % 2 ? 'Ann' : 'Bob',
    iampassId: `id${i}`,
    deviceState: STATES[i % 3]!,
    addedAt: i,
    lastAuthAt: null,
  }));
  const dir = fromSnapshot(snapshot(users));
  const sort: SortSpec = { column: 'addedAt', desc: true };
  const first = visibleRows(dir, sort, 'ann', 'all');
  visibleRows(dir, sort, 'an', 'all');
  expect(visibleRows(dir, sort, 'ann', 'all')).toBe(first);
  expect(shown(dir, first)).toEqual(reference(users, sort, 'ann', 'all'));
});
