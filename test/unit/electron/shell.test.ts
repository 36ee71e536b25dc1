import type * as Electron from 'electron';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { REQUEST_CHANNELS } from '../../../src/shared/ipc/contract.ts';
import { start } from '../../../src/main/electron/app.ts';
import { FOREIGN_SENDER, registerIpc } from '../../../src/main/electron/ipc.ts';
import { APP_INDEX_URL } from '../../../src/main/electron/protocol.ts';
import {
  createMainWindow,
  CSP,
  hardenWebContents,
  isAppUrl,
  isTrustedFrame,
} from '../../../src/main/electron/security.ts';
import { createEventBus, createRouter, type Router } from '../../../src/main/ipc/router.ts';
import type { SandboxLauncher } from '../../../src/main/services/first-run.ts';
import { openTestServices, type TestServices } from '../../support/services.ts';
import { createHandlers } from '../../../src/main/ipc/handlers/index.ts';
import { createFakeElectron, FakeWebContents } from './fake-electron.ts';

const APP_URL = 'app://iampass/index.html';
/** The built index.html as a file:// URL: not the app's page (builds load app://iampass/index.html). */
const FILE_URL = 'file:///opt/iampass/out/renderer/index.html';

// A stand-in for out/renderer, served by the app:// handler start() registers.
const RENDERER = mkdtempSync(join(tmpdir(), 'iampass-renderer-'));
mkdirSync(join(RENDERER, 'assets'));
writeFileSync(join(RENDERER, 'index.html'), '<!doctype html><title>IAMPASS Admin</title>');
writeFileSync(join(RENDERER, 'assets', 'index-abc.js'), 'console.log(1);');

// Real services (temp data folder, test keychain service, the embedded sandbox) behind the mocked electron.
const opened: TestServices[] = [];
afterAll(async () => {
  for (const t of opened.splice(0)) await t.cleanup();
  rmSync(RENDERER, { recursive: true, force: true });
});

async function boot(
  opts: {
    lock?: boolean;
    packaged?: boolean;
    dev?: string;
    launcher?: SandboxLauncher;
    beforeStart?: (t: TestServices) => void;
  } = {},
) {
  const fake = createFakeElectron(opts);
  const t = await openTestServices(opts.launcher ? { launcher: opts.launcher } : {});
  opened.push(t);
  opts.beforeStart?.(t);
  const dataDirs: string[] = [];
  const started = start({
    electron: fake.electron as unknown as Pick<
      typeof Electron,
      'app' | 'BrowserWindow' | 'ipcMain' | 'protocol' | 'session'
    >,
    preloadPath: '/opt/iampass/out/preload/index.cjs',
    rendererDir: RENDERER,
    devServerUrl: opts.dev,
    openServices: (dir) => (dataDirs.push(dir), t.services),
  });
  await fake.ready();
  await started.ready;
  await new Promise((r) => setTimeout(r, 0));
  return { fake, started, t, dataDirs };
}

function frame(url: string, parent: unknown = null) {
  return { url, parent } as unknown as Electron.WebFrameMain;
}

function invokeEvent(url: string, parent: unknown = null) {
  return { senderFrame: frame(url, parent), sender: { id: 7 } };
}

type Prefs = Electron.WebPreferences;
function windowOptions(preload: string, packaged: boolean): Electron.BrowserWindowConstructorOptions {
  const fake = createFakeElectron();
  createMainWindow(fake.electron.BrowserWindow as unknown as typeof Electron.BrowserWindow, preload, packaged);
  return fake.windows[0]!.options as Electron.BrowserWindowConstructorOptions;
}

describe('window options', () => {
  it('are hardened: isolation, sandbox, no node, web security, no webview, no auxclick, preload set', () => {
    const w: Prefs = windowOptions('/p/index.cjs', false).webPreferences!;
    expect(w).toMatchObject({
      preload: '/p/index.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      disableBlinkFeatures: 'Auxclick',
    });
  });

  it('turn devtools off in a packaged build only', () => {
    expect(windowOptions('/p', true).webPreferences!.devTools).toBe(false);
    expect(windowOptions('/p', false).webPreferences!.devTools).toBe(true);
  });

  it('the CSP has no unsafe-eval, no unsafe-inline and defaults to none', () => {
    expect(CSP).not.toMatch(/unsafe-(eval|inline)/);
    expect(CSP).toMatch(/default-src 'none'/);
    expect(CSP).toMatch(/script-src 'self'(;|$)/);
  });
});

