// The users service and its jobs against the real sandbox, a real SQLite file
// and the real keychain: add / import / delete / status refresh, per-row
// results, server-confirmed-only writes, cancellation, weird IDs.
import { afterEach, expect, it } from 'vitest';
import { previewCsv } from '../../../src/main/services/csv.ts';
import { validateRows } from '../../../src/main/services/user-input.ts';
import { countUsers, getUser } from '../../../src/main/store/directory.ts';
import { queryAudit } from '../../../src/main/store/audit.ts';
import { usersFixture, type UsersFixture } from './fixture.ts';

let fx: UsersFixture | null = null;
afterEach(async () => {
  await fx?.close();
  fx = null;
});

const WEIRD = [
  'with space',
  'a/b/c',
  '100% sure',
  'c++ dev',
  'Zoë Ångström',
  'façade',
  '🦄 unicorn',
  'x?y=1&z=#2',
  '日本語ユーザー',
];

it('adds one user and a list: created, already existed, invalid rows with their reasons; only valid rows reach IAMPASS and the directory', async () => {
  const f = (fx = await usersFixture());
  const one = await f.finished(f.services.users.add([{ userId: 'alice', displayName: 'Alice Liddell' }]));
  expect(one).toMatchObject({
    kind: 'users.add',
    outcome: 'completed',
    rows: [{ row: 1, userId: 'alice', result: 'created' }],
    counts: { created: 1 },
  });
  const alice = getUser(f.services.store, f.profileId, 'alice')!;
  expect(alice.displayName).toBe('Alice Liddell');
  // Opaque by default: 32 hex, not the user ID; IAMPASS knows it.
  expect(alice.iampassId).toMatch(/^[0-9a-f]{32}$/);
  expect(await f.client.hasRegisteredDevice(alice.iampassId)).toBe(false);

  const list = await f.finished(
    f.services.users.add([
      { userId: 'bob' },
      { userId: '   ' },
      { userId: 'alice' },
      { userId: 'x'.repeat(257) },
      { userId: 'tab\there' },
      { userId: 'bob' },
      { userId: '  carol  ', displayName: 'Carol' },
      { userId: 'y'.repeat(256) },
      { userId: 'dave', displayName: 'bad\u0007name' },
    ]),
  );
  expect(list.rows.map((r) => [r.userId.slice(0, 12), r.result, r.reason ?? null])).toEqual([
    ['bob', 'created', null],
    ['   ', 'invalid', 'The user ID is empty.'],
    ['alice', 'existing', null],
    ['x'.repeat(12), 'invalid', 'The user ID is longer than 256 characters.'],
    ['tab\there', 'invalid', 'The user ID contains control characters (tab, line break...).'],
    ['bob', 'invalid', 'Duplicate of row 1.'],
    ['carol', 'created', null],
    ['y'.repeat(12), 'created', null],
    ['dave', 'invalid', 'The display name contains control characters.'],
  ]);
  expect(list.counts).toEqual({ created: 3, invalid: 5, existing: 1 });
  expect(countUsers(f.services.store, f.profileId)).toBe(4);
  expect(getUser(f.services.store, f.profileId, 'carol')?.displayName).toBe('Carol');
  expect(getUser(f.services.store, f.profileId, 'dave')).toBeNull();

  // Events: progress then one finished per job; users.changed carries the new rows with rising revisions.
  const changed = f.events.filter((e) => e.type === 'changed').map((e) => e.payload);
  expect(changed.flatMap((c) => c.upserts.map((u) => u.userId)).sort()).toEqual([
    'alice',
    'bob',
    'carol',
    'y'.repeat(256),
  ]);
  expect(changed.map((c) => c.revision)).toEqual([...changed.map((c) => c.revision)].sort((a, b) => a - b));
  expect(f.events.filter((e) => e.type === 'finished')).toHaveLength(2);
  const audit = queryAudit(f.services.store, { action: 'users.add' }, 100, 0).rows;
  expect(audit.map((a) => a.target)).toEqual(
    expect.arrayContaining([
      expect.stringMatching(/^alice \(created\) \(job [0-9a-f]{8}\)$/),
      expect.stringContaining('9 users: '),
    ]),
  );
  // Each job's entry is written when it starts too: a crash leaves "started" without its end.
  const started = queryAudit(f.services.store, { action: 'users.add.start' }, 100, 0).rows.map((a) => a.target);
  expect(started).toEqual(
    expect.arrayContaining([
      expect.stringMatching(/^1 rows \(job [0-9a-f]{8}\)$/),
      expect.stringMatching(/^9 rows \(job [0-9a-f]{8}\)$/),
    ]),
  );

  // The snapshot has every column, sorted by user ID, and the current revision.
  const snap = f.services.users.snapshot();
  expect(snap.count).toBe(4);
  expect(snap.userIds).toEqual(['alice', 'bob', 'carol', 'y'.repeat(256)]);
  expect(snap.iampassIds[0]).toBe(alice.iampassId);
  expect(snap.deviceStates).toEqual(['unknown', 'unknown', 'unknown', 'unknown']);
  expect(snap.addedAt.every((t) => typeof t === 'number')).toBe(true);
  expect(snap.revision).toBe(f.services.users.revision);
});

