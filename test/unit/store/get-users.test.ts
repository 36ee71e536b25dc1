// getUsers: one statement for a list of user IDs (json_each), answered in
// input order, unknown IDs skipped, only the given profile, exact (case-
// sensitive) match, and the loop order pinned so each ID is one index lookup
// (a plain JOIN made SQLite scan the profile's users once per JSON element).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openStore, type Store } from '../../../src/main/store/db.ts';
import { GET_USERS_SQL, getUsers, insertUsers } from '../../../src/main/store/directory.ts';
import { insertProfile } from '../../../src/main/store/profiles.ts';
import { testProfile } from './fixture.ts';

let dir: string;
let store: Store;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'iampass-getusers-'));
  store = openStore(join(dir, 'store.sqlite'));
  insertProfile(store, testProfile('a'));
  insertProfile(store, testProfile('b'));
  insertUsers(
    store,
    'a',
    Array.from({ length: 2000 }, (_, i) => ({ userId: `user${i}`, displayName: `A ${i}` })),
  );
  insertUsers(store, 'a', [{ userId: 'Zoë 🦄 /%+', displayName: 'Zoë' }]);
  insertUsers(store, 'b', [{ userId: 'only-in-b' }, { userId: 'user7', displayName: 'B 7' }]);
});

afterAll(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

it('answers the existing users of the profile in input order, repeats kept, unknown and other-profile IDs skipped, exact match', () => {
  const got = getUsers(store, 'a', [
    'user42',
    'nobody',
    'only-in-b',
    'Zoë 🦄 /%+',
    'USER7',
    'user7',
    'user42',
    'user1999',
  ]);
  expect(got.map((u) => u.userId)).toEqual(['user42', 'Zoë 🦄 /%+', 'user7', 'user42', 'user1999']);
  expect(got.map((u) => u.displayName)).toEqual(['A 42', 'Zoë', 'A 7', 'A 42', 'A 1999']);
  expect(got.every((u) => u.profileId === 'a')).toBe(true);
  expect(getUsers(store, 'b', ['user7', 'user8']).map((u) => u.displayName)).toEqual(['B 7']);
  expect(getUsers(store, 'a', [])).toEqual([]);
});

it('looks each ID up through the (profile_id, user_id) index, the list being the outer loop', () => {
  const plan = (store.db.prepare(`EXPLAIN QUERY PLAN ${GET_USERS_SQL}`).all('[]', 'a') as { detail: string }[]).map(
    (r) => r.detail,
  );
  expect(plan[0]).toMatch(/^SCAN j\b/);
  expect(plan[1]).toMatch(/^SEARCH u USING INDEX users_profile_user \(profile_id=\? AND user_id=\?\)/);
  expect(plan.some((d) => /^SCAN u\b/.test(d))).toBe(false);
});
