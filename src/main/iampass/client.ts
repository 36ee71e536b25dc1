/**
 * The IAMPASS protocol client (issue 3): all seven API calls of
 * `shared/protocol/IAMPASS-API.md`, signed with HMAC v1, typed errors,
 * retries where repeating is safe, a keep-alive agent and bounded
 * concurrency for bulk work. Plain Node: no Electron. Used by the console's
 * main process, the CLI and the tests.
 */
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { hasControlChars } from '../../shared/text.ts';
import { httpError, parseJson, protocolError, registerUrl, type CallContext } from './answers.ts';
import {
  checkSentText,
  cleanReason,
  intInRange,
  invalid,
  isObject,
  isStringArray,
  MAX_DISPLAY_NAME_LENGTH,
  nonEmptyString,
  validateUserId,
  validateUserIds,
  type Json,
} from './checks.ts';

export { cleanReason } from './checks.ts';
import { chunk, mapBounded } from '../../node/bounded.ts';
import { AppError, type ErrorInfo } from '../../shared/errors.ts';
import { quotePlus } from '../../shared/encoding.ts';
import {
  AUTH_METHODS,
  CLIENT_DEFAULTS,
  MAX_SESSION_DURATION_SECONDS,
  PROFILE_FLAVOURS,
  headerPrefix,
  isAuthMethod,
  isLoopbackHost,
  isSessionStatus,
  type AuthMethod,
  type ProfileFlavour,
  type SessionStatus,
} from '../../shared/iampass.ts';
import { backoffMs, exchange, sleep, type RawResponse, type Target } from './transport.ts';

export type { AuthMethod, ProfileFlavour, SessionStatus } from '../../shared/iampass.ts';

export interface ClientConfig {
  flavour: ProfileFlavour;
  baseUrl: string;
  applicationId: string;
  secret: string;
  /** Per request (one attempt), default 15_000. */
  timeoutMs?: number;
  /** Bulk work, default 16. */
  concurrency?: number;
  /** add/delete chunking, default 500. */
  batchSize?: number;
  /** Retries after the first attempt, 0..3, default 3. */
  maxRetries?: number;
  /** Base of the jittered exponential backoff, default 250 ms. */
  retryBaseDelayMs?: number;
  /** A 429 whose Retry-After exceeds this is not waited for but reported, default 60_000. */
  maxRetryAfterMs?: number;
  /** Host name resolver for the connections, default the system's (`dns.lookup`); tests use a resolver on loopback. */
  lookup?: LookupFunction;
}

export interface CallOptions {
  signal?: AbortSignal;
}

export interface SessionHandle {
  statusUrl: string;
  logoutUrl: string;
  sessionToken: string;
  sessionSecret: string;
}

export interface BatchFailure {
  users: string[];
  error: ErrorInfo;
}

export interface AddUsersResult {
  created: string[];
  existing: string[];
  failed: BatchFailure[];
}

export interface DeleteUsersResult {
  deleted: string[];
  failed: BatchFailure[];
}

export type BatchOptions = CallOptions & { onBatch?: (done: number, total: number) => void };

export type AuthenticateResult =
  { started: true; session: SessionHandle; status: SessionStatus } | { started: false; reason: string };

interface CallSpec {
  method: 'GET' | 'POST';
  target: Target;
  credentials: { clientId: string; secret: string };
  body?: string;
  /** Safe to repeat (see the class comment). */
  retry: boolean;
  context: CallContext;
  signal?: AbortSignal | undefined;
}

/**
 * Retries: only the read-only GETs (registration link, has device), session
 * status polls, and the add/delete batches are repeated
 * after a network error, timeout, 429 or 5xx. Each attempt is signed anew
 * with a fresh nonce and timestamp (a repeated nonce would be a replay).
 *
 * add/delete batches are idempotent by design: if a retried `add_users`
 * batch already went through the first time, the server reports those users
 * as `existing` instead of failing, and the merged result still lists each
 * user once; re-deleting users that a first attempt already deleted is a
 * no-op for the directory (the server answers `status: true`). So a lost
 * answer can be repaired by simply sending the batch again.
 *
 * `lost_user_mobile_device` is a GET but NOT safe to repeat blindly: each
 * call disables the device and mints a new registration link, so we do not
 * retry it. `authenticate_user` (would start a second session on the phone)
 * and `logout` are not retried either. 401, 404, refusals and protocol
 * errors are never retried: repeating cannot change the answer.
 */