it('edit a display name: trimmed, validated like an added user (nothing changes on a bad one), searchable at once, audited', async () => {
  const f = (fx = await usersFixture());
  await f.finished(f.services.users.add([{ userId: 'zoe', displayName: 'Zoe' }]));
  const changed = f.events.length;
  expect(await f.services.users.setDisplayName('zoe', '  Zoë Ångström 🦄  ')).toMatchObject({
    userId: 'zoe',
    displayName: 'Zoë Ångström 🦄',
  });
  expect(f.events.slice(changed).some((e) => e.type === 'changed')).toBe(true);
  expect(f.services.users.window({ search: 'angstr' }, 0, 10).rows.map((r) => r.userId)).toEqual(['zoe']);
  for (const bad of ['tab\there', 'x'.repeat(300), f.sandbox.applicationSecret])
    await expect(f.services.users.setDisplayName('zoe', bad)).rejects.toMatchObject({ code: 'invalid_input' });
  await expect(f.services.users.setDisplayName('nobody', 'N')).rejects.toMatchObject({ code: 'missing' });
  expect(getUser(f.services.store, f.profileId, 'zoe')?.displayName).toBe('Zoë Ångström 🦄');
  const audit = queryAudit(f.services.store, { action: 'user.display_name' }, 10, 0);
  expect(audit.rows.map((r) => [r.target, r.outcome])).toEqual([['zoe', 'ok']]);
  expect(JSON.stringify(audit.rows)).not.toContain(f.sandbox.applicationSecret);
});

it('own IDs: the user ID itself is sent to IAMPASS', async () => {
  const f = (fx = await usersFixture({ sendOwnIds: true }));
  await f.client.addUsers(['pre-existing']);
  const r = await f.finished(f.services.users.add([{ userId: 'eve' }, { userId: 'pre-existing' }]));
  expect(r.rows.map((x) => x.result)).toEqual(['created', 'existing']);
  expect(f.iampassId('eve')).toBe('eve');
  expect(f.iampassId('pre-existing')).toBe('pre-existing');
});

it('IDs with spaces, /, %, +, accents and emoji round-trip: add, status, delete', async () => {
  const f = (fx = await usersFixture({ sendOwnIds: true }));
  const added = await f.finished(f.services.users.add(WEIRD.map((userId) => ({ userId }))));
  expect(added.rows.map((r) => r.result)).toEqual(WEIRD.map(() => 'created'));
  for (const id of WEIRD) expect(await f.client.hasRegisteredDevice(id)).toBe(false);
  const link = await f.client.registrationLink('🦄 unicorn');
  await f.phone.register(link);
  const refreshed = await f.finished(f.services.users.refreshStatus({ all: true }));
  expect(refreshed.outcome).toBe('completed');
  expect(Object.fromEntries(refreshed.rows.map((r) => [r.userId, r.result]))).toEqual(
    Object.fromEntries(WEIRD.map((id) => [id, id === '🦄 unicorn' ? 'registered' : 'not_registered'])),
  );
  expect(getUser(f.services.store, f.profileId, '🦄 unicorn')?.deviceState).toBe('registered');
  const deleted = await f.finished(f.services.users.delete(WEIRD.slice(0, 5)));
  expect(deleted.rows.map((r) => r.result)).toEqual(['deleted', 'deleted', 'deleted', 'deleted', 'deleted']);
  expect(f.services.users.snapshot().userIds.sort()).toEqual(WEIRD.slice(5).sort());
  // Gone on the server too: add again says "created", not "existing".
  expect((await f.client.addUsers(['a/b/c'])).created).toEqual(['a/b/c']);
});

