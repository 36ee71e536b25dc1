import { request } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Faults, parseFaultFlag } from '../../../src/sandbox/faults.ts';
import { signedHeaders } from '../../../src/node/signer.ts';
import { Harness, ManualClock } from './helpers.ts';

describe('fault rules', () => {
  it('parses the flag form and refuses bad ones', () => {
    expect(parseFaultFlag('has_registered_mobile_device:error:status=503,rate=0.5')).toEqual({
      route: 'has_registered_mobile_device',
      kind: 'error',
      status: 503,
      rate: 0.5,
    });
    expect(parseFaultFlag('*:latency:ms=200,jitterMs=50')).toEqual({
      route: '*',
      kind: 'latency',
      ms: 200,
      jitterMs: 50,
    });
    expect(parseFaultFlag('*:clock:seconds=-600')).toEqual({ route: '*', kind: 'clock', seconds: -600 });
    for (const bad of [
      'nope:error:status=500',
      '*:explode',
      '*:error:status=418',
      '*:error',
      '*:latency',
      '*:clock',
      '*:reset:rate=2',
      '*:reset:rate=x',
      'a:b:c:d',
      '*:latency:bogus=1',
    ]) {
      expect(() => parseFaultFlag(bad), bad).toThrow();
    }
  });

  it('a seeded rate is reproducible', () => {
    const run = () => {
      const f = new Faults([{ route: '*', kind: 'error', status: 500, rate: 0.3 }], 42);
      const rule = f.for('status')[0]!;
      return Array.from({ length: 200 }, () => f.fires(rule));
    };
    const a = run();
    expect(run()).toEqual(a);
    const hits = a.filter(Boolean).length;
    expect(hits).toBeGreaterThan(30);
    expect(hits).toBeLessThan(90);
  });
});

