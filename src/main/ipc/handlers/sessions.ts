/**
 * Handlers for src/shared/ipc/sessions.ts, and the forwarding of the
 * service's `changed` / `alert` to the bus (`sessions.changed`,
 * `sessions.alert`). Views are rebuilt field by field: whatever the service
 * grows later, a token, a session secret or a URL never reaches the renderer.
 */
import type { ErrorInfo } from '../../../shared/errors.ts';
import type { SessionAlert, SessionDetail, SessionView } from '../../../shared/ipc/sessions.ts';
import type { Services } from '../../services/index.ts';
import type { EventBus, Handler } from '../router.ts';

export interface SessionsHandlerDeps {
  services: Services;
  bus: EventBus;
}

type Channels = 'sessions.start' | 'sessions.list' | 'sessions.get' | 'sessions.logout' | 'sessions.logoutUser';

function errorView(e: SessionView['error']): SessionView['error'] {
  if (!e) return null;
  const info: ErrorInfo & { since: number; failures: number } = {
    code: e.code,
    message: e.message,
    retryable: e.retryable,
    since: e.since,
    failures: e.failures,
  };
  return info;
}

export function sessionView(v: SessionView): SessionView {
  return {
    id: v.id,
    userId: v.userId,
    displayName: v.displayName,
    methods: [...v.methods],
    startedAt: v.startedAt,
    status: v.status,
    statusSince: v.statusSince,
    over: v.over,
    error: errorView(v.error),
    monitored: v.monitored,
  };
}

export function sessionDetail(v: SessionDetail): SessionDetail {
  return { ...sessionView(v), timeline: v.timeline.map((t) => ({ at: t.at, status: t.status })) };
}

function alertView(a: SessionAlert): SessionAlert {
  return {
    sessionId: a.sessionId,
    userId: a.userId,
    displayName: a.displayName,
    kind: a.kind,
    at: a.at,
    message: a.message,
  };
}

export function sessionsHandlers(deps: SessionsHandlerDeps): { [C in Channels]: Handler<C> } {
  const sessions = deps.services.sessions;
  sessions.on((e) => {
    if (e.type === 'changed')
      deps.bus.emit('sessions.changed', {
        session: sessionView(e.payload.session),
        previous: e.payload.previous,
        at: e.payload.at,
      });
    else deps.bus.emit('sessions.alert', alertView(e.payload));
  });
  return {
    'sessions.start': async (p) => {
      const r = await sessions.start({
        userId: p.userId,
        methods: p.methods,
        ...(p.durationSeconds !== undefined ? { durationSeconds: p.durationSeconds } : {}),
        ...(p.again === true ? { again: true } : {}),
      });
      return r.started ? { started: true, session: sessionDetail(r.session) } : { started: false, reason: r.reason };
    },
    'sessions.list': (p) => {
      const r = sessions.list({
        filter: p.filter,
        limit: p.limit,
        ...(p.userId !== undefined ? { userId: p.userId } : {}),
      });
      return { sessions: r.sessions.map(sessionView), counts: { ...r.counts }, errors: r.errors };
    },
    'sessions.get': (p) => sessionDetail(sessions.get(p.sessionId)),
    'sessions.logout': async (p) => sessionDetail(await sessions.logout(p.sessionId)),
    'sessions.logoutUser': (p) => sessions.logoutUser(p.userId),
  };
}
