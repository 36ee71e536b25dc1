import { afterEach, describe, expect, it } from 'vitest';
import { IampassClient, type ClientConfig } from '../../../src/main/iampass/client.ts';
import { backoffMs } from '../../../src/main/iampass/transport.ts';
import { AppError } from '../../../src/shared/errors.ts';
import { quotePlus, unquotePlus } from '../../../src/shared/encoding.ts';
import { APP_ID, SECRET, json, startServer, type TestServer } from './helpers.ts';

let server: TestServer | undefined;
let client: IampassClient | undefined;
afterEach(async () => {
  client?.close();
  client = undefined;
  await server?.close();
  server = undefined;
});

function makeClient(s: TestServer, extra: Partial<ClientConfig> = {}): IampassClient {
  client = new IampassClient({
    flavour: 'Sandbox',
    baseUrl: s.baseUrl,
    applicationId: APP_ID,
    secret: SECRET,
    retryBaseDelayMs: 5,
    ...extra,
  });
  return client;
}

function thrown(fn: () => unknown): AppError {
  try {
    fn();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('did not throw');
}

describe('configuration', () => {
  const base = { flavour: 'IAMPASS' as const, applicationId: APP_ID, secret: SECRET };

  it('refuses plain http:// for a host that is not loopback', () => {
    for (const baseUrl of ['http://main.iam-api.com', 'http://10.0.0.5:8080', 'http://128.0.0.1']) {
      expect(thrown(() => new IampassClient({ ...base, baseUrl })).code).toBe('insecure_url');
    }
  });

  it('accepts https:// anywhere and http:// on loopback', () => {
    for (const baseUrl of [
      'https://main.iam-api.com',
      'http://127.0.0.1:8765',
      'http://localhost:1',
      'http://[::1]:9',
    ]) {
      const c = new IampassClient({ ...base, baseUrl });
      expect(c.baseUrl).toBe(new URL(baseUrl).origin);
      c.close();
    }
  });

  it('rejects malformed configuration with invalid_input', () => {
    const bad: Partial<ClientConfig>[] = [
      { baseUrl: 'not a url' },
      { baseUrl: 'ftp://example.com' },
      { baseUrl: 'https://user:pw@example.com' },
      { baseUrl: 'https://example.com/?x=1' },
      { applicationId: '' },
      { applicationId: 'a:b' },
      { secret: '' },
      { secret: 'abc\ndef' },
      { concurrency: 0 },
      { batchSize: 1.5 },
      { maxRetries: 4 },
      { timeoutMs: -1 },
      { flavour: 'Other' as never },
    ];
    for (const patch of bad) {
      const error = thrown(() => new IampassClient({ ...base, baseUrl: 'https://example.com', ...patch }));
      expect(error.code, JSON.stringify(patch)).toBe('invalid_input');
      expect(error.message).not.toContain(SECRET);
    }
  });

  it('keeps the secret out of util.inspect and JSON of the client', async () => {
    const { inspect } = await import('node:util');
    const c = new IampassClient({ ...base, baseUrl: 'https://example.com' });
    expect(inspect(c, { depth: 5 })).not.toContain(SECRET);
    expect(JSON.stringify(c)).not.toContain(SECRET);
    c.close();
  });
});

describe('management calls', () => {
  it('adds users in batches of batchSize, merges created/existing, signs every batch', async () => {
    const seen = new Set<string>(['u2']);
    server = await startServer((req, res) => {
      const users = (JSON.parse(req.body) as { users: string[] }).users;
      const created = users.filter((u) => !seen.has(u));
      const existing = users.filter((u) => seen.has(u));
      for (const u of users) seen.add(u);
      json(res, 201, { status: true, users: { created, existing } });
    });
    const progress: [number, number][] = [];
    const result = await makeClient(server, { batchSize: 2, concurrency: 1 }).addUsers(
      ['u1', 'u2', 'u3', 'u1', 'u4', 'u5'],
      {
        onBatch: (done, total) => progress.push([done, total]),
      },
    );
    expect(result.created.sort()).toEqual(['u1', 'u3', 'u4', 'u5']);
    expect(result.existing).toEqual(['u2']);
    expect(result.failed).toEqual([]);
    expect(server.requests).toHaveLength(3); // 5 distinct users, batches of 2
    expect(progress).toEqual([
      [2, 5],
      [4, 5],
      [5, 5],
    ]);
    for (const r of server.requests) {
      expect(r.method).toBe('POST');
      expect(r.url).toBe(`/management/add_users/${APP_ID}`);
      expect(r.signatureOk).toBe(true);
      expect(r.headers['content-type']).toBe('application/json');
      // Both spellings of the X- headers, IAMPASS prefix for the Sandbox flavour.
      expect(r.headers['x-iampass-authentication-version']).toBe('1');
      expect(r.headers['x-iampass-authentiaction-version']).toBe('1');
      expect(r.headers['x-iampass-authentiaction-timestamp']).toBe(r.headers['x-iampass-authentication-timestamp']);
    }
    expect(new Set(server.requests.map((r) => r.nonce)).size).toBe(3);
  });

  it('by default sends batches of 500 at most and merges created / existing / failed (with the reason) across them', async () => {
    const known = new Set(['user-0007', 'user-0777']);
    server = await startServer((req, res) => {
      const users = (JSON.parse(req.body) as { users: string[] }).users;
      if (users.includes('user-1100')) return json(res, 200, { status: false, reason: 'Too many users for this plan' });
      json(res, 201, {
        status: true,
        users: { created: users.filter((u) => !known.has(u)), existing: users.filter((u) => known.has(u)) },
      });
    });
    const c = makeClient(server);
    expect(c.batchSize).toBe(500);
    const ids = Array.from({ length: 1201 }, (_, i) => `user-${String(i).padStart(4, '0')}`);
    const result = await c.addUsers(ids);
    const sizes = server.requests
      .map((r) => (JSON.parse(r.body) as { users: string[] }).users.length)
      .sort((a, b) => b - a);
    expect(sizes).toEqual([500, 500, 201]);
    expect(result.existing.sort()).toEqual(['user-0007', 'user-0777']);
    expect(result.created).toHaveLength(1000 - 2);
    expect(result.failed).toHaveLength(1);
    expect(result.failed[0]!.users).toEqual(ids.slice(1000));
    expect(result.failed[0]!.error).toMatchObject({ code: 'refused', retryable: false });
    expect(result.failed[0]!.error.message).toContain('Too many users for this plan');
    expect(server.requests).toHaveLength(3); // a refusal is an answer: not retried
  });

  it('retry waits are full-jitter exponential: uniform in [0, base x 2^attempt], capped, never the same twice', () => {
    for (const attempt of [0, 1, 2, 3]) {
      const waits = Array.from({ length: 2000 }, () => backoffMs(attempt, 250));
      const ceiling = 250 * 2 ** attempt;
      expect(Math.min(...waits)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...waits)).toBeLessThanOrEqual(ceiling);
      // Spread over the whole range (jitter), not clustered at one value.
      expect(Math.max(...waits)).toBeGreaterThan(ceiling * 0.9);
      expect(Math.min(...waits)).toBeLessThan(ceiling * 0.1);
      expect(new Set(waits).size).toBeGreaterThan(1990);
    }
    expect(Math.max(...Array.from({ length: 500 }, () => backoffMs(30, 250, 10_000)))).toBeLessThanOrEqual(10_000);
  });

  it('reports a batch that keeps failing as failed, with the others still merged', async () => {
    server = await startServer((req, res) => {
      const users = (JSON.parse(req.body) as { users: string[] }).users;
      if (users.includes('bad')) json(res, 200, { status: false, reason: 'User ID rejected' });
      else json(res, 200, { status: true });
    });
    const result = await makeClient(server, { batchSize: 2 }).deleteUsers(['a', 'b', 'bad', 'c']);
    expect(result.deleted.sort()).toEqual(['a', 'b']);
    expect(result.failed).toHaveLength(1);
    expect(result.failed[0]?.users).toEqual(['bad', 'c']);
    expect(result.failed[0]?.error.code).toBe('refused');
    expect(result.failed[0]?.error.message).toContain('User ID rejected');
  });

  it('does nothing for an empty list and rejects bad IDs before any request', async () => {
    server = await startServer((_req, res) => json(res, 201, { status: true, users: { created: [], existing: [] } }));
    const c = makeClient(server);
    expect(await c.addUsers([])).toEqual({ created: [], existing: [], failed: [] });
    for (const ids of [
      [''],
      ['ok', 'x\u0000y'],
      ['\ud800'],
      [42 as unknown as string],
      'nope' as unknown as string[],
    ]) {
      await expect(c.addUsers(ids)).rejects.toMatchObject({ code: 'invalid_input' });
    }
    expect(server.requests).toHaveLength(0);
  });

  it('encodes user IDs and display names like quote_plus, byte for byte', async () => {
    const ids = ["a b/c?d&e=f+g%h'i(j)k*l!m@n", 'Zoë Ålund', '山田太郎', 'emoji 😀 user', 'safe_.-~'];
    server = await startServer((req, res) => json(res, 200, { status: true, register_url: 'https://reg.example/x' }));
    const c = makeClient(server);
    for (const id of ids) await c.registrationLink(id, { displayName: `${id} @app` });
    expect(server.requests.map((r) => r.url)).toEqual(
      ids.map(
        (id) =>
          `/management/device_registration_link/${APP_ID}/${quotePlus(id)}?display_name=${quotePlus(`${id} @app`)}`,
      ),
    );
    expect(server.requests[0]?.url).toBe(
      `/management/device_registration_link/${APP_ID}/a+b%2Fc%3Fd%26e%3Df%2Bg%25h%27i%28j%29k%2Al%21m%40n?display_name=a+b%2Fc%3Fd%26e%3Df%2Bg%25h%27i%28j%29k%2Al%21m%40n+%40app`,
    );
    for (const [i, r] of server.requests.entries()) {
      expect(r.signatureOk).toBe(true);
      const segment = r.url.split('?')[0]!.split('/').pop()!;
      expect(unquotePlus(segment)).toBe(ids[i]);
    }
  });

  it('reads has-device, registration link and lost device answers', async () => {
    server = await startServer((req, res) => {
      if (req.url.startsWith('/management/has_registered_mobile_device/'))
        json(res, 200, { status: true, device_registered: req.url.endsWith('/yes') });
      else if (req.url.startsWith('/management/lost_user_mobile_device/'))
        json(res, 200, { status: true, register_url: 'https://reg.example/new' });
      else json(res, 200, { status: true, register_url: 'https://reg.example/first' });
    });
    const c = makeClient(server);
    expect(await c.hasRegisteredDevice('yes')).toBe(true);
    expect(await c.hasRegisteredDevice('no')).toBe(false);
    expect(await c.registrationLink('yes')).toBe('https://reg.example/first');
    expect(server.requests[2]?.url).toBe(`/management/device_registration_link/${APP_ID}/yes`);
    expect(await c.lostDevice('yes')).toBe('https://reg.example/new');
    expect(server.requests.every((r) => r.method === 'GET' && r.signatureOk)).toBe(true);
  });

  it('keeps a base URL path prefix and signs with the Activeconnect prefix', async () => {
    server = await startServer((req, res) => json(res, 200, { status: true, device_registered: false }));
    const c = makeClient(server, { flavour: 'Activeconnect', baseUrl: `${server.baseUrl}/api/` });
    expect(await c.hasRegisteredDevice('u')).toBe(false);
    const r = server.requests[0]!;
    expect(r.url).toBe(`/api/management/has_registered_mobile_device/${APP_ID}/u`);
    expect(r.signatureOk).toBe(true);
    expect(r.headers['x-activeconnect-authentication-version']).toBe('1');
    expect(r.headers['x-activeconnect-authentiaction-timestamp']).toBe(
      r.headers['x-activeconnect-authentication-timestamp'],
    );
    expect(r.headers['x-iampass-authentication-version']).toBeUndefined();
  });

  it('reuses connections (keep-alive) across sequential calls', async () => {
    server = await startServer((_req, res) => json(res, 200, { status: true, device_registered: true }));
    const c = makeClient(server);
    for (let i = 0; i < 5; i++) await c.hasRegisteredDevice(`u${i}`);
    expect(server.requests).toHaveLength(5);
    expect(server.connections()).toBe(1);
  });
});

