// The Users screen's own copy of a small directory (renderer
// screens/users/local.ts) against main's answers on a real SQLite file: for
// every kind of search (1-2 character prefixes, 3+ character substrings,
// accents, case, digits, emoji, other scripts), device filter and sort
// (every column, both ways, with ties and empty values), the copy's rows in
// order are main's; and after changes made through the users service (adds at
// IAMPASS, deletes, renames, device states, authentications), the copy that
// followed the `users.changed` events still answers as main does.
import { afterEach, expect, it } from 'vitest';
import { insertUsers, setDeviceStates, setLastAuth, type NewDirectoryUser } from '../../../src/main/store/directory.ts';
import { LocalDirectory } from '../../../src/renderer/src/screens/users/local.ts';
import { DEVICE_STATES, USER_SORT_COLUMNS, type UsersChanged, type UsersQuery } from '../../../src/shared/ipc/users.ts';
import { usersFixture, type UsersFixture } from './fixture.ts';

let fx: UsersFixture | null = null;
afterEach(async () => {
  await fx?.close();
  fx = null;
});

const FIRST = ['María', 'José', 'Zoë', 'Ørjan', 'Amélie', 'John', 'Wei', 'élodie', 'ANNA', 'Łukasz', 'Jürgen', 'Ça'];
const LAST = ['García', 'Núñez', 'Ångström', 'Ødegård', 'Smith', 'Li', 'Dubois', '李', 'Müller', ''];

function corpus(n: number): NewDirectoryUser[] {
  const out: NewDirectoryUser[] = [];
  for (let i = 0; i < n; i++) {
    const first = FIRST[i % FIRST.length]!;
    const last = LAST[(i * 7) % LAST.length]!;
    const userId =
      i % 13 === 0
        ? `EMP-${String(i % 40).padStart(7, '0')}-${i}`
        : i % 17 === 0
          ? `${first} ${last} 🦄 ${i}`
          : i % 5 === 0
            ? `user${i % 30}.${i}`
            : `${first.toLowerCase()}.${last.toLowerCase()}${i}@corp.example`;
    out.push({
      userId,
      // Repeated names (ties broken by row id), empty names, digits inside names.
      displayName: i % 11 === 0 ? '' : i % 9 === 0 ? `${first} ${i % 4}` : `${first} ${last}`,
      // Some users not at IAMPASS (empty ID), some sharing a prefix, the rest random.
      ...(i % 23 === 0 ? { iampassId: '' } : i % 7 === 0 ? { iampassId: `ab${String(i).padStart(6, '0')}` } : {}),
    });
  }
  return out;
}

const SEARCHES = [
  '',
  // 1-2 characters: prefixes of the user ID, the display name (natural keys) or the IAMPASS ID.
  'u',
  'us',
  'e',
  'em',
  'E',
  'a',
  'ab',
  'm',
  'ma',
  'MA',
  'z',
  'zo',
  'ø',
  'o',
  'é',
  'el',
  'l',
  'ł',
  '1',
  '12',
  '3',
  '李',
  '🦄',
  'ç',
  // 3+ characters: substrings, case- and accent-insensitive.
  'user1',
  'ser1',
  'user12',
  'garc',
  'GARCÍA',
  'ødeg',
  'odeg',
  'emp-00',
  'EMP-0000012',
  'lodie',
  'élo',
  'ngstr',
  'angst',
  'üll',
  'ull',
  'müller',
  '@corp',
  'corp.exa',
  '🦄 1',
  ' 2',
  'ab0000',
  'zzz',
  'ça ',
  'luk',
  'łuk',
];

function mainOrder(f: UsersFixture, q: UsersQuery): string[] {
  return [...f.services.users.iterate(q)].map((u) => u.userId);
}

function localOrder(local: LocalDirectory, q: UsersQuery, now: number): string[] {
  const m = local.query(q, now);
  return local.rows(m, 0, m.length).map((r) => r.userId);
}

function compareAll(f: UsersFixture, local: LocalDirectory, searches: readonly string[]): number {
  const now = Date.now();
  let compared = 0;
  const filters: Omit<UsersQuery, 'search' | 'sort'>[] = [
    {},
    { states: ['registered'], atIampass: true },
    { states: ['not_registered', 'unknown'] },
    { atIampass: false },
    { inactiveDays: 3 },
  ];
  for (const search of searches)
    for (const filter of filters)
      for (const column of USER_SORT_COLUMNS)
        for (const descending of [false, true]) {
          // Every sort for the empty search and the first filter; otherwise two sorts (the search is what varies).
          if (search !== '' && !(column === 'userId' || column === 'lastAuthAt')) continue;
          const q: UsersQuery = { ...(search === '' ? {} : { search }), ...filter, sort: { column, descending } };
          expect(localOrder(local, q, now), JSON.stringify(q)).toEqual(mainOrder(f, q));
          compared++;
        }
  return compared;
}