describe('faults over HTTP', () => {
  // A latency fault waits on this clock: it records the delay and moves the clock, without sleeping.
  const clock = new ManualClock();
  let h: Harness;
  let url: string;
  beforeAll(async () => {
    h = await Harness.start({ clock, faults: [{ route: 'add_users', kind: 'error', status: 502 }] });
    await h.phone.clearFaults();
    await h.enrol('alice');
    url = h.mgmt('has_registered_mobile_device', 'alice');
  });
  afterEach(async () => {
    await h.phone.clearFaults();
  });
  afterAll(async () => {
    await h.close();
  });

  it('initial faults from the options are in force until cleared', async () => {
    const h2 = await Harness.start({ faults: [{ route: 'add_users', kind: 'error', status: 502 }] });
    try {
      expect((await h2.addUsers(['x'])).status).toBe(502);
      await h2.phone.clearFaults();
      expect((await h2.addUsers(['x'])).status).toBe(201);
    } finally {
      await h2.close();
    }
  });

  it('every fault kind set at start-up with the --fault flag syntax is in force on its own route', async () => {
    const flags = [
      'lost_user_mobile_device:latency:ms=150,jitterMs=20',
      'status:error:status=429,retryAfter=9',
      'delete_users:reset',
      'has_registered_mobile_device:truncate',
      'device_registration_link:non_json',
      'authenticate_user:clock:seconds=-3600',
    ];
    const clock2 = new ManualClock();
    const h2 = await Harness.start({ clock: clock2, faults: flags.map(parseFaultFlag) });
    try {
      expect(await h2.phone.faults()).toHaveLength(flags.length);
      expect((await h2.addUsers(['bob'])).status).toBe(201); // an unfaulted route
      const t0 = clock2.now();
      expect((await h2.sign('GET', h2.mgmt('lost_user_mobile_device', 'nobody'))).status).toBe(404);
      expect(clock2.now() - t0).toBeGreaterThanOrEqual(145);
      const limited = await h2.sign('GET', `${h2.sandbox.baseUrl}/authentication/status/x`);
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toBe('9');
      await expect(h2.sign('POST', h2.mgmt('delete_users'), { body: '{"users":["bob"]}' })).rejects.toThrow();
      await expect(
        h2.sign('GET', h2.mgmt('has_registered_mobile_device', 'bob')).then((a) => a.json),
      ).rejects.toThrow();
      const page = await h2.sign('GET', h2.mgmt('device_registration_link', 'bob'));
      expect(page.status).toBe(200);
      expect(page.json).toBeNull();
      const auth = await h2.sign('POST', h2.authUrl('bob'), { body: '{}' });
      expect(auth.status).toBe(401);
      expect((Date.parse(auth.headers.get('date') ?? '') - clock2.now()) / 1000).toBeLessThan(-3500);
      // Cleared at run time through the sandbox API: the routes answer normally again, and the reset call deleted nothing.
      await h2.phone.clearFaults();
      expect((await h2.sign('GET', h2.mgmt('has_registered_mobile_device', 'bob'))).json).toMatchObject({
        status: true,
        device_registered: false,
      });
      expect((await h2.sign('POST', h2.mgmt('delete_users'), { body: '{"users":["bob"]}' })).status).toBe(200);
    } finally {
      await h2.close();
    }
  });

  it.each([500, 502, 503])('error %i on one route only, nothing processed', async (status) => {
    await h.phone.setFaults([{ route: 'add_users', kind: 'error', status }]);
    const a = await h.addUsers([`faulty-${status}`]);
    expect(a.status).toBe(status);
    expect((await h.sign('GET', url)).status).toBe(200); // other routes untouched
    await h.phone.clearFaults();
    // The refused call created nothing: the user is new now.
    expect((await h.addUsers([`faulty-${status}`])).json).toMatchObject({ users: { created: [`faulty-${status}`] } });
  });

  it('429 carries Retry-After', async () => {
    await h.phone.setFaults([{ route: '*', kind: 'error', status: 429, retryAfter: 7 }]);
    const a = await h.sign('GET', url);
    expect(a.status).toBe(429);
    expect(a.headers.get('retry-after')).toBe('7');
  });

  it('rate 0 never fires', async () => {
    await h.phone.setFaults([{ route: '*', kind: 'error', status: 500, rate: 0 }]);
    expect((await h.sign('GET', url)).status).toBe(200);
  });

  it('latency: fixed delay', async () => {
    await h.phone.setFaults([{ route: 'has_registered_mobile_device', kind: 'latency', ms: 150 }]);
    clock.slept.splice(0);
    const t0 = clock.now();
    expect((await h.sign('GET', url)).status).toBe(200);
    expect(clock.now() - t0).toBeGreaterThanOrEqual(145);
    expect(clock.slept).toEqual([150]);
  });

  it('latency on the default clock: the answer really waits (the one test that measures real time; a lower bound only)', async () => {
    const real = await Harness.start({ faults: [{ route: 'has_registered_mobile_device', kind: 'latency', ms: 150 }] });
    try {
      await real.addUsers(['alice']);
      const t0 = Date.now();
      expect((await real.sign('GET', real.mgmt('has_registered_mobile_device', 'alice'))).status).toBe(200);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(145);
    } finally {
      await real.close();
    }
  });

  it('latency: jitter adds between 0 and jitterMs', async () => {
    await h.phone.setFaults([{ route: '*', kind: 'latency', ms: 50, jitterMs: 100 }]);
    clock.slept.splice(0);
    const t0 = clock.now();
    await h.sign('GET', url);
    const took = clock.now() - t0;
    expect(took).toBeGreaterThanOrEqual(45);
    expect(took).toBeLessThan(1000);
    // Exactly: one wait of ms + uniform(0..jitterMs).
    expect(clock.slept).toHaveLength(1);
    expect(clock.slept[0]).toBeGreaterThanOrEqual(50);
    expect(clock.slept[0]).toBeLessThan(150);
  });

  it('connection reset', async () => {
    await h.phone.setFaults([{ route: '*', kind: 'reset' }]);
    await expect(h.sign('GET', url)).rejects.toThrow();
  });

  it('truncated body: Content-Length promises more than arrives, then the connection ends', async () => {
    await h.phone.setFaults([{ route: 'has_registered_mobile_device', kind: 'truncate' }]);
    const outcome = await new Promise<{ declared: number; got: number; error: boolean }>((resolve) => {
      const req = request(
        url,
        { headers: signedHeaders('IAMPASS', h.app, url, { timestamp: clock.timestamp() }) },
        (res) => {
          let got = 0;
          const declared = Number(res.headers['content-length']);
          res.on('data', (c: Buffer) => (got += c.length));
          res.on('error', () => resolve({ declared, got, error: true }));
          res.on('aborted', () => resolve({ declared, got, error: true }));
          res.on('end', () => resolve({ declared, got, error: false }));
        },
      );
      req.on('error', () => resolve({ declared: -1, got: -1, error: true }));
      req.end();
    });
    expect(outcome.error).toBe(true);
    expect(outcome.got).toBeGreaterThan(0);
    expect(outcome.got).toBeLessThan(outcome.declared);
    // fetch sees it as a failure, never as a success.
    await expect(h.sign('GET', url).then((a) => a.json)).rejects.toThrow();
  });

  it('non-JSON body with a 200', async () => {
    await h.phone.setFaults([{ route: '*', kind: 'non_json' }]);
    const a = await h.sign('GET', url);
    expect(a.status).toBe(200);
    expect(a.json).toBeNull();
    expect(a.headers.get('content-type')).toMatch(/text\/html/);
  });

  it('clock offset: shifts the Date header and the timestamp check', async () => {
    await h.phone.setFaults([{ route: '*', kind: 'clock', seconds: 3600 }]);
    const now = clock.timestamp();
    const a = await h.sign('GET', url);
    expect(a.status).toBe(401);
    expect(a.json).toMatchObject({ reason: expect.stringContaining('window') as string });
    const date = Date.parse(a.headers.get('date') ?? '') / 1000;
    expect(date - now).toBeGreaterThan(3500);
    expect(date - now).toBeLessThan(3700);
    // A client that corrects its clock from the Date header gets in.
    const b = await h.sign('GET', url, { timestamp: now + 3600 });
    expect(b.status).toBe(200);
  });

  it('faults never touch the sandbox API', async () => {
    await h.phone.setFaults([{ route: '*', kind: 'error', status: 500 }]);
    expect(await h.phone.faults()).toHaveLength(1);
    expect(await h.phone.pending(h.app.clientId, 'alice')).toEqual([]);
  });
});
