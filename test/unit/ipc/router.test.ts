import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../../src/shared/errors.ts';
import { EVENT_CHANNELS, REQUEST_CHANNELS, requests } from '../../../src/shared/ipc/contract.ts';
import { createHandlers } from '../../../src/main/ipc/handlers/index.ts';
import { createEventBus, createRouter, type Handlers } from '../../../src/main/ipc/router.ts';
import { openTestServices, type TestServices } from '../../support/services.ts';

const sender = { id: 'test', url: 'file:///app/index.html' };
let t: TestServices;
beforeAll(async () => (t = await openTestServices()));
afterAll(() => t.cleanup());
const handlers = (): Handlers =>
  createHandlers({
    app: { version: '1.2.3', dataDir: '/data/dir', platform: 'linux' },
    services: t.services,
    bus: createEventBus(),
  });
/** A table where only app.info is implemented (the router must still type-check and dispatch it). */
const only = (h: Partial<Handlers>): Handlers => ({ ...handlers(), ...h });

describe('router', () => {
  it('answers app.info with version, platform and data folder', async () => {
    const router = createRouter(handlers());
    expect(await router.handle('app.info', {}, sender)).toEqual({
      ok: true,
      value: { version: '1.2.3', platform: 'linux', dataDir: '/data/dir' },
    });
  });

  it('defaults platform to the process platform', async () => {
    const router = createRouter(
      createHandlers({ app: { version: 'v', dataDir: '/d' }, services: t.services, bus: createEventBus() }),
    );
    const result = await router.handle('app.info', {}, sender);
    expect(result.ok && (result.value as { platform: string }).platform).toBe(process.platform);
  });

  it('rejects an unknown channel as invalid_input without calling anything', async () => {
    let called = 0;
    const router = createRouter(only({ 'app.info': () => (called++, { version: '', platform: '', dataDir: '' }) }));
    for (const channel of ['nope', '__proto__', 'constructor', 'toString', 'app.info ']) {
      const result = await router.handle(channel, {}, sender);
      expect(result).toMatchObject({ ok: false, code: 'invalid_input', retryable: false });
    }
    expect(called).toBe(0);
  });

  it('validates payloads: names the bad fields, never echoes their values, calls no handler', async () => {
    let called = 0;
    const router = createRouter(only({ 'app.info': () => (called++, { version: '', platform: '', dataDir: '' }) }));
    const secret = 'sk_live_very_secret_value';
    const result = await router.handle('app.info', { secret }, sender);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.code).toBe('invalid_input');
    expect(result.message).toContain('secret');
    expect(JSON.stringify(result)).not.toContain(secret);
    for (const bad of [null, undefined, 'x', 42, []]) {
      const r = await router.handle('app.info', bad, sender);
      expect(r).toMatchObject({ ok: false, code: 'invalid_input' });
      expect(JSON.stringify(r)).not.toContain('"stack"');
    }
    expect(called).toBe(0);
  });

  it('maps a thrown AppError to its code and an unknown throw to a generic internal error', async () => {
    const appError = createRouter(
      only({
        'app.info': () => {
          throw new AppError('keychain', 'The keychain is locked.');
        },
      }),
    );
    expect(await appError.handle('app.info', {}, sender)).toEqual({
      ok: false,
      code: 'keychain',
      message: 'The keychain is locked.',
      retryable: false,
    });

    const seen: unknown[] = [];
    const crash = createRouter(
      only({
        'app.info': () => {
          throw new Error('password=hunter2 at /secret/path');
        },
      }),
      { onError: (_c, e) => seen.push(e) },
    );
    const result = await crash.handle('app.info', {}, sender);
    expect(result).toMatchObject({ ok: false, code: 'internal', retryable: false });
    expect(JSON.stringify(result)).not.toContain('hunter2');
    expect(seen).toHaveLength(1);
  });

  it('passes the sender to the handler', async () => {
    let got: unknown;
    const router = createRouter(
      only({
        'app.info': (_p, ctx) => {
          got = ctx.sender;
          return { version: '', platform: '', dataDir: '' };
        },
      }),
    );
    await router.handle('app.info', {}, sender);
    expect(got).toEqual(sender);
  });

  it('the contract lists every channel once and has a schema for each request', () => {
    expect(REQUEST_CHANNELS).toContain('app.info');
    expect(EVENT_CHANNELS).toContain('app.ready');
    for (const c of REQUEST_CHANNELS) expect(typeof requests[c].request.safeParse).toBe('function');
  });
});

describe('event bus', () => {
  it('delivers events to subscribers until they unsubscribe', () => {
    const bus = createEventBus();
    const got: unknown[] = [];
    const off = bus.subscribe((event, payload) => got.push([event, payload]));
    bus.emit('app.ready', { at: 1 });
    off();
    bus.emit('app.ready', { at: 2 });
    expect(got).toEqual([['app.ready', { at: 1 }]]);
  });
});

describe('contract typing', () => {
  it('a handler table missing a channel, or a client call with a wrong payload, fails to type-check (tsc runs these lines)', async () => {
    const { 'app.info': _dropped, ...rest } = handlers();
    // @ts-expect-error 'app.info' has no handler
    const incomplete: Handlers = rest;
    const router = createRouter(incomplete);
    // At run time the missing handler is still a typed error, not a crash.
    expect(await router.handle('app.info', {}, sender)).toMatchObject({ ok: false, code: 'internal' });
  });
});
