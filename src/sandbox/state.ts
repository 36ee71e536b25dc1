/**
 * The sandbox's state: applications, users, devices, registration links and
 * sessions, plus the session status machine of the spec (section 5).
 * Time-driven transitions (pending timeout, duration end) are applied lazily
 * whenever a session is read, with `now` in ms.
 */
import { createHash, randomBytes } from 'node:crypto';
import { open, seal } from '../node/envelope.ts';
import type { AuthMethod, SessionStatus } from '../shared/iampass.ts';

export interface Device {
  id: string;
  enabled: boolean;
  registeredAt: number;
}

export interface User {
  id: string;
  displayName: string | null;
  device: Device | null;
  /** SHA-256 (hex) of the user's one live registration link token, or null. */
  linkHash: string | null;
  linkExpiresAt: number;
}

export interface Application {
  id: string;
  secret: string;
  users: Map<string, User>;
}

export interface Session {
  token: string;
  secret: string;
  applicationId: string;
  userId: string;
  deviceId: string;
  methods: AuthMethod[] | null;
  status: SessionStatus;
  createdAt: number;
  /** pending/identifying turns into timeout at this time. */
  answerBy: number;
  /** The session ends (timeout if unanswered, closed if authenticated) at this time. */
  endsAt: number;
}

export const OVER: ReadonlySet<SessionStatus> = new Set(['timeout', 'cancelled', 'failed', 'closed']);
export const WAITING: ReadonlySet<SessionStatus> = new Set(['pending', 'identifying']);
export const AUTHENTICATED: ReadonlySet<SessionStatus> = new Set(['active', 'walkaway']);

/** 32 upper-case hex characters (128 bits). */
export function newId(): string {
  return randomBytes(16).toString('hex').toUpperCase();
}
/** 48 upper-case hex characters (192 bits). */
export function newSecret(): string {
  return randomBytes(24).toString('hex').toUpperCase();
}
/** A registration link token: 256 bits from the CSPRNG, base64url. */
export function newLinkToken(): string {
  return randomBytes(32).toString('base64url');
}
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Applies time-driven transitions; returns the (possibly updated) status. */
export function settle(session: Session, now: number): SessionStatus {
  if (OVER.has(session.status)) return session.status;
  if (WAITING.has(session.status) && now >= Math.min(session.answerBy, session.endsAt)) {
    session.status = 'timeout';
  } else if (AUTHENTICATED.has(session.status) && now >= session.endsAt) {
    session.status = 'closed';
  }
  return session.status;
}

/**
 * The legal moves the phone (and logout) can make. A status that is over
 * never changes again.
 */
const MOVES: Record<string, ReadonlySet<SessionStatus>> = {
  identifying: new Set(['pending']),
  active: new Set(['pending', 'identifying', 'walkaway']),
  walkaway: new Set(['active']),
  cancelled: new Set(['pending', 'identifying']),
  failed: new Set(['pending', 'identifying']),
  timeout: new Set(['pending', 'identifying']),
  closed: new Set(['pending', 'identifying', 'active', 'walkaway']),
};

export function canMove(from: SessionStatus, to: SessionStatus): boolean {
  return MOVES[to]?.has(from) ?? false;
}

/**
 * The serialisable form written to the data file. With a secret key (the
 * console passes its keychain data key) application and session secrets are
 * written only sealed (AES-256-GCM, bound to their application ID / session
 * token); without one (the standalone sandbox) as text, in a 0600 file.
 */
export interface Snapshot {
  version: 1;
  defaultApplicationId: string;
  applications: { id: string; secret?: string; sealedSecret?: string; users: User[] }[];
  sessions: (Omit<Session, 'secret'> & { secret?: string; sealedSecret?: string })[];
}

export interface RestoreOptions {
  secretKey?: Uint8Array | undefined;
  /** The caller's own application: its secret is known even when the stored one cannot be opened. */
  known?: { id: string; secret: string } | undefined;
}

/** A text message as the virtual phone receives it. */
export interface Sms {
  to: string;
  text: string;
  at: number;
  applicationId: string;
  userId: string;
}

export const MAX_SMS = 1000;

export class State {
  readonly applications = new Map<string, Application>();
  readonly sessions = new Map<string, Session>();
  /** linkHash -> [applicationId, userId] */
  readonly links = new Map<string, [string, string]>();
  /** deviceId -> [applicationId, userId] */
  readonly devices = new Map<string, [string, string]>();
  /** Text messages the service "sent" (send_registration_sms), newest last, at most MAX_SMS; memory only. */
  readonly sms: Sms[] = [];
  defaultApplicationId = '';

