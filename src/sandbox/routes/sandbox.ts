/**
 * The sandbox-only API under `/sandbox/...` (not signed; the server has
 * already applied the loopback, Host, Origin and Content-Type guards): the
 * phone page, new applications, registering a phone, what a user or device
 * sees, the phone's answers, stats and fault rules. Faults never apply here.
 */
import { AppError } from '../../shared/errors.ts';
import type { SessionStatus } from '../../shared/iampass.ts';
import type { SandboxContext } from '../context.ts';
import {
  badRequest,
  decodeSegment,
  jsonObject,
  methodNotAllowed,
  notFound,
  type Reply,
  type RequestCtx,
} from '../http.ts';
import { phonePage, PHONE_PAGE_CSP } from '../page.ts';
import { AUTHENTICATED, canMove, hashToken, newId, newSecret, OVER, settle, WAITING, type Session } from '../state.ts';

/** A request or session as the phone sees it. */
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

const LIVE: ReadonlySet<SessionStatus> = new Set([...WAITING, ...AUTHENTICATED]);
const EVERY: ReadonlySet<SessionStatus> = new Set([...WAITING, ...AUTHENTICATED, ...OVER]);

/** The phone's answers to a waiting request: the status each leads to, and the statuses it may come from. */
const REQUEST_ACTIONS: Record<string, [SessionStatus, ReadonlySet<SessionStatus>]> = {
  identify: ['identifying', new Set(['pending'])],
  approve: ['active', WAITING],
  deny: ['cancelled', WAITING],
  fail: ['failed', WAITING],
  ignore: ['timeout', WAITING],
};
/** The phone's moves on a signed-in session. */
const SESSION_ACTIONS: Record<string, [SessionStatus, ReadonlySet<SessionStatus>]> = {
  walk_away: ['walkaway', new Set(['active'])],
  come_back: ['active', new Set(['walkaway'])],
  close: ['closed', LIVE],
};

const GONE = 'the registration link is unknown, used or replaced';

