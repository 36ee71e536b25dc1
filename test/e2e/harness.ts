/**
 * The E2E harness: Debian's Chromium (playwright-core) on the BUILT renderer,
 * served from 127.0.0.1 with the same CSP header as the app, and the REAL
 * main-side router running in this process. A Playwright binding stands in
 * for ipcRenderer; an init script defines `window.iampass` with the preload's
 * exact shape ({ invoke, on }).
 *
 *   const app = await launchConsole({ handlers: createHandlers({...}) });
 *   await app.page.getByTestId('app-version').waitFor();
 *   await app.pushEvent('app.ready', { at: Date.now() });
 *   await app.screenshot('shell');
 *   await app.close();
 */
import { createReadStream, mkdirSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, resolve, sep } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { EventChannel, EventPayloadOf } from '../../src/shared/ipc/contract.ts';
import { CSP } from '../../src/main/electron/security.ts';
import { createHandlers, type HandlerDeps } from '../../src/main/ipc/handlers/index.ts';
import type { Services } from '../../src/main/services/index.ts';
import { createEventBus, createRouter, type EventBus, type Handlers, type Router } from '../../src/main/ipc/router.ts';
import { openTestServices, type TestServices } from '../support/services.ts';
import { RENDERER_DIR, ROOT } from './build.ts';

export const CHROMIUM = process.env['IAMPASS_CHROMIUM'] ?? '/usr/bin/chromium';
export const SCREENSHOT_DIR = resolve(ROOT, 'test-results/screenshots');

export interface LaunchOptions {
  /** A ready router, or the handler table to build one from. Default: the app's own handlers with a test data folder. */
  router?: Router;
  handlers?: Handlers;
  /** Events emitted on this bus are pushed to the page (like the Electron layer forwards them to the window). */
  bus?: EventBus;
  colorScheme?: 'light' | 'dark';
  viewport?: { width: number; height: number };
  /** Hash route to open, e.g. '#/users'. */
  hash?: string;
}

