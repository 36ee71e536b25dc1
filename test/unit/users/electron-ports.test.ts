// The Electron layer's onboarding ports (electron mocked, everything else
// real: services, the embedded sandbox, the keychain): "Copy link" writes the
// link to electron's clipboard, "Save PNG/SVG" asks through the save dialog
// and writes the file owner-only; cancel writes nothing. The renderer-facing
// answers never carry the link.
import { existsSync, readFileSync, statSync } from 'node:fs';
import type * as Electron from 'electron';
import jsQR from 'jsqr';
import QRCode from 'qrcode';
import { afterAll, expect, it } from 'vitest';
import { start } from '../../../src/main/electron/app.ts';
import { getUser } from '../../../src/main/store/directory.ts';
import { VirtualPhone } from '../../../src/sandbox/phone.ts';
import type { OnboardingView, QrMatrix } from '../../../src/shared/ipc/users.ts';
import { openTestServices, type TestServices } from '../../support/services.ts';
import { createFakeElectron } from '../electron/fake-electron.ts';

const APP_URL = 'app://iampass/index.html';
const opened: TestServices[] = [];
afterAll(async () => {
  for (const t of opened.splice(0)) await t.cleanup();
});

/** The Electron layer started with electron mocked, on real services (the embedded sandbox active). */
async function startConsole() {
  const fake = createFakeElectron();
  const t = await openTestServices();
  opened.push(t);
  const started = start({
    electron: fake.electron as unknown as Pick<
      typeof Electron,
      'app' | 'BrowserWindow' | 'ipcMain' | 'protocol' | 'session'
    >,
    preloadPath: '/opt/iampass/out/preload/index.cjs',
    rendererDir: '/opt/iampass/out/renderer',
    openServices: () => t.services,
  });
  await fake.ready();
  await started.ready;
  /** A call from the console window through the registered IPC handler, as the preload makes it. */
  const invoke = async <T = unknown>(channel: string, payload: unknown) =>
    (await fake.handlers.get(channel)!(
      { senderFrame: { url: APP_URL, parent: null }, sender: { id: 7 } } as never,
      payload as never,
    )) as { ok: boolean; value: T; code?: string };
  return { fake, t, invoke };
}

function decode(qr: QrMatrix): string {
  const scale = 3;
  const side = (qr.size + 8) * scale;
  const px = new Uint8ClampedArray(side * side * 4).fill(255);
  for (let i = 0; i < qr.modules.length; i++) {
    if (qr.modules[i] !== '1') continue;
    const x = (i % qr.size) + 4;
    const y = Math.floor(i / qr.size) + 4;
    for (let dy = 0; dy < scale; dy++)
      for (let dx = 0; dx < scale; dx++)
        px.fill(0, ((y * scale + dy) * side + x * scale + dx) * 4, ((y * scale + dy) * side + x * scale + dx) * 4 + 3);
  }
  const code = jsQR(px, side, side);
  if (!code) throw new Error('no QR');
  return code.data;
}

it('copy link goes to electron.clipboard, PNG/SVG through the save dialog (0600), cancel writes nothing', async () => {
  const { fake, t, invoke } = await startConsole();
  const answers: unknown[] = [];

  // The first-run Sandbox profile is active: add a user, open its QR.
  const add = await invoke<{ jobId: string }>('users.add', { users: [{ userId: 'help desk/ünïcode' }] });
  expect((await t.services.users.jobs.wait(add.value.jobId))?.counts).toEqual({ created: 1 });
  const shown = await invoke<OnboardingView>('onboarding.show', { userId: 'help desk/ünïcode' });
  answers.push(shown);
  expect(shown.ok).toBe(true);
  const link = decode(shown.value.qr);

  answers.push(await invoke('onboarding.copyLink', { handle: shown.value.handle }));
  expect(fake.clipboard).toEqual([link]);

  const png = `${t.dataDir}/code.png`;
  fake.saveDialog.answer = { canceled: false, filePath: png };
  answers.push(await invoke('onboarding.export', { handle: shown.value.handle, format: 'png' }));
  expect(answers.at(-1)).toEqual({ ok: true, value: { saved: true } });
  expect(fake.saveDialog.calls.at(-1) as { defaultPath: string; filters: { extensions: string[] }[] }).toMatchObject({
    defaultPath: '/fake/documents/help_desk_ünïcode-registration.png',
    filters: [{ extensions: ['png'] }],
  });
  expect(
    readFileSync(png).equals(
      await QRCode.toBuffer(link, { type: 'png', errorCorrectionLevel: 'M', margin: 4, width: 1024 }),
    ),
  ).toBe(true);
  expect(statSync(png).mode & 0o777).toBe(0o600);

  const svg = `${t.dataDir}/code.svg`;
  fake.saveDialog.answer = { canceled: false, filePath: svg };
  answers.push(await invoke('onboarding.export', { handle: shown.value.handle, format: 'svg' }));
  expect(readFileSync(svg, 'utf8')).toBe(
    await QRCode.toString(link, { type: 'svg', errorCorrectionLevel: 'M', margin: 4 }),
  );

  fake.saveDialog.answer = { canceled: true, filePath: '' };
  const dialogs = fake.saveDialog.calls.length;
  const audits = t.services.audit.query({ action: 'user.registration_qr_export' }).total;
  answers.push(await invoke('onboarding.export', { handle: shown.value.handle, format: 'png' }));
  expect(answers.at(-1)).toEqual({ ok: true, value: { saved: false } });
  expect(fake.saveDialog.calls.length).toBe(dialogs + 1);
  expect(t.services.audit.query({ action: 'user.registration_qr_export' }).total).toBe(audits);
  expect(existsSync(`${t.dataDir}/code.png`)).toBe(true);

  // Nothing the renderer received or was sent carries the link.
  const sent = fake.windows.flatMap((w) => w.webContents.sent);
  expect(JSON.stringify([answers, sent])).not.toContain(link);
  expect(await invoke('onboarding.close', { handle: shown.value.handle })).toEqual({
    ok: true,
    value: { closed: true },
  });
});

