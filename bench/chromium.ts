/**
 * Chromium for the renderer benchmarks: the app built into a private folder
 * (a benchmark never reads a half-written out/renderer of a concurrent
 * build), served on 127.0.0.1 with the app's CSP header, the REAL main-side
 * router in this process, `window.iampass` shaped like the preload (invoke
 * over a loopback WebSocket, events pushed with page.evaluate), Chromium with
 * `--enable-precise-memory-info`, and a CDP session for the heap. The
 * HTTP server runs in a worker thread, so page loads never wait for the
 * benchmark's main thread (as Electron's file:// loads never wait for main).
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { chromium, type Browser, type BrowserContext, type CDPSession, type Page } from 'playwright-core';
import type { EventBus, Router } from '../src/main/ipc/router.ts';
import { CSP } from '../src/main/electron/security.ts';
import { CHROMIUM } from '../test/e2e/harness.ts';
import { ROOT } from '../test/e2e/build.ts';

/** Builds the app (electron-vite) into a temporary folder; returns the renderer folder and a cleanup. */
export function buildRenderer(): { dir: string; ms: number; cleanup(): void } {
  const out = mkdtempSync(join(tmpdir(), 'iampass-bench-build-'));
  const started = performance.now();
  const bin = resolve(ROOT, 'node_modules/.bin/electron-vite');
  const run = spawnSync(bin, ['build', '--outDir', out, '--logLevel', 'warn'], {
    cwd: ROOT,
    stdio: 'pipe',
    encoding: 'utf8',
    timeout: 300_000,
  });
  if (run.status !== 0)
    throw new Error(`electron-vite build failed (exit ${run.status ?? run.signal}):\n${run.stdout}\n${run.stderr}`);
  return {
    dir: join(out, 'renderer'),
    ms: performance.now() - started,
    cleanup: () => rmSync(out, { recursive: true, force: true }),
  };
}

/**
 * The preload's shape (as in test/e2e/harness.ts): invoke over one WebSocket
 * to the server (opened before the app's scripts run; calls made before it is
 * open wait for it), events pushed with page.evaluate.
 */
const BRIDGE_INIT_SCRIPT = `(() => {
  if (location.protocol !== 'http:') return;
  const listeners = new Map();
  const waiting = new Map();
  let next = 0;
  const socket = new WebSocket('ws://' + location.host + '/__bench_bridge');
  socket.binaryType = 'arraybuffer';
  const open = new Promise((res, rej) => { socket.onopen = res; socket.onerror = rej; });
  open.catch(() => {});
  // A closed socket answers every call still waiting (a failed measurement, not a hung benchmark).
  socket.onclose = () => {
    for (const res of waiting.values()) res({ ok: false, code: 'internal', message: 'The benchmark bridge closed.', retryable: false });
    waiting.clear();
  };
  socket.onmessage = (m) => {
    const text = typeof m.data === 'string' ? m.data : new TextDecoder().decode(m.data);
    const cut = text.indexOf(' ');
    const id = Number(text.slice(0, cut));
    waiting.get(id)?.(JSON.parse(text.slice(cut + 1)));
    waiting.delete(id);
  };
  Object.defineProperty(window, '__iampassEmit', {
    value: (event, payload) => { for (const l of [...(listeners.get(event) ?? [])]) l(payload); },
  });
  Object.defineProperty(window, 'iampass', {
    value: Object.freeze({
      invoke: async (channel, payload) => {
        await open;
        const id = ++next;
        return new Promise((res) => {
          waiting.set(id, res);
          socket.send(JSON.stringify({ id, channel, payload }));
        });
      },
      on: (event, listener) => {
        let set = listeners.get(event);
        if (!set) listeners.set(event, (set = new Set()));
        set.add(listener);
        return () => void set.delete(listener);
      },
    }),
  });
})();`;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};

/**
 * The HTTP server runs in a worker thread (plain JS, CommonJS): static files
 * are served even while the benchmark's main thread is busy, as the Electron
 * app's file:// loads never wait for main's JavaScript (e.g. while main warms
 * the directory read at start-up). Invokes are forwarded to the main thread,
 * which holds the router (as Electron's IPC waits for main's thread).
 */
