/**
 * Live authentication sessions (issue 7): start an authentication for a
 * directory user, follow every live session with the one SessionMonitor, log
 * out remotely, resume after a restart, raise alerts.
 *
 * Session secrets are decrypted from the store (AES-256-GCM under the
 * keychain's data key) only into this process's memory, for signing. Nothing
 * this service emits or returns carries a token, a secret or a URL.
 */
import { randomUUID } from 'node:crypto';
import { AppError, toErrorInfo, type ErrorInfo } from '../../shared/errors.ts';
import {
  SESSION_STATUS_INFO,
  isLoopbackHost,
  isSessionStatus,
  type AuthMethod,
  type SessionStatus,
} from '../../shared/iampass.ts';
import { DEFAULT_CONCURRENCY } from './validate.ts';
import {
  SESSION_FILTER_STATUSES,
  type SessionAlert,
  type SessionChanged,
  type SessionDetail,
  type SessionFilter,
  type SessionList,
  type SessionView,
  type StartResult,
} from '../../shared/ipc/sessions.ts';
import { IampassClient, type ClientConfig, type SessionHandle } from '../iampass/client.ts';
import type { SecretStore } from '../secrets/keychain.ts';
import type { Store } from '../store/db.ts';
import { getUser, requireAtIampass, setLastAuth } from '../store/directory.ts';
import { getProfile, type Profile } from '../store/profiles.ts';
import {
  countSessionsByStatus,
  getSession,
  insertSession,
  querySessions,
  sessionSecret,
  sessionsWithStatus,
  updateSessionStatus,
  type SessionRecord,
} from '../store/sessions.ts';
import { listIntents, markUnknown, recordIntents, removeIntents } from '../store/intents.ts';
import { Emitter } from './events.ts';
import { mayHaveTakenEffect, PROCESS_OWNER } from './owner.ts';
import { ProfileScope } from './profile-scope.ts';
import type { AuditService } from './audit.ts';
import { SessionMonitor, type MonitorClock, type MonitorIntervals } from './monitor.ts';
import { silentNotifier, type Notifier } from './notifier.ts';

export const LIVE_STATUSES = SESSION_FILTER_STATUSES.live;
export const ENDED_STATUSES = SESSION_FILTER_STATUSES.ended;

/** What the service needs of IampassClient (tests and the benchmark may count calls). */
export type SessionClient = Pick<IampassClient, 'authenticateUser' | 'sessionStatus' | 'logout' | 'close'>;

/** How long a request whose answer was lost is taken to be possibly on the phone (the service's pending timeout is about a minute). */
const LOST_REQUEST_WINDOW_MS = 120_000;

export interface SessionsOptions {
  intervals?: Partial<MonitorIntervals>;
  clock?: MonitorClock;
  random?: () => number;
  /** Per-request timeout of status/logout calls (default 10 s). */
  timeoutMs?: number;
  /** How long the poll path trusts its copy of a profile before re-reading it (default 5 s): an edit reaches the monitor within this. */
  profileTtlMs?: number;
}

export interface SessionsDeps {
  store: Store;
  secrets: SecretStore;
  audit: AuditService;
  notifier?: Notifier;
  createClient?: (config: ClientConfig) => SessionClient;
  options?: SessionsOptions;
  now?: () => number;
  /** Pins the service to this profile instead of the active one (the CLI's --profile). */
  profileId?: string;
  /** The profile scope shared with the other services (default: one on store, secrets and profileId). */
  scope?: ProfileScope;
}

export interface StartInput {
  userId: string;
  /** Send even though an earlier request's answer was lost and it may still be on the phone. */
  again?: boolean;
  methods?: AuthMethod[];
  durationSeconds?: number;
}

export type SessionEvent = { type: 'changed'; payload: SessionChanged } | { type: 'alert'; payload: SessionAlert };

interface ErrorState {
  info: ErrorInfo;
  since: number;
  failures: number;
}

export class SessionsService {
  readonly #store: Store;
  readonly #secrets: SecretStore;
  readonly #audit: AuditService;
  readonly #notifier: Notifier;
  readonly #createClient: (config: ClientConfig) => SessionClient;
  readonly #now: () => number;
  readonly #timeoutMs: number;
  readonly #profileTtlMs: number;
  readonly #monitor: SessionMonitor;
  readonly #scope: ProfileScope;
  /** One client per profile, for the profile as it was at `updatedAt` (an edit makes a new one). */
  readonly #clients = new Map<string, { updatedAt: number; client: Promise<SessionClient> }>();
  readonly #handles = new Map<string, SessionHandle>();
  readonly #errors = new Map<string, ErrorState>();
  readonly #events = new Emitter<SessionEvent>();
  #closed = false;

