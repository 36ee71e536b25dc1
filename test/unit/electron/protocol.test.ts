/**
 * The app:// handler as a plain function (no Electron): only files under the
 * renderer folder, their MIME types, the CSP header, traversal refused.
 * Requests are built with the fetch `Request` that `protocol.handle` passes,
 * which normalises dot segments as Chromium does; `resolveAppPath` is also
 * fed raw, unnormalised URLs.
 */
import fc from 'fast-check';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  APP_INDEX_URL,
  APP_SCHEME_PRIVILEGES,
  createAppProtocolHandler,
  MIME_TYPES,
  nodeProtocolFs,
  resolveAppPath,
  type ProtocolFs,
} from '../../../src/main/electron/protocol.ts';
import { CSP } from '../../../src/main/electron/security.ts';

const SECRET = 'top-secret-outside-the-renderer';
const base = mkdtempSync(join(tmpdir(), 'iampass-protocol-'));
const root = join(base, 'renderer');
mkdirSync(join(root, 'assets'), { recursive: true });
writeFileSync(join(base, 'secret.txt'), SECRET);
writeFileSync(join(root, 'index.html'), '<!doctype html><title>IAMPASS Admin</title>');
const assets: Record<string, string> = {
  'index-a1.js': 'text/javascript; charset=utf-8',
  'chunk.mjs': 'text/javascript; charset=utf-8',
  'index-b2.css': 'text/css; charset=utf-8',
  'favicon.svg': 'image/svg+xml',
  'logo.png': 'image/png',
  'photo.JPG': 'image/jpeg',
  'inter.woff2': 'font/woff2',
  'inter.woff': 'font/woff',
  'data.json': 'application/json; charset=utf-8',
  'index-a1.js.map': 'application/json; charset=utf-8',
  'module.wasm': 'application/wasm',
  'icon.ico': 'image/x-icon',
  'blob.bin': 'application/octet-stream',
  noextension: 'application/octet-stream',
};
for (const name of Object.keys(assets)) writeFileSync(join(root, 'assets', name), `content of ${name}`);
// A link inside the root that leads out of it.
symlinkSync(join(base, 'secret.txt'), join(root, 'assets', 'leak.txt'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

const handler = createAppProtocolHandler({ root, csp: CSP });
const get = (url: string, init?: RequestInit) => handler(new Request(url, init));

describe('app:// scheme', () => {
  it('is registered standard, secure and fetch-capable, without CSP bypass or service workers', () => {
    expect(APP_SCHEME_PRIVILEGES).toEqual({
      scheme: 'app',
      privileges: expect.objectContaining({
        standard: true,
        secure: true,
        supportFetchAPI: true,
        bypassCSP: false,
        allowServiceWorkers: false,
      }) as unknown,
    });
    expect(APP_INDEX_URL).toBe('app://iampass/index.html');
  });
});

describe('createAppProtocolHandler', () => {
  it('serves index.html with its type, the CSP header, nosniff and its length', async () => {
    const r = await get(APP_INDEX_URL);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(r.headers.get('content-security-policy')).toBe(CSP);
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    const body = await r.text();
    expect(body).toBe('<!doctype html><title>IAMPASS Admin</title>');
    expect(r.headers.get('content-length')).toBe(String(Buffer.byteLength(body)));
  });

  it('ignores the query and the hash (the renderer routes with the hash)', async () => {
    expect((await get(`${APP_INDEX_URL}?x=1#/users`)).status).toBe(200);
  });

  it('gives each asset its MIME type; unknown extensions are opaque bytes', async () => {
    for (const [name, type] of Object.entries(assets)) {
      const r = await get(`app://iampass/assets/${name}`);
      expect(r.status, name).toBe(200);
      expect(r.headers.get('content-type'), name).toBe(type);
      expect(await r.text()).toBe(`content of ${name}`);
    }
    expect(MIME_TYPES['.html']).toBe('text/html; charset=utf-8');
  });

  it('decodes percent-encoded names inside the root', async () => {
    writeFileSync(join(root, 'assets', 'a b.css'), 'x');
    const r = await get('app://iampass/assets/a%20b.css');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/css; charset=utf-8');
  });

  it('answers HEAD without a body, and refuses other methods', async () => {
    const head = await get(APP_INDEX_URL, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('43');
    expect(await head.text()).toBe('');
    const post = await get(APP_INDEX_URL, { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('404 for missing files, folders and other hosts; error responses carry the CSP too', async () => {
    for (const url of [
      'app://iampass/missing.js',
      'app://iampass/assets/',
      'app://iampass/assets',
      'app://iampass/',
      'app://evil/index.html',
    ]) {
      const r = await get(url);
      expect(r.status, url).toBe(404);
      expect(r.headers.get('content-security-policy')).toBe(CSP);
      expect(r.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    }
  });

  it('refuses a symlink that leads out of the root', async () => {
    const r = await get('app://iampass/assets/leak.txt');
    expect(r.status).toBe(403);
    expect(await r.text()).not.toContain(SECRET);
  });

  const attacks = [
    'app://x/../../etc/passwd',
    'app://iampass/../../etc/passwd',
    'app://iampass/../secret.txt',
    'app://iampass/assets/../../secret.txt',
    'app://iampass/%2e%2e/%2e%2e/etc/passwd',
    'app://iampass/%2E%2E/secret.txt',
    'app://iampass/.%2e/secret.txt',
    'app://iampass/%2e%2e%2fsecret.txt',
    'app://iampass/assets/..%2f..%2fsecret.txt',
    'app://iampass/..%5c..%5csecret.txt',
    'app://iampass/..\\..\\secret.txt',
    'app://iampass/assets\\..\\..\\secret.txt',
    'app://iampass/%252e%252e%252fsecret.txt',
    'app://iampass/%252e%252e/secret.txt',
    'app://iampass/index.html%00.png',
    'app://iampass/index.html%00',
    `app://iampass/${encodeURIComponent(resolve(base, 'secret.txt'))}`,
    'app://iampass//etc/passwd',
    'app://iampass/C:%5cWindows%5cwin.ini',
    'app://iampass/c:/windows/win.ini',
    'app://iampass/index.html::$DATA',
  ];

  it('never serves anything outside the root, however the path is encoded', async () => {
    for (const url of attacks) {
      const r = await get(url);
      expect([403, 404], url).toContain(r.status);
      const body = await r.text();
      expect(body, url).not.toContain(SECRET);
      expect(body, url).not.toMatch(/root:.*:0:0:/);
    }
  });

  it('refuses traversal in the raw URL with 403, before any normalisation', () => {
    for (const url of attacks.filter((u) => u.startsWith('app://iampass/') && !u.includes('//etc'))) {
      expect(resolveAppPath(url), url).toEqual({ ok: false, status: 403 });
    }
    expect(resolveAppPath('app://x/../../etc/passwd')).toEqual({ ok: false, status: 404 });
    expect(resolveAppPath('app://iampass/%E0%A4%A')).toEqual({ ok: false, status: 400 });
    expect(resolveAppPath('app://user@iampass/index.html')).toEqual({ ok: false, status: 403 });
    expect(resolveAppPath('app://iampass:81/index.html')).toEqual({ ok: false, status: 403 });
    expect(resolveAppPath('https://iampass/index.html')).toEqual({ ok: false, status: 404 });
    expect(resolveAppPath('app://iampass/assets/index-a1.js?v=1')).toEqual({
      ok: true,
      segments: ['assets', 'index-a1.js'],
    });
  });

  it('asks the injected file system only for paths under the root, whatever the URL (property)', async () => {
    const asked: string[] = [];
    const fs: ProtocolFs = {
      realpath: (p) => (asked.push(p), Promise.resolve(p)),
      stat: (p) => (asked.push(p), Promise.resolve({ isFile: () => true })),
      readFile: (p) => (asked.push(p), Promise.resolve(new Uint8Array([1]))),
    };
    const fake = createAppProtocolHandler({ root, csp: CSP, fs });
    const piece = fc.constantFrom(
      '..',
      '.',
      '%2e',
      '%2E',
      '%2f',
      '%5c',
      '\\',
      '/',
      '%00',
      '%25',
      '%',
      'a',
      'etc',
      ':',
      'C:',
      '~',
      '%c0%ae',
    );
    await fc.assert(
      fc.asyncProperty(fc.array(piece, { maxLength: 12 }), async (parts) => {
        const url = `app://iampass/${parts.join('')}`;
        asked.length = 0;
        let request: Request;
        try {
          request = new Request(url);
        } catch {
          return;
        }
        const r = await fake(request);
        expect([200, 400, 403, 404]).toContain(r.status);
        for (const p of asked) expect(p === root || p.startsWith(root + sep), `${url} -> ${p}`).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('a file-system error other than "not found" is a 500 with no detail', async () => {
    const fs: ProtocolFs = {
      ...nodeProtocolFs,
      readFile: () => Promise.reject(Object.assign(new Error(`EACCES ${root}/index.html`), { code: 'EACCES' })),
    };
    const r = await createAppProtocolHandler({ root, csp: CSP, fs })(new Request(APP_INDEX_URL));
    expect(r.status).toBe(500);
    expect(await r.text()).not.toContain(root);
  });
});