  addApplication(id: string, secret: string): Application {
    const existing = this.applications.get(id);
    if (existing) {
      existing.secret = secret;
      return existing;
    }
    const app: Application = { id, secret, users: new Map() };
    this.applications.set(id, app);
    return app;
  }

  /** Issues a fresh link for a user; the user's older link stops working. */
  issueLink(app: Application, user: User, now: number, ttlMs: number): string {
    if (user.linkHash) this.links.delete(user.linkHash);
    const token = newLinkToken();
    const hash = hashToken(token);
    user.linkHash = hash;
    user.linkExpiresAt = now + ttlMs;
    this.links.set(hash, [app.id, user.id]);
    return token;
  }

  /** Ends a user's sessions: waiting ones become `waitingTo`, live ones `closed`. */
  endSessionsOf(applicationId: string, userId: string, waitingTo: SessionStatus, now: number): void {
    for (const s of this.sessions.values()) {
      if (s.applicationId !== applicationId || s.userId !== userId) continue;
      const status = settle(s, now);
      if (WAITING.has(status)) s.status = waitingTo;
      else if (AUTHENTICATED.has(status)) s.status = 'closed';
    }
  }

  deleteUser(app: Application, userId: string, now: number): void {
    const user = app.users.get(userId);
    if (!user) return;
    this.endSessionsOf(app.id, userId, 'cancelled', now);
    if (user.linkHash) this.links.delete(user.linkHash);
    if (user.device) this.devices.delete(user.device.id);
    app.users.delete(userId);
  }

  /** Sealed secrets by `app:<id>` / `session:<token>`, so an unchanged secret is not re-encrypted on every write. */
  readonly #sealed = new Map<string, [secret: string, sealed: string]>();

  #seal(key: Uint8Array, aad: string, secret: string): string {
    const cached = this.#sealed.get(aad);
    if (cached && cached[0] === secret) return cached[1];
    const sealed = seal(key, secret, aad).toString('base64');
    this.#sealed.set(aad, [secret, sealed]);
    return sealed;
  }

  snapshot(secretKey?: Uint8Array): Snapshot {
    const secretOf = (aad: string, secret: string) =>
      secretKey ? { sealedSecret: this.#seal(secretKey, aad, secret) } : { secret };
    return {
      version: 1,
      defaultApplicationId: this.defaultApplicationId,
      applications: [...this.applications.values()].map((a) => ({
        id: a.id,
        ...secretOf(`app:${a.id}`, a.secret),
        users: [...a.users.values()],
      })),
      sessions: [...this.sessions.values()].map(({ secret, ...rest }) => ({
        ...rest,
        ...secretOf(`session:${rest.token}`, secret),
      })),
    };
  }

  /**
   * Restores a snapshot. Sealed secrets are opened with `secretKey`; an
   * application or session whose secret cannot be recovered (no key, or the
   * key changed) is left out, except the caller's own application, whose
   * secret the caller supplies again. `skipped` counts what was left out.
   */
  static fromSnapshot(raw: unknown, options: RestoreOptions = {}): State & { skipped: number } {
    const snap = raw as Snapshot;
    if (
      typeof snap !== 'object' ||
      snap === null ||
      snap.version !== 1 ||
      !Array.isArray(snap.applications) ||
      !Array.isArray(snap.sessions)
    ) {
      throw new Error('not a sandbox data file (version 1)');
    }
    const unseal = (aad: string, item: { secret?: unknown; sealedSecret?: unknown }): string | null => {
      if (typeof item.secret === 'string') return item.secret;
      if (typeof item.sealedSecret !== 'string' || !options.secretKey) return null;
      try {
        return open(options.secretKey, Buffer.from(item.sealedSecret, 'base64'), aad);
      } catch {
        return null;
      }
    };
    const state = Object.assign(new State(), { skipped: 0 });
    state.defaultApplicationId = String(snap.defaultApplicationId);
    for (const a of snap.applications) {
      const secret =
        unseal(`app:${a.id}`, a) ?? (options.known && options.known.id === a.id ? options.known.secret : null);
      if (secret === null) {
        state.skipped++;
        continue;
      }
      const app = state.addApplication(a.id, secret);
      for (const u of a.users) {
        app.users.set(u.id, { ...u });
        if (u.linkHash) state.links.set(u.linkHash, [a.id, u.id]);
        if (u.device) state.devices.set(u.device.id, [a.id, u.id]);
      }
    }
    for (const s of snap.sessions) {
      const secret = unseal(`session:${s.token}`, s);
      if (secret === null || !state.applications.has(s.applicationId)) {
        state.skipped++;
        continue;
      }
      const { sealedSecret: _sealed, ...rest } = s;
      state.sessions.set(s.token, { ...rest, secret });
    }
    return state;
  }
}
