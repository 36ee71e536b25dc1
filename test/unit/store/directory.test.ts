import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../../src/shared/errors.ts';
import { openStore, type Store } from '../../../src/main/store/db.ts';
import {
  countUsers,
  deleteUsers,
  directorySnapshot,
  getUser,
  importUsers,
  insertUsers,
  pageUsers,
  setDeviceStates,
  setLastAuth,
  updateUserDetails,
  type NewDirectoryUser,
} from '../../../src/main/store/directory.ts';
import { deleteProfile, insertProfile } from '../../../src/main/store/profiles.ts';
import { testProfile } from './fixture.ts';

let dir: string;
let store: Store;
const BIG = 100_000;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'iampass-dir-'));
  store = openStore(join(dir, 'admin.sqlite'));
  insertProfile(store, testProfile('big'));
  insertProfile(store, testProfile('small'));
  insertProfile(store, testProfile('own'));
  const users: NewDirectoryUser[] = [];
  for (let i = 0; i < BIG; i++) {
    users.push({
      userId: `user${String(i).padStart(6, '0')}@example.com`,
      displayName: `Person ${String(BIG - i).padStart(6, '0')}`,
    });
  }
  importUsers(store, 'big', users, { batchSize: 5000, now: 1000 });
});
afterAll(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('user directory', () => {
  it('holds 100,000 users in one profile with unique random opaque IAMPASS IDs', () => {
    expect(countUsers(store, 'big')).toBe(BIG);
    const distinct = store.db
      .prepare("SELECT count(DISTINCT iampass_id) AS n FROM users WHERE profile_id = 'big'")
      .get() as { n: number };
    expect(distinct.n).toBe(BIG);
    const u = getUser(store, 'big', 'user000042@example.com')!;
    expect(u.iampassId).toMatch(/^[0-9a-f]{32}$/);
    expect(u.iampassId).not.toContain('user');
    expect(u).toMatchObject({
      displayName: 'Person 099958',
      deviceState: 'unknown',
      deviceCheckedAt: null,
      addedAt: 1000,
      updatedAt: 1000,
    });
  });

  it('sends the admin own IDs only when the profile asks for it', () => {
    insertUsers(store, 'own', [{ userId: 'alice' }], { sendOwnIds: true });
    expect(getUser(store, 'own', 'alice')!.iampassId).toBe('alice');
  });

  it('writes a batch all-or-nothing: a duplicate rejects the whole batch with a conflict', () => {
    insertUsers(store, 'small', [{ userId: 'a' }]);
    let caught: unknown;
    try {
      insertUsers(store, 'small', [{ userId: 'b' }, { userId: 'c' }, { userId: 'a' }]);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(AppError);
    expect((caught as AppError).code).toBe('conflict');
    expect(countUsers(store, 'small')).toBe(1);
    expect(getUser(store, 'small', 'b')).toBeNull();
    // The same user ID in another profile is a different person.
    insertUsers(store, 'own', [{ userId: 'a' }]);
  });

  it('can re-run an import, skipping user IDs already present', () => {
    insertUsers(store, 'small', [{ userId: 'r1', displayName: 'first' }]);
    expect(
      insertUsers(store, 'small', [{ userId: 'r1', displayName: 'second' }, { userId: 'r2' }], { skipExisting: true }),
    ).toBe(1);
    expect(getUser(store, 'small', 'r1')!.displayName).toBe('first');
    expect(getUser(store, 'small', 'r2')).not.toBeNull();
    deleteUsers(store, 'small', ['r1', 'r2']);
  });

  it('rejects users for a profile that does not exist', () => {
    expect(() => insertUsers(store, 'nope', [{ userId: 'x' }])).toThrow(
      expect.objectContaining({ code: 'missing' }) as Error,
    );
  });

  it('pages in ID order with a total, and sorts by display name both ways', () => {
    const first = pageUsers(store, 'big', { limit: 3 });
    expect(first.total).toBe(BIG);
    expect(first.rows.map((r) => r.userId)).toEqual([
      'user000000@example.com',
      'user000001@example.com',
      'user000002@example.com',
    ]);
    const deep = pageUsers(store, 'big', { offset: 99_998, limit: 10 });
    expect(deep.rows.map((r) => r.userId)).toEqual(['user099998@example.com', 'user099999@example.com']);
    const byName = pageUsers(store, 'big', { sort: 'display_name', limit: 2 });
    expect(byName.rows.map((r) => r.displayName)).toEqual(['Person 000001', 'Person 000002']);
    const byNameDesc = pageUsers(store, 'big', { sort: 'display_name', descending: true, limit: 1 });
    expect(byNameDesc.rows[0]!.displayName).toBe('Person 100000');
    expect(pageUsers(store, 'big', { limit: 1_000_000 }).rows).toHaveLength(1000);
  });

  it('searches user ID, display name and IAMPASS ID case-insensitively, with LIKE wildcards taken literally', () => {
    expect(pageUsers(store, 'big', { search: 'USER01234' }).total).toBe(10);
    expect(pageUsers(store, 'big', { search: 'person 000007' }).rows.map((r) => r.userId)).toEqual([
      'user099993@example.com',
    ]);
    const u = getUser(store, 'big', 'user000500@example.com')!;
    expect(pageUsers(store, 'big', { search: u.iampassId }).rows.map((r) => r.userId)).toEqual([u.userId]);
    expect(pageUsers(store, 'big', { search: '%' }).total).toBe(0);
    expect(pageUsers(store, 'big', { search: 'user_0' }).total).toBe(0);
  });

  it('records device state checks in one transaction and filters on them', () => {
    const n = setDeviceStates(
      store,
      'big',
      [
        { userId: 'user000001@example.com', state: 'registered' },
        { userId: 'user000002@example.com', state: 'not_registered' },
        { userId: 'ghost', state: 'registered' },
      ],
      5000,
    );
    expect(n).toBe(2);
    expect(getUser(store, 'big', 'user000001@example.com')).toMatchObject({
      deviceState: 'registered',
      deviceCheckedAt: 5000,
    });
    expect(pageUsers(store, 'big', { state: 'registered' }).rows.map((r) => r.userId)).toEqual([
      'user000001@example.com',
    ]);
    expect(() =>
      setDeviceStates(store, 'big', [{ userId: 'user000003@example.com', state: 'bogus' as 'registered' }]),
    ).toThrow(/CHECK/);
  });

  it('updates details and last authentication, and deletes users', () => {
    expect(updateUserDetails(store, 'small', 'a', { notes: 'VIP' }, 7000)).toBe(true);
    expect(getUser(store, 'small', 'a')).toMatchObject({ notes: 'VIP', displayName: '', updatedAt: 7000 });
    expect(setLastAuth(store, 'small', 'a', 8000)).toBe(true);
    expect(getUser(store, 'small', 'a')!.lastAuthAt).toBe(8000);
    expect(deleteUsers(store, 'small', ['a', 'missing'])).toBe(1);
    expect(countUsers(store, 'small')).toBe(0);
  });

  it('gives a compact column snapshot of a whole profile in ID order', () => {
    const snap = directorySnapshot(store, 'big');
    expect(snap.userIds).toHaveLength(BIG);
    expect(snap.rowIds).toHaveLength(BIG);
    expect(snap.userIds[0]).toBe('user000000@example.com');
    expect(snap.userIds[BIG - 1]).toBe('user099999@example.com');
    expect(snap.displayNames[1]).toBe('Person 099999');
    expect(snap.deviceStates[1]).toBe('registered');
    expect(snap.deviceCheckedAt[1]).toBe(5000);
  });

  it('uses indexes for profile-scoped ordering, not a full sort', () => {
    const plan = (sql: string) =>
      (store.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all('big') as { detail: string }[])
        .map((r) => r.detail)
        .join(' | ');
    expect(plan('SELECT * FROM users WHERE profile_id = ? ORDER BY name_key, id LIMIT 10')).not.toMatch(/TEMP B-TREE/);
    expect(plan('SELECT * FROM users WHERE profile_id = ? ORDER BY user_key, id LIMIT 10')).not.toMatch(/TEMP B-TREE/);
  });

  it('removing a profile removes its directory', () => {
    insertUsers(store, 'own', [{ userId: 'bob' }]);
    deleteProfile(store, 'own');
    expect(countUsers(store, 'own')).toBe(0);
  });
});
