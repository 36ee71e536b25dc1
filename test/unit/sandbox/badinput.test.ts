import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness, signed } from './helpers.ts';

describe('sandbox: bad input gets the right 4xx and changes nothing', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start();
    await h.enrol('alice');
  });
  afterAll(async () => {
    await h.close();
  });

  /** The sessions and users visible through the API, to show nothing changed. */
  async function snapshot() {
    return {
      sessions: await h.phone.sessions(h.app.clientId, 'alice'),
      users: (await h.addUsers([])).json,
      device: await h.hasDevice('alice'),
    };
  }

  it.each([
    ['malformed JSON', '{"users": ["a",'],
    ['a JSON array', '["a"]'],
    ['users not an array', '{"users": "a"}'],
    ['a number in users', '{"users": ["a", 5]}'],
    ['an empty user ID', '{"users": [""]}'],
    ['no body', ''],
  ])('add_users with %s -> 400, no user created', async (_name, body) => {
    const a = await signed('POST', h.mgmt('add_users'), h.app, { body });
    expect(a.status).toBe(400);
    expect(a.json).toMatchObject({ status: false, reason: expect.any(String) as string });
    const probe = await signed('GET', h.mgmt('has_registered_mobile_device', 'a'), h.app);
    expect(probe.status).toBe(404);
  });

  it('delete_users with wrong types -> 400, alice survives', async () => {
    const a = await signed('POST', h.mgmt('delete_users'), h.app, { body: '{"users": "alice"}' });
    expect(a.status).toBe(400);
    expect(await h.hasDevice('alice')).toBe(true);
  });

  it('a body over 1 MiB -> 413, nothing created', async () => {
    const users = Array.from({ length: 120_000 }, (_, i) => `user-${i}`);
    const body = JSON.stringify({ users });
    expect(body.length).toBeGreaterThan(1024 * 1024);
    const a = await signed('POST', h.mgmt('add_users'), h.app, { body }).then(
      (answer) => answer.status,
      (error: unknown) => (error as Error).message,
    );
    // Either the 413 arrives or the connection is closed while we are still sending.
    if (typeof a === 'string') expect(a).toMatch(/fetch failed|socket|reset/i);
    else expect(a).toBe(413);
    const probe = await signed('GET', h.mgmt('has_registered_mobile_device', 'user-1'), h.app);
    expect(probe.status).toBe(404);
  });

  it('a chunked body over 1 MiB (no Content-Length) -> 413', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        h.mgmt('add_users'),
        { method: 'POST', headers: { 'Content-Type': 'application/json' } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      for (let i = 0; i < 18; i++) req.write(chunk);
      req.end();
    });
    expect(status).toBe(413);
  });

  it('authenticate with bad methods / duration / body -> 400, no session', async () => {
    const before = await snapshot();
    for (const q of [
      '?methods=retina',
      '?methods=',
      '?methods=device,device',
      '?duration_seconds=0',
      '?duration_seconds=abc',
      '?duration_seconds=86401',
      '?bogus=1',
      '?methods=a&methods=b',
    ]) {
      const { answer } = await h.authenticate('alice', q);
      expect(answer.status, q).toBe(400);
    }
    const notObject = await signed('POST', h.authUrl('alice'), h.app, { body: '[]' });
    expect(notObject.status).toBe(400);
    const broken = await signed('POST', h.authUrl('alice'), h.app, { body: '{' });
    expect(broken.status).toBe(400);
    expect(await snapshot()).toEqual(before);
  });

  it('malformed percent-encoding in a path segment -> 400', async () => {
    const a = await signed('GET', `${h.mgmt('has_registered_mobile_device')}/%E0%A4%A`, h.app);
    expect(a.status).toBe(400);
  });

  it('unknown routes -> 404 plain text; wrong methods -> 405 with Allow', async () => {
    for (const path of [
      '/',
      '/management/nope/x',
      '/authentication/nope',
      '/management/status/x',
      '/sandbox/nope',
      '/management',
    ]) {
      const res = await fetch(h.sandbox.baseUrl + path);
      expect(res.status, path).toBe(404);
      expect(res.headers.get('content-type'), path).toMatch(/^text\/plain/);
      await res.text();
    }
    const a = await signed('GET', h.mgmt('add_users'), h.app);
    expect(a.status).toBe(405);
    expect(a.headers.get('allow')).toBe('POST');
    const b = await signed('POST', h.mgmt('has_registered_mobile_device', 'alice'), h.app, { body: '{}' });
    expect(b.status).toBe(405);
    expect(b.headers.get('allow')).toBe('GET');
    const c = await fetch(`${h.sandbox.baseUrl}/sandbox/faults`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{}',
    });
    expect(c.status).toBe(405);
  });

  it('extra path segments -> 404', async () => {
    const a = await signed('GET', `${h.mgmt('has_registered_mobile_device', 'alice')}/extra`, h.app);
    expect(a.status).toBe(404);
  });

  it('sandbox API: bad JSON, wrong Content-Type, foreign Origin or Host are refused', async () => {
    const base = `${h.sandbox.baseUrl}/sandbox`;
    const bad = await fetch(`${base}/register`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{nope',
    });
    expect(bad.status).toBe(400);
    const text = await fetch(`${base}/register`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain' },
      body: '{"link":"x"}',
    });
    expect(text.status).toBe(415);
    const origin = await fetch(`${base}/faults`, { method: 'DELETE', headers: { Origin: 'http://evil.example' } });
    expect(origin.status).toBe(403);
    const host = await new Promise<number>((resolve, reject) => {
      const req = request(`${base}/faults`, { headers: { Host: 'evil.example:80' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(host).toBe(403);
    const fault = await fetch(`${base}/faults`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: '{"faults":[{"route":"*","kind":"error","status":418}]}',
    });
    expect(fault.status).toBe(400);
    expect(await h.phone.faults()).toEqual([]);
    await expect(h.phone.register('https://example.com/not-a-link')).rejects.toMatchObject({ code: 'invalid_input' });
  });
});
