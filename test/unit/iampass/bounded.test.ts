import { afterEach, describe, expect, it } from 'vitest';
import { mapBounded } from '../../../src/node/bounded.ts';
import { IampassClient } from '../../../src/main/iampass/client.ts';
import { AppError } from '../../../src/shared/errors.ts';
import { APP_ID, SECRET, json, startServer, type TestServer } from './helpers.ts';

let server: TestServer | undefined;
let client: IampassClient | undefined;
afterEach(async () => {
  client?.close();
  client = undefined;
  await server?.close();
  server = undefined;
});

describe('bounded concurrency', () => {
  it('never has more than `concurrency` requests in flight, keeps input order, collects per-item errors', async () => {
    let inFlight = 0;
    let peak = 0;
    server = await startServer((req, res) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      setTimeout(() => {
        inFlight--;
        if (req.url.endsWith('/missing')) res.writeHead(404).end('Unknown user');
        else json(res, 200, { status: true, device_registered: req.url.endsWith('7') });
      }, 15);
    });
    client = new IampassClient({
      flavour: 'Sandbox',
      baseUrl: server.baseUrl,
      applicationId: APP_ID,
      secret: SECRET,
      concurrency: 4,
    });
    const ids = Array.from({ length: 30 }, (_, i) => (i === 5 ? 'missing' : `u${i}`));
    const progress: number[] = [];
    const results = await mapBounded(ids, (id, signal) => client!.hasRegisteredDevice(id, { signal }), {
      concurrency: client.concurrency,
      onProgress: (done) => progress.push(done),
    });
    expect(peak).toBe(4);
    expect(server.requests).toHaveLength(30);
    expect(results.map((r) => r.item)).toEqual(ids);
    expect(results[5]).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(results[7]).toMatchObject({ ok: true, value: true });
    expect(results[8]).toMatchObject({ ok: true, value: false });
    expect(progress).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    // Keep-alive: no more connections than the concurrency.
    expect(server.connections()).toBeLessThanOrEqual(4);
  });

  it("defaults to 16 in flight; a per-run concurrency overrides the profile's", async () => {
    let inFlight = 0;
    let peak = 0;
    server = await startServer((_req, res) => {
      peak = Math.max(peak, ++inFlight);
      setTimeout(() => {
        inFlight--;
        json(res, 200, { status: true, device_registered: false });
      }, 25);
    });
    client = new IampassClient({ flavour: 'Sandbox', baseUrl: server.baseUrl, applicationId: APP_ID, secret: SECRET });
    expect(client.concurrency).toBe(16);
    const ids = Array.from({ length: 48 }, (_, i) => `u${i}`);
    await mapBounded(ids, (id, signal) => client!.hasRegisteredDevice(id, { signal }), {
      concurrency: client.concurrency,
    });
    expect(peak).toBe(16);
    peak = 0;
    await mapBounded(ids, (id, signal) => client!.hasRegisteredDevice(id, { signal }), { concurrency: 3 });
    expect(peak).toBe(3);
  });

  it('on abort, stops starting items and reports the rest as cancelled', async () => {
    server = await startServer((_req, res) =>
      setTimeout(() => json(res, 200, { status: true, device_registered: false }), 20),
    );
    client = new IampassClient({
      flavour: 'Sandbox',
      baseUrl: server.baseUrl,
      applicationId: APP_ID,
      secret: SECRET,
      concurrency: 2,
    });
    const controller = new AbortController();
    const ids = Array.from({ length: 40 }, (_, i) => `u${i}`);
    const results = await mapBounded(ids, (id, signal) => client!.hasRegisteredDevice(id, { signal }), {
      concurrency: client.concurrency,
      signal: controller.signal,
      onProgress: (done) => {
        if (done === 4) controller.abort();
      },
    });
    const cancelled = results.filter((r) => !r.ok && r.error.code === 'cancelled').length;
    expect(results.filter((r) => r.ok).length).toBeGreaterThanOrEqual(4);
    expect(cancelled).toBeGreaterThanOrEqual(34);
    expect(server.requests.length).toBeLessThanOrEqual(6);
  });

  it('bulk add/delete run batches concurrently and an abort leaves unsent batches failed as cancelled', async () => {
    server = await startServer((req, res) => {
      const users = (JSON.parse(req.body) as { users: string[] }).users;
      setTimeout(() => json(res, 201, { status: true, users: { created: users, existing: [] } }), 30);
    });
    client = new IampassClient({
      flavour: 'Sandbox',
      baseUrl: server.baseUrl,
      applicationId: APP_ID,
      secret: SECRET,
      concurrency: 2,
      batchSize: 10,
    });
    const controller = new AbortController();
    const ids = Array.from({ length: 100 }, (_, i) => `u${i}`);
    const result = await client.addUsers(ids, {
      signal: controller.signal,
      onBatch: (done) => {
        if (done >= 20) controller.abort();
      },
    });
    expect(result.created.length + result.failed.reduce((n, f) => n + f.users.length, 0)).toBe(100);
    expect(result.created.length).toBeGreaterThanOrEqual(20);
    expect(result.failed.every((f) => f.error.code === 'cancelled')).toBe(true);
    expect(result.failed.length).toBeGreaterThanOrEqual(7);
  });

  it('rejects a bad per-run concurrency', async () => {
    server = await startServer((_req, res) => json(res, 200, {}));
    client = new IampassClient({ flavour: 'Sandbox', baseUrl: server.baseUrl, applicationId: APP_ID, secret: SECRET });
    await expect(mapBounded([1], () => Promise.resolve(1), { concurrency: 0 })).rejects.toBeInstanceOf(AppError);
  });
});
