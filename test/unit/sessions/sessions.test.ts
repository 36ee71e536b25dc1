// The sessions service and its monitor against the REAL sandbox (strict HMAC
// over loopback), driven by the sandbox's virtual phone; real SQLite file and
// real keychain.
import { afterEach, expect, it } from 'vitest';
import type { SessionStatus } from '../../../src/shared/iampass.ts';
import { getSession, insertSession, sessionSecret } from '../../../src/main/store/sessions.ts';
import { filesContain } from '../services/helpers.ts';
import { sessionsFixture, type Fixture } from './fixture.ts';

let fx: Fixture | null = null;
afterEach(async () => {
  await fx?.close();
  fx = null;
});

function statusOf(f: Fixture, id: string): SessionStatus {
  return f.services.sessions.get(id).status;
}

async function startFor(
  f: Fixture,
  userId = 'alice',
  methods: ('acceptance' | 'device' | 'facial')[] = ['acceptance'],
): Promise<string> {
  const r = await f.services.sessions.start({ userId, methods, durationSeconds: 600 });
  if (!r.started) throw new Error(`did not start: ${r.reason}`);
  return r.session.id;
}

it('push, approve -> active; walk away -> walkaway + alert + notification; come back -> active; logout -> closed and polling stops', async () => {
  const f = (fx = await sessionsFixture());
  const s = f.services.sessions;
  const id = await startFor(f);
  expect(s.get(id)).toMatchObject({
    userId: 'alice',
    displayName: 'Alice Liddell',
    status: 'pending',
    methods: ['acceptance'],
    monitored: true,
    over: false,
  });

  const [req] = await f.phone.pending(f.sandbox.applicationId, f.iampassId('alice'));
  await f.phone.approve(req!.id);
  await expect.poll(() => statusOf(f, id)).toBe('active');

  await f.phone.walkAway(req!.id);
  await expect.poll(() => statusOf(f, id)).toBe('walkaway');
  await expect.poll(() => f.events.filter((e) => e.type === 'alert').length).toBe(1);
  const alert = f.events.find((e) => e.type === 'alert')!;
  expect(alert.payload).toMatchObject({ sessionId: id, kind: 'walkaway', userId: 'alice' });
  expect(f.notifications).toEqual([
    { title: 'User walked away', body: expect.stringContaining('Alice Liddell') as string },
  ]);

  await f.phone.comeBack(req!.id);
  await expect.poll(() => statusOf(f, id)).toBe('active');
  // Each status filter holds what it names.
  const ids = (filter: 'live' | 'waiting' | 'active' | 'walkaway' | 'ended') =>
    s.list({ filter }).sessions.map((x) => x.id);
  expect([ids('live'), ids('active'), ids('waiting'), ids('walkaway'), ids('ended')]).toEqual([[id], [id], [], [], []]);

  const after = await s.logout(id);
  expect(after).toMatchObject({ status: 'closed', over: true, monitored: false });
  expect((await f.phone.session(req!.id)).sessionStatus).toBe('closed');
  // (identifying is brief: a poll may or may not catch it)
  expect(after.timeline.map((t) => t.status).filter((x) => x !== 'identifying')).toEqual([
    'pending',
    'active',
    'walkaway',
    'active',
    'closed',
  ]);
  for (let i = 1; i < after.timeline.length; i++)
    expect(after.timeline[i]!.at).toBeGreaterThanOrEqual(after.timeline[i - 1]!.at);

  // Events carry status changes with timestamps and never a secret, token or URL.
  const changed = f.events
    .filter((e) => e.type === 'changed')
    .map((e) => e.payload as { session: { status: string }; previous: string | null; at: number });
  expect(changed.map((c) => c.session.status)).toEqual(
    expect.arrayContaining(['pending', 'active', 'walkaway', 'closed']),
  );
  const secret = sessionSecret(f.services.store, await f.services.secrets.dataKey(), id)!;
  const wire = JSON.stringify(f.events) + JSON.stringify(s.list()) + JSON.stringify(s.get(id));
  expect(wire).not.toContain(secret);
  expect(wire).not.toContain(req!.id);
  expect(wire).not.toContain('http');
  // The session secret is not on disk in plaintext.
  expect(filesContain(f.dir, secret)).toEqual([]);

  // Polling stopped at the final status.
  const polls = s.monitor.stats().polls;
  await new Promise((r) => setTimeout(r, 300));
  expect(s.monitor.stats()).toMatchObject({ polls, tracked: 0, timers: 0 });

  const audit = f.services.audit.query({}).rows.map((r) => `${r.action}:${r.outcome}:${r.target ?? ''}`);
  expect(audit).toEqual(expect.arrayContaining(['session.start:ok:alice', 'session.logout:ok:alice']));
  // The directory's last authentication is set.
  expect(s.list({ filter: 'ended' }).sessions.map((x) => x.id)).toEqual([id]);
  expect(s.list({ filter: 'live' }).sessions).toEqual([]);
  expect(s.list({ filter: 'active' }).sessions).toEqual([]);
  expect(s.list().counts).toEqual({ closed: 1 });
});