export class IampassClient {
  readonly flavour: ProfileFlavour;
  readonly baseUrl: string;
  readonly applicationId: string;
  readonly timeoutMs: number;
  readonly concurrency: number;
  readonly batchSize: number;
  readonly maxRetries: number;
  private readonly secret: string;
  private readonly origin: string;
  private readonly protocol: 'http:' | 'https:';
  private readonly hostname: string;
  private readonly host: string;
  private readonly port: number;
  private readonly basePath: string;
  private readonly retryBaseDelayMs: number;
  private readonly maxRetryAfterMs: number;
  private readonly agent: http.Agent;

  constructor(config: ClientConfig) {
    if (!isObject(config)) throw invalid('The client configuration is missing.', 'config');
    if (!(PROFILE_FLAVOURS as readonly string[]).includes(config.flavour)) {
      throw invalid(`The flavour must be one of ${PROFILE_FLAVOURS.join(', ')}.`, 'flavour');
    }
    this.flavour = config.flavour;
    if (typeof config.baseUrl !== 'string') throw invalid('The base URL must be a string.', 'baseUrl');
    let url: URL;
    try {
      url = new URL(config.baseUrl.trim());
    } catch {
      throw invalid('The base URL is not a valid URL (expected e.g. https://main.iam-api.com).', 'baseUrl');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      throw invalid('The base URL must start with https://.', 'baseUrl');
    if (url.username !== '' || url.password !== '')
      throw invalid('The base URL must not contain a user name or password.', 'baseUrl');
    if (url.search !== '' || url.hash !== '')
      throw invalid('The base URL must not contain a query or fragment.', 'baseUrl');
    if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
      throw new AppError(
        'insecure_url',
        `Plain http:// is only allowed for this computer (127.0.0.1, localhost, ::1); use https://${url.host} instead.`,
        {
          details: { host: url.host },
        },
      );
    }
    this.protocol = url.protocol;
    this.hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    this.host = url.host;
    this.port = url.port !== '' ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
    this.origin = url.origin;
    this.basePath = url.pathname.replace(/\/+$/, '');
    this.baseUrl = this.origin + this.basePath;

    if (typeof config.applicationId !== 'string' || !/^[^\s:]{1,256}$/.test(config.applicationId)) {
      throw invalid('The Application ID must be a non-empty string without spaces or colons.', 'applicationId');
    }
    this.applicationId = config.applicationId;
    if (typeof config.secret !== 'string' || config.secret.length === 0 || hasControlChars(config.secret)) {
      throw invalid('The Application Secret must be a non-empty string without control characters.', 'secret');
    }
    this.secret = config.secret;
    this.timeoutMs = intInRange(config.timeoutMs, CLIENT_DEFAULTS.timeoutMs, 1, 600_000, 'timeoutMs');
    this.concurrency = intInRange(config.concurrency, CLIENT_DEFAULTS.concurrency, 1, 256, 'concurrency');
    this.batchSize = intInRange(config.batchSize, CLIENT_DEFAULTS.batchSize, 1, 10_000, 'batchSize');
    this.maxRetries = intInRange(config.maxRetries, CLIENT_DEFAULTS.maxRetries, 0, 3, 'maxRetries');
    this.retryBaseDelayMs = intInRange(config.retryBaseDelayMs, 250, 0, 60_000, 'retryBaseDelayMs');
    this.maxRetryAfterMs = intInRange(config.maxRetryAfterMs, 60_000, 0, 3_600_000, 'maxRetryAfterMs');

    const agentOptions = {
      keepAlive: true,
      maxSockets: this.concurrency + 4,
      maxFreeSockets: this.concurrency + 4,
      ...(config.lookup ? { lookup: config.lookup } : {}),
    };
    this.agent = this.protocol === 'https:' ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
    // Keep the secret out of util.inspect / console.log of the client.
    Object.defineProperty(this, 'secret', { enumerable: false });
  }

  /** Destroys the keep-alive agent's sockets. */
  close(): void {
    this.agent.destroy();
  }

  // ---------------------------------------------------------------- management

  async addUsers(ids: string[], opts: BatchOptions = {}): Promise<AddUsersResult> {
    const users = validateUserIds(ids);
    const result: AddUsersResult = { created: [], existing: [], failed: [] };
    await this.runBatches(
      users,
      opts,
      async (batch, signal) => {
        const json = await this.managementCall(
          'POST',
          `add_users/${quotePlus(this.applicationId)}`,
          { action: 'add users' },
          signal,
          JSON.stringify({ users: batch }),
          201,
        );
        const usersField = json.users;
        if (
          json.status !== true ||
          !isObject(usersField) ||
          !isStringArray(usersField.created) ||
          !isStringArray(usersField.existing)
        ) {
          throw protocolError('add users', 'the answer lacks the created/existing lists');
        }
        result.created.push(...usersField.created);
        result.existing.push(...usersField.existing);
      },
      result.failed,
    );
    return result;
  }