const SERVER_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { createServer } = require('node:http');
const { createReadStream } = require('node:fs');
const { stat } = require('node:fs/promises');
const { extname, resolve, sep } = require('node:path');
const { WebSocketServer } = require(workerData.ws);
const { root, csp, types } = workerData;
const sockets = new Map();
let nextSocket = 0;
const server = createServer((req, res) => {
  void (async () => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    const file = resolve(root, '.' + (path === '/' ? '/index.html' : path));
    const ok = (file === root || file.startsWith(root + sep)) && (await stat(file).catch(() => null))?.isFile();
    if (!ok || req.method !== 'GET') {
      res.writeHead(404, { 'Content-Security-Policy': csp }).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': types[extname(file)] ?? 'application/octet-stream', 'Content-Security-Policy': csp, 'X-Content-Type-Options': 'nosniff' });
    createReadStream(file).pipe(res);
  })();
});
const bridge = new WebSocketServer({ server, path: '/__bench_bridge', maxPayload: 2 ** 30 });
bridge.on('connection', (socket, req) => {
  const socketId = ++nextSocket;
  sockets.set(socketId, socket);
  socket.on('close', () => sockets.delete(socketId));
  socket.on('message', (data) => {
    parentPort.postMessage({ type: 'invoke', socketId, body: data.toString('utf8'), host: req.headers.host ?? '' });
  });
});
parentPort.on('message', (m) => {
  if (m.type === 'result') {
    sockets.get(m.socketId)?.send(Buffer.from(m.body.buffer, m.body.byteOffset, m.body.byteLength));
  } else if (m.type === 'close') {
    for (const socket of sockets.values()) socket.terminate();
    server.closeAllConnections();
    server.close(() => process.exit(0));
  }
});
server.listen(0, '127.0.0.1', () => parentPort.postMessage({ type: 'listening', port: server.address().port }));
`;

/**
 * The built renderer on 127.0.0.1 with the app's CSP header (as the E2E
 * harness's serveRenderer), plus a WebSocket at `/__bench_bridge`: the
 * bridge. Each message is `{id, channel, payload}`; the answer is
 * `<id> <the router's Result as JSON>`. A fetch per invoke cost about 12 ms
 * inside Chromium (its network service's request setup) and a Playwright
 * binding about 33 ms, where Electron's IPC costs well under 1 ms; the socket
 * costs 0.7 ms (the users-ui bench reports it), still an upper bound.
 * `connect-src 'self'` allows it; nothing is relaxed. The server itself runs
 * in a worker thread (SERVER_WORKER); the router runs here, and the JSON
 * answer is handed over as a transferred buffer.
 */
async function serve(dir: string, router: Router): Promise<{ url: string; close(): Promise<void> }> {
  const ws = createRequire(import.meta.url).resolve('ws');
  const worker = new Worker(SERVER_WORKER, {
    eval: true,
    workerData: { root: resolve(dir), csp: CSP, types: TYPES, ws },
  });
  worker.on('message', (m: { type: string; socketId: number; body: string; host: string }) => {
    if (m.type !== 'invoke') return;
    void (async () => {
      const { id, channel, payload } = JSON.parse(m.body) as { id: number; channel: string; payload: unknown };
      const result = await router.handle(channel, payload, { id: 'bench', url: `http://${m.host}/index.html` });
      const body = new TextEncoder().encode(`${id} ${JSON.stringify(result)}`);
      worker.postMessage({ type: 'result', socketId: m.socketId, body }, [body.buffer]);
    })();
  });
  const port = await new Promise<number>((done, fail) => {
    worker.once('error', fail);
    worker.on('message', (m: { type: string; port: number }) => {
      if (m.type === 'listening') done(m.port);
    });
  });
  return {
    url: `http://127.0.0.1:${port}/index.html`,
    close: async () => {
      const exited = new Promise<void>((done) => worker.once('exit', () => done()));
      worker.postMessage({ type: 'close' });
      await exited;
    },
  };
}

export interface BenchConsole {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  cdp: CDPSession;
  /** index.html of the served renderer (append a hash route). */
  url: string;
  version: string;
  pageErrors: string[];
  pushEvent(event: string, payload: unknown): Promise<void>;
  /** Live JS heap after a full GC (CDP HeapProfiler.collectGarbage + Runtime.getHeapUsage), bytes. */
  heapAfterGc(): Promise<number>;
  close(): Promise<void>;
}

export async function openBenchConsole(options: {
  rendererDir: string;
  router: Router;
  bus: EventBus;
  initScript?: string;
  viewport?: { width: number; height: number };
}): Promise<BenchConsole> {
  const server = await serve(options.rendererDir, options.router);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--enable-precise-memory-info'],
  });
  try {
    const context = await browser.newContext({
      viewport: options.viewport ?? { width: 1360, height: 860 },
      colorScheme: 'light',
    });
    await context.addInitScript({ content: BRIDGE_INIT_SCRIPT });
    if (options.initScript) await context.addInitScript({ content: options.initScript });
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('console', (msg) => {
      if (msg.type() === 'error') pageErrors.push(msg.text());
    });
    page.on('pageerror', (err) => pageErrors.push(err.message));
    const pushEvent = async (event: string, payload: unknown) => {
      await page.evaluate(`window.__iampassEmit(${JSON.stringify(event)}, ${JSON.stringify(payload)})`);
    };
    const unsubscribe = options.bus.subscribe((event, payload) => {
      pushEvent(event, payload).catch(() => undefined);
    });
    const cdp = await context.newCDPSession(page);
    return {
      browser,
      context,
      page,
      cdp,
      url: server.url,
      version: browser.version(),
      pageErrors,
      pushEvent,
      async heapAfterGc() {
        await cdp.send('HeapProfiler.collectGarbage');
        await cdp.send('HeapProfiler.collectGarbage');
        const usage = await cdp.send('Runtime.getHeapUsage');
        return usage.usedSize;
      },
      async close() {
        unsubscribe();
        await context.close();
        await browser.close();
        await server.close();
      },
    };
  } catch (error) {
    await browser.close();
    await server.close();
    throw error;
  }
}