export interface ConsoleUnderTest {
  page: Page;
  context: BrowserContext;
  url: string;
  router: Router;
  bus: EventBus;
  /** Every bridge call the page made, in order (channel and payload as received). */
  calls: { channel: string; payload: unknown }[];
  /** Browser console errors and page errors (CSP violations show up here). */
  pageErrors: string[];
  pushEvent<E extends EventChannel>(event: E, payload: EventPayloadOf<E>): Promise<void>;
  /** Writes test-results/screenshots/<name>.png and returns its path. */
  screenshot(name: string): Promise<string>;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

/** A static server for out/renderer on 127.0.0.1 that sends the app's CSP header on every response. */
export async function serveRenderer(dir = RENDERER_DIR): Promise<{ url: string; close(): Promise<void> }> {
  const root = resolve(dir);
  const server: Server = createServer((req, res) => {
    void (async () => {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
      const file = resolve(root, `.${path === '/' ? '/index.html' : path}`);
      const ok = (file === root || file.startsWith(root + sep)) && (await stat(file).catch(() => null))?.isFile();
      if (!ok || req.method !== 'GET') {
        res.writeHead(404, { 'Content-Security-Policy': CSP }).end();
        return;
      }
      res.writeHead(200, {
        'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
        'Content-Security-Policy': CSP,
        'X-Content-Type-Options': 'nosniff',
      });
      createReadStream(file).pipe(res);
    })();
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/index.html`,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

let sharedBrowser: Promise<Browser> | null = null;

/** One Chromium per test file (launching is the slow part on 2 cores). */
function browser(): Promise<Browser> {
  sharedBrowser ??= chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  return sharedBrowser;
}

export async function closeBrowser(): Promise<void> {
  const b = sharedBrowser;
  sharedBrowser = null;
  if (b) await (await b).close();
}

/**
 * The page-side stand-in for the preload: same shape, ipcRenderer replaced by
 * the binding. Page code is a string: the test process has no DOM types.
 */
const BRIDGE_INIT_SCRIPT = `(() => {
  const listeners = new Map();
  const call = window.__iampassInvoke;
  Object.defineProperty(window, '__iampassEmit', {
    value: (event, payload) => { for (const l of [...(listeners.get(event) ?? [])]) l(payload); },
  });
  Object.defineProperty(window, 'iampass', {
    value: Object.freeze({
      invoke: (channel, payload) => call(channel, payload),
      on: (event, listener) => {
        let set = listeners.get(event);
        if (!set) listeners.set(event, (set = new Set()));
        set.add(listener);
        return () => void set.delete(listener);
      },
    }),
  });
})();`;

/** The app's own handlers on real test services (temp data folder, test keychain service). */
export function defaultHandlers(services: TestServices, bus: EventBus): Handlers {
  return createHandlers({
    app: { version: '0.0.0-e2e', dataDir: services.dataDir, platform: process.platform },
    services: services.services,
    bus,
  });
}

/**
 * The console on services of a test's own (a fixture's, on its data folder),
 * through the app's handlers; `phones` records each URL main was asked to
 * open in the virtual phone's window (a test opens it in a page of its own).
 */
export async function launchOnServices(
  fixture: { services: Services; dir: string },
  options: Omit<LaunchOptions, 'router' | 'handlers' | 'bus'> & {
    ports?: Pick<HandlerDeps, 'onboardingPorts' | 'saveFile'>;
  } = {},
): Promise<ConsoleUnderTest & { phones: string[] }> {
  const phones: string[] = [];
  const bus = createEventBus();
  const router = createRouter(
    createHandlers({
      app: { version: 'e2e', dataDir: fixture.dir },
      services: fixture.services,
      bus,
      openPhone: (url) => void phones.push(url),
      ...options.ports,
    }),
  );
  const { ports: _, ...launch } = options;
  return { ...(await launchConsole({ ...launch, bus, router })), phones };
}

export async function launchConsole(options: LaunchOptions = {}): Promise<ConsoleUnderTest> {
  const bus = options.bus ?? createEventBus();
  // Without a router or handlers: real services of its own, closed with the console.
  const own = options.router || options.handlers ? null : await openTestServices();
  const router = options.router ?? createRouter(options.handlers ?? defaultHandlers(own!, bus));
  const server = await serveRenderer();
  const context = await (
    await browser()
  ).newContext({
    viewport: options.viewport ?? { width: 1280, height: 800 },
    colorScheme: options.colorScheme ?? 'light',
  });
  const calls: ConsoleUnderTest['calls'] = [];
  const pageErrors: string[] = [];
  const appOrigin = new URL(server.url).origin;
  await context.exposeBinding('__iampassInvoke', async (source, channel: unknown, payload: unknown) => {
    calls.push({ channel: String(channel), payload });
    // The harness's sender check, mirroring the Electron layer: own top frame, own origin.
    const frameUrl = source.frame.url();
    if (source.frame !== source.page.mainFrame() || new URL(frameUrl).origin !== appOrigin) {
      return {
        ok: false,
        code: 'forbidden',
        message: 'Request refused: it did not come from the console window.',
        retryable: false,
      };
    }
    return router.handle(String(channel), payload, { id: 'e2e', url: frameUrl });
  });
  await context.addInitScript({ content: BRIDGE_INIT_SCRIPT });
  const page = await context.newPage();
  page.on('console', (msg) => {
    if (msg.type() === 'error') pageErrors.push(msg.text());
  });
  page.on('pageerror', (err) => pageErrors.push(err.message));

  const pushEvent = async (event: string, payload: unknown): Promise<void> => {
    await page.evaluate(`window.__iampassEmit(${JSON.stringify(event)}, ${JSON.stringify(payload)})`);
  };
  const unsubscribe = bus.subscribe((event, payload) => {
    pushEvent(event, payload).catch(() => undefined);
  });

  await page.goto(server.url + (options.hash ?? ''));
  mkdirSync(SCREENSHOT_DIR, { recursive: true });

  return {
    page,
    context,
    url: server.url,
    router,
    bus,
    calls,
    pageErrors,
    pushEvent,
    async screenshot(name) {
      const path = resolve(SCREENSHOT_DIR, `${name.replace(/[^\w.-]/g, '_')}.png`);
      await page.screenshot({ path, fullPage: true });
      return path;
    },
    async close() {
      unsubscribe();
      await context.close();
      await server.close();
      await own?.cleanup();
    },
  };
}