  async deleteUsers(ids: string[], opts: BatchOptions = {}): Promise<DeleteUsersResult> {
    const users = validateUserIds(ids);
    const result: DeleteUsersResult = { deleted: [], failed: [] };
    await this.runBatches(
      users,
      opts,
      async (batch, signal) => {
        const json = await this.managementCall(
          'POST',
          `delete_users/${quotePlus(this.applicationId)}`,
          { action: 'delete users' },
          signal,
          JSON.stringify({ users: batch }),
          200,
        );
        if (json.status !== true) throw protocolError('delete users', 'the answer lacks "status": true');
        result.deleted.push(...batch);
      },
      result.failed,
    );
    return result;
  }

  /** A registration link: a bearer credential, never log it. */
  async registrationLink(userId: string, opts: CallOptions & { displayName?: string } = {}): Promise<string> {
    validateUserId(userId);
    let path = `device_registration_link/${quotePlus(this.applicationId)}/${quotePlus(userId)}`;
    if (opts.displayName !== undefined) {
      const name = checkSentText(opts.displayName, 'displayName', 'display name', MAX_DISPLAY_NAME_LENGTH);
      path += `?display_name=${quotePlus(name)}`;
    }
    const json = await this.managementCall(
      'GET',
      path,
      { action: 'get a registration link', userId, retry: true },
      opts.signal,
    );
    return registerUrl(json, 'get a registration link');
  }

  /**
   * Has the service text its own registration link to a phone (spec section 4,
   * `send_registration_sms`). Not retried: each call sends a message. A
   * deployment without the route answers 404 naming the endpoint: `not_found`
   * with `details.what === 'endpoint'` (the console then offers email and QR).
   */
  async sendRegistrationSms(
    userId: string,
    sms: { phoneNumber: string; displayName?: string; message?: string },
    opts: CallOptions = {},
  ): Promise<true> {
    validateUserId(userId);
    if (typeof sms.phoneNumber !== 'string' || !/^\+[1-9]\d{6,14}$/.test(sms.phoneNumber)) {
      throw invalid('The phone number must be in E.164 form: + and the country code, 7 to 15 digits.', 'phoneNumber');
    }
    if (sms.displayName !== undefined)
      checkSentText(sms.displayName, 'displayName', 'display name', MAX_DISPLAY_NAME_LENGTH);
    if (sms.message !== undefined) checkSentText(sms.message, 'message', 'message', 480);
    const body = JSON.stringify({
      phone_number: sms.phoneNumber,
      ...(sms.displayName === undefined ? {} : { display_name: sms.displayName }),
      ...(sms.message === undefined ? {} : { message: sms.message }),
    });
    const json = await this.managementCall(
      'POST',
      `send_registration_sms/${quotePlus(this.applicationId)}/${quotePlus(userId)}`,
      { action: 'send a registration SMS', userId, retry: false },
      opts.signal,
      body,
    );
    if (json.status !== true) throw protocolError('send a registration SMS', 'the answer lacks "status": true');
    return true;
  }

  async hasRegisteredDevice(userId: string, opts: CallOptions = {}): Promise<boolean> {
    validateUserId(userId);
    const path = `has_registered_mobile_device/${quotePlus(this.applicationId)}/${quotePlus(userId)}`;
    const json = await this.managementCall(
      'GET',
      path,
      { action: 'check for a registered device', userId, retry: true },
      opts.signal,
    );
    if (json.status !== true || typeof json.device_registered !== 'boolean') {
      throw protocolError('check for a registered device', 'the answer lacks "device_registered"');
    }
    return json.device_registered;
  }

  /** Disables the user's device and returns a fresh registration link. Not retried (each call mints a new link). */
  async lostDevice(userId: string, opts: CallOptions = {}): Promise<string> {
    validateUserId(userId);
    const path = `lost_user_mobile_device/${quotePlus(this.applicationId)}/${quotePlus(userId)}`;
    const json = await this.managementCall(
      'GET',
      path,
      { action: 'report a lost device', userId, retry: false },
      opts.signal,
    );
    return registerUrl(json, 'report a lost device');
  }

