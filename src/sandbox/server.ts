/**
 * The sandbox: an IAMPASS-compatible HTTP server (spec sections 2-5) with a
 * virtual phone, fault injection and optional persistence. Plain Node, binds
 * 127.0.0.1 only. See docs/sandbox.md.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { parseAuthenticationHeader, verifySignature } from '../main/iampass/signer.ts';
import { normalizeCredential } from '../shared/credentials.ts';
import { quotePlus, unquotePlus } from '../shared/encoding.ts';
import { AppError } from '../shared/errors.ts';
import { isAuthMethod, SESSION_STATUS_INFO, type AuthMethod, type SessionStatus } from '../shared/iampass.ts';
import { Faults, type FaultRule, type RouteName } from './faults.ts';
import { NonceCache } from './nonces.ts';
import { readDataFile, Persister } from './persist.ts';
import { phonePage, PHONE_PAGE_CSP } from './page.ts';
import {
  AUTHENTICATED,
  canMove,
  hashToken,
  newId,
  newSecret,
  OVER,
  settle,
  State,
  WAITING,
  type Application,
  type Session,
  type User,
} from './state.ts';

export type { FaultRule } from './faults.ts';

export interface SandboxOptions {
  /** 0 (default) = a free port; always binds 127.0.0.1. */
  port?: number;
  /** Persistence; in-memory when absent. */
  dataFile?: string;
  /**
   * 32 bytes: application and session secrets are written to the data file
   * only sealed with it (AES-256-GCM). The console passes its keychain data
   * key, so its data folder holds no secret in plain text.
   */
  secretKey?: Uint8Array;
  /** The default app; random (32 hex ID, 48 hex secret) when absent and none persisted. */
  application?: { id: string; secret: string };
  /** Default 300. */
  timestampWindowSeconds?: number;
  /** Default 60: a pending/identifying request times out if the phone doesn't answer. */
  pendingTimeoutSeconds?: number;
  /** Registration link lifetime, default 600 s. */
  registrationLinkSeconds?: number;
  /** Initial faults. */
  faults?: FaultRule[];
  /** Seed of the fault PRNG (default 1). */
  faultSeed?: number;
  /** Per-client cap of the replay cache (default 100,000 nonces). */
  nonceCacheSize?: number;
  /** Never logs secrets or links. */
  log?: (line: string) => void;
}

export interface Sandbox {
  baseUrl: string;
  phoneUrl: string;
  applicationId: string;
  applicationSecret: string;
  close(): Promise<void>;
}

export const MAX_BODY_BYTES = 1024 * 1024;
export const MAX_USERS_PER_CALL = 10_000;
export const MAX_USER_ID_LENGTH = 512;
export const DEFAULT_SESSION_SECONDS = 3600;
export const MAX_SESSION_SECONDS = 86_400;

/** Error carrying an HTTP answer; thrown inside handlers. */
class HttpError extends Error {
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
const notFound = (what: string) => new HttpError(404, `Not Found: ${what}`, { text: true });
const badRequest = (reason: string) => new HttpError(400, { status: false, reason });
const unauthorized = (reason: string) => new HttpError(401, { status: false, reason });

interface Reply {
  status: number;
  body: unknown;
  text?: boolean;
  contentType?: string;
  headers?: Record<string, string>;
}

interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  /** Raw path segments after the prefix (still encoded). */
  segments: string[];
  query: Map<string, string>;
  body: Buffer;
  route: RouteName | null;
}

function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
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
function checkText(value: string, what: string): string {
  if (value.length === 0 || value.length > MAX_USER_ID_LENGTH)
    throw badRequest(`${what} must be 1 to ${MAX_USER_ID_LENGTH} characters`);
  if (!value.isWellFormed()) throw badRequest(`${what} is not valid Unicode text (a lone surrogate)`);
  if (CONTROL_RE.test(value)) throw badRequest(`${what} contains control characters`);
  return value;
}