describe('start()', () => {
  afterEach(() => vi.restoreAllMocks());

  it('quits when another instance holds the single-instance lock, creating nothing', async () => {
    const { fake, started } = await boot({ lock: false });
    expect(started.primary).toBe(false);
    expect(fake.calls.quit).toBe(1);
    expect(fake.windows).toHaveLength(0);
    expect(fake.handlers.size).toBe(0);
  });

  it('a second instance focuses the existing window', async () => {
    const { fake } = await boot();
    fake.appEvents.emit('second-instance');
    expect(fake.calls).toMatchObject({ restore: 1, focus: 1, lock: 1 });
  });

  it('creates one hardened window, loads app://iampass/index.html, registers a handler for every contract channel', async () => {
    const { fake } = await boot({ packaged: true });
    expect(fake.windows).toHaveLength(1);
    const win = fake.windows[0]!;
    expect(win.options).toEqual(windowOptions('/opt/iampass/out/preload/index.cjs', true));
    expect(win.loaded).toBe(APP_URL);
    expect(APP_INDEX_URL).toBe(APP_URL);
    expect([...fake.handlers.keys()].sort()).toEqual([...REQUEST_CHANNELS].sort());
  });

  it('answers app.info through ipcMain for the own frame, with Electron facts', async () => {
    const { fake } = await boot();
    const result = await fake.handlers.get('app.info')!(invokeEvent(`${APP_URL}#/users`) as never, {} as never);
    expect(result).toEqual({
      ok: true,
      value: { version: '3.2.1', platform: process.platform, dataDir: '/fake/userData' },
    });
  });

  it('refuses a foreign URL and a sub-frame, without reaching the router', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const { fake } = await boot();
    const handler = fake.handlers.get('app.info')!;
    expect(await handler(invokeEvent('https://evil.example/index.html') as never, {} as never)).toEqual(FOREIGN_SENDER);
    expect(await handler(invokeEvent('file:///tmp/other.html') as never, {} as never)).toEqual(FOREIGN_SENDER);
    // The renderer's former file:// location, other app:// hosts and pages, another custom scheme.
    for (const url of [
      FILE_URL,
      'app://evil/index.html',
      'app://iampass/other.html',
      'evil://iampass/index.html',
      'app://u@iampass/index.html',
    ]) {
      expect(await handler(invokeEvent(url) as never, {} as never)).toEqual(FOREIGN_SENDER);
    }
    expect(await handler(invokeEvent(APP_URL, frame(APP_URL)) as never, {} as never)).toEqual(FOREIGN_SENDER);
    expect(await handler({ senderFrame: null, sender: { id: 7 } } as never, {} as never)).toEqual(FOREIGN_SENDER);
  });

  it('in dev, loads the dev server and trusts only its origin; CSP header is added to responses', async () => {
    const { fake } = await boot({ dev: 'http://localhost:5173' });
    expect(fake.windows[0]!.loaded).toBe('http://localhost:5173');
    const handler = fake.handlers.get('app.info')!;
    expect(await handler(invokeEvent('http://localhost:5173/#x') as never, {} as never)).toMatchObject({ ok: true });
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    expect(await handler(invokeEvent('http://localhost:5174/') as never, {} as never)).toEqual(FOREIGN_SENDER);
    let headers: unknown;
    fake.session.headersHandler!(
      { responseHeaders: { 'X-A': ['1'] } } as never,
      ((r: { responseHeaders: unknown }) => (headers = r.responseHeaders)) as never,
    );
    expect(headers).toMatchObject({
      'X-A': ['1'],
      'Content-Security-Policy': [expect.stringContaining("default-src 'none'")],
    });
  });

  it('a packaged app ignores a dev server URL', async () => {
    const { fake } = await boot({ packaged: true, dev: 'http://localhost:5173' });
    expect(fake.windows[0]!.loaded).toBe(APP_URL);
    let headers: { 'Content-Security-Policy'?: string[] } = {};
    fake.session.headersHandler!(
      { responseHeaders: {} } as never,
      ((r: { responseHeaders: typeof headers }) => (headers = r.responseHeaders)) as never,
    );
    expect(headers['Content-Security-Policy']).toEqual([CSP]);
  });

  it('denies every permission request and check', async () => {
    const { fake } = await boot();
    for (const permission of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal']) {
      let granted: boolean | undefined;
      fake.session.permissionRequestHandler!(
        null as never,
        permission as never,
        ((g: boolean) => (granted = g)) as never,
      );
      expect(granted).toBe(false);
      expect(fake.session.permissionCheckHandler!(null as never, permission as never)).toBe(false);
    }
    expect(fake.session.devicePermissionHandler!({ deviceType: 'usb' } as never)).toBe(false);
  });

  it('hardens every webContents created: navigation, redirects, webviews and window.open denied', async () => {
    const { fake } = await boot();
    const contents = new FakeWebContents();
    fake.appEvents.emit('web-contents-created', {}, contents);
    for (const event of ['will-navigate', 'will-frame-navigate', 'will-redirect', 'will-attach-webview']) {
      const e = { preventDefault: vi.fn() };
      contents.emit(event, e, 'https://evil.example/');
      expect(e.preventDefault).toHaveBeenCalledOnce();
    }
    expect(contents.windowOpenHandler!({ url: 'https://evil.example/' } as never)).toEqual({ action: 'deny' });
  });

  it('forwards bus events to the window', async () => {
    const { fake, started } = await boot();
    started.bus.emit('app.ready', { at: 5 });
    expect(fake.windows[0]!.webContents.sent).toContainEqual(['app.ready', { at: 5 }]);
    fake.windows[0]!.webContents.destroyed = true;
    started.bus.emit('app.ready', { at: 6 });
    expect(fake.windows[0]!.webContents.sent).not.toContainEqual(['app.ready', { at: 6 }]);
  });
});

