/**
 * The renderer's own origin, `app://iampass/`: a privileged custom scheme that
 * serves the built renderer folder (out/renderer) and nothing else, in place
 * of `file://` (Electron security checklist, item 18).
 *
 * `createAppProtocolHandler` is a plain function of a fetch `Request` (what
 * `protocol.handle` passes) to a `Response`, with the root folder and the file
 * system injected, so it runs and is tested without Electron. This file only
 * imports Electron's types.
 */
import type * as Electron from 'electron';
import { promises as fsp } from 'node:fs';
import { extname, resolve, sep } from 'node:path';

export const APP_SCHEME = 'app';
export const APP_HOST = 'iampass';
/** The page the window loads in a built app; the IPC sender check trusts this page only. */
export const APP_INDEX_URL = `${APP_SCHEME}://${APP_HOST}/index.html`;

/**
 * Registered before the app is ready (Electron requires it). `standard` gives
 * the scheme real origins and relative URL resolution, `secure` makes the page
 * a secure context, `supportFetchAPI` lets the page fetch its own assets.
 * No CSP bypass, no service workers, no CORS, no code cache.
 */
export const APP_SCHEME_PRIVILEGES: Electron.CustomScheme = {
  scheme: APP_SCHEME,
  privileges: {
    standard: true,
    secure: true,
    supportFetchAPI: true,
    bypassCSP: false,
    allowServiceWorkers: false,
    corsEnabled: false,
    stream: false,
    codeCache: false,
  },
};

/** Content types by extension; anything else is served as opaque bytes (with nosniff). */
export const MIME_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.otf': 'font/otf',
  '.wasm': 'application/wasm',
};

export function mimeType(path: string): string {
  return MIME_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

/** The file-system calls the handler makes (Electron's `fs` reads inside app.asar transparently). */
export interface ProtocolFs {
  realpath(path: string): Promise<string>;
  stat(path: string): Promise<{ isFile(): boolean }>;
  readFile(path: string): Promise<Uint8Array>;
}

/** node:fs, looked up at call time so Electron's ASAR wrappers apply. */
export const nodeProtocolFs: ProtocolFs = {
  realpath: (path) => fsp.realpath(path),
  stat: (path) => fsp.stat(path),
  readFile: (path) => fsp.readFile(path),
};

export interface AppProtocolOptions {
  /** The built renderer folder (out/renderer); nothing outside it is ever served. */
  root: string;
  /** Sent as the Content-Security-Policy header of every response. */
  csp: string;
  fs?: ProtocolFs;
  /** The only host answered (default APP_HOST). */
  host?: string;
}

export type AppProtocolHandler = (request: Request) => Promise<Response>;

type Resolved = { ok: true; segments: string[] } | { ok: false; status: 400 | 403 | 404 };

// A `..` segment in the raw URL, plain or percent-encoded (`.%2e`, `%2e.`, `%2e%2e`), before any normalisation.
const RAW_DOT_DOT = /(^|[/\\])(\.|%2e){2}([/\\?#]|$)/i;
// Encoded separators, NUL and `%25` (a second encoding layer) are never part of a real asset name.
const ENCODED_FORBIDDEN = /%(2f|5c|00|25)/i;
/** After decoding: backslashes, `:` (Windows drives and streams) and control characters, NUL included. */
function hasForbiddenChar(path: string): boolean {
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c < 0x20 || c === 0x7f || c === 0x5c || c === 0x3a) return true;
  }
  return false;
}

/**
 * Maps an `app://` URL to path segments under the root, or refuses it:
 * 404 for another host, 403 for anything that looks like traversal or a
 * smuggled separator, 400 for malformed escapes.
 */
export function resolveAppPath(rawUrl: string, host: string = APP_HOST): Resolved {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    return { ok: false, status: 400 };
  }
  if (url.protocol !== `${APP_SCHEME}:` || url.hostname !== host) return { ok: false, status: 404 };
  if (url.username !== '' || url.password !== '' || url.port !== '') return { ok: false, status: 403 };
  const rawPath = rawUrl.slice(rawUrl.indexOf('//') + 2).replace(/^[^/\\?#]*/, '');
  if (RAW_DOT_DOT.test(rawPath) || rawPath.split(/[?#]/, 1)[0]!.includes('\\')) return { ok: false, status: 403 };
  if (ENCODED_FORBIDDEN.test(url.pathname)) return { ok: false, status: 403 };
  let decoded: string;
  try {
    decoded = decodeURIComponent(url.pathname);
  } catch {
    return { ok: false, status: 400 };
  }
  if (hasForbiddenChar(decoded)) return { ok: false, status: 403 };
  const segments = decoded.split('/').slice(1);
  if (segments.some((s) => s === '..' || s === '.')) return { ok: false, status: 403 };
  // An empty segment: the root itself, a folder (trailing slash) or `//`. Only files are served.
  if (segments.some((s) => s === '')) return { ok: false, status: 404 };
  return { ok: true, segments };
}

function isInside(root: string, path: string): boolean {
  return path.startsWith(root.endsWith(sep) ? root : root + sep);
}

/** The handler `protocol.handle('app', …)` gets: GET/HEAD of files under `root`, with the CSP header. */
export function createAppProtocolHandler(options: AppProtocolOptions): AppProtocolHandler {
  const fs = options.fs ?? nodeProtocolFs;
  const host = options.host ?? APP_HOST;
  const root = resolve(options.root);
  let realRoot: Promise<string> | null = null;
  const baseHeaders = {
    'Content-Security-Policy': options.csp,
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-cache',
  };
  const fail = (status: number, text: string): Response =>
    new Response(`${String(status)} ${text}\n`, {
      status,
      headers: { ...baseHeaders, 'Content-Type': 'text/plain; charset=utf-8' },
    });

  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      const response = fail(405, 'Method Not Allowed');
      response.headers.set('Allow', 'GET, HEAD');
      return response;
    }
    const resolved = resolveAppPath(request.url, host);
    if (!resolved.ok) {
      return fail(resolved.status, { 400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found' }[resolved.status]);
    }
    const candidate = resolve(root, ...resolved.segments);
    if (!isInside(root, candidate)) return fail(403, 'Forbidden');
    let rootReal: string;
    try {
      rootReal = await (realRoot ??= fs.realpath(root));
    } catch {
      realRoot = null;
      return fail(500, 'Internal Server Error');
    }
    let body: Uint8Array;
    try {
      // A symlink (or ASAR link) may not lead out of the root either.
      const real = await fs.realpath(candidate);
      if (!isInside(rootReal, real)) return fail(403, 'Forbidden');
      if (!(await fs.stat(real)).isFile()) return fail(404, 'Not Found');
      body = await fs.readFile(real);
    } catch (error) {
      const code = (error as { code?: unknown } | null)?.code;
      if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return fail(404, 'Not Found');
      return fail(500, 'Internal Server Error');
    }
    const headers = {
      ...baseHeaders,
      'Content-Type': mimeType(candidate),
      'Content-Length': String(body.byteLength),
    };
    return new Response(request.method === 'HEAD' ? null : new Uint8Array(body), { status: 200, headers });
  };
}