it('writes only what IAMPASS confirmed: batches refused by the server are failed rows and stay out of the directory', async () => {
  const f = (fx = await usersFixture({ concurrency: 1, batchSize: 5 }));
  // About half the add_users calls are answered 429 with a Retry-After too long to wait for (not retried).
  await f.phone.setFaults([{ route: 'add_users', kind: 'error', status: 429, retryAfter: 3600, rate: 0.5 }]);
  const ids = Array.from({ length: 40 }, (_, i) => `user-${String(i).padStart(2, '0')}`);
  const r = await f.finished(f.services.users.add(ids.map((userId) => ({ userId }))));
  await f.phone.clearFaults();
  expect(r.outcome).toBe('completed');
  const failed = r.rows.filter((x) => x.result === 'failed');
  const created = r.rows.filter((x) => x.result === 'created');
  expect(failed.length).toBeGreaterThan(0);
  expect(created.length).toBeGreaterThan(0);
  expect(failed.length + created.length).toBe(40);
  expect(failed.every((x) => x.code === 'rate_limited' && x.reason)).toBe(true);
  // Whole batches of 5 fail together.
  expect(failed.length % 5).toBe(0);
  for (const x of failed) expect(getUser(f.services.store, f.profileId, x.userId)).toBeNull();
  for (const x of created) expect(await f.client.hasRegisteredDevice(f.iampassId(x.userId)!)).toBe(false);
  expect(countUsers(f.services.store, f.profileId)).toBe(created.length);
  expect(queryAudit(f.services.store, { action: 'users.add' }, 100, 0).rows[0]).toMatchObject({
    outcome: 'error',
    errorCode: 'rate_limited',
  });

  // Re-running the failed rows now succeeds.
  const retry = await f.finished(f.services.users.add(failed.map((x) => ({ userId: x.userId }))));
  expect(retry.counts).toEqual({ created: failed.length });
  expect(countUsers(f.services.store, f.profileId)).toBe(40);
});

it('cancel mid-job: the job ends "cancelled", confirmed batches stay, the batch in flight is "unknown" and recorded, the rest are cancelled rows; recovery settles the unknown ones', async () => {
  const f = (fx = await usersFixture({ concurrency: 1, batchSize: 10 }));
  await f.phone.setFaults([{ route: 'add_users', kind: 'latency', ms: 150 }]);
  const ids = Array.from({ length: 200 }, (_, i) => `c${i}`);
  const jobId = f.services.users.add(ids.map((userId) => ({ userId })));
  expect(f.services.users.jobs.list()).toMatchObject([{ jobId, kind: 'users.add', total: 200 }]);
  await expect
    .poll(() => countUsers(f.services.store, f.profileId), { timeout: 5000, interval: 20 })
    .toBeGreaterThanOrEqual(20);
  expect(f.services.users.jobs.cancel(jobId)).toBe(true);
  const r = await f.finished(jobId);
  await f.phone.clearFaults();
  expect(r.outcome).toBe('cancelled');
  const created = r.rows.filter((x) => x.result === 'created');
  const cancelled = r.rows.filter((x) => x.result === 'cancelled');
  const unknown = r.rows.filter((x) => x.result === 'unknown');
  expect(created.length).toBeGreaterThanOrEqual(20);
  expect(cancelled.length).toBeGreaterThan(100);
  // The batch in flight when the job was cancelled: sent, its answer never read.
  expect(unknown.length).toBeLessThanOrEqual(10);
  for (const x of unknown) {
    expect(x.code).toBe('uncertain');
    expect(x.reason).toContain('will be checked');
  }
  expect(created.length + cancelled.length + unknown.length).toBe(200);
  expect(countUsers(f.services.store, f.profileId)).toBe(created.length);
  for (const x of cancelled.slice(-5)) expect(getUser(f.services.store, f.profileId, x.userId)).toBeNull();
  expect(f.services.users.pendingIntents()).toEqual(unknown.length ? { add: unknown.length } : {});
  // Recovery completes the batch that was sent: the directory then holds exactly what IAMPASS holds.
  const settled = await f.finished(f.services.users.reconcile());
  expect(settled.rows.map((x) => x.userId).sort()).toEqual(unknown.map((x) => x.userId).sort());
  expect(settled.rows.every((x) => x.result === 'existing' || x.result === 'created')).toBe(true);
  expect(f.services.users.pendingIntents()).toEqual({});
  expect(countUsers(f.services.store, f.profileId)).toBe(created.length + unknown.length);
  expect(((await (await fetch(`${f.sandbox.baseUrl}/sandbox/stats`)).json()) as { users: number }).users).toBe(
    created.length + unknown.length,
  );
  expect(f.services.users.jobs.cancel(jobId)).toBe(false);
  expect(f.services.users.jobs.list()).toEqual([]);
  const progress = f.events
    .filter((e) => e.type === 'progress')
    .map((e) => e.payload)
    .filter((p) => p.jobId === jobId);
  expect(progress.length).toBeGreaterThan(1);
  expect(progress.every((p) => p.total === 200 && p.done <= 200)).toBe(true);
});