/** The handler of the whole `/sandbox/...` API; `ctx.segments` starts after `sandbox`. */
export function sandboxRoutes(sb: SandboxContext): (ctx: RequestCtx, method: string) => Reply {
  const { state } = sb;

  function sessionsOf(appId: string, userId: string, deviceId: string | null, which: ReadonlySet<SessionStatus>) {
    const now = sb.clock.now();
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
    const current = settle(session, sb.clock.now());
    if (!from.has(current) || !canMove(current, to)) {
      return {
        status: 409,
        body: { status: false, reason: `cannot go from ${current} to ${to}`, session_status: current },
      };
    }
    session.status = to;
    sb.changed();
    return { status: 200, body: { status: true, session_status: to } };
  }

  /** `POST /sandbox/register {link}`: binds a new device to the link's user. */
  function register(ctx: RequestCtx): Reply {
    const body = jsonObject(ctx.body);
    const link = body.link;
    if (typeof link !== 'string' || link.length > 2048) throw badRequest('link must be a registration link string');
    const token =
      /\/sandbox\/phone\/register\/([A-Za-z0-9_-]{43})$/.exec(link)?.[1] ??
      (/^[A-Za-z0-9_-]{43}$/.test(link) ? link : null);
    if (token === null) throw badRequest('not a sandbox registration link');
    const hash = hashToken(token);
    const owner = state.links.get(hash);
    if (!owner) return { status: 410, body: { status: false, reason: GONE } };
    const [appId, userId] = owner;
    const user = state.applications.get(appId)?.users.get(userId);
    if (!user || user.linkHash !== hash) {
      state.links.delete(hash);
      return { status: 410, body: { status: false, reason: GONE } };
    }
    state.links.delete(hash);
    user.linkHash = null;
    const now = sb.clock.now();
    if (now > user.linkExpiresAt) {
      sb.changed();
      return { status: 410, body: { status: false, reason: 'the registration link has expired' } };
    }
    if (user.device) state.devices.delete(user.device.id);
    user.device = { id: newId(), enabled: true, registeredAt: now };
    state.devices.set(user.device.id, [appId, userId]);
    sb.changed();
    return {
      status: 200,
      body: { status: true, deviceId: user.device.id, applicationId: appId, userId, displayName: user.displayName },
    };
  }

  /** `GET /sandbox/users/<app>/<user>/requests | sessions`. */
  function userView(appSegment: string | undefined, userSegment: string | undefined, which: string): Reply {
    const appId = decodeSegment(appSegment, 'application');
    const userId = decodeSegment(userSegment, 'user');
    const user = state.applications.get(appId)?.users.get(userId);
    if (!user) throw notFound('unknown application or user');
    const deviceId = user.device?.enabled ? user.device.id : null;
    if (which === 'device') {
      // The user's registered phone (the phone page opened for a user becomes that phone).
      if (!deviceId) throw notFound('no registered phone');
      return { status: 200, body: { status: true, deviceId } };
    }
    if (which === 'requests') {
      return {
        status: 200,
        body: { status: true, requests: deviceId ? sessionsOf(appId, userId, deviceId, WAITING) : [] },
      };
    }
    return { status: 200, body: { status: true, sessions: sessionsOf(appId, userId, null, EVERY) } };
  }

  /** `GET /sandbox/devices/<deviceId>`: what the phone page shows. */
  function deviceView(deviceSegment: string): Reply {
    const owner = state.devices.get(decodeSegment(deviceSegment, 'device'));
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
        requests: sessionsOf(appId, userId, deviceSegment, WAITING),
        sessions: sessionsOf(appId, userId, deviceSegment, AUTHENTICATED),
      },
    };
  }

  /** `GET /sandbox/stats[?gc=1]`: sizes and this process's memory, for the benchmark. */
  function stats(ctx: RequestCtx): Reply {
    // `?gc=1` runs a full GC first when node was started with --expose-gc.
    if (ctx.query.get('gc') === '1') (globalThis as { gc?: () => void }).gc?.();
    const m = process.memoryUsage();
    let users = 0;
    for (const app of state.applications.values()) users += app.users.size;
    return {
      status: 200,
      body: {
        status: true,
        nonces: sb.nonces.size(),
        sessions: state.sessions.size,
        applications: state.applications.size,
        users,
        rss: m.rss,
        heapUsed: m.heapUsed,
      },
    };
  }

  /** `GET | PUT {faults} | DELETE /sandbox/faults`. */
  function faultRules(ctx: RequestCtx, method: string): Reply {
    if (method === 'PUT') {
      const body = jsonObject(ctx.body);
      if (!Array.isArray(body.faults)) throw badRequest('faults must be an array');
      try {
        sb.faults.set(body.faults as unknown[]);
      } catch (error) {
        if (error instanceof AppError) throw badRequest(error.message);
        throw error;
      }
    } else if (method === 'DELETE') {
      sb.faults.set([]);
    }
    return { status: 200, body: { status: true, faults: sb.faults.list() } };
  }

  return (ctx, method) => {
    const [first, second, third, ...rest] = ctx.segments;
    /** 404 unless the path is right, then 405 unless the method is. */
    const want = (m: string | string[], ok: boolean) => {
      const methods = Array.isArray(m) ? m : [m];
      if (!ok) throw notFound('no such sandbox route');
      if (!methods.includes(method)) throw methodNotAllowed(methods.join(', '));
    };
    switch (first) {
      case 'phone': {
        // The phone web page, optionally opened on a registration link or as the phone of a registered user.
        want(
          'GET',
          (second === undefined && third === undefined) ||
            (second === 'register' && third !== undefined && rest.length === 0) ||
            (second === 'user' && third !== undefined && rest.length === 1),
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
        sb.changed();
        return { status: 201, body: { status: true, id: app.id, secret: app.secret } };
      }
      case 'register':
        want('POST', second === undefined);
        return register(ctx);
      case 'users':
        if (second !== undefined && third === undefined) {
          // GET /sandbox/users/<app>: every user the application has, with device state (a test oracle; not in the vendor API).
          want('GET', true);
          const app = state.applications.get(decodeSegment(second, 'application'));
          if (!app) throw notFound('unknown application');
          const users = [...app.users.entries()].map(([id, u]) => ({
            id,
            deviceRegistered: u.device?.enabled === true,
          }));
          return { status: 200, body: { status: true, users } };
        }
        want(
          'GET',
          second !== undefined &&
            third !== undefined &&
            rest.length === 1 &&
            (rest[0] === 'requests' || rest[0] === 'sessions' || rest[0] === 'device'),
        );
        return userView(second, third, rest[0]!);
      case 'devices':
        want('GET', second !== undefined && third === undefined);
        return deviceView(second!);
      case 'requests':
      case 'sessions': {
        if (first === 'sessions' && second !== undefined && third === undefined) {
          want('GET', true);
          const session = state.sessions.get(decodeSegment(second, 'session'));
          if (!session) throw notFound('unknown session');
          return {
            status: 200,
            body: { status: true, session: requestView({ ...session, status: settle(session, sb.clock.now()) }) },
          };
        }
        const actions = first === 'requests' ? REQUEST_ACTIONS : SESSION_ACTIONS;
        want('POST', second !== undefined && third !== undefined && rest.length === 0 && Object.hasOwn(actions, third));
        const token = decodeSegment(second, 'session');
        const [to, from] = actions[third!]!;
        if (third === 'approve') {
          // pending -> identifying -> active
          const session = state.sessions.get(token);
          if (session && settle(session, sb.clock.now()) === 'pending') session.status = 'identifying';
        }
        return move(token, to, from);
      }
      case 'stats':
        want('GET', second === undefined);
        return stats(ctx);
      case 'sms': {
        // GET /sandbox/sms[?to=+E164]: the text messages send_registration_sms "sent", oldest first (what the virtual phone receives).
        want('GET', second === undefined);
        const to = ctx.query.get('to');
        const messages = sb.state.sms
          .filter((m) => to === undefined || m.to === to)
          .map(({ to: number, text, at }) => ({ to: number, text, at }));
        return { status: 200, body: { status: true, messages } };
      }
      case 'faults':
        want(['GET', 'PUT', 'DELETE'], second === undefined);
        return faultRules(ctx, method);
      default:
        throw notFound('no such sandbox route');
    }
  };
}
