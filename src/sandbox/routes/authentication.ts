/**
 * The IAMPASS authentication routes (spec section 4): authenticate_user
 * (signed by the application) starts a session; status and logout (signed
 * with the session's own token and secret) read and end it.
 */
import { isAuthMethod, SESSION_STATUS_INFO, type AuthMethod } from '../../shared/iampass.ts';
import type { SandboxContext } from '../context.ts';
import { badRequest, jsonObject, noQuery, type RouteDef } from '../http.ts';
import { newId, newSecret, OVER, settle, type Session } from '../state.ts';
import { appRequest, sessionOf, userOf } from '../verify.ts';

export const DEFAULT_SESSION_SECONDS = 3600;
export const MAX_SESSION_SECONDS = 86_400;

export type AuthenticationRoute = 'authenticate_user' | 'status' | 'logout';

export function authenticationRoutes(sb: SandboxContext): Record<AuthenticationRoute, RouteDef> {
  const { state } = sb;

  return {
    authenticate_user: {
      prefix: 'authentication',
      method: 'POST',
      handle(ctx) {
        const app = appRequest(sb, ctx);
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
        const now = sb.clock.now();
        const session: Session = {
          token: newId(),
          secret: newSecret(),
          applicationId: app.id,
          userId: user.id,
          deviceId: user.device.id,
          methods,
          status: 'pending',
          createdAt: now,
          answerBy: now + sb.pendingMs,
          endsAt: now + duration * 1000,
        };
        state.sessions.set(session.token, session);
        sb.changed();
        const baseUrl = sb.baseUrl();
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
        const session = sessionOf(sb, ctx);
        noQuery(ctx);
        const before = session.status;
        const status = settle(session, sb.clock.now());
        if (status !== before) sb.changed();
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
        const session = sessionOf(sb, ctx);
        noQuery(ctx);
        const status = settle(session, sb.clock.now());
        if (OVER.has(status))
          return { status: 200, body: { status: false, reason: `the session is already over (${status})` } };
        session.status = 'closed';
        sb.changed();
        return { status: 200, body: { status: true } };
      },
    },
  };
}
