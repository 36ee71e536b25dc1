/**
 * The full flow against the real sandbox over real HTTP on loopback: the
 * sandbox verifies every signature, so every step here also proves the
 * client signs what it sends.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mapBounded } from '../../../src/node/bounded.ts';
import { IampassClient } from '../../../src/main/iampass/client.ts';
import { startSandbox, type Sandbox } from '../../../src/sandbox/server.ts';
import { VirtualPhone } from '../../../src/sandbox/phone.ts';
import { AppError } from '../../../src/shared/errors.ts';

let sandbox: Sandbox;
let phone: VirtualPhone;
let client: IampassClient;

beforeAll(async () => {
  sandbox = await startSandbox();
  phone = new VirtualPhone(sandbox.baseUrl);
  client = new IampassClient({
    flavour: 'Sandbox',
    baseUrl: sandbox.baseUrl,
    applicationId: sandbox.applicationId,
    secret: sandbox.applicationSecret,
    retryBaseDelayMs: 5,
  });
});
afterAll(async () => {
  client.close();
  await sandbox.close();
});

const ALICE = 'alice@example.com';
const ZOE = 'Zoë Ålund / 山田 😀';

describe('client against the sandbox', () => {
  it('runs the whole life of a user: add, link, register, authenticate, approve, status, logout, lost device, delete', async () => {
    const added = await client.addUsers([ALICE, ZOE, 'bob']);
    expect(added.created.sort()).toEqual([ALICE, 'bob', ZOE].sort());
    expect(added.failed).toEqual([]);
    expect((await client.addUsers([ALICE])).existing).toEqual([ALICE]);

    for (const user of [ALICE, ZOE]) {
      expect(await client.hasRegisteredDevice(user)).toBe(false);
      const link = await client.registrationLink(user, { displayName: `${user} @ test` });
      const bound = await phone.register(link);
      expect(bound.userId).toBe(user);
      expect(await client.hasRegisteredDevice(user)).toBe(true);
    }

    const started = await client.authenticateUser(ZOE, { methods: ['acceptance'], durationSeconds: 600 });
    if (!started.started) throw new Error(`not started: ${started.reason}`);
    expect(started.status).toBe('pending');
    expect(await client.sessionStatus(started.session)).toEqual({ authenticated: false, status: 'pending' });
    const [request] = await phone.pending(sandbox.applicationId, ZOE);
    expect(request?.id).toBe(started.session.sessionToken);
    await phone.approve(request!.id);
    expect(await client.sessionStatus(started.session)).toEqual({ authenticated: true, status: 'active' });
    expect(await client.logout(started.session)).toBe(true);
    expect(await client.sessionStatus(started.session)).toEqual({ authenticated: false, status: 'closed' });

    const noDevice = await client.authenticateUser('bob');
    expect(noDevice.started).toBe(false);

    const fresh = await client.lostDevice(ALICE);
    expect(await client.hasRegisteredDevice(ALICE)).toBe(false);
    await phone.register(fresh);
    expect(await client.hasRegisteredDevice(ALICE)).toBe(true);

    const deleted = await client.deleteUsers([ALICE, ZOE, 'bob']);
    expect(deleted.deleted.sort()).toEqual([ALICE, 'bob', ZOE].sort());
    await expect(client.hasRegisteredDevice(ALICE)).rejects.toMatchObject({
      code: 'not_found',
      details: { what: 'user' },
    });
  });

  it('not_found says whether the application, the user or the endpoint is unknown', async () => {
    const stranger = new IampassClient({
      flavour: 'Sandbox',
      baseUrl: sandbox.baseUrl,
      applicationId: 'A'.repeat(32),
      secret: sandbox.applicationSecret,
    });
    const wrongPath = new IampassClient({
      flavour: 'Sandbox',
      baseUrl: `${sandbox.baseUrl}/v9`,
      applicationId: sandbox.applicationId,
      secret: sandbox.applicationSecret,
    });
    try {
      await expect(stranger.hasRegisteredDevice('x')).rejects.toMatchObject({
        code: 'not_found',
        details: { what: 'application' },
      });
      await expect(client.hasRegisteredDevice('nobody-here')).rejects.toMatchObject({
        code: 'not_found',
        details: { what: 'user' },
      });
      await expect(wrongPath.hasRegisteredDevice('x')).rejects.toMatchObject({
        code: 'not_found',
        details: { what: 'endpoint' },
      });
    } finally {
      stranger.close();
      wrongPath.close();
    }
  });

  it('a denied request ends cancelled; a user who never answers ends timeout', async () => {
    await client.addUsers(['carol']);
    await phone.register(await client.registrationLink('carol'));
    const a = await client.authenticateUser('carol');
    if (!a.started) throw new Error('not started');
    await phone.deny(a.session.sessionToken);
    expect(await client.sessionStatus(a.session)).toEqual({ authenticated: false, status: 'cancelled' });
    const b = await client.authenticateUser('carol');
    if (!b.started) throw new Error('not started');
    await phone.ignore(b.session.sessionToken);
    expect((await client.sessionStatus(b.session)).status).toBe('timeout');
  });

  it('a wrong secret is unauthorized; a skewed server clock is reported with its size', async () => {
    const wrong = new IampassClient({
      flavour: 'Sandbox',
      baseUrl: sandbox.baseUrl,
      applicationId: sandbox.applicationId,
      secret: '0'.repeat(48),
    });
    try {
      const e = await wrong.hasRegisteredDevice('carol').catch((error: unknown) => error);
      expect(e).toBeInstanceOf(AppError);
      expect((e as AppError).code).toBe('unauthorized');
      expect((e as AppError).message).not.toContain(sandbox.applicationSecret);
    } finally {
      wrong.close();
    }
    await phone.setFaults([{ route: 'has_registered_mobile_device', kind: 'clock', seconds: -600 }]);
    try {
      const e = (await client.hasRegisteredDevice('carol').catch((error: unknown) => error)) as AppError;
      expect(e.code).toBe('unauthorized');
      expect(Number(e.details?.clockSkewSeconds)).toBeGreaterThanOrEqual(598);
      expect(e.message).toMatch(/clock is off by 6\d\d seconds/);
    } finally {
      await phone.clearFaults();
    }
  });

  it('rides out injected 503s and resets on safe calls, reports them on unsafe ones', async () => {
    await phone.setFaults([{ route: 'has_registered_mobile_device', kind: 'error', status: 503, rate: 0.5 }]);
    try {
      // With retries each call gets up to four tries; the sandbox's PRNG is seeded.
      const results = await mapBounded(
        ['carol', 'carol', 'carol', 'carol'],
        (u, signal) => client.hasRegisteredDevice(u, { signal }),
        { concurrency: 1 },
      );
      expect(results.filter((r) => r.ok).length).toBeGreaterThanOrEqual(3);
      await phone.setFaults([{ route: 'authenticate_user', kind: 'error', status: 503, rate: 1 }]);
      await expect(client.authenticateUser('carol')).rejects.toMatchObject({ code: 'server' });
    } finally {
      await phone.clearFaults();
    }
  });
});
