/**
 * The sandbox's HTTP plumbing: the error that carries an answer, the request
 * a route handler sees, strict parsing of paths, queries and JSON bodies, and
 * writing an answer (including the `truncate` / `non_json` faults). No state,
 * no clock: what a route needs beyond this comes from its SandboxContext.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { USER_ID_MAX_UNITS } from '../shared/limits.ts';
import { unquotePlus } from '../shared/encoding.ts';
import type { RouteName } from './faults.ts';

export const MAX_BODY_BYTES = 1024 * 1024;
export const MAX_USERS_PER_CALL = 10_000;
/** A user ID or display name the sandbox stores, in UTF-16 units (src/shared/limits.ts). */
export const MAX_USER_ID_LENGTH = USER_ID_MAX_UNITS;

/** Error carrying an HTTP answer; thrown inside handlers. */
export class HttpError extends Error {
  readonly status: number;
  readonly body: unknown;
  readonly text: boolean;
  readonly headers: Record<string, string>;
  constructor(status: number, body: unknown, options: { text?: boolean; headers?: Record<string, string> } = {}) {
    super(typeof body === 'string' ? body : `HTTP ${status}`);
    this.status = status;
    this.body = body;
    this.text = options.text ?? false;
    this.headers = options.headers ?? {};
  }
}
export const notFound = (what: string) => new HttpError(404, `Not Found: ${what}`, { text: true });
export const badRequest = (reason: string) => new HttpError(400, { status: false, reason });
export const unauthorized = (reason: string) => new HttpError(401, { status: false, reason });
export const methodNotAllowed = (allow: string) =>
  new HttpError(405, { status: false, reason: 'method not allowed' }, { headers: { Allow: allow } });

/** What a route answers. */
export interface Reply {
  status: number;
  body: unknown;
  text?: boolean;
  contentType?: string;
  headers?: Record<string, string>;
}

/** One request as a route handler sees it. */
export interface RequestCtx {
  req: IncomingMessage;
  /** Raw path segments after the prefix (still encoded). */
  segments: string[];
  query: Map<string, string>;
  body: Buffer;
  /** The IAMPASS route name, null for the sandbox-only API. */
  route: RouteName | null;
}

/** An IAMPASS route: `/<prefix>/<name>/...` with one method. */
export interface RouteDef {
  prefix: 'management' | 'authentication';
  method: 'GET' | 'POST';
  handle: (ctx: RequestCtx) => Reply;
}

export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

export function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Timestamp / version headers, either spelling, IAMPASS or Activeconnect prefix. */
export function authHeaderValue(req: IncomingMessage, what: 'timestamp' | 'version'): string | undefined {
  for (const prefix of ['iampass', 'activeconnect']) {
    for (const spelling of ['authentication', 'authentiaction']) {
      const v = header(req, `x-${prefix}-${spelling}-${what}`);
      if (v !== undefined) return v;
    }
  }
  return undefined;
}

/** C0 controls, DEL and C1 controls: never part of a user ID or a display name. */
// eslint-disable-next-line no-control-regex
const CONTROL_RE = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * A user ID or display name as the service stores it: valid Unicode (no lone
 * surrogate; invalid UTF-8 never gets this far), no control characters, at
 * most MAX_USER_ID_LENGTH characters. Anything else is a 400, and nothing is
 * stored.
 */
export function checkText(value: string, what: string): string {
  if (value.length === 0 || value.length > MAX_USER_ID_LENGTH)
    throw badRequest(`${what} must be 1 to ${MAX_USER_ID_LENGTH} characters`);
  if (!value.isWellFormed()) throw badRequest(`${what} is not valid Unicode text (a lone surrogate)`);
  if (CONTROL_RE.test(value)) throw badRequest(`${what} contains control characters`);
  return value;
}

export function decodeSegment(raw: string | undefined, what: string): string {
  if (raw === undefined || raw === '') throw notFound(what);
  const value = unquotePlus(raw);
  if (value === null) throw badRequest(`malformed encoding in ${what}`);
  return value;
}