it('CSV: header guess, mapping, preview with per-row problems, import through a job', async () => {
  const f = (fx = await usersFixture());
  const csv =
    '\uFEFFEmail,Full name,Team\r\nann@example.com,Ann,ops\r\n"b,o""b@example.com",Bob,dev\r\n,Nobody,x\r\nann@example.com,Ann again,ops\r\n"Zoë 🦄",Zoë,design\r\n';
  const guess = previewCsv(csv);
  expect(guess).toMatchObject({
    columns: ['Email', 'Full name', 'Team'],
    hasHeader: true,
    mapping: { userId: 0, displayName: 1 },
    totalRows: 5,
    validRows: 3,
    invalidRows: 2,
    duplicateRows: 1,
  });
  expect(guess.preview.map((p) => [p.userId, p.displayName, p.problem])).toEqual([
    ['ann@example.com', 'Ann', null],
    ['b,o"b@example.com', 'Bob', null],
    ['', 'Nobody', 'The user ID is empty.'],
    ['ann@example.com', 'Ann again', 'Duplicate of row 1.'],
    ['Zoë 🦄', 'Zoë', null],
  ]);
  const remapped = previewCsv(csv, { mapping: { userId: 2, displayName: null } });
  expect(remapped.preview.map((p) => p.userId)).toEqual(['ops', 'dev', 'x', 'ops', 'design']);
  expect(() => previewCsv(csv, { mapping: { userId: 7 } })).toThrow(expect.objectContaining({ code: 'invalid_input' }));
  expect(() => previewCsv('')).toThrow(expect.objectContaining({ code: 'invalid_input' }));
  const headerless = previewCsv('alice\nbob\n');
  expect(headerless).toMatchObject({ hasHeader: false, columns: ['Column 1'], totalRows: 2, validRows: 2 });

  const r = await f.finished(f.services.users.importCsv(csv, guess.mapping, true));
  expect(r.kind).toBe('users.import');
  expect(r.rows.map((x) => x.result)).toEqual(['created', 'created', 'invalid', 'invalid', 'created']);
  expect(f.services.users.snapshot().userIds).toEqual(['ann@example.com', 'b,o"b@example.com', 'Zoë 🦄']);
  expect(getUser(f.services.store, f.profileId, 'Zoë 🦄')?.displayName).toBe('Zoë');
});

it('delete: confirmation over 10 users, missing users, directory + IAMPASS + audit updated', async () => {
  const f = (fx = await usersFixture());
  const ids = Array.from({ length: 12 }, (_, i) => `d${i}`);
  await f.finished(f.services.users.add(ids.map((userId) => ({ userId }))));
  const iampass = ids.map((id) => f.iampassId(id)!);
  expect(() => f.services.users.delete(ids)).toThrow(expect.objectContaining({ code: 'invalid_input' }));
  expect(() => f.services.users.delete(ids, 11)).toThrow(expect.objectContaining({ code: 'invalid_input' }));
  expect(countUsers(f.services.store, f.profileId)).toBe(12);
  const one = await f.finished(f.services.users.delete(['d0', 'nobody']));
  expect(one.rows.map((r) => r.result)).toEqual(['deleted', 'missing']);
  const rest = ids.slice(1);
  const r = await f.finished(f.services.users.delete([...rest, 'd1'].slice(0, 11), 11));
  expect(r.counts).toEqual({ deleted: 11 });
  expect(countUsers(f.services.store, f.profileId)).toBe(0);
  // The server forgot them: adding the same IAMPASS IDs creates them anew.
  expect((await f.client.addUsers(iampass)).created.sort()).toEqual([...iampass].sort());
  const removed = f.events.filter((e) => e.type === 'changed').flatMap((e) => e.payload.removed);
  expect(removed.sort()).toEqual([...ids].sort());
  expect(queryAudit(f.services.store, { action: 'users.delete' }, 100, 0).rows.map((a) => a.target)).toEqual(
    expect.arrayContaining([expect.stringMatching(/^11 users: 11 deleted \(job [0-9a-f]{8}\)$/)]),
  );
});