function decodeSegment(raw: string | undefined, what: string): string {
  if (raw === undefined || raw === '') throw notFound(what);
  const value = unquotePlus(raw);
  if (value === null) throw badRequest(`malformed encoding in ${what}`);
  return value;
}

function parseQuery(raw: string): Map<string, string> {
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

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function parseJson(body: Buffer): unknown {
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

function jsonObject(body: Buffer, allowEmpty = false): Record<string, unknown> {
  if (allowEmpty && body.length === 0) return {};
  const value = parseJson(body);
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw badRequest('the body must be a JSON object');
  return value as Record<string, unknown>;
}

function userList(body: Buffer): string[] {
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

function readBody(req: IncomingMessage): Promise<Buffer> {
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

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Timestamp / version headers, either spelling, IAMPASS or Activeconnect prefix. */
function authHeaderValue(req: IncomingMessage, what: 'timestamp' | 'version'): string | undefined {
  for (const prefix of ['iampass', 'activeconnect']) {
    for (const spelling of ['authentication', 'authentiaction']) {
      const v = header(req, `x-${prefix}-${spelling}-${what}`);
      if (v !== undefined) return v;
    }
  }
  return undefined;
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const windowSeconds = options.timestampWindowSeconds ?? 300;
  const pendingMs = (options.pendingTimeoutSeconds ?? 60) * 1000;
  const linkMs = (options.registrationLinkSeconds ?? 600) * 1000;
  const log = options.log ?? (() => undefined);
  if (!(windowSeconds > 0) || !(pendingMs > 0) || !(linkMs > 0)) {
    throw new AppError('invalid_input', 'sandbox timeouts and window must be positive numbers of seconds');
  }
  // Credential shapes (spec): any 16-128 printable ASCII characters, kept exactly as given.
  const application = options.application
    ? {
        id: normalizeCredential('applicationId', options.application.id),
        secret: normalizeCredential('secret', options.application.secret),
      }
    : undefined;
  const faults = new Faults(options.faults ?? [], options.faultSeed ?? 1);
  const nonces = new NonceCache({ perClient: options.nonceCacheSize ?? 100_000 });

  if (options.secretKey !== undefined && options.secretKey.length !== 32)
    throw new AppError('invalid_input', 'the secret key must be 32 bytes');
  const secretKey = options.secretKey;
  let state = new State();
  if (options.dataFile) {
    let restored: ReturnType<typeof State.fromSnapshot> | null = null;
    try {
      const raw = readDataFile(options.dataFile);
      const known = application;
      if (raw !== null) restored = State.fromSnapshot(raw, { secretKey, known });
    } catch (error) {
      throw new AppError('invalid_input', `the sandbox data file is not usable: ${(error as Error).message}`);
    }
    if (restored) {
      state = restored;
      if (restored.skipped > 0)
        log(
          `sandbox: ${restored.skipped} stored application(s)/session(s) left out: their secrets could not be opened with this key`,
        );
    }
  }
  if (application) {
    state.addApplication(application.id, application.secret);
    state.defaultApplicationId = application.id;
  } else if (!state.applications.has(state.defaultApplicationId)) {
    const app = state.addApplication(newId(), newSecret());
    state.defaultApplicationId = app.id;
  }
  const persister = options.dataFile
    ? new Persister(
        options.dataFile,
        () => state.snapshot(secretKey),
        (error) => log(`sandbox: could not write the data file: ${(error as Error).message}`),
      )
    : null;
  /** Counts changes, so a request knows whether it changed something and must wait until that is on disk. */
  let changes = 0;
  const changed = () => {
    changes++;
    persister?.touch();
  };
  /** Acknowledge only what is written: a request that changed the state answers after the write that holds its change. */
  const durable = async (before: number): Promise<void> => {
    if (!persister || changes === before) return;
    try {
      await persister.durable();
    } catch {
      throw new HttpError(503, {
        status: false,
        reason: 'the sandbox could not write its data file; the change may not survive a restart',
      });
    }
  };
  persister?.writeNow();

  let baseUrl = '';
  const serverNowMs = (route: RouteName | null) => Date.now() + faults.clockOffset(route) * 1000;

  // ---- authentication -------------------------------------------------------

  function verify(ctx: Ctx, secretOf: (clientId: string) => string | null): string {
    const { req } = ctx;
    const parsed = parseAuthenticationHeader(header(req, 'authentication'));
    if (!parsed) throw unauthorized('missing or malformed Authentication header');
    const version = authHeaderValue(req, 'version');
    if (version !== '1') throw unauthorized('missing or unsupported authentication version');
    const tsText = authHeaderValue(req, 'timestamp');
    if (tsText === undefined || !/^[0-9]{1,12}$/.test(tsText))
      throw unauthorized('missing or malformed authentication timestamp');
    const timestamp = Number(tsText);
    const now = Math.floor(serverNowMs(ctx.route) / 1000);
    if (Math.abs(now - timestamp) > windowSeconds)
      throw unauthorized('timestamp outside the allowed window (check the clock)');
    const secret = secretOf(parsed.clientId);
    if (secret === null) throw unauthorized('unknown client');
    const host = header(req, 'host') ?? '';
    const ok = verifySignature(
      { secret, url: host + (req.url ?? ''), canonical: host + (req.url ?? ''), nonce: parsed.nonce, timestamp },
      parsed.signature,
    );
    if (!ok) throw unauthorized('signature mismatch');
    const verdict = nonces.check(parsed.clientId, parsed.nonce, timestamp, now, windowSeconds);
    if (verdict === 'replay') throw unauthorized('nonce already used (replay)');
    if (verdict === 'below_floor')
      throw unauthorized('timestamp too old for the replay cache; retry with a fresh request');
    return parsed.clientId;
  }

  /** Verifies application credentials for a route whose first segment is the app ID. */
  function appRequest(ctx: Ctx): Application {
    const appId = decodeSegment(ctx.segments[0], 'application');
    const clientId = verify(ctx, (id) => {
      const app = state.applications.get(id);
      if (app) return app.secret;
      // A request about an unknown application signed as that application: the spec's 404.
      if (id === appId) throw notFound('unknown application');
      return null;
    });
    const app = state.applications.get(appId);
    if (!app) throw notFound('unknown application');
    if (clientId !== appId) throw unauthorized('credentials do not belong to this application');
    return app;
  }

  function userOf(app: Application, ctx: Ctx, index = 1): User {
    if (ctx.segments.length !== index + 1) throw notFound('no such route');
    const userId = decodeSegment(ctx.segments[index], 'user');
    const user = app.users.get(userId);
    if (!user) throw notFound('unknown user');
    return user;
  }

  function noQuery(ctx: Ctx, allowed: string[] = []): void {
    for (const key of ctx.query.keys()) if (!allowed.includes(key)) throw badRequest(`unknown query parameter: ${key}`);
  }

  const linkUrl = (token: string) => `${baseUrl}/sandbox/phone/register/${token}`;

  // ---- IAMPASS routes ---------------------------------------------------------

  function sessionOf(ctx: Ctx): Session {
    if (ctx.segments.length !== 1) throw notFound('no such route');
    const token = decodeSegment(ctx.segments[0], 'session');
    const session = state.sessions.get(token);
    verify(ctx, (id) => {
      if (id !== token) return null;
      return session ? session.secret : null;
    });
    if (!session) throw notFound('unknown session');
    return session;
  }

  const routes: Record<RouteName, { prefix: string; method: 'GET' | 'POST'; handle: (ctx: Ctx) => Reply }> = {
    add_users: {
      prefix: 'management',
      method: 'POST',
      handle(ctx) {
        if (ctx.segments.length !== 1) throw notFound('no such route');
        const app = appRequest(ctx);
        noQuery(ctx);
        const users = userList(ctx.body);
        const created: string[] = [];
        const existing: string[] = [];
        for (const id of users) {
          if (app.users.has(id) || created.includes(id)) {
            if (!existing.includes(id)) existing.push(id);
            continue;
          }
          app.users.set(id, { id, displayName: null, device: null, linkHash: null, linkExpiresAt: 0 });
          created.push(id);
        }
        if (created.length > 0) changed();
        return { status: 201, body: { status: true, users: { created, existing } } };
      },
    },
    delete_users: {
      prefix: 'management',
      method: 'POST',
      handle(ctx) {
        if (ctx.segments.length !== 1) throw notFound('no such route');
        const app = appRequest(ctx);
        noQuery(ctx);
        const users = userList(ctx.body);
        const now = Date.now();
        for (const id of users) state.deleteUser(app, id, now);
        changed();
        return { status: 200, body: { status: true } };
      },
    },
    device_registration_link: {
      prefix: 'management',
      method: 'GET',
      handle(ctx) {
        const app = appRequest(ctx);
        const user = userOf(app, ctx);
        noQuery(ctx, ['display_name']);
        const displayName = ctx.query.get('display_name');
        if (displayName !== undefined) checkText(displayName, 'display_name');
        if (user.device?.enabled) {
          return {
            status: 200,
            body: { status: false, reason: 'the user already has a registered device (use lost_user_mobile_device)' },
          };
        }
        if (displayName !== undefined) user.displayName = displayName;
        const token = state.issueLink(app, user, Date.now(), linkMs);
        changed();
        return { status: 200, body: { status: true, register_url: linkUrl(token) } };
      },
    },
    has_registered_mobile_device: {
      prefix: 'management',
      method: 'GET',
      handle(ctx) {
        const app = appRequest(ctx);
        const user = userOf(app, ctx);
        noQuery(ctx);
        return { status: 200, body: { status: true, device_registered: user.device?.enabled === true } };
      },
    },
    lost_user_mobile_device: {
      prefix: 'management',
      method: 'GET',
      handle(ctx) {
        const app = appRequest(ctx);
        const user = userOf(app, ctx);
        noQuery(ctx);
        const now = Date.now();
        if (user.device) {
          user.device.enabled = false;
          state.devices.delete(user.device.id);
        }
        // The lost phone can no longer answer: its waiting requests fail, its live sessions close.
        state.endSessionsOf(app.id, user.id, 'failed', now);
        const token = state.issueLink(app, user, now, linkMs);
        changed();
        return { status: 200, body: { status: true, register_url: linkUrl(token) } };
      },
    },
    authenticate_user: {
      prefix: 'authentication',
      method: 'POST',
      handle(ctx) {
        const app = appRequest(ctx);
        const user = userOf(app, ctx);
        noQuery(ctx, ['methods', 'duration_seconds']);
        jsonObject(ctx.body, true);
        let methods: AuthMethod[] | null = null;
        const m = ctx.query.get('methods');
        if (m !== undefined) {
          const list = m.split(',');
          if (list.length === 0 || !list.every(isAuthMethod) || new Set(list).size !== list.length) {
            throw badRequest('methods must be a comma-separated subset of acceptance, device, facial');
          }
          methods = list;
        }
        let duration = DEFAULT_SESSION_SECONDS;
        const d = ctx.query.get('duration_seconds');
        if (d !== undefined) {
          if (!/^[0-9]{1,6}$/.test(d) || Number(d) < 1 || Number(d) > MAX_SESSION_SECONDS) {
            throw badRequest(`duration_seconds must be an integer from 1 to ${MAX_SESSION_SECONDS}`);
          }
          duration = Number(d);
        }
        if (!user.device?.enabled) {
          return {
            status: 200,
            body: { authentication_status: { authenticated: false, reason: 'the user has no registered device' } },
          };
        }
        const now = Date.now();
        const session: Session = {
          token: newId(),
          secret: newSecret(),
          applicationId: app.id,
          userId: user.id,
          deviceId: user.device.id,
          methods,
          status: 'pending',
          createdAt: now,
          answerBy: now + pendingMs,
          endsAt: now + duration * 1000,
        };
        state.sessions.set(session.token, session);
        changed();
        return {
          status: 202,
          body: {
            authentication_status: {
              authenticated: true,
              session_status: 'pending',
              status_url: `${baseUrl}/authentication/status/${session.token}`,
              logout_url: `${baseUrl}/authentication/logout/${session.token}`,
              session_token: session.token,
              session_secret: session.secret,
            },
          },
        };
      },
    },
    status: {
      prefix: 'authentication',
      method: 'GET',
      handle(ctx) {
        const session = sessionOf(ctx);
        noQuery(ctx);
        const before = session.status;
        const status = settle(session, Date.now());
        if (status !== before) changed();
        return {
          status: 200,
          body: {
            authentication_status: { authenticated: SESSION_STATUS_INFO[status].authenticated, session_status: status },
          },
        };
      },
    },
    logout: {
      prefix: 'authentication',
      method: 'POST',
      handle(ctx) {
        const session = sessionOf(ctx);
        noQuery(ctx);
        const status = settle(session, Date.now());
        if (OVER.has(status))
          return { status: 200, body: { status: false, reason: `the session is already over (${status})` } };
        session.status = 'closed';
        changed();
        return { status: 200, body: { status: true } };
      },
    },
  };

  // ---- sandbox API (virtual phone, applications, faults) -----------------------

  function requestView(s: Session) {
    return {
      id: s.token,
      applicationId: s.applicationId,
      userId: s.userId,
      methods: s.methods,
      sessionStatus: s.status,
      createdAt: new Date(s.createdAt).toISOString(),
      answerBy: new Date(Math.min(s.answerBy, s.endsAt)).toISOString(),
    };
  }

  function sessionsOf(appId: string, userId: string, deviceId: string | null, which: ReadonlySet<SessionStatus>) {
    const now = Date.now();
    const out: Session[] = [];
    for (const s of state.sessions.values()) {
      if (s.applicationId !== appId || s.userId !== userId) continue;
      if (deviceId !== null && s.deviceId !== deviceId) continue;
      if (which.has(settle(s, now))) out.push(s);
    }
    return out.map(requestView);
  }

  /** A phone action: only from the statuses it names, and only along a legal move. */
  function move(token: string, to: SessionStatus, from: ReadonlySet<SessionStatus>): Reply {
    const session = state.sessions.get(token);
    if (!session) throw notFound('unknown session');
    const current = settle(session, Date.now());
    if (!from.has(current) || !canMove(current, to)) {
      return {
        status: 409,
        body: { status: false, reason: `cannot go from ${current} to ${to}`, session_status: current },
      };
    }
    session.status = to;
    changed();
    return { status: 200, body: { status: true, session_status: to } };
  }

  function sandboxRoute(ctx: Ctx, method: string): Reply {
    const [first, second, third, ...rest] = ctx.segments;
    const want = (m: string | string[], ok: boolean) => {
      const methods = Array.isArray(m) ? m : [m];
      if (!ok) throw notFound('no such sandbox route');
      if (!methods.includes(method))
        throw new HttpError(
          405,
          { status: false, reason: 'method not allowed' },
          { headers: { Allow: methods.join(', ') } },
        );
    };
    switch (first) {
      case 'phone': {
        // The phone web page, optionally opened on a registration link.
        want(
          'GET',
          (second === undefined && third === undefined) ||
            (second === 'register' && third !== undefined && rest.length === 0),
        );
        return {
          status: 200,
          body: phonePage(),
          contentType: 'text/html; charset=utf-8',
          text: true,
          headers: { 'Content-Security-Policy': PHONE_PAGE_CSP },
        };
      }
      case 'applications': {
        want('POST', second === undefined);
        const app = state.addApplication(newId(), newSecret());
        changed();
        return { status: 201, body: { status: true, id: app.id, secret: app.secret } };
      }
      case 'register': {
        want('POST', second === undefined);
        const body = jsonObject(ctx.body);
        const link = body.link;
        if (typeof link !== 'string' || link.length > 2048) throw badRequest('link must be a registration link string');
        const token =
          /\/sandbox\/phone\/register\/([A-Za-z0-9_-]{43})$/.exec(link)?.[1] ??
          (/^[A-Za-z0-9_-]{43}$/.test(link) ? link : null);
        if (token === null) throw badRequest('not a sandbox registration link');
        const hash = hashToken(token);
        const owner = state.links.get(hash);
        if (!owner)
          return { status: 410, body: { status: false, reason: 'the registration link is unknown, used or replaced' } };
        const [appId, userId] = owner;
        const user = state.applications.get(appId)?.users.get(userId);
        if (!user || user.linkHash !== hash) {
          state.links.delete(hash);
          return { status: 410, body: { status: false, reason: 'the registration link is unknown, used or replaced' } };
        }
        state.links.delete(hash);
        user.linkHash = null;
        if (Date.now() > user.linkExpiresAt) {
          changed();
          return { status: 410, body: { status: false, reason: 'the registration link has expired' } };
        }
        if (user.device) state.devices.delete(user.device.id);
        user.device = { id: newId(), enabled: true, registeredAt: Date.now() };
        state.devices.set(user.device.id, [appId, userId]);
        changed();
        return {
          status: 200,
          body: { status: true, deviceId: user.device.id, applicationId: appId, userId, displayName: user.displayName },
        };
      }
      case 'users': {
        // /sandbox/users/<app>/<user>/requests | sessions
        want(
          'GET',
          second !== undefined &&
            third !== undefined &&
            rest.length === 1 &&
            (rest[0] === 'requests' || rest[0] === 'sessions'),
        );
        const appId = decodeSegment(second, 'application');
        const userId = decodeSegment(third, 'user');
        const user = state.applications.get(appId)?.users.get(userId);
        if (!user) throw notFound('unknown application or user');
        const deviceId = user.device?.enabled ? user.device.id : null;
        if (rest[0] === 'requests') {
          return {
            status: 200,
            body: { status: true, requests: deviceId ? sessionsOf(appId, userId, deviceId, WAITING) : [] },
          };
        }
        return {
          status: 200,
          body: {
            status: true,
            sessions: sessionsOf(appId, userId, null, new Set([...WAITING, ...AUTHENTICATED, ...OVER])),
          },
        };
      }
      case 'devices': {
        // /sandbox/devices/<deviceId>: what the phone page shows.
        want('GET', second !== undefined && third === undefined);
        const owner = state.devices.get(decodeSegment(second, 'device'));
        if (!owner) throw notFound('unknown or disabled device');
        const [appId, userId] = owner;
        const user = state.applications.get(appId)?.users.get(userId);
        return {
          status: 200,
          body: {
            status: true,
            applicationId: appId,
            userId,
            displayName: user?.displayName ?? null,
            requests: sessionsOf(appId, userId, second!, WAITING),
            sessions: sessionsOf(appId, userId, second!, AUTHENTICATED),
          },
        };
      }
      case 'requests':
      case 'sessions': {
        const LIVE: ReadonlySet<SessionStatus> = new Set([...WAITING, ...AUTHENTICATED]);
        const actions: Record<string, [SessionStatus, ReadonlySet<SessionStatus>]> =
          first === 'requests'
            ? {
                identify: ['identifying', new Set(['pending'])],
                approve: ['active', WAITING],
                deny: ['cancelled', WAITING],
                fail: ['failed', WAITING],
                ignore: ['timeout', WAITING],
              }
            : {
                walk_away: ['walkaway', new Set(['active'])],
                come_back: ['active', new Set(['walkaway'])],
                close: ['closed', LIVE],
              };
        if (first === 'sessions' && second !== undefined && third === undefined) {
          want('GET', true);
          const session = state.sessions.get(decodeSegment(second, 'session'));
          if (!session) throw notFound('unknown session');
          return {
            status: 200,
            body: { status: true, session: requestView({ ...session, status: settle(session, Date.now()) }) },
          };
        }
        want('POST', second !== undefined && third !== undefined && rest.length === 0 && Object.hasOwn(actions, third));
        const token = decodeSegment(second, 'session');
        const [to, from] = actions[third!]!;
        if (third === 'approve') {
          // pending -> identifying -> active
          const session = state.sessions.get(token);
          if (session && settle(session, Date.now()) === 'pending') session.status = 'identifying';
        }
        return move(token, to, from);
      }
      case 'stats': {
        // Diagnostics for the benchmark: sizes and this process's memory.
        // `?gc=1` runs a full GC first when node was started with --expose-gc.
        want('GET', second === undefined);
        if (ctx.query.get('gc') === '1') (globalThis as { gc?: () => void }).gc?.();
        const m = process.memoryUsage();
        let users = 0;
        for (const app of state.applications.values()) users += app.users.size;
        return {
          status: 200,
          body: {
            status: true,
            nonces: nonces.size(),
            sessions: state.sessions.size,
            applications: state.applications.size,
            users,
            rss: m.rss,
            heapUsed: m.heapUsed,
          },
        };
      }
      case 'faults': {
        want(['GET', 'PUT', 'DELETE'], second === undefined);
        if (method === 'PUT') {
          const body = jsonObject(ctx.body);
          if (!Array.isArray(body.faults)) throw badRequest('faults must be an array');
          try {
            faults.set(body.faults as unknown[]);
          } catch (error) {
            if (error instanceof AppError) throw badRequest(error.message);
            throw error;
          }
        } else if (method === 'DELETE') {
          faults.set([]);
        }
        return { status: 200, body: { status: true, faults: faults.list() } };
      }
      default:
        throw notFound('no such sandbox route');
    }
  }

  // ---- HTTP plumbing ---------------------------------------------------------

  function send(
    res: ServerResponse,
    reply: Reply,
    route: RouteName | null,
    corrupt: 'truncate' | 'non_json' | null,
  ): void {
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
    const offset = faults.clockOffset(route);
    if (offset !== 0) headers.Date = new Date(Date.now() + offset * 1000).toUTCString();
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

  function fail(res: ServerResponse, error: unknown, route: RouteName | null): void {
    if (error instanceof HttpError) {
      send(res, { status: error.status, body: error.body, text: error.text, headers: error.headers }, route, null);
      return;
    }
    log(`sandbox: internal error on ${route ?? 'sandbox'}: ${(error as Error).message}`);
    send(res, { status: 500, body: { status: false, reason: 'internal sandbox error' } }, route, null);
  }

  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    const path = q < 0 ? rawUrl : rawUrl.slice(0, q);
    const rawQuery = q < 0 ? '' : rawUrl.slice(q + 1);
    const parts = path.split('/').slice(1);
    const method = req.method ?? 'GET';
    let route: RouteName | null = null;
    let label = 'unknown';
    try {
      if (!isLoopback(req.socket.remoteAddress)) throw new HttpError(403, 'Forbidden: loopback only', { text: true });
      const ctx: Ctx = { req, res, segments: [], query: new Map(), body: Buffer.alloc(0), route: null };
      if (parts[0] === 'sandbox') {
        label = `sandbox/${parts[1] ?? ''}`;
        // DNS-rebinding and cross-site guards: the Host must be ours, a
        // foreign Origin is refused, and state-changing calls need JSON.
        const host = header(req, 'host') ?? '';
        if (!/^(127\.0\.0\.1|localhost|\[::1\]):[0-9]+$/.test(host))
          throw new HttpError(403, 'Forbidden: bad Host', { text: true });
        const origin = header(req, 'origin');
        if (origin !== undefined && origin !== `http://${host}`)
          throw new HttpError(403, 'Forbidden: cross-origin', { text: true });
        if (
          method !== 'GET' &&
          method !== 'HEAD' &&
          method !== 'DELETE' &&
          !(header(req, 'content-type') ?? '').startsWith('application/json')
        ) {
          if (parts[1] !== 'applications')
            throw new HttpError(415, { status: false, reason: 'Content-Type must be application/json' });
        }
        ctx.segments = parts.slice(1);
        ctx.query = parseQuery(rawQuery);
        ctx.body = await readBody(req);
        const before = changes;
        const sandboxReply = sandboxRoute(ctx, method);
        await durable(before);
        send(res, sandboxReply, null, null);
        return;
      }
      const name = parts[1] as RouteName | undefined;
      const def = name !== undefined && Object.hasOwn(routes, name) ? routes[name] : undefined;
      if (!def || def.prefix !== parts[0]) throw notFound('no such route');
      route = name!;
      label = route;
      ctx.route = route;
      if (method !== def.method)
        throw new HttpError(405, { status: false, reason: 'method not allowed' }, { headers: { Allow: def.method } });
      // Faults that act before anything is processed.
      let corrupt: 'truncate' | 'non_json' | null = null;
      for (const rule of faults.for(route)) {
        if (rule.kind === 'latency') await sleep(faults.jitter(rule));
      }
      for (const rule of faults.for(route)) {
        if (rule.kind === 'reset' && faults.fires(rule)) {
          req.socket.destroy();
          log(`${method} ${label} reset (fault)`);
          return;
        }
        if (rule.kind === 'error' && faults.fires(rule)) {
          const headers: Record<string, string> =
            rule.status === 429 ? { 'Retry-After': String(rule.retryAfter ?? 1) } : {};
          req.resume();
          send(
            res,
            { status: rule.status ?? 500, body: { status: false, reason: `sandbox fault: ${rule.status}` }, headers },
            route,
            null,
          );
          log(`${method} ${label} ${rule.status} (fault)`);
          return;
        }
        if ((rule.kind === 'truncate' || rule.kind === 'non_json') && corrupt === null && faults.fires(rule))
          corrupt = rule.kind;
      }
      ctx.segments = parts.slice(2);
      ctx.query = parseQuery(rawQuery);
      ctx.body = await readBody(req);
      const before = changes;
      const reply = def.handle(ctx);
      await durable(before);
      send(res, reply, route, corrupt);
      log(`${method} ${label} ${reply.status} ${Date.now() - started}ms`);
    } catch (error) {
      if (error instanceof HttpError && error.status === 413) res.setHeader('Connection', 'close');
      fail(res, error, route);
      log(`${method} ${label} ${error instanceof HttpError ? error.status : 500} ${Date.now() - started}ms`);
    }
  }

  const sockets = new Set<Socket>();
  const server = createServer({ keepAliveTimeout: 5000 }, (req, res) => {
    handle(req, res).catch((error: unknown) => {
      log(`sandbox: unhandled ${(error as Error).message}`);
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  baseUrl = `http://127.0.0.1:${port}`;
  const defaultApp = state.applications.get(state.defaultApplicationId)!;
  log(`sandbox: listening on ${baseUrl}`);

  let closed: Promise<void> | null = null;
  return {
    baseUrl,
    phoneUrl: `${baseUrl}/sandbox/phone`,
    applicationId: defaultApp.id,
    applicationSecret: defaultApp.secret,
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }).then(() => {
        persister?.writeNow();
      });
      return closed;
    },
  };
}

/** Encodes a user ID for a sandbox or IAMPASS path (spec section 3). */
export const encodeUserId = quotePlus;
