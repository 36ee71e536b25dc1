import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeSignature, newNonce } from '../../../src/node/signer.ts';
import { Harness, ManualClock, signed, type Session } from './helpers.ts';

describe('sandbox: strict request authentication', () => {
  let h: Harness;
  let url: string;
  let session: Session;
  beforeAll(async () => {
    h = await Harness.start({ timestampWindowSeconds: 30 });
    await h.enrol('alice');
    url = h.mgmt('has_registered_mobile_device', 'alice');
    session = (await h.authenticate('alice')).session!;
  });
  afterAll(async () => {
    await h.close();
  });

  const reason = (json: unknown) => json as { status: boolean; reason: string };

  it('accepts a correctly signed request', async () => {
    const a = await signed('GET', url, h.app);
    expect(a.status).toBe(200);
  });

  it('accepts either spelling of the X- headers alone', async () => {
    const onlyCorrect = await signed('GET', url, h.app, {
      tamper: (hd) => {
        delete hd['X-IAMPASS-Authentiaction-Timestamp'];
        delete hd['X-IAMPASS-Authentiaction-Version'];
      },
    });
    expect(onlyCorrect.status).toBe(200);
    const onlyMisspelt = await signed('GET', url, h.app, {
      tamper: (hd) => {
        delete hd['X-IAMPASS-Authentication-Timestamp'];
        delete hd['X-IAMPASS-Authentication-Version'];
      },
    });
    expect(onlyMisspelt.status).toBe(200);
  });

  it('accepts the Activeconnect header prefix too', async () => {
    const a = await signed('GET', url, h.app, {
      tamper: (hd) => {
        for (const k of Object.keys(hd)) {
          if (!k.startsWith('X-IAMPASS-')) continue;
          hd[k.replace('X-IAMPASS-', 'X-Activeconnect-')] = hd[k]!;
          delete hd[k];
        }
      },
    });
    expect(a.status).toBe(200);
  });

  it.each([
    [
      'a tampered signature',
      (hd: Record<string, string>) => {
        const sig = hd.Authentication!.slice(-24);
        const flipped = (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1);
        hd.Authentication = hd.Authentication!.slice(0, -24) + flipped;
      },
      'signature mismatch',
    ],
    [
      'a tampered nonce',
      (hd: Record<string, string>) => {
        hd.Authentication = hd.Authentication!.replace(/:(\d+):/, (_m, n: string) => `:${BigInt(n) ^ 1n}:`);
      },
      'signature mismatch',
    ],
    [
      'a tampered timestamp',
      (hd: Record<string, string>) => {
        const ts = String(Number(hd['X-IAMPASS-Authentication-Timestamp']) - 1);
        for (const k of Object.keys(hd)) if (k.endsWith('Timestamp')) hd[k] = ts;
      },
      'signature mismatch',
    ],
    [
      'a missing Authentication header',
      (hd: Record<string, string>) => {
        delete hd.Authentication;
      },
      'Authentication',
    ],
    [
      'Authorization instead of Authentication',
      (hd: Record<string, string>) => {
        hd.Authorization = hd.Authentication!;
        delete hd.Authentication;
      },
      'Authentication',
    ],
    [
      'a wrong version',
      (hd: Record<string, string>) => {
        for (const k of Object.keys(hd)) if (k.endsWith('Version')) hd[k] = '2';
      },
      'version',
    ],
    [
      'a missing timestamp',
      (hd: Record<string, string>) => {
        for (const k of Object.keys(hd)) if (k.endsWith('Timestamp')) delete hd[k];
      },
      'timestamp',
    ],
  ])('rejects %s with 401 and a JSON reason', async (_name, tamper, why) => {
    const a = await signed('GET', url, h.app, { tamper });
    expect(a.status).toBe(401);
    expect(reason(a.json).status).toBe(false);
    expect(reason(a.json).reason).toContain(why);
  });

  it('rejects a signature made for another URI', async () => {
    const other = h.mgmt('has_registered_mobile_device', 'bob');
    const a = await signed('GET', url, h.app, { signedUrl: other });
    expect(a.status).toBe(401);
    expect(reason(a.json).reason).toBe('signature mismatch');
    // The Host is part of the URI too: localhost vs 127.0.0.1.
    const b = await signed('GET', url, h.app, { signedUrl: url.replace('127.0.0.1', 'localhost') });
    expect(b.status).toBe(401);
  });

  it('rejects the wrong secret and an unknown client', async () => {
    const a = await signed('GET', url, { clientId: h.app.clientId, secret: 'F'.repeat(48) });
    expect(a.status).toBe(401);
    const unknown = 'C'.repeat(32);
    const b = await signed('GET', url, { clientId: unknown, secret: 'F'.repeat(48) });
    expect(b.status).toBe(401);
    expect(reason(b.json).reason).toBe('unknown client');
  });

  it('rejects stale and future timestamps outside the window', async () => {
    // The server's clock is a test clock: a slow machine cannot move the edges.
    const clock = new ManualClock();
    const hc = await Harness.start({ timestampWindowSeconds: 30, clock });
    try {
      await hc.addUsers(['alice']);
      const at = hc.mgmt('has_registered_mobile_device', 'alice');
      const now = clock.timestamp();
      const stale = await signed('GET', at, hc.app, { timestamp: now - 31 });
      expect(stale.status).toBe(401);
      expect(reason(stale.json).reason).toContain('window');
      const future = await signed('GET', at, hc.app, { timestamp: now + 31 });
      expect(future.status).toBe(401);
      const edge = await signed('GET', at, hc.app, { timestamp: now - 25 });
      expect(edge.status).toBe(200);
      const edgeAhead = await signed('GET', at, hc.app, { timestamp: now + 29 });
      expect(edgeAhead.status).toBe(200);
    } finally {
      await hc.close();
    }
  });

  it('rejects a replayed nonce for the same client, even with a fresh signature', async () => {
    const nonce = newNonce();
    const ts = Math.floor(Date.now() / 1000);
    const first = await signed('GET', url, h.app, { nonce, timestamp: ts });
    expect(first.status).toBe(200);
    const replay = await signed('GET', url, h.app, { nonce, timestamp: ts });
    expect(replay.status).toBe(401);
    expect(reason(replay.json).reason).toContain('replay');
    // Same nonce, different timestamp (so a different valid signature): still a replay.
    const resigned = await signed('GET', url, h.app, { nonce, timestamp: ts - 1 });
    expect(resigned.status).toBe(401);
    // The same nonce is fine for another client (per-client cache).
    const other = await signed(
      'GET',
      session.statusUrl,
      { clientId: session.token, secret: session.secret },
      { nonce, timestamp: ts },
    );
    expect(other.status).toBe(200);
  });

  it('a rejected request does not burn its nonce', async () => {
    const nonce = newNonce();
    const bad = await signed('GET', url, { clientId: h.app.clientId, secret: 'F'.repeat(48) }, { nonce });
    expect(bad.status).toBe(401);
    const good = await signed('GET', url, h.app, { nonce });
    expect(good.status).toBe(200);
  });

  it('status and logout need the session credentials, not the application ones', async () => {
    const withApp = await signed('GET', session.statusUrl, h.app);
    expect(withApp.status).toBe(401);
    const wrongSecret = await signed('GET', session.statusUrl, { clientId: session.token, secret: 'A'.repeat(48) });
    expect(wrongSecret.status).toBe(401);
    const other = (await h.authenticate('alice')).session!;
    // Another session's credentials on this session's URL.
    const crossed = await signed('POST', session.logoutUrl, { clientId: other.token, secret: other.secret });
    expect(crossed.status).toBe(401);
    expect(await h.status(session)).toBe('pending');
  });

  it('a signature computed by hand matches what the server verifies (canonical = host + path + query)', async () => {
    const nonce = '12345';
    const ts = Math.floor(Date.now() / 1000);
    const sig = computeSignature({ secret: h.app.secret, url, nonce, timestamp: ts });
    const res = await fetch(url, {
      headers: {
        Authentication: `hmac ${h.app.clientId}:${nonce}:${sig}`,
        'X-IAMPASS-Authentication-Timestamp': String(ts),
        'X-IAMPASS-Authentication-Version': '1',
      },
    });
    expect(res.status).toBe(200);
  });
});
