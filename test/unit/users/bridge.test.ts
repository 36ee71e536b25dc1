// The users / jobs / onboarding channels through the real router and event
// bus, on real services, the real sandbox and its virtual phone: QR matrices
// decode (jsQR on rendered pixels) to working registration links, the phone
// registers, lost device mints a new link, and the link itself never crosses
// the bridge, the audit log, or the disk.
import jsQR from 'jsqr';
import QRCode from 'qrcode';
import { afterEach, expect, it } from 'vitest';
import { createHandlers } from '../../../src/main/ipc/handlers/index.ts';
import { createEventBus, createRouter } from '../../../src/main/ipc/router.ts';
import type { SaveFileRequest } from '../../../src/main/services/onboarding.ts';
import { getUser } from '../../../src/main/store/directory.ts';
import type { JobFinished } from '../../../src/shared/ipc/jobs.ts';
import type { OnboardingView, QrMatrix, UsersSnapshot } from '../../../src/shared/ipc/users.ts';
import { filesContain } from '../services/helpers.ts';
import { usersFixture, type UsersFixture } from './fixture.ts';

let fx: UsersFixture | null = null;
afterEach(async () => {
  await fx?.close();
  fx = null;
});

const sender = { id: 'test', url: 'app://renderer/index.html' };

/** Draws the matrix as the renderer would (scale 4, quiet zone 4) and decodes it with jsQR. */
function decode(qr: QrMatrix): string {
  const scale = 4;
  const quiet = 4;
  const side = (qr.size + 2 * quiet) * scale;
  const pixels = new Uint8ClampedArray(side * side * 4).fill(255);
  for (let y = 0; y < qr.size; y++) {
    for (let x = 0; x < qr.size; x++) {
      if (qr.modules[y * qr.size + x] !== '1') continue;
      for (let dy = 0; dy < scale; dy++) {
        for (let dx = 0; dx < scale; dx++) {
          const i = (((y + quiet) * scale + dy) * side + (x + quiet) * scale + dx) * 4;
          pixels[i] = pixels[i + 1] = pixels[i + 2] = 0;
        }
      }
    }
  }
  const code = jsQR(pixels, side, side);
  if (!code) throw new Error('the QR matrix does not decode');
  return code.data;
}

async function setup(): Promise<{
  f: UsersFixture;
  call: <T>(channel: string, payload: unknown) => Promise<T>;
  raw: (channel: string, payload: unknown) => Promise<unknown>;
  wire: { event: string; payload: unknown }[];
  clipboard: string[];
  saved: SaveFileRequest[];
  finished: (jobId: string) => Promise<JobFinished>;
}> {
  const f = (fx = await usersFixture({ pollMs: 30 }));
  const bus = createEventBus();
  const wire: { event: string; payload: unknown }[] = [];
  bus.subscribe((event, payload) => wire.push({ event, payload }));
  const clipboard: string[] = [];
  const saved: SaveFileRequest[] = [];
  const router = createRouter(
    createHandlers({
      app: { version: 't', dataDir: f.dir },
      services: f.services,
      bus,
      onboardingPorts: {
        clipboard: { writeText: (text) => void clipboard.push(text) },
        saveFile: { save: (req) => Promise.resolve(saved.push(req) > 0) },
      },
    }),
  );
  const responses: unknown[] = [];
  const raw = async (channel: string, payload: unknown): Promise<unknown> => {
    const r = await router.handle(channel, payload, sender);
    responses.push(r);
    wire.push({ event: `response:${channel}`, payload: r });
    return r;
  };
  const call = async <T>(channel: string, payload: unknown): Promise<T> => {
    const r = (await raw(channel, payload)) as { ok: boolean; value?: T; code?: string; message?: string };
    if (!r.ok) throw new Error(`${channel}: ${r.code ?? ''} ${r.message ?? ''}`);
    return r.value as T;
  };
  const finished = async (jobId: string): Promise<JobFinished> => {
    await expect
      .poll(() => wire.some((w) => w.event === 'job.finished' && (w.payload as JobFinished).jobId === jobId), {
        timeout: 10_000,
      })
      .toBe(true);
    return wire.find((w) => w.event === 'job.finished' && (w.payload as JobFinished).jobId === jobId)!
      .payload as JobFinished;
  };
  return { f, call, raw, wire, clipboard, saved, finished };
}

