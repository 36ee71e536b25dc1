// The users service's query channels against the real sandbox, SQLite file
// and keychain: windows with totals and revisions, positions, the "last check
// failed" filter fed by real failed checks, selections as queries for the
// delete (count confirmation) and refresh jobs, and the streamed export job
// (owner-only file, CSV through the project's writer, JSON).
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Papa from 'papaparse';
import { afterEach, expect, it } from 'vitest';
import { createHandlers } from '../../../src/main/ipc/handlers/index.ts';
import { createEventBus, createRouter } from '../../../src/main/ipc/router.ts';
import { STORE_FILE } from '../../../src/main/services/index.ts';
import { openStore } from '../../../src/main/store/db.ts';
import { countUsers, insertUsers } from '../../../src/main/store/directory.ts';
import { usersFixture, type UsersFixture } from './fixture.ts';

let fx: UsersFixture | null = null;
afterEach(async () => {
  await fx?.close();
  fx = null;
});

const NAMES = ['user1', 'user2', 'user10', 'User11', 'Élodie', '=HYPERLINK("x")', 'bob'];

async function withUsers(): Promise<UsersFixture> {
  const f = (fx = await usersFixture());
  const done = await f.finished(
    f.services.users.add(NAMES.map((userId, i) => ({ userId, displayName: i === 5 ? '@sum(A1)' : `Name ${i}` }))),
  );
  expect(done.counts).toEqual({ created: NAMES.length });
  return f;
}

it('answers windows of a query with the total and revision, and positions in its order', async () => {
  const f = await withUsers();
  const users = f.services.users;
  const w = users.window({}, 0, 100);
  expect(w.profileId).toBe(f.profileId);
  expect(w.total).toBe(7);
  expect(w.revision).toBe(users.revision);
  expect(w.rows.map((r) => r.userId)).toEqual([
    '=HYPERLINK("x")',
    'bob',
    'Élodie',
    'user1',
    'user2',
    'user10',
    'User11',
  ]);
  expect(users.window({ search: 'user1' }, 1, 2)).toMatchObject({
    total: 3,
    offset: 1,
    rows: [{ userId: 'user10' }, { userId: 'User11' }],
  });
  expect(users.window({ sort: { column: 'userId', descending: true } }, 0, 1).rows[0]?.userId).toBe('User11');
  expect(users.indexOf({}, 'user10')).toEqual({ index: 5, total: 7 });
  expect(users.indexOf({ search: 'elo' }, 'user10')).toEqual({ index: null, total: 1 });
});

it('filters on failed checks kept in memory, and turns selections into jobs (delete needs the count)', async () => {
  const f = await withUsers();
  const users = f.services.users;
  // A user known to the directory but not to IAMPASS: its check fails and is kept.
  insertUsers(f.services.store, f.profileId, [{ userId: 'ghost', iampassId: 'not-at-iampass' }]);
  await users.checkStatus('ghost').catch(() => undefined);
  const failed = users.window({ checkFailed: true }, 0, 10);
  expect(failed.rows.map((r) => r.userId)).toEqual(['ghost']);
  expect(failed.rows[0]?.statusError).not.toBeNull();

  const refresh = await f.finished(
    users.refreshSelection({ selection: { query: { search: 'user' }, except: ['user2'] } }.selection),
  );
  expect(refresh.rows.map((r) => [r.userId, r.result])).toEqual([
    ['user1', 'not_registered'],
    ['user10', 'not_registered'],
    ['User11', 'not_registered'],
  ]);

  // Store-only rows make the selection bigger than the confirm-free limit.
  insertUsers(
    f.services.store,
    f.profileId,
    Array.from({ length: 10 }, (_, i) => ({ userId: `local${i}` })),
  );
  const everyone = { query: {}, except: ['bob'] };
  expect(users.selectionIds(everyone)).toHaveLength(17);
  expect(() => users.deleteSelection(everyone)).toThrow(/count typed/);
  expect(() => users.deleteSelection(everyone, 18)).toThrow(/count typed/);
  expect(countUsers(f.services.store, f.profileId)).toBe(18);
  const del = await f.finished(users.deleteSelection({ query: { search: 'user' }, except: ['user2'] }));
  expect(del.counts).toEqual({ deleted: 3 });
  expect(countUsers(f.services.store, f.profileId)).toBe(15);
  expect(users.selectionIds({ query: { search: 'user' }, except: [] })).toEqual(['user2']);
});