export function parseQuery(raw: string): Map<string, string> {
  const query = new Map<string, string>();
  if (raw === '') return query;
  for (const pair of raw.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = unquotePlus(eq < 0 ? pair : pair.slice(0, eq));
    const value = unquotePlus(eq < 0 ? '' : pair.slice(eq + 1));
    if (key === null || value === null) throw badRequest('malformed query encoding');
    if (query.has(key)) throw badRequest(`duplicate query parameter: ${key}`);
    query.set(key, value);
  }
  return query;
}

/** Refuses any query parameter not in `allowed`. */
export function noQuery(ctx: RequestCtx, allowed: string[] = []): void {
  for (const key of ctx.query.keys()) if (!allowed.includes(key)) throw badRequest(`unknown query parameter: ${key}`);
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

export function parseJson(body: Buffer): unknown {
  if (body.length === 0) throw badRequest('missing JSON body');
  let text: string;
  try {
    // Invalid UTF-8 is refused, never read as U+FFFD.
    text = strictUtf8.decode(body);
  } catch {
    throw badRequest('the JSON body is not valid UTF-8');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw badRequest('malformed JSON body');
  }
}

export function jsonObject(body: Buffer, allowEmpty = false): Record<string, unknown> {
  if (allowEmpty && body.length === 0) return {};
  const value = parseJson(body);
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw badRequest('the body must be a JSON object');
  return value as Record<string, unknown>;
}

/** The `{users: [...]}` body of add_users / delete_users. */
export function userList(body: Buffer): string[] {
  const obj = jsonObject(body);
  const users = obj.users;
  if (!Array.isArray(users)) throw badRequest('users must be an array of strings');
  if (users.length > MAX_USERS_PER_CALL) throw badRequest(`at most ${MAX_USERS_PER_CALL} users per call`);
  for (const u of users) {
    if (typeof u !== 'string' || u.length === 0 || u.length > MAX_USER_ID_LENGTH) {
      throw badRequest(`every user must be a non-empty string of at most ${MAX_USER_ID_LENGTH} characters`);
    }
    checkText(u, 'a user ID');
  }
  return users as string[];
}

/** The whole body, at most MAX_BODY_BYTES (413 by Content-Length or while streaming). */
export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? '0');
    if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) {
      reject(new HttpError(413, { status: false, reason: 'body larger than 1 MiB' }));
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        failed = true;
        reject(new HttpError(413, { status: false, reason: 'body larger than 1 MiB' }));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks));
    });
    req.on('error', (error) => {
      if (!failed) reject(error);
      failed = true;
    });
  });
}

/** A fault that corrupts an answer after the request took effect. */
export type Corruption = 'truncate' | 'non_json' | null;

/**
 * Writes an answer. `date` replaces the `Date` header (a `clock` fault);
 * `corrupt` sends an HTML body with a 200, or half the body and a cut connection.
 */
export function send(res: ServerResponse, reply: Reply, date: string | null, corrupt: Corruption): void {
  const headers: Record<string, string> = {
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    ...reply.headers,
  };
  let body: string;
  if (reply.text) {
    body = typeof reply.body === 'string' ? reply.body : '';
    headers['Content-Type'] = reply.contentType ?? 'text/plain; charset=utf-8';
  } else {
    body = JSON.stringify(reply.body);
    headers['Content-Type'] = 'application/json';
  }
  if (date !== null) headers.Date = date;
  let status = reply.status;
  if (corrupt === 'non_json') {
    status = 200;
    body = '<html><body>Bad Gateway (sandbox fault: non-JSON body)</body></html>';
    headers['Content-Type'] = 'text/html; charset=utf-8';
  }
  const bytes = Buffer.from(body, 'utf8');
  headers['Content-Length'] = String(bytes.length);
  res.writeHead(status, headers);
  if (corrupt === 'truncate') {
    res.write(bytes.subarray(0, Math.floor(bytes.length / 2)));
    // Flush what we wrote, then cut the connection mid-body.
    setImmediate(() => res.socket?.destroy());
    return;
  }
  res.end(bytes);
}

/** The answer an HttpError carries. */
export function replyOf(error: HttpError): Reply {
  return { status: error.status, body: error.body, text: error.text, headers: error.headers };
}