it('status refresh with bounded concurrency: one failing user does not stop the job; its error is kept on the row until a good check', async () => {
  const f = (fx = await usersFixture({ concurrency: 3 }));
  const ids = Array.from({ length: 30 }, (_, i) => `s${i}`);
  await f.finished(f.services.users.add(ids.map((userId) => ({ userId }))));
  await f.phone.register(await f.client.registrationLink(f.iampassId('s7')!));
  // s13 is known to the console but not to IAMPASS (deleted behind its back): its check fails with not_found.
  await f.client.deleteUsers([f.iampassId('s13')!]);
  const r = await f.finished(f.services.users.refreshStatus({ all: true }));
  expect(r.outcome).toBe('completed');
  const byId = Object.fromEntries(r.rows.map((x) => [x.userId, x]));
  expect(byId.s7?.result).toBe('registered');
  expect(byId.s13).toMatchObject({ result: 'failed', code: 'not_found' });
  expect(r.counts).toEqual({ registered: 1, not_registered: 28, failed: 1 });
  const snap = f.services.users.snapshot();
  expect(snap.statusErrors.s13).toMatchObject({ code: 'not_found' });
  // The message names the user, not the opaque ID IAMPASS was asked about.
  expect(snap.statusErrors.s13?.message).toContain('"s13"');
  expect(snap.statusErrors.s13?.message).not.toContain(f.iampassId('s13')!);
  expect(byId.s13?.reason).toContain('"s13"');
  expect(Object.keys(snap.statusErrors)).toEqual(['s13']);
  expect(snap.deviceCheckedAt.filter((t) => t !== null)).toHaveLength(29);
  await expect(f.services.users.checkStatus('s13')).rejects.toMatchObject({ code: 'not_found' });
  await expect(f.services.users.checkStatus('ghost')).rejects.toMatchObject({ code: 'missing' });
  await f.client.addUsers([f.iampassId('s13')!]);
  expect(await f.services.users.checkStatus('s13')).toMatchObject({
    userId: 's13',
    deviceState: 'not_registered',
    statusError: null,
  });
  expect(f.services.users.snapshot().statusErrors).toEqual({});
  // A selection: missing users are reported, not fatal.
  const sel = await f.finished(f.services.users.refreshStatus({ userIds: ['s7', 'nobody'] }));
  expect(sel.rows.map((x) => x.result)).toEqual(['registered', 'missing']);
});

it('validateRows: blank, too long (by characters, not UTF-16 units), control characters, duplicates', () => {
  const emoji = '🦄'.repeat(256);
  const rows = validateRows([
    { userId: emoji },
    { userId: `${emoji}x` },
    { userId: 'a\u0000' },
    { userId: 'a\u007f' },
    { userId: '' },
    { userId: 'ok' },
    { userId: ' ok ' },
  ]);
  expect(rows.map((r) => r.problem)).toEqual([
    null,
    'The user ID is longer than 256 characters.',
    'The user ID contains control characters (tab, line break...).',
    'The user ID contains control characters (tab, line break...).',
    'The user ID is empty.',
    null,
    'Duplicate of row 6.',
  ]);
});

it('no active profile: snapshot is empty, writes are a typed "missing" error', async () => {
  const f = (fx = await usersFixture());
  f.services.store.db.prepare("DELETE FROM settings WHERE key = 'active_profile_id'").run();
  expect(f.services.users.snapshot()).toMatchObject({ profileId: null, count: 0, userIds: [] });
  expect(() => f.services.users.add([{ userId: 'a' }])).toThrow(expect.objectContaining({ code: 'missing' }));
});

it('a session turning active sets last authentication and the Users table hears of it (users.changed)', async () => {
  const f = (fx = await usersFixture());
  await f.finished(f.services.users.add([{ userId: 'alice' }]));
  await f.phone.register(await f.client.registrationLink(f.iampassId('alice')!));
  expect(f.services.users.snapshot().lastAuthAt).toEqual([null]);
  const started = await f.services.sessions.start({ userId: 'alice' });
  expect(started.started).toBe(true);
  const [pending] = await f.phone.pending(f.sandbox.applicationId, f.iampassId('alice')!);
  await f.phone.approve(pending!.id);
  await expect
    .poll(
      () =>
        f.events.some(
          (e) => e.type === 'changed' && e.payload.upserts.some((u) => u.userId === 'alice' && u.lastAuthAt !== null),
        ),
      { timeout: 5000 },
    )
    .toBe(true);
  expect(f.services.users.snapshot().lastAuthAt[0]).toEqual(expect.any(Number));
});