it("the screen's copy answers every search, filter and sort as main does, and stays so through changes", async () => {
  // The screen is given a directory of at most 700 users whole (the corpus: 700).
  const f = (fx = await usersFixture({ screenCopyMax: 700 }));
  const store = f.services.store;
  const now = Date.now();
  insertUsers(store, f.profileId, corpus(700), { now: now - 86_400_000 * 40 });
  // Device states and checks, authentications at a few times (ties), some never.
  const users = [...f.services.users.iterate({})];
  setDeviceStates(
    store,
    f.profileId,
    users.filter((_, i) => i % 3 !== 2).map((u, i) => ({ userId: u.userId, state: DEVICE_STATES[i % 2]! })),
    now - 3_600_000,
  );
  users.forEach((u, i) => {
    if (i % 4 !== 0) setLastAuth(store, f.profileId, u.userId, now - 86_400_000 * (i % 6));
  });

  const snap = f.services.users.screenSnapshot();
  expect(snap).not.toBeNull();
  const local = new LocalDirectory({ ...snap!, profileId: f.profileId });
  expect(local.size).toBe(700);
  expect(compareAll(f, local, SEARCHES)).toBeGreaterThan(1000);

  // Typing on narrows the last answer's matches: each keystroke of a word still answers as main does
  // (prefixes, then substrings, digits ending a term mid-run), and Backspace widens again.
  for (const word of ['garcía12', 'EMP-0000012-', 'user12.', 'ødegård', 'Zoë Ång', 'ab000', 'é 1'])
    for (const sort of [{ column: 'userId' as const }, { column: 'displayName' as const, descending: true }]) {
      const typed = [...word].map((_, i) => [...word].slice(0, i + 1).join(''));
      for (const search of [...typed, ...typed.slice(0, -1).reverse()]) {
        const q: UsersQuery = { search, states: ['registered', 'unknown'], sort };
        expect(localOrder(local, q, now), JSON.stringify(q)).toEqual(mainOrder(f, q));
      }
    }

  // Changes through the service, each announced as users.changed: the copy follows them.
  const changes = (): UsersChanged[] =>
    f.events.flatMap((e) => (e.type === 'changed' ? [(e as { payload: UsersChanged }).payload] : []));
  const seen = changes().length;
  await f.finished(
    f.services.users.add([
      { userId: 'user1.0', displayName: 'Zoë Ångström' },
      { userId: 'aaa-first', displayName: '' },
      { userId: 'élodie.new', displayName: 'Élodie 10' },
    ]),
  );
  await f.services.users.setDisplayName(users[5]!.userId, 'Ødegård 2');
  await f.services.users.setDisplayName(users[6]!.userId, 'a');
  setDeviceStates(store, f.profileId, [
    { userId: users[7]!.userId, state: 'registered' },
    { userId: users[8]!.userId, state: 'unknown' },
  ]);
  setLastAuth(store, f.profileId, users[9]!.userId, now + 1000);
  f.services.users.announce([users[7]!.userId, users[8]!.userId, users[9]!.userId]);
  await f.finished(f.services.users.delete(['aaa-first', 'élodie.new']));

  const after = changes().slice(seen);
  expect(after.length).toBeGreaterThanOrEqual(5);
  expect(after.some((e) => e.removed.length > 0)).toBe(true);
  for (const e of after) expect(local.apply(e)).toBe(true);
  expect(local.revision).toBe(f.services.users.revision);
  expect(local.size).toBe(f.services.users.count({}));
  // 701 users now: more than the screen is given whole.
  expect(local.size).toBe(701);
  expect(f.services.users.screenSnapshot()).toBeNull();
  expect(compareAll(f, local, ['', 'u', 'us', 'a', 'é', 'ø', 'user1', 'élodie', 'ødegård', 'ab0'])).toBeGreaterThan(
    100,
  );
  // Applied again (an event the snapshot already held): nothing changes.
  for (const e of after) expect(local.apply(e)).toBe(true);
  expect(local.size).toBe(f.services.users.count({}));

  // A reset or another profile's change: the copy cannot follow, it is dropped by its holder.
  expect(
    local.apply({ profileId: f.profileId, revision: local.revision + 1, upserts: [], removed: [], reset: true }),
  ).toBe(false);
  expect(
    local.apply({ profileId: 'other', revision: local.revision + 1, upserts: [], removed: [], reset: false }),
  ).toBe(false);
});
