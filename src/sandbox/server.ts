/**
 * The sandbox: an IAMPASS-compatible HTTP server (spec sections 2-5) with a
 * virtual phone, fault injection and optional persistence. Plain Node, binds
 * 127.0.0.1 only. See docs/sandbox.md.
 *
 * This file is the lifecycle: options, restoring and persisting the state,
 * dispatching requests (guards, faults, acknowledging only what is written),
 * listening and closing. The routes live in `routes/`, the HTTP plumbing in
 * `http.ts`, request authentication in `verify.ts`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { normalizeCredential } from '../shared/credentials.ts';
import { quotePlus } from '../shared/encoding.ts';
import { AppError } from '../shared/errors.ts';
import { sleeper, systemClock, type Clock, type SandboxContext } from './context.ts';
import { Faults, type FaultRule, type RouteName } from './faults.ts';
import {
  header,
  HttpError,
  isLoopback,
  methodNotAllowed,
  notFound,
  parseQuery,
  readBody,
  replyOf,
  send,
  type Corruption,
  type Reply,
  type RequestCtx,
  type RouteDef,
} from './http.ts';
import { NonceCache } from './nonces.ts';
import { readDataFile, Persister } from './persist.ts';
import { authenticationRoutes } from './routes/authentication.ts';
import { managementRoutes } from './routes/management.ts';
import { sandboxRoutes } from './routes/sandbox.ts';
import { newId, newSecret, State } from './state.ts';

export type { Clock } from './context.ts';
export type { FaultRule } from './faults.ts';
export { MAX_BODY_BYTES, MAX_USERS_PER_CALL, MAX_USER_ID_LENGTH } from './http.ts';
export { DEFAULT_SESSION_SECONDS, MAX_SESSION_SECONDS } from './routes/authentication.ts';

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
  /** Serve send_registration_sms (default true); false answers it like a deployment without the route (404 endpoint). */
  sms?: boolean;
  /** Seed of the fault PRNG (default 1). */
  faultSeed?: number;
  /** Per-client cap of the replay cache (default 100,000 nonces). */
  nonceCacheSize?: number;
  /** Never logs secrets or links. */
  log?: (line: string) => void;
  /**
   * Where the sandbox reads the time (default `Date.now`): timestamp window,
   * nonce expiry, link expiry, pending timeouts, session durations. Tests pass
   * a clock they advance instead of sleeping; its optional `sleep` is how a
   * `latency` fault waits. The data file's write delay stays on a real timer.
   */
  clock?: Clock;
}

export interface Sandbox {
  baseUrl: string;
  phoneUrl: string;
  applicationId: string;
  applicationSecret: string;
  close(): Promise<void>;
}

