import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canMove } from '../../../src/sandbox/state.ts';
import { SESSION_STATUSES, type SessionStatus } from '../../../src/shared/iampass.ts';
import { Harness, ManualClock } from './helpers.ts';

const LEGAL: [SessionStatus, SessionStatus][] = [
  ['pending', 'identifying'],
  ['pending', 'active'],
  ['identifying', 'active'],
  ['active', 'walkaway'],
  ['walkaway', 'active'],
  ['pending', 'cancelled'],
  ['identifying', 'cancelled'],
  ['pending', 'failed'],
  ['identifying', 'failed'],
  ['pending', 'timeout'],
  ['identifying', 'timeout'],
  ['pending', 'closed'],
  ['identifying', 'closed'],
  ['active', 'closed'],
  ['walkaway', 'closed'],
];

describe('session status machine (table)', () => {
  it('allows exactly the legal moves; a final status never changes', () => {
    for (const from of SESSION_STATUSES) {
      for (const to of SESSION_STATUSES) {
        const legal = LEGAL.some(([f, t]) => f === from && t === to);
        expect(canMove(from, to), `${from} -> ${to}`).toBe(legal);
      }
    }
  });
});

describe('session transitions over HTTP', () => {
  // Time moves only when a test advances it: the timeouts are the defaults, and no test races them.
  const clock = new ManualClock();
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start({ clock });
    await h.enrol('u');
  });
  afterAll(async () => {
    await h.close();
  });
  const start = async (query = '') => (await h.authenticate('u', query)).session!;

  it.each([
    ['deny', 'cancelled'],
    ['fail', 'failed'],
    ['ignore', 'timeout'],
  ] as const)('pending -> %s -> %s, and the final status sticks', async (action, final) => {
    const s = await start();
    await h.phone[action](s.token);
    expect(await h.status(s)).toBe(final);
    // Every further move is refused with 409 and changes nothing.
    for (const next of ['approve', 'deny', 'fail', 'ignore', 'identify'] as const) {
      await expect(h.phone[next](s.token)).rejects.toMatchObject({ code: 'conflict' });
    }
    await expect(h.phone.walkAway(s.token)).rejects.toMatchObject({ code: 'conflict' });
    expect((await h.logout(s)).json).toMatchObject({ status: false });
    expect(await h.status(s)).toBe(final);
  });

  it('identifying -> deny -> cancelled', async () => {
    const s = await start();
    await h.phone.identify(s.token);
    await h.phone.deny(s.token);
    expect(await h.status(s)).toBe('cancelled');
  });

  it('illegal moves from live states are refused', async () => {
    const s = await start();
    await expect(h.phone.walkAway(s.token)).rejects.toMatchObject({ code: 'conflict' }); // pending -> walkaway
    await expect(h.phone.comeBack(s.token)).rejects.toMatchObject({ code: 'conflict' }); // pending -> active via come_back
    expect(await h.status(s)).toBe('pending');
    await h.phone.approve(s.token);
    await expect(h.phone.deny(s.token)).rejects.toMatchObject({ code: 'conflict' }); // active -> cancelled
    await expect(h.phone.identify(s.token)).rejects.toMatchObject({ code: 'conflict' }); // active -> identifying
    await expect(h.phone.comeBack(s.token)).rejects.toMatchObject({ code: 'conflict' }); // active -> active
    expect(await h.status(s)).toBe('active');
  });

  it('walkaway can be logged out, and a phone-side close ends a live session', async () => {
    const s = await start();
    await h.phone.approve(s.token);
    await h.phone.walkAway(s.token);
    expect((await h.logout(s)).json).toEqual({ status: true });
    expect(await h.status(s)).toBe('closed');
    const t = await start();
    await h.phone.approve(t.token);
    await h.phone.close(t.token);
    expect(await h.status(t)).toBe('closed');
  });

  it('logout of a pending session closes it', async () => {
    const s = await start();
    expect((await h.logout(s)).json).toEqual({ status: true });
    expect(await h.status(s)).toBe('closed');
    expect(await h.phone.pending(h.app.clientId, 'u')).not.toContainEqual(expect.objectContaining({ id: s.token }));
  });

  it('an unanswered request times out after the pending timeout; approving it then is refused', async () => {
    const s = await start();
    const i = await start();
    await h.phone.identify(i.token);
    clock.advance(59_999);
    expect(await h.status(s)).toBe('pending');
    expect(await h.status(i)).toBe('identifying');
    clock.advance(1); // the default pendingTimeoutSeconds: 60
    expect(await h.status(s)).toBe('timeout');
    expect(await h.status(i)).toBe('timeout');
    await expect(h.phone.approve(s.token)).rejects.toMatchObject({ code: 'conflict' });
  });

  it('duration_seconds ends an active session (closed); the status URL keeps answering', async () => {
    const s = await start('?duration_seconds=1');
    await h.phone.approve(s.token);
    expect(await h.status(s)).toBe('active');
    clock.advance(1000);
    expect(await h.status(s)).toBe('closed');
    const a = await h.sign('GET', s.statusUrl, {}, { clientId: s.token, secret: s.secret });
    expect(a.json).toEqual({ authentication_status: { authenticated: false, session_status: 'closed' } });
  });

  it('unknown session: 401 on status (no secret to verify with), 404 on phone actions', async () => {
    const url = `${h.sandbox.baseUrl}/authentication/status/${'0'.repeat(32)}`;
    const a = await h.sign('GET', url, {}, { clientId: '0'.repeat(32), secret: '0'.repeat(48) });
    expect(a.status).toBe(401); // no session -> no secret to verify against
    await expect(h.phone.approve('0'.repeat(32))).rejects.toMatchObject({ code: 'not_found' });
  });
});
