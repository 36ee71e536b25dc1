/**
 * Each typed error class against a loopback server that produces it, with
 * retry behaviour (which calls repeat, how often, with fresh nonces) and the
 * rule that no message carries the secret, a session secret or a link.
 */
import { createSocket } from 'node:dgram';
import { Resolver } from 'node:dns';
import type http from 'node:http';
import type { LookupFunction } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { IampassClient, type ClientConfig, type SessionHandle } from '../../../src/main/iampass/client.ts';
import { AppError, type ErrorCode } from '../../../src/shared/errors.ts';
import { APP_ID, SECRET, closedPort, json, startServer, text, type Handler, type TestServer } from './helpers.ts';

const LINK = 'https://main.iam-api.com/register/abc123-BEARER-LINK';
const SESSION_SECRET = 'F00DFACE0123456789ABCDEF0123456789ABCDEF';

let server: TestServer | undefined;
let client: IampassClient | undefined;
afterEach(async () => {
  client?.close();
  client = undefined;
  await server?.close();
  server = undefined;
});

async function setup(handler: Handler, extra: Partial<ClientConfig> = {}): Promise<IampassClient> {
  server = await startServer(handler);
  client = new IampassClient({
    flavour: 'IAMPASS',
    baseUrl: server.baseUrl,
    applicationId: APP_ID,
    secret: SECRET,
    retryBaseDelayMs: 5,
    ...extra,
  });
  return client;
}

function session(s: TestServer): SessionHandle {
  return {
    statusUrl: `${s.baseUrl}/authentication/status/T1`,
    logoutUrl: `${s.baseUrl}/authentication/logout/T1`,
    sessionToken: 'T1',
    sessionSecret: SESSION_SECRET,
  };
}

async function failure(promise: Promise<unknown>, code: ErrorCode): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    const e = error as AppError;
    expect(e.code, e.message).toBe(code);
    // No secret, session secret or registration link anywhere in what the error carries.
    const everything = [e.message, JSON.stringify(e.details ?? {}), JSON.stringify(e.toInfo()), String(e.stack)].join(
      '\n',
    );
    for (const forbidden of [SECRET, SESSION_SECRET, LINK, 'abc123-BEARER-LINK'])
      expect(everything).not.toContain(forbidden);
    return e;
  }
  throw new Error(`expected ${code}, but the call succeeded`);
}

/** A reason that tries to leak everything into our error messages. */
const LEAKY_REASON = `bad thing; secret=${SECRET} session=${SESSION_SECRET} link=${LINK}`;