/** Loads the data file (if any) and makes sure the default application exists. */
function restoreState(
  options: SandboxOptions,
  application: { id: string; secret: string } | undefined,
  log: (line: string) => void,
): State {
  let state = new State();
  if (options.dataFile) {
    let restored: ReturnType<typeof State.fromSnapshot> | null = null;
    try {
      const raw = readDataFile(options.dataFile);
      const known = application;
      if (raw !== null) restored = State.fromSnapshot(raw, { secretKey: options.secretKey, known });
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
  return state;
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
  const clock = options.clock ?? systemClock;

  if (options.secretKey !== undefined && options.secretKey.length !== 32)
    throw new AppError('invalid_input', 'the secret key must be 32 bytes');
  const secretKey = options.secretKey;
  const state = restoreState(options, application, log);
  const persister = options.dataFile
    ? new Persister(
        options.dataFile,
        () => state.snapshot(secretKey),
        (error) => log(`sandbox: could not write the data file: ${(error as Error).message}`),
      )
    : null;
  /** Counts changes, so a request knows whether it changed something and must wait until that is on disk. */
  let changes = 0;
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
  const sb: SandboxContext = {
    state,
    clock,
    faults,
    nonces,
    windowSeconds,
    pendingMs,
    linkMs,
    sms: options.sms ?? true,
    baseUrl: () => baseUrl,
    changed() {
      changes++;
      persister?.touch();
    },
  };
  const routes: Record<RouteName, RouteDef> = { ...managementRoutes(sb), ...authenticationRoutes(sb) };
  const sandboxRoute = sandboxRoutes(sb);

  // ---- dispatch ----------------------------------------------------------------

  /** The `Date` header a `clock` fault puts on a route's answers (null: Node's own). */
  const dated = (route: RouteName | null): string | null => {
    const offset = faults.clockOffset(route);
    return offset === 0 ? null : new Date(clock.now() + offset * 1000).toUTCString();
  };

  function fail(res: ServerResponse, error: unknown, route: RouteName | null): void {
    if (error instanceof HttpError) {
      send(res, replyOf(error), dated(route), null);
      return;
    }
    log(`sandbox: internal error on ${route ?? 'sandbox'}: ${(error as Error).message}`);
    send(res, { status: 500, body: { status: false, reason: 'internal sandbox error' } }, dated(route), null);
  }

  const sleep = sleeper(clock);

  /** Reads the body, runs the handler, and answers once its change (if any) is on disk. */
  async function run(ctx: RequestCtx, rawQuery: string, handler: (ctx: RequestCtx) => Reply): Promise<Reply> {
    ctx.query = parseQuery(rawQuery);
    ctx.body = await readBody(ctx.req);
    const before = changes;
    const reply = handler(ctx);
    await durable(before);
    return reply;
  }

  /** `/sandbox/...`: guarded against other hosts, DNS rebinding and cross-site pages; never faulted. */
  async function handleSandbox(req: IncomingMessage, res: ServerResponse, parts: string[], rawQuery: string) {
    const method = req.method ?? 'GET';
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
    const ctx: RequestCtx = { req, segments: parts.slice(1), query: new Map(), body: Buffer.alloc(0), route: null };
    const reply = await run(ctx, rawQuery, (c) => sandboxRoute(c, method));
    send(res, reply, dated(null), null);
  }

  /**
   * An IAMPASS route: its faults first (latency, then reset / error before
   * anything is processed), then the handler, then the answer, possibly
   * corrupted. Returns the end of the log line: the status and duration, or
   * what a fault did.
   */
  async function handleIampass(
    req: IncomingMessage,
    res: ServerResponse,
    route: RouteName,
    def: RouteDef,
    parts: string[],
    rawQuery: string,
    elapsedMs: () => number,
  ): Promise<string> {
    const method = req.method ?? 'GET';
    if (method !== def.method) throw methodNotAllowed(def.method);
    let corrupt: Corruption = null;
    for (const rule of faults.for(route)) {
      if (rule.kind === 'latency') await sleep(faults.jitter(rule));
    }
    for (const rule of faults.for(route)) {
      if (rule.kind === 'reset' && faults.fires(rule)) {
        req.socket.destroy();
        return 'reset (fault)';
      }
      if (rule.kind === 'error' && faults.fires(rule)) {
        const headers: Record<string, string> =
          rule.status === 429 ? { 'Retry-After': String(rule.retryAfter ?? 1) } : {};
        req.resume();
        send(
          res,
          { status: rule.status ?? 500, body: { status: false, reason: `sandbox fault: ${rule.status}` }, headers },
          dated(route),
          null,
        );
        return `${rule.status} (fault)`;
      }
      if ((rule.kind === 'truncate' || rule.kind === 'non_json') && corrupt === null && faults.fires(rule))
        corrupt = rule.kind;
    }
    const ctx: RequestCtx = { req, segments: parts.slice(2), query: new Map(), body: Buffer.alloc(0), route };
    const reply = await run(ctx, rawQuery, def.handle);
    send(res, reply, dated(route), corrupt);
    return `${reply.status} ${elapsedMs()}ms`;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // How long the request took, for the log: real time, not the sandbox's clock.
    const started = performance.now();
    const elapsedMs = () => Math.round(performance.now() - started);
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
      if (parts[0] === 'sandbox') {
        label = `sandbox/${parts[1] ?? ''}`;
        await handleSandbox(req, res, parts, rawQuery);
        return;
      }
      const name = parts[1] as RouteName | undefined;
      const def = name !== undefined && Object.hasOwn(routes, name) ? routes[name] : undefined;
      if (!def || def.prefix !== parts[0]) throw notFound('no such route');
      route = name!;
      label = route;
      log(`${method} ${label} ${await handleIampass(req, res, route, def, parts, rawQuery, elapsedMs)}`);
    } catch (error) {
      if (error instanceof HttpError && error.status === 413) res.setHeader('Connection', 'close');
      fail(res, error, route);
      log(`${method} ${label} ${error instanceof HttpError ? error.status : 500} ${elapsedMs()}ms`);
    }
  }

  // ---- lifecycle ---------------------------------------------------------------

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