  // ------------------------------------------------------------ authentication

  async authenticateUser(
    userId: string,
    opts: CallOptions & { methods?: AuthMethod[]; durationSeconds?: number } = {},
  ): Promise<AuthenticateResult> {
    validateUserId(userId);
    const query: string[] = [];
    if (opts.methods !== undefined) {
      if (!Array.isArray(opts.methods) || !opts.methods.every(isAuthMethod)) {
        throw invalid(`The methods must be a list drawn from ${AUTH_METHODS.join(', ')}.`, 'methods');
      }
      const methods = [...new Set(opts.methods)];
      if (methods.length > 0) query.push(`methods=${methods.join(',')}`);
    }
    if (opts.durationSeconds !== undefined) {
      query.push(
        `duration_seconds=${intInRange(opts.durationSeconds, 0, 1, MAX_SESSION_DURATION_SECONDS, 'durationSeconds')}`,
      );
    }
    const path = `${this.basePath}/authentication/authenticate_user/${quotePlus(this.applicationId)}/${quotePlus(userId)}${query.length > 0 ? `?${query.join('&')}` : ''}`;
    const context: CallContext = {
      action: 'start an authentication',
      kind: 'management',
      userId,
      secrets: [this.secret],
    };
    const res = await this.send({
      method: 'POST',
      target: this.target(path),
      credentials: { clientId: this.applicationId, secret: this.secret },
      body: '{}',
      retry: false,
      context,
      signal: opts.signal,
    });
    const json = parseJson(res, context);
    const status = json.authentication_status;
    if (res.status === 202 && isObject(status) && status.authenticated === true) {
      const { session_status, status_url, logout_url, session_token, session_secret } = status;
      if (
        !isSessionStatus(session_status) ||
        !nonEmptyString(status_url) ||
        !nonEmptyString(logout_url) ||
        !nonEmptyString(session_token) ||
        !nonEmptyString(session_secret)
      ) {
        throw protocolError(context.action, 'the answer lacks session fields or has an unknown session status');
      }
      const session: SessionHandle = {
        statusUrl: status_url,
        logoutUrl: logout_url,
        sessionToken: session_token,
        sessionSecret: session_secret,
      };
      // A compromised server must not steer signed calls to another origin.
      this.sessionTarget(session.statusUrl, 'status URL');
      this.sessionTarget(session.logoutUrl, 'logout URL');
      return { started: true, session, status: session_status };
    }
    if (res.status === 200 && isObject(status) && status.authenticated === false) {
      return { started: false, reason: cleanReason(status.reason, [this.secret]) };
    }
    if (json.status === false) {
      const reason = cleanReason(json.reason, [this.secret]);
      throw new AppError('refused', `The service refused to ${context.action}: ${reason}`, {
        retryable: false,
        details: { reason },
      });
    }
    throw protocolError(context.action, `unexpected answer (HTTP ${res.status})`);
  }

  async sessionStatus(
    session: SessionHandle,
    opts: CallOptions = {},
  ): Promise<{ authenticated: boolean; status: SessionStatus }> {
    const { target, credentials, context } = this.sessionCall(session, 'statusUrl', 'check the session status');
    const res = await this.send({ method: 'GET', target, credentials, retry: true, context, signal: opts.signal });
    const json = parseJson(res, context);
    // Decision (spec section 5): accept the wrapped and the bare shape.
    const body = isObject(json.authentication_status) ? json.authentication_status : json;
    if (res.status !== 200 || typeof body.authenticated !== 'boolean' || !isSessionStatus(body.session_status)) {
      throw protocolError(context.action, 'the answer lacks "authenticated" or a known "session_status"');
    }
    return { authenticated: body.authenticated, status: body.session_status };
  }

  async logout(session: SessionHandle, opts: CallOptions = {}): Promise<boolean> {
    const { target, credentials, context } = this.sessionCall(session, 'logoutUrl', 'log the session out');
    const res = await this.send({
      method: 'POST',
      target,
      credentials,
      body: '{}',
      retry: false,
      context,
      signal: opts.signal,
    });
    const json = parseJson(res, context);
    if (res.status !== 200 || typeof json.status !== 'boolean')
      throw protocolError(context.action, 'the answer lacks "status"');
    return json.status;
  }

  // ----------------------------------------------------------------- helpers