describe('start(): the app:// scheme', () => {
  it('registers app:// as privileged before ready, then serves the renderer folder over it with the CSP header', async () => {
    const { fake } = await boot({ packaged: true });
    expect(fake.protocol.privileged).toHaveLength(1);
    expect(fake.protocol.privileged[0]).toMatchObject({
      afterReady: false,
      schemes: [
        { scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true, bypassCSP: false } },
      ],
    });
    const handle = fake.protocol.handlers.get('app')!;
    const index = await handle(new Request(APP_URL));
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(index.headers.get('content-security-policy')).toBe(CSP);
    expect(await index.text()).toContain('<title>IAMPASS Admin</title>');
    const script = await handle(new Request('app://iampass/assets/index-abc.js'));
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    for (const url of [
      'app://x/../../etc/passwd',
      'app://iampass/%2e%2e/%2e%2e/etc/passwd',
      'app://iampass/..%2f..%2fetc%2fpasswd',
    ]) {
      const refused = await handle(new Request(url));
      expect([403, 404], url).toContain(refused.status);
      expect(await refused.text()).not.toMatch(/root:/);
    }
  });

  it('in dev the scheme is registered but not served: the window loads the dev server', async () => {
    const { fake } = await boot({ dev: 'http://localhost:5173' });
    expect(fake.protocol.privileged).toHaveLength(1);
    expect(fake.protocol.handlers.size).toBe(0);
    expect(fake.windows[0]!.loaded).toBe('http://localhost:5173');
  });
});