it('exports a query as a job: CSV through the project writer (formulas neutralised), JSON rows, owner-only files', async () => {
  const f = await withUsers();
  const users = f.services.users;
  const csvPath = join(f.dir, 'users.csv');
  const csvJob = await f.finished(users.exportTo({ sort: { column: 'userId' } }, 'csv', csvPath));
  expect(csvJob).toMatchObject({ kind: 'users.export', outcome: 'completed' });
  const text = readFileSync(csvPath, 'utf8');
  const parsed = Papa.parse<string[]>(text, { skipEmptyLines: true }).data;
  expect(parsed[0]).toEqual([
    'user_id',
    'display_name',
    'iampass_id',
    'device_state',
    'device_checked_at',
    'added_at',
    'last_auth_at',
  ]);
  expect(parsed.slice(1).map((r) => r[0])).toEqual([
    `'=HYPERLINK("x")`,
    'bob',
    'Élodie',
    'user1',
    'user2',
    'user10',
    'User11',
  ]);
  expect(parsed[1]?.[1]).toBe("'@sum(A1)");
  expect(text.split('\r\n').length).toBe(9); // header + 7 rows + the final line end
  if (process.platform !== 'win32') expect(statSync(csvPath).mode & 0o777).toBe(0o600);

  const jsonPath = join(f.dir, 'users.json');
  await f.finished(users.exportTo({ search: 'user1' }, 'json', jsonPath));
  const rows = JSON.parse(readFileSync(jsonPath, 'utf8')) as { userId: string; addedAt: string | null }[];
  expect(rows.map((r) => r.userId)).toEqual(['user1', 'user10', 'User11']);
  expect(rows[0]?.addedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
  await f.finished(users.exportTo({ search: 'nobody-at-all' }, 'json', jsonPath));
  expect(JSON.parse(readFileSync(jsonPath, 'utf8'))).toEqual([]);
});

it('bounds every field of the query channels at the bridge, and exports only through the save port', async () => {
  const f = await withUsers();
  const sender = { id: 'test', url: 'app://renderer/index.html' };
  const route = (exportPath?: () => Promise<string | null>) =>
    createRouter(
      createHandlers({
        app: { version: 't', dataDir: f.dir },
        services: f.services,
        bus: createEventBus(),
        onboardingPorts: exportPath ? { exportPath } : {},
      }),
    );
  const router = route();
  const bad = [
    ['users.window', { query: {}, offset: 0, limit: 1001 }],
    ['users.window', { query: {}, offset: -1, limit: 10 }],
    ['users.window', { query: { search: 'x'.repeat(201) }, offset: 0, limit: 10 }],
    ['users.window', { query: { sort: { column: 'notes' } }, offset: 0, limit: 10 }],
    ['users.window', { query: { inactiveDays: 0 }, offset: 0, limit: 10 }],
    ['users.window', { query: { extra: 1 }, offset: 0, limit: 10 }],
    ['users.indexOf', { query: {}, userId: 'u'.repeat(100_000) }],
    ['users.deleteSelection', { selection: { query: {}, except: [], userIds: ['a'] } }],
    ['users.export', { query: {}, format: 'xml' }],
  ] as const;
  for (const [channel, payload] of bad) {
    const r = await router.handle(channel, payload, sender);
    expect(r, `${channel} ${JSON.stringify(payload).slice(0, 80)}`).toMatchObject({ ok: false, code: 'invalid_input' });
  }
  const ok = await router.handle('users.window', { query: { search: 'user' }, offset: 1, limit: 2 }, sender);
  expect(ok).toMatchObject({
    ok: true,
    value: { total: 4, offset: 1, rows: [{ userId: 'user2' }, { userId: 'user10' }] },
  });
  expect(await router.handle('users.selectionCount', { selection: { query: {}, except: ['bob'] } }, sender)).toEqual({
    ok: true,
    value: { count: 6 },
  });
  expect(await router.handle('users.export', { query: {}, format: 'csv' }, sender)).toMatchObject({
    ok: false,
    code: 'internal',
  });
  expect(
    await route(() => Promise.resolve(null)).handle('users.export', { query: {}, format: 'json' }, sender),
  ).toEqual({ ok: true, value: { jobId: null } });
  const path = join(f.dir, 'via-port.json');
  const r = await route(() => Promise.resolve(path)).handle('users.export', { query: {}, format: 'json' }, sender);
  const jobId = (r as { ok: true; value: { jobId: string } }).value.jobId;
  expect((await f.finished(jobId)).outcome).toBe('completed');
  expect((JSON.parse(readFileSync(path, 'utf8')) as unknown[]).length).toBe(7);
});

it('a commit by another process (the CLI on the same data folder) is announced as a reset at the next window', async () => {
  const f = await withUsers();
  const users = f.services.users;
  users.window({}, 0, 10);
  const resets = () => f.events.filter((e) => e.type === 'changed' && e.payload.reset).length;
  const before = resets();
  // This connection's own writes say nothing new.
  insertUsers(f.services.store, f.profileId, [{ userId: 'own-write' }]);
  users.window({}, 0, 10);
  expect(resets()).toBe(before);
  const cli = openStore(join(f.dir, STORE_FILE));
  try {
    insertUsers(cli, f.profileId, [{ userId: 'cli-write' }]);
  } finally {
    cli.close();
  }
  const revision = users.revision;
  const w = users.window({ search: 'cli-write' }, 0, 10);
  expect(resets()).toBe(before + 1);
  expect(users.revision).toBe(revision + 1);
  expect(w.rows.map((r) => r.userId)).toEqual(['cli-write']);
  // Once: the next window has nothing new to say.
  users.window({}, 0, 10);
  expect(resets()).toBe(before + 1);
});