describe('typed errors', () => {
  it('unauthorized: 401 names the credentials, is not retried', async () => {
    const c = await setup((_r, res) =>
      json(res, 401, { status: false, reason: LEAKY_REASON }, { Date: new Date().toUTCString() }),
    );
    const e = await failure(c.hasRegisteredDevice('u'), 'unauthorized');
    expect(e.message).toMatch(/Application ID and Application Secret/);
    expect(Math.abs(Number(e.details?.clockSkewSeconds))).toBeLessThanOrEqual(2);
    expect(e.details?.reason).toContain('bad thing');
    expect(server!.requests).toHaveLength(1);
  });

  it('unauthorized: says the clock is off, and by how much, when the Date header differs by > 60 s', async () => {
    const c = await setup((_r, res) =>
      json(
        res,
        401,
        { status: false, reason: 'Timestamp outside window' },
        { Date: new Date(Date.now() - 400_000).toUTCString() },
      ),
    );
    const e = await failure(c.registrationLink('u'), 'unauthorized');
    const skew = Number(e.details?.clockSkewSeconds);
    expect(skew).toBeGreaterThanOrEqual(399);
    expect(skew).toBeLessThanOrEqual(402);
    expect(e.message).toContain(`clock is off by ${skew} seconds`);
    expect(e.message).toContain('ahead of');
    c.close();
    await server!.close();
    const behind = await setup((_r, res) =>
      json(res, 401, { status: false }, { Date: new Date(Date.now() + 120_000).toUTCString() }),
    );
    expect((await failure(behind.hasRegisteredDevice('u'), 'unauthorized')).message).toMatch(
      /clock is off by 1[12]\d seconds \(behind/,
    );
  });

  it('unauthorized on a session call points at the session', async () => {
    const c = await setup((_r, res) => json(res, 401, { status: false, reason: LEAKY_REASON }));
    const e = await failure(c.sessionStatus(session(server!)), 'unauthorized');
    expect(e.message).toMatch(/session/);
    expect(server!.requests).toHaveLength(1);
  });

  it('not_found: says whether the application or the user is unknown, not retried', async () => {
    const c = await setup((req, res) =>
      text(res, 404, req.url.includes('/nobody') ? 'Unknown user' : 'Unknown application'),
    );
    const user = await failure(c.hasRegisteredDevice('nobody'), 'not_found');
    expect(user.details?.what).toBe('user');
    expect(user.message).toContain('user "nobody"');
    const app = await failure(
      c.addUsers(['x']).then((r) => {
        if (r.failed[0])
          throw new AppError(r.failed[0].error.code, r.failed[0].error.message, { details: r.failed[0].error.details });
      }),
      'not_found',
    );
    expect(app.details?.what).toBe('application');
    expect(app.message).toContain(APP_ID);
    expect(server!.requests).toHaveLength(2);
  });

  it('refused: status false with its reason (links and secrets removed), not retried', async () => {
    const c = await setup((_r, res) => json(res, 200, { status: false, reason: LEAKY_REASON }));
    const e = await failure(c.lostDevice('u'), 'refused');
    expect(e.message).toContain('bad thing');
    expect(e.message).toContain('[link removed]');
    expect(e.message).toContain('[redacted]');
    expect(server!.requests).toHaveLength(1);
  });

  it('refused: a management-style refusal of authenticate_user; not_found on a session names the session', async () => {
    const c = await setup((req, res) => {
      if (req.url.startsWith('/authentication/authenticate_user/'))
        json(res, 200, { status: false, reason: `Application disabled ${LINK}` });
      else text(res, 404, 'Not Found: unknown session');
    });
    const refused = await failure(c.authenticateUser('u'), 'refused');
    expect(refused.message).toContain('Application disabled');
    const missing = await failure(c.sessionStatus(session(server!)), 'not_found');
    expect(missing.details?.what).toBe('session');
    expect(server!.requests).toHaveLength(2);
  });

  it('protocol: non-JSON, missing fields, unexpected status are never success, never retried', async () => {
    const answers: ((res: http.ServerResponse) => void)[] = [
      (res) => text(res, 200, '<html>proxy login</html>'),
      (res) => json(res, 200, { status: true }), // has-device without device_registered
      (res) => json(res, 200, { status: true, device_registered: 'yes' }),
      (res) => json(res, 302, { status: true, device_registered: true }),
      (res) => json(res, 400, { status: true, device_registered: true }),
      (res) => json(res, 200, [true]),
    ];
    const c = await setup((_r, res, i) => answers[i]!(res));
    for (let i = 0; i < answers.length; i++) await failure(c.hasRegisteredDevice('u'), 'protocol');
    expect(server!.requests).toHaveLength(answers.length);
  });

  it('protocol: a registration link answer without register_url, add_users with 200 instead of 201', async () => {
    const c = await setup((req, res) => {
      if (req.url.startsWith('/management/add_users'))
        json(res, 200, { status: true, users: { created: ['a'], existing: [] } });
      else json(res, 200, { status: true, register_url: 'javascript:alert(1)' });
    });
    await failure(c.registrationLink('u'), 'protocol');
    const added = await c.addUsers(['a']);
    expect(added.created).toEqual([]);
    expect(added.failed[0]?.error.code).toBe('protocol');
  });

  it('protocol: an unknown session status is not accepted', async () => {
    const c = await setup((_r, res) =>
      json(res, 200, { authentication_status: { authenticated: true, session_status: 'bogus' } }),
    );
    await failure(c.sessionStatus(session(server!)), 'protocol');
  });

  it('network: connection refused, retried with backoff then reported', async () => {
    const port = await closedPort();
    client = new IampassClient({
      flavour: 'Sandbox',
      baseUrl: `http://127.0.0.1:${port}`,
      applicationId: APP_ID,
      secret: SECRET,
      retryBaseDelayMs: 5,
    });
    const e = await failure(client.hasRegisteredDevice('u'), 'network');
    expect(e.message).toContain('refused');
    expect(e.details?.errno).toBe('ECONNREFUSED');
    expect(e.retryable).toBe(true);
  });

  it('network: a connection reset mid-answer', async () => {
    const c = await setup((_r, res) => res.socket?.destroy(), { maxRetries: 1 });
    const e = await failure(c.hasRegisteredDevice('u'), 'network');
    expect(e.message).toMatch(/reset/);
    expect(server!.requests).toHaveLength(2);
  });

  it('network: DNS failure of an unresolvable host name (a DNS server on loopback answers NXDOMAIN)', async () => {
    const dnsServer = await startNxdomainServer();
    try {
      const resolver = new Resolver({ timeout: 2000, tries: 1 });
      resolver.setServers([`127.0.0.1:${String(dnsServer.port)}`]);
      const lookup: LookupFunction = (hostname, options, callback) => {
        resolver.resolve4(hostname, (error, addresses) => {
          if (error) return callback(error, '', 4);
          if (options.all)
            return (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(
              null,
              addresses.map((address) => ({ address, family: 4 })),
            );
          callback(null, addresses[0] ?? '', 4);
        });
      };
      client = new IampassClient({
        flavour: 'IAMPASS',
        baseUrl: 'https://no-such-host.invalid',
        applicationId: APP_ID,
        secret: SECRET,
        maxRetries: 0,
        lookup,
      });
      const e = await failure(client.hasRegisteredDevice('u'), 'network');
      expect(e.message).toMatch(/could not be resolved/);
      expect(dnsServer.questions).toContain('no-such-host.invalid');
    } finally {
      await dnsServer.close();
    }
  });

  it('timeout: no answer within timeoutMs, each attempt bounded', async () => {
    const c = await setup(() => undefined, { timeoutMs: 150, maxRetries: 1 });
    const t0 = Date.now();
    const e = await failure(c.hasRegisteredDevice('u'), 'timeout');
    expect(e.message).toContain('0.2 s');
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(server!.requests).toHaveLength(2);
  });

  it('rate_limited: 429 honours Retry-After, then succeeds', async () => {
    const c = await setup((_r, res, i) => {
      if (i === 0) json(res, 429, { status: false }, { 'Retry-After': '1' });
      else json(res, 200, { status: true, device_registered: true });
    });
    const t0 = Date.now();
    expect(await c.hasRegisteredDevice('u')).toBe(true);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
    expect(server!.requests).toHaveLength(2);
    expect(server!.requests[0]?.nonce).not.toBe(server!.requests[1]?.nonce);
    expect(server!.requests.every((r) => r.signatureOk)).toBe(true);
  });

  it('rate_limited: reported with retryAfterSeconds when the wait is too long', async () => {
    const c = await setup((_r, res) => json(res, 429, {}, { 'Retry-After': '3600' }));
    const e = await failure(c.hasRegisteredDevice('u'), 'rate_limited');
    expect(e.details?.retryAfterSeconds).toBe(3600);
    expect(e.message).toContain('3600 s');
    expect(server!.requests).toHaveLength(1);
  });

  it('server: 5xx retried at most 3 times, each re-signed with a fresh nonce', async () => {
    const c = await setup((_r, res) => json(res, 503, { status: false, reason: LEAKY_REASON }));
    const e = await failure(c.hasRegisteredDevice('u'), 'server');
    expect(e.message).toContain('503');
    expect(server!.requests).toHaveLength(4);
    expect(new Set(server!.requests.map((r) => r.nonce)).size).toBe(4);
    expect(server!.requests.every((r) => r.signatureOk)).toBe(true);
  });

  it('server: add/delete batches are retried, authenticate and logout and lost device are not', async () => {
    const c = await setup((req, res, i) => {
      if (req.url.startsWith('/management/delete_users') && i % 2 === 1) json(res, 200, { status: true });
      else json(res, 500, {});
    });
    expect(await c.deleteUsers(['a'])).toEqual({ deleted: ['a'], failed: [] });
    expect(server!.requests).toHaveLength(2);
    await failure(c.authenticateUser('u'), 'server');
    await failure(c.logout(session(server!)), 'server');
    await failure(c.lostDevice('u'), 'server');
    expect(server!.requests).toHaveLength(5);
  });

  it('cancelled: an AbortSignal stops a call in flight and a retry wait', async () => {
    const c = await setup(() => undefined);
    const controller = new AbortController();
    const pending = c.hasRegisteredDevice('u', { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await failure(pending, 'cancelled');
    await failure(c.hasRegisteredDevice('u', { signal: AbortSignal.abort() }), 'cancelled');
    expect(server!.requests).toHaveLength(1);
    c.close();
    await server!.close();

    const slow = await setup((_r, res) => json(res, 429, {}, { 'Retry-After': '30' }));
    const t0 = Date.now();
    const aborting = AbortSignal.timeout(100);
    await failure(slow.hasRegisteredDevice('u', { signal: aborting }), 'cancelled');
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('insecure_url: plain http to a non-loopback host never reaches the network', () => {
    let error: unknown;
    try {
      new IampassClient({
        flavour: 'IAMPASS',
        baseUrl: 'http://main.iam-api.com',
        applicationId: APP_ID,
        secret: SECRET,
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('insecure_url');
    expect((error as AppError).message).toContain('https://main.iam-api.com');
  });
});

/** A DNS server on 127.0.0.1 (UDP) that answers every question NXDOMAIN and records the names asked. */
async function startNxdomainServer(): Promise<{ port: number; questions: string[]; close(): Promise<void> }> {
  const socket = createSocket('udp4');
  const questions: string[] = [];
  socket.on('message', (query, peer) => {
    if (query.length < 12) return;
    // Question name: length-prefixed labels from offset 12 up to a zero byte.
    const labels: string[] = [];
    let at = 12;
    while (at < query.length && query[at] !== 0) {
      const len = query[at]!;
      labels.push(query.subarray(at + 1, at + 1 + len).toString('latin1'));
      at += 1 + len;
    }
    questions.push(labels.join('.'));
    const questionEnd = at + 5; // zero byte + QTYPE + QCLASS
    const answer = Buffer.from(query.subarray(0, questionEnd));
    answer[2] = 0x80 | (query[2]! & 0x01); // QR = response, keep RD
    answer[3] = 0x80 | 0x03; // RA, RCODE 3 = NXDOMAIN
    answer.writeUInt16BE(0, 6); // ANCOUNT
    answer.writeUInt16BE(0, 8); // NSCOUNT
    answer.writeUInt16BE(0, 10); // ARCOUNT
    socket.send(answer, peer.port, peer.address);
  });
  await new Promise<void>((done) => socket.bind(0, '127.0.0.1', done));
  return {
    port: socket.address().port,
    questions,
    close: () => new Promise<void>((done) => socket.close(() => done())),
  };
}