describe('authentication calls', () => {
  function sessionServer(statusShape: 'wrapped' | 'bare', statusOrigin?: string): Promise<TestServer> {
    let status = 'pending';
    return startServer((req, res) => {
      if (req.url.startsWith('/authentication/authenticate_user/')) {
        if (req.url.includes('/nodevice')) {
          json(res, 200, { authentication_status: { authenticated: false, reason: 'User has no registered device' } });
          return;
        }
        const origin = statusOrigin ?? `http://${req.headers.host ?? ''}`;
        json(res, 202, {
          authentication_status: {
            authenticated: true,
            session_status: 'pending',
            status_url: `${origin}/authentication/status/TOK`,
            logout_url: `${origin}/authentication/logout/TOK`,
            session_token: 'TOK',
            session_secret: 'SESSIONSECRET0123456789',
          },
        });
      } else if (req.url === '/authentication/status/TOK') {
        if (status === 'pending') status = 'active';
        const body = { authenticated: status === 'active', session_status: status };
        json(res, 200, statusShape === 'wrapped' ? { authentication_status: body } : body);
      } else if (req.url === '/authentication/logout/TOK') {
        status = 'closed';
        json(res, 200, { status: true });
      } else json(res, 500, {});
    });
  }

  it('starts a session, polls status (wrapped shape), logs out, signing with the session credentials', async () => {
    server = await sessionServer('wrapped');
    server.secrets.set('TOK', 'SESSIONSECRET0123456789');
    const c = makeClient(server);
    const started = await c.authenticateUser('alice@example.com', {
      methods: ['acceptance', 'device'],
      durationSeconds: 3600,
    });
    expect(started.started).toBe(true);
    if (!started.started) return;
    expect(started.status).toBe('pending');
    expect(server.requests[0]?.url).toBe(
      `/authentication/authenticate_user/${APP_ID}/alice%40example.com?methods=acceptance,device&duration_seconds=3600`,
    );
    expect(server.requests[0]?.body).toBe('{}');
    expect(await c.sessionStatus(started.session)).toEqual({ authenticated: true, status: 'active' });
    expect(await c.logout(started.session)).toBe(true);
    expect(await c.sessionStatus(started.session)).toEqual({ authenticated: false, status: 'closed' });
    expect(server.requests.map((r) => [r.clientId, r.signatureOk])).toEqual([
      [APP_ID, true],
      ['TOK', true],
      ['TOK', true],
      ['TOK', true],
    ]);
  });

  it('accepts the bare status shape', async () => {
    server = await sessionServer('bare');
    server.secrets.set('TOK', 'SESSIONSECRET0123456789');
    const c = makeClient(server);
    const started = await c.authenticateUser('bob');
    if (!started.started) throw new Error('not started');
    expect(server.requests[0]?.url).toBe(`/authentication/authenticate_user/${APP_ID}/bob`);
    expect(await c.sessionStatus(started.session)).toEqual({ authenticated: true, status: 'active' });
  });

  it('reports an authentication that did not start with its reason', async () => {
    server = await sessionServer('wrapped');
    expect(await makeClient(server).authenticateUser('nodevice')).toEqual({
      started: false,
      reason: 'User has no registered device',
    });
  });

  it('refuses status/logout URLs on another origin than the profile, before sending anything there', async () => {
    const elsewhere = await startServer((_req, res) =>
      json(res, 200, { authenticated: true, session_status: 'active' }),
    );
    try {
      server = await sessionServer('wrapped', elsewhere.baseUrl);
      const c = makeClient(server);
      await expect(c.authenticateUser('carol')).rejects.toMatchObject({ code: 'insecure_url' });
      const forged = {
        statusUrl: `${elsewhere.baseUrl}/authentication/status/TOK`,
        logoutUrl: `${elsewhere.baseUrl}/x`,
        sessionToken: 'TOK',
        sessionSecret: 'S3CRET-SESSION',
      };
      await expect(c.sessionStatus(forged)).rejects.toMatchObject({ code: 'insecure_url' });
      await expect(c.logout(forged)).rejects.toMatchObject({ code: 'insecure_url' });
      expect(elsewhere.requests).toHaveLength(0);
    } finally {
      await elsewhere.close();
    }
  });

  it('rejects bad methods and durations before sending', async () => {
    server = await sessionServer('wrapped');
    const c = makeClient(server);
    await expect(c.authenticateUser('u', { methods: ['voice' as never] })).rejects.toMatchObject({
      code: 'invalid_input',
    });
    await expect(c.authenticateUser('u', { durationSeconds: 0 })).rejects.toMatchObject({ code: 'invalid_input' });
    await expect(c.authenticateUser('u', { durationSeconds: 1.5 })).rejects.toMatchObject({ code: 'invalid_input' });
    expect(server.requests).toHaveLength(0);
  });
});
