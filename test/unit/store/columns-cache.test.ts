// directoryColumns answers from its cache only while the database is
// unchanged: a write through the same connection (insert, update, delete, a
// rolled-back transaction) or a commit by another connection on the same file
// (the CLI) makes the next call read again; callers own the arrays they get.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openStore, type Store } from '../../../src/main/store/db.ts';
import {
  deleteUsers,
  directoryColumns,
  insertUsers,
  setDeviceStates,
  setLastAuth,
} from '../../../src/main/store/directory.ts';
import { insertProfile } from '../../../src/main/store/profiles.ts';
import { testProfile } from './fixture.ts';

let dir: string;
let store: Store;
let other: Store;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'iampass-columns-'));
  store = openStore(join(dir, 'store.sqlite'));
  other = openStore(join(dir, 'store.sqlite'));
  insertProfile(store, testProfile('a'));
  insertProfile(store, testProfile('b'));
  insertUsers(store, 'a', [{ userId: 'carol' }, { userId: 'alice', displayName: 'Alice' }, { userId: 'Bob' }]);
  insertUsers(store, 'b', [{ userId: 'zed' }]);
});

afterAll(() => {
  other.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

it('answers the same columns again while nothing changed, as arrays the caller owns', () => {
  const first = directoryColumns(store, 'a');
  expect(first.userIds).toEqual(['alice', 'Bob', 'carol']);
  first.userIds.sort().reverse(); // the caller's copy: the next answer is unaffected
  first.displayNames[0] = 'changed by the caller';
  const again = directoryColumns(store, 'a');
  expect(again.userIds).toEqual(['alice', 'Bob', 'carol']);
  expect(again.displayNames).toEqual(['Alice', '', '']);
  expect(again.userIds).not.toBe(first.userIds);
  expect(directoryColumns(store, 'b').userIds).toEqual(['zed']);
  expect(directoryColumns(store, 'a').userIds).toEqual(['alice', 'Bob', 'carol']);
});

it('reads again after any write through the same connection', () => {
  directoryColumns(store, 'a');
  insertUsers(store, 'a', [{ userId: 'dave' }]);
  expect(directoryColumns(store, 'a').userIds).toEqual(['alice', 'Bob', 'carol', 'dave']);
  setDeviceStates(store, 'a', [{ userId: 'Bob', state: 'registered' }], 1234);
  const c = directoryColumns(store, 'a');
  expect(c.deviceStates[1]).toBe('registered');
  expect(c.deviceCheckedAt[1]).toBe(1234);
  setLastAuth(store, 'a', 'carol', 5678);
  expect(directoryColumns(store, 'a').lastAuthAt[2]).toBe(5678);
  deleteUsers(store, 'a', ['dave']);
  expect(directoryColumns(store, 'a').userIds).toEqual(['alice', 'Bob', 'carol']);
});

it('reads again after a rolled-back transaction and never caches inside one', () => {
  directoryColumns(store, 'a');
  expect(() =>
    store.transaction(() => {
      insertUsers(store, 'a', [{ userId: 'eve' }]);
      expect(directoryColumns(store, 'a').userIds).toContain('eve');
      throw new Error('roll back');
    }),
  ).toThrow('roll back');
  expect(directoryColumns(store, 'a').userIds).toEqual(['alice', 'Bob', 'carol']);
});

it('reads again after another connection on the same file commits (e.g. the CLI)', () => {
  expect(directoryColumns(store, 'a').userIds).toEqual(['alice', 'Bob', 'carol']);
  insertUsers(other, 'a', [{ userId: 'frank', displayName: 'From the CLI' }]);
  const c = directoryColumns(store, 'a');
  expect(c.userIds).toEqual(['alice', 'Bob', 'carol', 'frank']);
  expect(c.displayNames[3]).toBe('From the CLI');
  setDeviceStates(other, 'a', [{ userId: 'alice', state: 'not_registered' }], 99);
  expect(directoryColumns(store, 'a').deviceStates[0]).toBe('not_registered');
});