it('deny -> cancelled; fail -> failed with an alert; ignore -> timeout; unanswered -> timeout after the pending timeout', async () => {
  const f = (fx = await sessionsFixture({ pendingTimeoutSeconds: 1 }));
  const s = f.services.sessions;
  const token = async (): Promise<string> =>
    (await f.phone.pending(f.sandbox.applicationId, f.iampassId('alice')))[0]!.id;

  const denied = await startFor(f);
  await f.phone.deny(await token());
  await expect.poll(() => statusOf(f, denied)).toBe('cancelled');

  const failed = await startFor(f);
  await f.phone.fail(await token());
  await expect.poll(() => statusOf(f, failed)).toBe('failed');
  await expect
    .poll(() =>
      f.events.some((e) => e.type === 'alert' && e.payload.kind === 'failed' && e.payload.sessionId === failed),
    )
    .toBe(true);
  expect(f.notifications.map((n) => n.title)).toEqual(['Authentication failed']);

  const ignored = await startFor(f);
  await f.phone.ignore(await token());
  await expect.poll(() => statusOf(f, ignored)).toBe('timeout');

  const unanswered = await startFor(f);
  await expect.poll(() => statusOf(f, unanswered), { timeout: 5000 }).toBe('timeout');

  expect(s.monitor.stats().tracked).toBe(0);
  expect(s.list({ filter: 'ended' }).sessions).toHaveLength(4);
  expect(s.list().counts).toEqual({ cancelled: 1, failed: 1, timeout: 2 });
});

it('a user without a registered device: a typed refusal with the service reason, nothing stored, audited', async () => {
  const f = (fx = await sessionsFixture({ users: [{ userId: 'bob', phone: false }] }));
  const r = await f.services.sessions.start({ userId: 'bob' });
  expect(r.started).toBe(false);
  expect(r.started ? '' : r.reason).toMatch(/device/i);
  expect(f.services.sessions.list().sessions).toEqual([]);
  expect(f.services.audit.query({}).rows.map((x) => `${x.action}:${x.outcome}:${x.errorCode ?? ''}`)).toContain(
    'session.start:error:refused',
  );
  await expect(f.services.sessions.start({ userId: 'nobody' })).rejects.toMatchObject({ code: 'missing' });
  await expect(f.services.sessions.logout('no-such-session')).rejects.toMatchObject({ code: 'missing' });
});

it('restart of main mid-session: live sessions resume from the store (secret decrypted with the keychain data key)', async () => {
  const f = (fx = await sessionsFixture());
  const id = await startFor(f);
  const tok = await f.token('alice');
  await f.phone.approve(tok);
  await expect.poll(() => statusOf(f, id)).toBe('active');

  const s2 = await f.restart();
  expect(await s2.sessionsResumed).toBe(1);
  expect(s2.sessions.get(id)).toMatchObject({ status: 'active', monitored: true });
  await f.phone.walkAway(tok);
  await expect.poll(() => s2.sessions.get(id).status).toBe('walkaway');
  await f.phone.close(tok); // remote logout from the phone side
  await expect.poll(() => s2.sessions.get(id).status).toBe('closed');
  expect(s2.sessions.get(id).timeline.map((t) => t.status)).toEqual(
    expect.arrayContaining(['pending', 'active', 'walkaway', 'closed']),
  );
  expect(s2.sessions.monitor.stats().tracked).toBe(0);
});