it('QR onboarding: the matrix decodes to the link the sandbox issued, the phone registers, the row turns registered; copy/export through the ports; the link never crosses the bridge or reaches the disk', async () => {
  const { f, call, raw, wire, clipboard, saved, finished } = await setup();
  const { jobId } = await call<{ jobId: string }>('users.add', { users: [{ userId: 'Zoë Ångström 🦄' }] });
  expect((await finished(jobId)).rows).toEqual([{ row: 1, userId: 'Zoë Ångström 🦄', result: 'created' }]);

  const view = await call<OnboardingView>('onboarding.show', { userId: 'Zoë Ångström 🦄' });
  expect(view).toMatchObject({
    userId: 'Zoë Ångström 🦄',
    displayName: 'Zoë Ångström 🦄 (Sandbox)',
    deviceState: 'unknown',
  });
  expect(view.expiresAt).toBeGreaterThan(Date.now() + 290_000);
  expect(view.qr.modules).toHaveLength(view.qr.size * view.qr.size);
  const link = decode(view.qr);
  expect(link).toMatch(/^https?:\/\/127\.0\.0\.1:\d+\//);

  await call('onboarding.copyLink', { handle: view.handle });
  expect(clipboard).toEqual([link]);
  expect(await call('onboarding.export', { handle: view.handle, format: 'png' })).toEqual({ saved: true });
  expect(await call('onboarding.export', { handle: view.handle, format: 'svg' })).toEqual({ saved: true });
  expect(saved.map((s) => [s.suggestedName, s.format])).toEqual([
    ['Zoë_Ångström_-registration.png', 'png'],
    ['Zoë_Ångström_-registration.svg', 'svg'],
  ]);
  // The PNG is exactly the code of the link (same renderer, same options); the SVG draws it.
  expect(
    Buffer.from(saved[0]!.data as Uint8Array).equals(
      await QRCode.toBuffer(link, { type: 'png', errorCorrectionLevel: 'M', margin: 4, width: 1024 }),
    ),
  ).toBe(true);
  expect(saved[1]!.data).toBe(await QRCode.toString(link, { type: 'svg', errorCorrectionLevel: 'M', margin: 4 }));

  // The phone opens the link: the watch sees it and says so.
  await f.phone.register(link);
  await expect.poll(() => wire.some((w) => w.event === 'onboarding.registered'), { timeout: 5000 }).toBe(true);
  expect(wire.find((w) => w.event === 'onboarding.registered')!.payload).toEqual({
    handle: view.handle,
    userId: 'Zoë Ångström 🦄',
  });
  const changed = wire
    .filter((w) => w.event === 'users.changed')
    .map((w) => w.payload as { upserts: { userId: string; deviceState: string }[] });
  expect(changed.at(-1)!.upserts).toMatchObject([{ userId: 'Zoë Ångström 🦄', deviceState: 'registered' }]);
  expect(getUser(f.services.store, f.profileId, 'Zoë Ångström 🦄')?.deviceState).toBe('registered');
  // Used link: the handle is gone.
  expect(await raw('onboarding.copyLink', { handle: view.handle })).toMatchObject({ ok: false, code: 'missing' });
  expect(f.services.onboarding.openHandles()).toEqual([]);

  // Nowhere else: not in any response or event, not in the audit log, not in the data folder.
  const token = new URL(link).pathname.split('/').filter(Boolean).at(-1)!;
  const everything = JSON.stringify(wire) + JSON.stringify(f.services.audit.query({}, { limit: 1000 }).rows);
  expect(everything).not.toContain(link);
  expect(everything).not.toContain(token);
  expect(filesContain(f.dir, token)).toEqual([]);
  expect(f.services.audit.query({}, { limit: 100 }).rows.map((a) => a.action)).toEqual(
    expect.arrayContaining([
      'user.registration_link',
      'user.registration_link_copy',
      'user.registration_qr_export',
      'user.device_registered',
    ]),
  );
});

it('lost device: a new code decoding to a new link, the old device is disabled, the row not registered, re-registration works; audited', async () => {
  const { f, call, wire, finished } = await setup();
  await finished(
    (await call<{ jobId: string }>('users.add', { users: [{ userId: 'bob', displayName: 'Bob Builder' }] })).jobId,
  );
  const first = await call<OnboardingView>('onboarding.show', { userId: 'bob' });
  expect(first.displayName).toBe('bob (Sandbox)');
  const firstLink = decode(first.qr);
  await f.phone.register(firstLink);
  await expect
    .poll(() => getUser(f.services.store, f.profileId, 'bob')?.deviceState, { timeout: 5000 })
    .toBe('registered');

  const lost = await call<OnboardingView>('users.lostDevice', { userId: 'bob' });
  expect(lost).toMatchObject({ userId: 'bob', deviceState: 'not_registered' });
  const newLink = decode(lost.qr);
  expect(newLink).not.toBe(firstLink);
  expect(getUser(f.services.store, f.profileId, 'bob')?.deviceState).toBe('not_registered');
  expect(await f.client.hasRegisteredDevice(f.iampassId('bob')!)).toBe(false);
  await expect(f.phone.register(firstLink)).rejects.toMatchObject({ code: 'not_found' });

  await f.phone.register(newLink);
  await expect.poll(() => wire.filter((w) => w.event === 'onboarding.registered').length, { timeout: 5000 }).toBe(2);
  expect(getUser(f.services.store, f.profileId, 'bob')?.deviceState).toBe('registered');
  expect(await f.client.hasRegisteredDevice(f.iampassId('bob')!)).toBe(true);
  expect(JSON.stringify(wire)).not.toContain(newLink);
  const audit = f.services.audit.query({ action: 'user.lost_device' }, { limit: 10 }).rows;
  expect(audit).toMatchObject([{ target: 'bob', outcome: 'ok' }]);
  // A registered user cannot get a plain registration link (the sandbox refuses): a typed error, nothing opened.
  const r = (await f.services.onboarding.show('bob').catch((e: unknown) => e)) as { code?: string };
  expect(r.code).toBe('refused');
  expect(f.services.onboarding.openHandles()).toEqual([]);
});

it('handles expire (event, link forgotten), close is idempotent, and bad input is a typed error that changes nothing', async () => {
  const { f, call, raw } = await setup();
  await f.services.users.jobs.wait(f.services.users.add([{ userId: 'carol' }]));
  const view = await call<OnboardingView>('onboarding.show', {
    userId: 'carol',
    displayName: 'Help desk: Carol',
    ttlSeconds: 10,
  });
  expect(view.displayName).toBe('Help desk: Carol');
  expect(view.expiresAt - Date.now()).toBeLessThanOrEqual(10_000);
  expect(await call('onboarding.close', { handle: view.handle })).toEqual({ closed: true });
  expect(await call('onboarding.close', { handle: view.handle })).toEqual({ closed: false });
  expect(await raw('onboarding.export', { handle: view.handle, format: 'png' })).toMatchObject({
    ok: false,
    code: 'missing',
  });

  // Expiry (a short TTL on the service).
  // Its own events reach the bus through the handlers, like the real one's.
  const short = new (f.services.onboarding.constructor as new (u: unknown, o: unknown) => typeof f.services.onboarding)(
    f.services.users,
    { ttlMs: 80, pollMs: 10_000 },
  );
  const shortBus = createEventBus();
  const shortWire: { event: string; payload: unknown }[] = [];
  shortBus.subscribe((event, payload) => shortWire.push({ event, payload }));
  createHandlers({
    app: { version: 't', dataDir: f.dir },
    services: { ...f.services, onboarding: short },
    bus: shortBus,
  });
  const v2 = await short.show('carol');
  await expect
    .poll(
      () =>
        shortWire.some(
          (w) => w.event === 'onboarding.expired' && (w.payload as { handle: string }).handle === v2.handle,
        ),
      { timeout: 3000 },
    )
    .toBe(true);
  await expect(short.copyLink(v2.handle, { writeText: () => undefined })).rejects.toMatchObject({ code: 'missing' });

  expect(await raw('onboarding.show', { userId: 'nobody' })).toMatchObject({ ok: false, code: 'missing' });
  expect(await raw('onboarding.show', { userId: 'carol', ttlSeconds: 1 })).toMatchObject({
    ok: false,
    code: 'invalid_input',
  });
  expect(await raw('onboarding.export', { handle: 'x', format: 'gif' })).toMatchObject({
    ok: false,
    code: 'invalid_input',
  });
  expect(await raw('users.add', { users: [] })).toMatchObject({ ok: false, code: 'invalid_input' });
  expect(await raw('users.delete', { userIds: Array.from({ length: 11 }, (_, i) => `u${i}`) })).toMatchObject({
    ok: false,
    code: 'invalid_input',
  });
  expect(await raw('users.refreshStatus', { all: false })).toMatchObject({ ok: false, code: 'invalid_input' });
  expect(await raw('jobs.cancel', { jobId: 'nope' })).toEqual({ ok: true, value: { cancelled: false } });
  expect(await raw('users.lostDevice', { userId: 'nobody' })).toMatchObject({ ok: false, code: 'missing' });
  expect((await call<UsersSnapshot>('users.snapshot', {})).userIds).toEqual(['carol']);
});

it('bridge jobs: csvPreview/importCsv, refresh, delete with typed count, cancel; events carry per-row results and the snapshot stays in step', async () => {
  const { call, wire, finished } = await setup();
  const csv = 'login,name\nann,Ann\nbob,Bob\n,blank\nann,dup\n';
  const preview = await call<{
    mapping: { userId: number; displayName: number | null };
    validRows: number;
    invalidRows: number;
  }>('users.csvPreview', { text: csv });
  expect(preview).toMatchObject({ mapping: { userId: 0, displayName: 1 }, validRows: 2, invalidRows: 2 });
  const imp = await finished(
    (await call<{ jobId: string }>('users.importCsv', { text: csv, mapping: preview.mapping })).jobId,
  );
  expect(imp.counts).toEqual({ created: 2, invalid: 2 });
  const snap = await call<UsersSnapshot>('users.snapshot', {});
  expect(snap).toMatchObject({
    count: 2,
    userIds: ['ann', 'bob'],
    displayNames: ['Ann', 'Bob'],
    deviceStates: ['unknown', 'unknown'],
  });
  const refresh = await finished((await call<{ jobId: string }>('users.refreshStatus', { all: true })).jobId);
  expect(refresh.counts).toEqual({ not_registered: 2 });
  expect(await call('users.checkStatus', { userId: 'ann' })).toMatchObject({
    userId: 'ann',
    deviceState: 'not_registered',
    statusError: null,
  });
  const many = Array.from({ length: 15 }, (_, i) => ({ userId: `m${i}` }));
  await finished((await call<{ jobId: string }>('users.add', { users: many })).jobId);
  const del = await finished(
    (await call<{ jobId: string }>('users.delete', { userIds: many.map((m) => m.userId), confirmCount: 15 })).jobId,
  );
  expect(del.counts).toEqual({ deleted: 15 });
  const after = await call<UsersSnapshot>('users.snapshot', {});
  expect(after.userIds).toEqual(['ann', 'bob']);
  expect(after.revision).toBeGreaterThan(snap.revision);
  const progress = wire.filter((w) => w.event === 'job.progress');
  expect(progress.length).toBeGreaterThanOrEqual(5);
  expect(await call('jobs.list', {})).toEqual([]);
});