  private async runBatches(
    users: string[],
    opts: BatchOptions,
    run: (batch: string[], signal: AbortSignal) => Promise<void>,
    failed: BatchFailure[],
  ): Promise<void> {
    const total = users.length;
    let done = 0;
    const outcomes = await mapBounded(
      chunk(users, this.batchSize),
      async (batch, signal) => {
        try {
          await run(batch, signal);
        } finally {
          done += batch.length;
          try {
            opts.onBatch?.(done, total);
          } catch {
            // ignore callback failures
          }
        }
      },
      { concurrency: this.concurrency, signal: opts.signal },
    );
    for (const outcome of outcomes) if (!outcome.ok) failed.push({ users: outcome.item, error: outcome.error });
  }

  private target(path: string): Target {
    return { protocol: this.protocol, hostname: this.hostname, port: this.port, host: this.host, path };
  }

  /** A status/logout URL, refused unless it has the profile's origin. */
  private sessionTarget(raw: string, what: string): Target {
    let url: URL;
    try {
      url = new URL(raw, `${this.origin}/`);
    } catch {
      throw new AppError('protocol', `The service sent a session ${what} that is not a URL; it was not used.`, {
        retryable: false,
      });
    }
    if (url.origin !== this.origin) {
      throw new AppError(
        'insecure_url',
        `The service sent a session ${what} on another origin (${url.host}) than this profile's (${this.host}); it was refused so that signed calls cannot be steered elsewhere.`,
        {
          details: { host: url.host },
        },
      );
    }
    return this.target(url.pathname + url.search);
  }

  private sessionCall(
    session: SessionHandle,
    key: 'statusUrl' | 'logoutUrl',
    action: string,
  ): { target: Target; credentials: { clientId: string; secret: string }; context: CallContext } {
    if (
      !isObject(session) ||
      !nonEmptyString(session[key]) ||
      !nonEmptyString(session.sessionToken) ||
      !nonEmptyString(session.sessionSecret) ||
      /[\s:]/.test(session.sessionToken)
    ) {
      throw invalid('The session handle is incomplete.', 'session');
    }
    const target = this.sessionTarget(session[key], key === 'statusUrl' ? 'status URL' : 'logout URL');
    return {
      target,
      credentials: { clientId: session.sessionToken, secret: session.sessionSecret },
      context: { action, kind: 'session', secrets: [this.secret, session.sessionSecret] },
    };
  }

  private async managementCall(
    method: 'GET' | 'POST',
    relative: string,
    ctx: { action: string; userId?: string; retry?: boolean },
    signal: AbortSignal | undefined,
    body?: string,
    expected = 200,
  ): Promise<Json> {
    const context: CallContext = { action: ctx.action, kind: 'management', secrets: [this.secret] };
    if (ctx.userId !== undefined) context.userId = ctx.userId;
    const spec: CallSpec = {
      method,
      target: this.target(`${this.basePath}/management/${relative}`),
      credentials: { clientId: this.applicationId, secret: this.secret },
      // add/delete batches are idempotent by design (see the class comment).
      retry: ctx.retry ?? true,
      context,
      signal,
    };
    if (body !== undefined) spec.body = body;
    const res = await this.send(spec);
    const json = parseJson(res, context);
    if (json.status === false) {
      throw new AppError(
        'refused',
        `The service refused to ${ctx.action}: ${cleanReason(json.reason, context.secrets)}`,
        {
          retryable: false,
          details: { reason: cleanReason(json.reason, context.secrets) },
        },
      );
    }
    if (res.status !== expected) throw protocolError(ctx.action, `unexpected HTTP status ${res.status}`);
    return json;
  }

  /** One call with retries; resolves only with a 2xx answer. */
  private async send(spec: CallSpec): Promise<RawResponse> {
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await exchange({
          method: spec.method,
          target: spec.target,
          flavour: headerPrefix(this.flavour),
          credentials: spec.credentials,
          ...(spec.body === undefined ? {} : { body: spec.body }),
          timeoutMs: this.timeoutMs,
          signal: spec.signal,
          agent: this.agent,
        });
        if (res.status >= 200 && res.status < 300) return res;
        throw httpError(res, spec.context, this);
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        if (!spec.retry || !error.retryable || error.code === 'cancelled' || attempt >= this.maxRetries) throw error;
        let wait = backoffMs(attempt, this.retryBaseDelayMs);
        if (error.code === 'rate_limited') {
          const after = error.details?.retryAfterSeconds;
          if (typeof after === 'number') {
            if (after * 1000 > this.maxRetryAfterMs) throw error;
            wait = after * 1000 + Math.random() * this.retryBaseDelayMs;
          }
        }
        await sleep(wait, spec.signal);
      }
    }
  }
}