  constructor(deps: SessionsDeps) {
    this.#store = deps.store;
    this.#secrets = deps.secrets;
    this.#audit = deps.audit;
    this.#notifier = deps.notifier ?? silentNotifier;
    this.#createClient = deps.createClient ?? ((config) => new IampassClient(config));
    this.#now = deps.now ?? Date.now;
    this.#timeoutMs = deps.options?.timeoutMs ?? 10_000;
    this.#profileTtlMs = deps.options?.profileTtlMs ?? 5000;
    this.#scope =
      deps.scope ?? new ProfileScope({ store: deps.store, secrets: deps.secrets, profileId: deps.profileId });
    this.#monitor = new SessionMonitor({
      intervals: deps.options?.intervals,
      clock: deps.options?.clock,
      random: deps.options?.random,
      concurrency: (profileId) => getProfile(this.#store, profileId)?.concurrency ?? DEFAULT_CONCURRENCY,
      poll: (target, signal) => this.#poll(target.id, target.group, signal),
      onStatus: (id, status, info) => this.#onStatus(id, status, info.at, info.changed),
      onError: (id, error, info) => this.#onError(id, error, info.at, info.failures),
    });
  }

  /** The scheduler (its stats are what the tests and the benchmark look at). */
  get monitor(): SessionMonitor {
    return this.#monitor;
  }

  /** Subscribes to `changed` / `alert`; returns the unsubscribe function. */
  on(listener: (event: SessionEvent) => void): () => void {
    return this.#events.on(listener);
  }

  // ------------------------------------------------------------------- start

  async start(input: StartInput): Promise<StartResult> {
    const profile = this.#activeProfile();
    const user = getUser(this.#store, profile.id, input.userId);
    if (!user)
      throw new AppError('missing', 'This user is not in the directory of the active application.', {
        details: { field: 'userId' },
      });
    requireAtIampass(user);
    const methods = [...new Set(input.methods ?? [])];
    // A request whose answer was lost may still be on the phone: no blind second push.
    const lost = listIntents(this.#store, profile.id, 'authenticate').find(
      (i) => i.userId === user.userId && i.state === 'unknown' && this.#now() - i.updatedAt < LOST_REQUEST_WINDOW_MS,
    );
    if (lost && input.again !== true) {
      throw new AppError(
        'conflict',
        `A request may already be on the phone of "${user.userId}": one was sent at ${new Date(lost.createdAt).toISOString()} and its answer was lost. Let the user answer it or let it expire, or send another on purpose (the CLI: --again).`,
        { retryable: false, details: { field: 'userId', sentAt: lost.createdAt } },
      );
    }
    let result;
    let dataKey: Buffer;
    let intent: number | null = null;
    try {
      // The data key first: without it the session could not be kept, so no
      // request may reach the phone (the CLI without a keychain hit this).
      dataKey = await this.#secrets.dataKey();
      const client = await this.#clientFor(profile);
      // Intent first: what is about to reach the phone is on disk before the call.
      intent = recordIntents(
        this.#store,
        profile.id,
        'authenticate',
        [{ userId: user.userId, iampassId: user.iampassId }],
        {
          owner: PROCESS_OWNER,
          jobId: null,
          now: this.#now(),
        },
      )[0]!;
      result = await client.authenticateUser(user.iampassId, {
        ...(methods.length > 0 ? { methods } : {}),
        ...(input.durationSeconds !== undefined ? { durationSeconds: input.durationSeconds } : {}),
      });
    } catch (error) {
      const info = toErrorInfo(error);
      if (intent !== null && mayHaveTakenEffect(info)) {
        markUnknown(this.#store, [intent], this.#now());
        this.#record('session.start', profile, user.userId, 'uncertain');
        throw new AppError(
          'uncertain',
          `The authentication request for "${user.userId}" was sent and its answer was lost (${info.message.replace(/\.$/, '')}): it may already be on the user's phone. It is not sent again on its own, and there is no session to follow.`,
          { retryable: false },
        );
      }
      if (intent !== null) removeIntents(this.#store, [intent]);
      this.#record('session.start', profile, user.userId, info.code);
      throw error;
    }
    const settledIntent = intent;
    if (lost) removeIntents(this.#store, [lost.id]);
    if (!result.started) {
      removeIntents(this.#store, [settledIntent]);
      this.#record('session.start', profile, user.userId, 'refused');
      return { started: false, reason: result.reason };
    }
    const id = randomUUID();
    const at = this.#now();
    this.#store.transaction(() => {
      insertSession(this.#store, dataKey, {
        id,
        profileId: profile.id,
        userId: user.userId,
        methods,
        status: result.status,
        statusUrl: result.session.statusUrl,
        logoutUrl: result.session.logoutUrl,
        sessionToken: result.session.sessionToken,
        sessionSecret: result.session.sessionSecret,
        startedAt: at,
      });
      this.#record('session.start', profile, user.userId, null);
      removeIntents(this.#store, [settledIntent]);
    });
    this.#handles.set(id, result.session);
    this.#monitor.track({ id, group: profile.id, status: result.status });
    const detail = this.get(id);
    this.#emit({ type: 'changed', payload: { session: stripTimeline(detail), previous: null, at } });
    return { started: true, session: detail };
  }

  // ------------------------------------------------------------------- reads

  get(sessionId: string): SessionDetail {
    const rec = getSession(this.#store, sessionId);
    if (!rec) throw new AppError('missing', 'No such session.', { details: { field: 'sessionId' } });
    return this.#detail(rec, new Map());
  }

  list(query: { filter?: SessionFilter; userId?: string; limit?: number } = {}): SessionList {
    const profile = this.#scope.currentOrNull();
    if (!profile) return { sessions: [], counts: {}, errors: 0 };
    const filter = query.filter ?? 'all';
    const statuses = filter === 'all' ? undefined : SESSION_FILTER_STATUSES[filter];
    const rows = querySessions(this.#store, profile.id, {
      ...(statuses ? { statuses } : {}),
      ...(query.userId !== undefined ? { userId: query.userId } : {}),
      limit: query.limit ?? 200,
    });
    const names = new Map<string, string | null>();
    const counts = countSessionsByStatus(this.#store, profile.id);
    let errors = 0;
    for (const id of this.#errors.keys()) if (getSession(this.#store, id)?.profileId === profile.id) errors++;
    return {
      sessions: rows.map((r) => stripTimeline(this.#detail(r, names))),
      counts: Object.fromEntries(Object.entries(counts).filter(([s]) => isSessionStatus(s))),
      errors,
    };
  }

  // ------------------------------------------------------------------ logout

  /** Logs one session out (`logout_url`); afterwards it is closed. Audited. */
  async logout(sessionId: string): Promise<SessionDetail> {
    const rec = getSession(this.#store, sessionId);
    if (!rec) throw new AppError('missing', 'No such session.', { details: { field: 'sessionId' } });
    const profile = getProfile(this.#store, rec.profileId);
    if (!profile) throw new AppError('missing', 'The application of this session was removed.');
    if (isSessionStatus(rec.status) && SESSION_STATUS_INFO[rec.status].over) {
      throw new AppError('conflict', `This session is already over (${rec.status}).`, { retryable: false });
    }
    try {
      const client = await this.#clientFor(profile);
      const handle = await this.#handleFor(rec);
      const done = await client.logout(handle, { signal: AbortSignal.timeout(this.#timeoutMs) });
      // `status: false`: the service says the session was already over; ask it which way it ended.
      const status: SessionStatus = done
        ? 'closed'
        : (await client.sessionStatus(handle, { signal: AbortSignal.timeout(this.#timeoutMs) })).status;
      this.#monitor.setStatus(sessionId, status);
      this.#onStatus(sessionId, status, this.#now(), true);
      this.#record('session.logout', profile, rec.userId, null);
    } catch (error) {
      this.#record('session.logout', profile, rec.userId, toErrorInfo(error).code);
      throw error;
    }
    return this.get(sessionId);
  }

  /** Logs out every live session of a user of the active profile. */
  async logoutUser(userId: string): Promise<{ loggedOut: number; failed: number }> {
    const profile = this.#activeProfile();
    const live = querySessions(this.#store, profile.id, { statuses: LIVE_STATUSES, userId, limit: 1000 });
    let loggedOut = 0;
    let failed = 0;
    for (const rec of live) {
      try {
        await this.logout(rec.id);
        loggedOut++;
      } catch {
        failed++;
      }
    }
    return { loggedOut, failed };
  }

  // ------------------------------------------------------------------ resume

  /** Resumes monitoring every live session in the store (on start). Returns how many. */
  resume(): number {
    const live = sessionsWithStatus(this.#store, LIVE_STATUSES);
    if (live.length === 0) return 0;
    const waiting = this.#monitor.intervals.waitingMs;
    for (const rec of live) {
      if (!isSessionStatus(rec.status) || this.#monitor.has(rec.id)) continue;
      // Spread the first polls over one short interval.
      this.#monitor.track(
        { id: rec.id, group: rec.profileId, status: rec.status },
        Math.floor(Math.random() * waiting),
      );
    }
    return live.length;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#monitor.close();
    const clients = [...this.#clients.values()];
    this.#clients.clear();
    this.#handles.clear();
    for (const c of clients) (await c.client.catch(() => null))?.close();
  }

  // --------------------------------------------------------------- internals

  #activeProfile(): Profile {
    return this.#scope.current();
  }

  #clientFor(profile: Profile): Promise<SessionClient> {
    const cached = this.#clients.get(profile.id);
    // (The poll path reads the profile at most every 5 s: an older copy keeps the newer client.)
    if (cached && cached.updatedAt >= profile.updatedAt) return cached.client;
    if (cached) {
      // The profile was edited (base URL, secret, concurrency): a fresh client, and the
      // handles re-derived (a Sandbox profile's stored URLs follow its new origin).
      void cached.client.then(
        (c) => c.close(),
        () => undefined,
      );
      this.#handles.clear();
    }
    // maxRetries 0: the monitor's own backoff retries.
    const client = this.#scope.client(profile, this.#createClient, { maxRetries: 0, timeoutMs: this.#timeoutMs });
    const entry = { updatedAt: profile.updatedAt, client };
    this.#clients.set(profile.id, entry);
    client.catch(() => {
      if (this.#clients.get(profile.id) === entry) this.#clients.delete(profile.id);
    });
    return client;
  }

  async #handleFor(rec: SessionRecord): Promise<SessionHandle> {
    const cached = this.#handles.get(rec.id);
    if (cached) return cached;
    if (!rec.statusUrl || !rec.logoutUrl || !rec.sessionToken || !rec.hasSecret) {
      throw new AppError('internal', 'The stored session lacks its credentials.');
    }
    const secret = sessionSecret(this.#store, await this.#secrets.dataKey(), rec.id);
    if (secret === null) throw new AppError('internal', 'The stored session lacks its credentials.');
    const profile = getProfile(this.#store, rec.profileId);
    const rebase = (url: string): string => (profile ? rebaseSandboxUrl(profile, url) : url);
    const handle: SessionHandle = {
      statusUrl: rebase(rec.statusUrl),
      logoutUrl: rebase(rec.logoutUrl),
      sessionToken: rec.sessionToken,
      sessionSecret: secret,
    };
    this.#handles.set(rec.id, handle);
    return handle;
  }

  async #poll(sessionId: string, profileId: string, signal: AbortSignal): Promise<SessionStatus> {
    // Hot path (hundreds per second): the profile is re-read at most every 5 s and the handle is cached.
    const profile = this.#profile(profileId);
    if (!profile) throw new AppError('missing', 'The application of this session was removed.', { retryable: false });
    let handle = this.#handles.get(sessionId);
    if (!handle) {
      const rec = getSession(this.#store, sessionId);
      if (!rec) throw new AppError('missing', 'The session was removed.', { retryable: false });
      handle = await this.#handleFor(rec);
    }
    const client = await this.#clientFor(profile);
    return (await client.sessionStatus(handle, { signal })).status;
  }

  readonly #profiles = new Map<string, { profile: Profile | null; at: number }>();

  #profile(id: string): Profile | null {
    const now = Date.now();
    const cached = this.#profiles.get(id);
    if (cached && now - cached.at < this.#profileTtlMs) return cached.profile;
    const profile = getProfile(this.#store, id);
    this.#profiles.set(id, { profile, at: now });
    return profile;
  }

  #onStatus(id: string, status: SessionStatus, at: number, changed: boolean): void {
    if (this.#closed) return;
    const before = getSession(this.#store, id);
    if (!before) return;
    const previous = isSessionStatus(before.status) ? before.status : null;
    this.#errors.delete(id);
    if (changed && previous !== status) {
      updateSessionStatus(this.#store, id, status, at);
      if (status === 'active' && previous !== 'walkaway') setLastAuth(this.#store, before.profileId, before.userId, at);
    }
    if (SESSION_STATUS_INFO[status].over) this.#handles.delete(id);
    const view = stripTimeline(this.get(id));
    this.#emit({ type: 'changed', payload: { session: view, previous, at } });
    if (previous !== status && (status === 'walkaway' || status === 'failed')) this.#alert(view, status, at);
  }

  #onError(id: string, error: ErrorInfo, at: number, failures: number): void {
    if (this.#closed) return;
    const prior = this.#errors.get(id);
    this.#errors.set(id, {
      info: { code: error.code, message: error.message, retryable: error.retryable },
      since: prior?.since ?? at,
      failures,
    });
    let view: SessionView;
    try {
      view = stripTimeline(this.get(id));
    } catch {
      this.#monitor.untrack(id);
      return;
    }
    this.#emit({ type: 'changed', payload: { session: view, previous: view.status, at } });
  }

  #alert(view: SessionView, kind: 'walkaway' | 'failed', at: number): void {
    const who = view.displayName ? `${view.displayName} (${view.userId})` : view.userId;
    const message =
      kind === 'walkaway' ? `${who} walked away from their computer.` : `The authentication of ${who} failed.`;
    const alert: SessionAlert = {
      sessionId: view.id,
      userId: view.userId,
      displayName: view.displayName,
      kind,
      at,
      message,
    };
    this.#emit({ type: 'alert', payload: alert });
    try {
      this.#notifier.notify({
        title: kind === 'walkaway' ? 'User walked away' : 'Authentication failed',
        body: message,
      });
    } catch {
      // A broken notifier must not stop the monitor.
    }
  }

  #detail(rec: SessionRecord, names: Map<string, string | null>): SessionDetail {
    let displayName = names.get(rec.userId);
    if (displayName === undefined) {
      const user = getUser(this.#store, rec.profileId, rec.userId);
      displayName = user && user.displayName !== '' ? user.displayName : null;
      names.set(rec.userId, displayName);
    }
    const status: SessionStatus = isSessionStatus(rec.status) ? rec.status : 'pending';
    const timeline = rec.timeline.filter((t): t is { at: number; status: SessionStatus } => isSessionStatus(t.status));
    const last = timeline.at(-1);
    const err = this.#errors.get(rec.id);
    return {
      id: rec.id,
      userId: rec.userId,
      displayName,
      methods: rec.methods.filter((m): m is AuthMethod => m === 'acceptance' || m === 'device' || m === 'facial'),
      startedAt: rec.startedAt,
      status,
      statusSince: last?.status === status ? last.at : rec.updatedAt,
      over: SESSION_STATUS_INFO[status].over,
      error: err ? { ...err.info, since: err.since, failures: err.failures } : null,
      monitored: this.#monitor.has(rec.id),
      timeline,
    };
  }

  #emit(event: SessionEvent): void {
    this.#events.emit(event);
  }

  #record(
    action: 'session.start' | 'session.logout',
    profile: Profile,
    target: string,
    errorCode: ErrorInfo['code'] | null,
  ): void {
    try {
      this.#audit.record({
        action,
        profile: { id: profile.id, name: profile.name },
        target,
        outcome: errorCode === null ? 'ok' : 'error',
        errorCode,
      });
    } catch {
      // best effort, like the other services
    }
  }
}

function stripTimeline(detail: SessionDetail): SessionView {
  const { timeline: _timeline, ...view } = detail;
  return view;
}

/**
 * The embedded sandbox listens on a new free port at each launch and the
 * Sandbox profile's base URL follows it, so a stored loopback status/logout
 * URL of a Sandbox profile is moved onto the profile's current origin. Only
 * loopback to loopback, only for the Sandbox flavour: any other origin
 * mismatch is left for the client to refuse (`insecure_url`).
 */
export function rebaseSandboxUrl(profile: Pick<Profile, 'flavour' | 'baseUrl'>, url: string): string {
  if (profile.flavour !== 'Sandbox') return url;
  try {
    const stored = new URL(url);
    const base = new URL(profile.baseUrl);
    if (
      stored.origin === base.origin ||
      !isLoopbackHost(stored.hostname) ||
      !isLoopbackHost(base.hostname) ||
      stored.protocol !== base.protocol
    )
      return url;
    return `${base.origin}${stored.pathname}${stored.search}`;
  } catch {
    return url;
  }
}