describe('start(): services', () => {
  it('opens the services on userData, runs the sandbox step before loading the window, and the Sandbox profile is active', async () => {
    const { fake, started, t, dataDirs } = await boot();
    expect(dataDirs).toEqual(['/fake/userData']);
    expect(started.services).toBe(t.services);
    expect(fake.windows[0]!.loaded).toBe(APP_URL);
    const active = t.services.applications.getActive();
    expect(active).toMatchObject({ name: 'Sandbox', flavour: 'Sandbox' });
    // The sandbox answers: a real signed call through the connection test.
    expect(await t.services.applications.testConnection(active!.id)).toMatchObject({ ok: true });
    expect(await t.accounts()).toContain(`profile:${active!.id}`);
  });

  it('reads the first window of the directory once while the window loads (never the whole directory)', async () => {
    let windows: { mock: { calls: unknown[] } } | undefined;
    let snapshots: { mock: { calls: unknown[] } } | undefined;
    const { fake } = await boot({
      beforeStart: (t) => {
        windows = vi.spyOn(t.services.users, 'window');
        snapshots = vi.spyOn(t.services.users, 'snapshot');
      },
    });
    await vi.waitFor(() => expect(windows?.mock.calls.length).toBe(1));
    expect(snapshots?.mock.calls.length).toBe(0);
    expect(fake.windows).toHaveLength(1);
  });

  it('users.export asks where through the save dialog and streams the rows owner-only; cancel starts no job', async () => {
    const { fake, t } = await boot();
    const target = `${t.dataDir}/users.csv`;
    fake.saveDialog.answer = { canceled: false, filePath: target };
    const result = await fake.handlers.get('users.export')!(
      invokeEvent(APP_URL) as never,
      {
        query: {},
        format: 'csv',
      } as never,
    );
    expect(result).toMatchObject({ ok: true, value: { jobId: expect.any(String) as string } });
    expect((fake.saveDialog.calls.at(-1) as { defaultPath: string }).defaultPath).toMatch(
      /^\/fake\/documents\/iampass-users-.*\.csv$/,
    );
    const { readFileSync, statSync } = await import('node:fs');
    await vi.waitFor(() => expect(readFileSync(target, 'utf8')).toMatch(/^user_id,display_name,/));
    expect(statSync(target).mode & 0o777).toBe(0o600);
    fake.saveDialog.answer = { canceled: true, filePath: '' };
    expect(
      await fake.handlers.get('users.export')!(invokeEvent(APP_URL) as never, { query: {}, format: 'json' } as never),
    ).toEqual({ ok: true, value: { jobId: null } });
  });

  it('a sandbox that fails to start still opens the window', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const launcher: SandboxLauncher = { start: () => Promise.reject(new Error('port in use')) };
    const { fake, t } = await boot({ launcher });
    expect(fake.windows).toHaveLength(1);
    expect(fake.windows[0]!.loaded).toBe(APP_URL);
    expect(t.services.applications.getActive()).toBeNull();
    const r = await fake.handlers.get('firstRun.status')!(invokeEvent(APP_URL) as never, {} as never);
    expect(r).toMatchObject({ ok: true, value: { phase: 'failed', sandbox: null, error: { code: 'internal' } } });
  });

  it('audit.export asks where through the save dialog and writes the file owner-only; cancel writes nothing', async () => {
    const { fake, t } = await boot();
    const target = `${t.dataDir}/export.json`;
    fake.saveDialog.answer = { canceled: false, filePath: target };
    const result = await fake.handlers.get('audit.export')!(invokeEvent(APP_URL) as never, { format: 'json' } as never);
    expect(result).toMatchObject({ ok: true, value: { path: target } });
    expect((fake.saveDialog.calls.at(-1) as { defaultPath: string }).defaultPath).toMatch(
      /^\/fake\/documents\/iampass-audit-.*\.json$/,
    );
    const { readFileSync, statSync, existsSync } = await import('node:fs');
    expect((JSON.parse(readFileSync(target, 'utf8')) as { action: string }[]).map((r) => r.action)).toContain(
      'sandbox.create',
    );
    expect(statSync(target).mode & 0o777).toBe(0o600);
    fake.saveDialog.answer = { canceled: true, filePath: '' };
    expect(await fake.handlers.get('audit.export')!(invokeEvent(APP_URL) as never, { format: 'csv' } as never)).toEqual(
      { ok: true, value: { path: null, count: 0 } },
    );
    expect(existsSync(`${t.dataDir}/export.csv`)).toBe(false);
  });

  it('firstRun.status reports the sandbox step to the renderer', async () => {
    const { fake } = await boot();
    const r = (await fake.handlers.get('firstRun.status')!(invokeEvent(APP_URL) as never, {} as never)) as {
      ok: true;
      value: { phase: string; firstRun: boolean; sandbox: { baseUrl: string } };
    };
    expect(r.value).toMatchObject({ phase: 'ready', firstRun: true, dismissed: false });
    expect(r.value.sandbox.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('closes the services on will-quit, then quits', async () => {
    const { fake, t } = await boot();
    const event = { preventDefault: vi.fn() };
    fake.appEvents.emit('will-quit', event);
    expect(event.preventDefault).toHaveBeenCalledOnce();
    await vi.waitFor(() => expect(fake.calls.quit).toBe(1));
    // The store is closed: reading it now fails.
    expect(() => t.services.applications.getActive()).toThrow();
    // The second will-quit (from app.quit) goes through.
    const again = { preventDefault: vi.fn() };
    fake.appEvents.emit('will-quit', again);
    expect(again.preventDefault).not.toHaveBeenCalled();
  });
});

describe('sender checks', () => {
  it('isAppUrl: the exact app:// page, same origin in dev, nothing else', () => {
    expect(isAppUrl(`${APP_URL}?x=1#/a`, APP_URL)).toBe(true);
    expect(isAppUrl('app://iampass/other.html', APP_URL)).toBe(false);
    expect(isAppUrl('app://iampass/', APP_URL)).toBe(false);
    expect(isAppUrl('app://iampass.evil/index.html', APP_URL)).toBe(false);
    expect(isAppUrl('app://iampass:8080/index.html', APP_URL)).toBe(false);
    expect(isAppUrl('app://user:pw@iampass/index.html', APP_URL)).toBe(false);
    // Chromium lower-cases a standard scheme's host; Node keeps a custom scheme's host as written: compared exactly.
    expect(isAppUrl('app://IAMPASS/index.html', APP_URL)).toBe(false);
    // Node gives every custom-scheme URL the origin "null": comparing origins would trust these.
    expect(new URL('evil://iampass/index.html').origin).toBe(new URL(APP_URL).origin);
    expect(isAppUrl('evil://iampass/index.html', APP_URL)).toBe(false);
    expect(isAppUrl('javascript:alert(1)//iampass/index.html', APP_URL)).toBe(false);
    expect(isAppUrl(FILE_URL, APP_URL)).toBe(false);
    expect(isAppUrl('https://iampass/index.html', APP_URL)).toBe(false);
    expect(isAppUrl('http://localhost:5173/index.html', 'http://localhost:5173')).toBe(true);
    expect(isAppUrl('http://127.0.0.1:5173/', 'http://localhost:5173')).toBe(false);
    expect(isAppUrl('not a url', APP_URL)).toBe(false);
  });

  it('isTrustedFrame requires a top frame', () => {
    expect(isTrustedFrame(frame(APP_URL), APP_URL)).toBe(true);
    expect(isTrustedFrame(frame(APP_URL, frame(APP_URL)), APP_URL)).toBe(false);
    expect(isTrustedFrame(null, APP_URL)).toBe(false);
  });

  it('registerIpc routes trusted calls and its disposer removes every handler', async () => {
    const handlers = new Map<string, (e: unknown, p: unknown) => unknown>();
    const ipcMain = {
      handle: (c: string, h: (e: unknown, p: unknown) => unknown) => void handlers.set(c, h),
      removeHandler: (c: string) => void handlers.delete(c),
    };
    const seen: string[] = [];
    const t = await openTestServices();
    opened.push(t);
    const inner = createRouter(
      createHandlers({ app: { version: 'v', dataDir: '/d' }, services: t.services, bus: createEventBus() }),
    );
    const router: Router = { handle: (c, p, s) => (seen.push(s.url), inner.handle(c, p, s)) };
    const dispose = registerIpc(ipcMain as unknown as Electron.IpcMain, router, () => APP_URL);
    await handlers.get('app.info')!(invokeEvent(APP_URL), {});
    await handlers.get('app.info')!(invokeEvent('https://x.example/'), {});
    expect(seen).toEqual([APP_URL]);
    dispose();
    expect(handlers.size).toBe(0);
  });

  it('every contract channel checks the sender first: a foreign frame never reaches the router, whatever the payload', async () => {
    const handlers = new Map<string, (e: unknown, p: unknown) => unknown>();
    const ipcMain = {
      handle: (c: string, h: (e: unknown, p: unknown) => unknown) => void handlers.set(c, h),
      removeHandler: (c: string) => void handlers.delete(c),
    };
    const reached: string[] = [];
    const refused: string[] = [];
    const router: Router = { handle: (c) => (reached.push(c), Promise.resolve({ ok: true, value: null }) as never) };
    registerIpc(
      ipcMain as unknown as Electron.IpcMain,
      router,
      () => APP_URL,
      (c) => refused.push(c),
    );
    expect([...handlers.keys()].sort()).toEqual([...REQUEST_CHANNELS].sort());
    for (const channel of REQUEST_CHANNELS) {
      const handler = handlers.get(channel)!;
      for (const event of [
        invokeEvent('https://evil.example/'),
        invokeEvent(APP_URL, frame(APP_URL)),
        { senderFrame: null, sender: { id: 9 } },
      ]) {
        expect(await handler(event, {})).toEqual(FOREIGN_SENDER);
      }
    }
    expect(reached).toEqual([]);
    expect(refused).toHaveLength(REQUEST_CHANNELS.length * 3);
    expect(FOREIGN_SENDER).toEqual({
      ok: false,
      code: 'forbidden',
      message: 'Request refused: it did not come from the console window.',
      retryable: false,
    });
    for (const channel of REQUEST_CHANNELS) await handlers.get(channel)!(invokeEvent(APP_URL), {});
    expect(reached.sort()).toEqual([...REQUEST_CHANNELS].sort());
  });

  it('hardenWebContents denies window.open for any URL', () => {
    const contents = new FakeWebContents();
    hardenWebContents(contents as unknown as Electron.WebContents);
    expect(contents.windowOpenHandler!({ url: APP_URL } as never)).toEqual({ action: 'deny' });
  });
});