it('Open virtual phone: a sandboxed window of its own, storage in memory, on the QR link (never in an answer) or as the phone the user registered; refused off the sandbox', async () => {
  const { fake, t, invoke } = await startConsole();
  const phoneWindows = () =>
    fake.windows.filter((w) => (w.options as Electron.BrowserWindowConstructorOptions).title === 'Virtual phone');

  const add = await invoke('users.add', { users: [{ userId: 'dana' }] });
  await t.services.users.jobs.wait((add.value as { jobId: string }).jobId);
  const shown = (await invoke('onboarding.show', { userId: 'dana' })).value as OnboardingView;
  const link = decode(shown.qr);

  // On the QR dialog's code: the window loads the link; the answer does not carry it.
  const answer = await invoke('sandbox.openPhone', { handle: shown.handle });
  expect(answer).toEqual({ ok: true, value: { opened: true } });
  expect(phoneWindows()).toHaveLength(1);
  const win = phoneWindows()[0]!;
  expect(win.loaded).toBe(link);
  const prefs = (win.options as Electron.BrowserWindowConstructorOptions).webPreferences!;
  expect(prefs).toMatchObject({
    partition: 'sandbox-phone',
    sandbox: true,
    contextIsolation: true,
    nodeIntegration: false,
  });
  expect(prefs.partition).not.toMatch(/^persist:/);
  expect(prefs.preload).toBeUndefined();
  const phoneSession = fake.partitions.get('sandbox-phone')!;
  let granted: boolean | null = null;
  (phoneSession.permissionRequestHandler as unknown as (c: null, p: string, cb: (ok: boolean) => void) => void)(
    null,
    'media',
    (ok) => (granted = ok),
  );
  expect(granted).toBe(false);
  expect(t.services.audit.query({ action: 'user.registration_link_phone' }).total).toBe(1);
  expect(JSON.stringify(fake.windows.flatMap((w) => w.webContents.sent))).not.toContain(link);

  // The page registers the phone (as the window would), then the user's own phone opens on the user.
  await new VirtualPhone(new URL(link).origin).register(link);
  const iampassId = getUser(t.services.store, t.services.applications.getActive()!.id, 'dana')!.iampassId;
  expect(await invoke('sandbox.openPhone', { userId: 'dana' })).toEqual({ ok: true, value: { opened: true } });
  const userUrl = phoneWindows()[1]!.loaded!;
  expect(userUrl).toMatch(new RegExp(`/sandbox/phone/user/[^/]+/${encodeURIComponent(iampassId)}$`));
  const page = await fetch(userUrl);
  expect(page.status).toBe(200);
  expect(await page.text()).toContain('Sandbox phone');
  const device = await fetch(`${userUrl.replace('/sandbox/phone/user/', '/sandbox/users/')}/device`);
  expect(((await device.json()) as { deviceId: string }).deviceId).toMatch(/\S/);
  // Bare: the phone page.
  expect(await invoke('sandbox.openPhone', {})).toEqual({ ok: true, value: { opened: true } });
  expect(phoneWindows()[2]!.loaded).toMatch(/\/sandbox\/phone$/);

  // A phone window belongs to the console's window (it closes with it, never keeping the app alive alone).
  expect((win.options as Electron.BrowserWindowConstructorOptions).parent).toBe(fake.windows[0]);
  // The sandbox not answering: a typed error and no blank window left behind.
  fake.controls.failLoad = true;
  expect(await invoke('sandbox.openPhone', {})).toMatchObject({ ok: false, code: 'network' });
  expect(phoneWindows().at(-1)!.closed).toBe(true);
  fake.controls.failLoad = false;
  expect(phoneWindows().filter((w) => !w.closed)).toHaveLength(3);

  // Unknown user, unknown handle: typed errors, no window.
  expect(await invoke('sandbox.openPhone', { userId: 'nobody' })).toMatchObject({ ok: false, code: 'missing' });
  expect(await invoke('sandbox.openPhone', { handle: 'nope' })).toMatchObject({ ok: false, code: 'missing' });
  // A real IAMPASS application active: no virtual phone.
  const real = await t.services.applications.add({
    name: 'Real',
    flavour: 'IAMPASS',
    baseUrl: 'https://main.iamdevelopment.com',
    applicationId: 'A'.repeat(32),
    secret: 'B'.repeat(32),
  });
  t.services.applications.setActive(real.id);
  expect(await invoke('sandbox.openPhone', {})).toMatchObject({ ok: false, code: 'invalid_input' });
  expect(phoneWindows()).toHaveLength(4);
});