it('faults: 5xx, garbage, 401 and 404 mark the session "unknown (error)" keeping the last status, retried with backoff, then it recovers', async () => {
  const f = (fx = await sessionsFixture());
  const s = f.services.sessions;
  const id = await startFor(f);
  await f.phone.approve(await f.token('alice'));
  await expect.poll(() => statusOf(f, id)).toBe('active');

  await f.phone.setFaults([{ route: 'status', kind: 'error', status: 503 }]);
  await expect.poll(() => s.get(id).error?.code).toBe('server');
  expect(s.get(id)).toMatchObject({ status: 'active', monitored: true });
  await expect.poll(() => s.get(id).error?.failures ?? 0).toBeGreaterThanOrEqual(3);
  expect(s.list().errors).toBe(1);

  await f.phone.setFaults([{ route: 'status', kind: 'non_json' }]);
  await expect.poll(() => s.get(id).error?.code).toBe('protocol');

  await f.phone.clearFaults();
  await expect.poll(() => s.get(id).error).toBeNull();
  expect(s.get(id).status).toBe('active');
  expect(s.list().errors).toBe(0);

  // 401: a stored token the service does not know (a crafted row).
  const key = await f.services.secrets.dataKey();
  const rec = getSession(f.services.store, id)!;
  insertSession(f.services.store, key, {
    id: 'crafted-401',
    profileId: f.profileId,
    userId: 'alice',
    methods: [],
    status: 'active',
    statusUrl: rec.statusUrl!.replace(/[^/]+$/, 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'),
    logoutUrl: rec.logoutUrl,
    sessionToken: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    sessionSecret: 'B'.repeat(48),
  });
  // 404: a status URL on the right origin that the service does not have.
  insertSession(f.services.store, key, {
    id: 'crafted-404',
    profileId: f.profileId,
    userId: 'alice',
    methods: [],
    status: 'active',
    statusUrl: rec.statusUrl!.replace('/status/', '/no-such-route/'),
    logoutUrl: rec.logoutUrl,
    sessionToken: 'DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD',
    sessionSecret: 'E'.repeat(48),
  });
  // A status URL steered to another origin (a compromised server): refused, never called.
  insertSession(f.services.store, key, {
    id: 'crafted-origin',
    profileId: f.profileId,
    userId: 'alice',
    methods: [],
    status: 'active',
    statusUrl: 'https://evil.example/authentication/status/X',
    logoutUrl: 'https://evil.example/authentication/logout/X',
    sessionToken: 'X',
    sessionSecret: 'C'.repeat(48),
  });
  s.resume();
  await expect.poll(() => s.get('crafted-401').error?.code).toBe('unauthorized');
  await expect.poll(() => s.get('crafted-404').error?.code).toBe('not_found');
  // Retried with backoff (not dropped): the failure count grows, the last known status is kept.
  await expect.poll(() => s.get('crafted-404').error?.failures ?? 0).toBeGreaterThanOrEqual(2);
  expect(s.get('crafted-404')).toMatchObject({ status: 'active', monitored: true });
  await expect.poll(() => s.get('crafted-origin').error?.code).toBe('insecure_url');
  await expect(s.logout('crafted-origin')).rejects.toMatchObject({ code: 'insecure_url' });
  expect(s.get('crafted-origin')).toMatchObject({ status: 'active', monitored: true });
  expect(f.services.audit.query({}).rows.map((x) => `${x.action}:${x.outcome}:${x.errorCode ?? ''}`)).toContain(
    'session.logout:error:insecure_url',
  );
  // Never a crash: the good session is still followed.
  expect(s.get(id)).toMatchObject({ status: 'active', error: null, monitored: true });
});

it('an edit of the profile reaches the monitor: a moved base URL is polled there (and fails), moving it back recovers', async () => {
  const f = (fx = await sessionsFixture());
  const s = f.services.sessions;
  const id = await startFor(f);
  await f.phone.approve(await f.token('alice'));
  await expect.poll(() => statusOf(f, id)).toBe('active');
  const good = f.sandbox.baseUrl;
  // A closed loopback port: the Sandbox profile's stored session URLs follow its new origin.
  await f.services.applications.edit(f.profileId, { baseUrl: 'http://127.0.0.1:9' });
  await expect.poll(() => s.get(id).error?.code).toBe('network');
  expect(s.get(id)).toMatchObject({ status: 'active', monitored: true });
  await f.services.applications.edit(f.profileId, { baseUrl: good });
  await expect.poll(() => s.get(id).error).toBeNull();
  await f.phone.walkAway(await f.token('alice'));
  await expect.poll(() => statusOf(f, id)).toBe('walkaway');
});

it("log out all of a user's live sessions", async () => {
  const f = (fx = await sessionsFixture({ users: [{ userId: 'alice' }, { userId: 'carol' }] }));
  const s = f.services.sessions;
  const a1 = await startFor(f);
  const a2 = await startFor(f);
  const c1 = await startFor(f, 'carol');
  for (const r of await f.phone.pending(f.sandbox.applicationId, f.iampassId('alice'))) await f.phone.approve(r.id);
  await expect.poll(() => [statusOf(f, a1), statusOf(f, a2)]).toEqual(['active', 'active']);
  expect(await s.logoutUser('alice')).toEqual({ loggedOut: 2, failed: 0 });
  expect([statusOf(f, a1), statusOf(f, a2), statusOf(f, c1)]).toEqual(['closed', 'closed', 'pending']);
  expect(s.list({ userId: 'alice' }).sessions).toHaveLength(2);
  expect(s.list({ filter: 'live' }).sessions.map((x) => x.id)).toEqual([c1]);
  await expect(s.logout(a1)).rejects.toMatchObject({ code: 'conflict' });
});

it('a Sandbox profile moves stored loopback URLs onto its current port; nothing else is rebased', async () => {
  const { rebaseSandboxUrl } = await import('../../../src/main/services/sessions.ts');
  const sandbox = { flavour: 'Sandbox' as const, baseUrl: 'http://127.0.0.1:4000' };
  expect(rebaseSandboxUrl(sandbox, 'http://127.0.0.1:3999/authentication/status/T')).toBe(
    'http://127.0.0.1:4000/authentication/status/T',
  );
  expect(rebaseSandboxUrl(sandbox, 'https://evil.example/authentication/status/T')).toBe(
    'https://evil.example/authentication/status/T',
  );
  expect(rebaseSandboxUrl({ flavour: 'IAMPASS', baseUrl: 'http://127.0.0.1:4000' }, 'http://127.0.0.1:3999/x')).toBe(
    'http://127.0.0.1:3999/x',
  );
});

it('a keychain that cannot give the data key refuses the start before any request reaches the phone', async () => {
  const f = (fx = await sessionsFixture());
  const secrets = f.services.secrets;
  const unreachable = Object.assign(new Error('The keychain is locked.'), { code: 'keychain_unavailable' });
  // The keychain locked between start-up and this call: dataKey() rejects.
  Object.defineProperty(secrets, 'dataKey', { configurable: true, value: () => Promise.reject(unreachable) });
  try {
    await expect(f.services.sessions.start({ userId: 'alice', methods: ['acceptance'] })).rejects.toBe(unreachable);
  } finally {
    Reflect.deleteProperty(secrets, 'dataKey');
  }
  expect(await f.phone.pending(f.sandbox.applicationId, f.iampassId('alice'))).toEqual([]);
  expect(f.services.sessions.list({}).sessions).toEqual([]);
});
