import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { newDataKey } from '../../../src/node/envelope.ts';
import { openStore, type Store } from '../../../src/main/store/db.ts';
import { insertProfile } from '../../../src/main/store/profiles.ts';
import {
  getSession,
  insertSession,
  listSessions,
  sessionSecret,
  updateSessionStatus,
} from '../../../src/main/store/sessions.ts';
import { testProfile } from './fixture.ts';

let dir: string;
let store: Store;
const SESSION_SECRET = 'Zq9sessionSecretValue-DoNotLeak-7f3e1c';

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'iampass-sess-'));
  store = openStore(join(dir, 'admin.sqlite'));
  insertProfile(store, testProfile('p', { name: 'P', concurrency: 1 }));
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

it('keeps the session secret encrypted at rest and decrypts it only with the data key', () => {
  const key = newDataKey();
  insertSession(store, key, {
    id: 's1',
    profileId: 'p',
    userId: 'alice',
    methods: ['push'],
    status: 'pending',
    statusUrl: 'http://127.0.0.1:1/status/s1',
    logoutUrl: 'http://127.0.0.1:1/logout/s1',
    sessionToken: 'tok',
    sessionSecret: SESSION_SECRET,
    startedAt: 100,
  });
  const rec = getSession(store, 's1')!;
  expect(rec).toMatchObject({
    userId: 'alice',
    methods: ['push'],
    status: 'pending',
    hasSecret: true,
    sessionToken: 'tok',
  });
  expect(JSON.stringify(rec)).not.toContain(SESSION_SECRET);
  expect(sessionSecret(store, key, 's1')).toBe(SESSION_SECRET);
  expect(() => sessionSecret(store, newDataKey(), 's1')).toThrow(
    expect.objectContaining({ code: 'internal' }) as Error,
  );

  // Copying the blob to another session's row does not open: it is bound to its id.
  insertSession(store, key, { id: 's2', profileId: 'p', userId: 'bob', methods: [], status: 'pending' });
  store.db.exec(
    "UPDATE sessions SET session_secret_enc = (SELECT session_secret_enc FROM sessions WHERE id = 's1') WHERE id = 's2'",
  );
  expect(() => sessionSecret(store, key, 's2')).toThrow(expect.objectContaining({ code: 'internal' }) as Error);

  for (const f of readdirSync(dir))
    expect(readFileSync(join(dir, f)).includes(Buffer.from(SESSION_SECRET))).toBe(false);
});

it('appends status changes to the timeline', () => {
  const key = newDataKey();
  insertSession(store, key, {
    id: 's1',
    profileId: 'p',
    userId: 'alice',
    methods: [],
    status: 'pending',
    startedAt: 100,
  });
  expect(updateSessionStatus(store, 's1', 'authenticated', 200)).toBe(true);
  expect(updateSessionStatus(store, 'missing', 'x')).toBe(false);
  expect(getSession(store, 's1')).toMatchObject({
    status: 'authenticated',
    updatedAt: 200,
    timeline: [
      { at: 100, status: 'pending' },
      { at: 200, status: 'authenticated' },
    ],
    hasSecret: false,
  });
  expect(listSessions(store, 'p').map((s) => s.id)).toEqual(['s1']);
});
