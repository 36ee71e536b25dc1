/**
 * Request authentication for the IAMPASS routes (spec section 2): the
 * `Authentication: hmac` header, version, timestamp window against the
 * server's clock, signature over Host + raw path and query, and the replay
 * cache. Also resolves what a signed request is about: its application,
 * user or session.
 */
import { parseAuthenticationHeader, verifySignature } from '../node/signer.ts';
import { serverNowMs, type SandboxContext } from './context.ts';
import { authHeaderValue, decodeSegment, header, notFound, unauthorized, type RequestCtx } from './http.ts';
import type { Application, Session, User } from './state.ts';

/**
 * Verifies the request's signature with the secret of its client ID
 * (`secretOf` returns null for an unknown client) and records its nonce.
 * Returns the client ID.
 */
export function verify(sb: SandboxContext, ctx: RequestCtx, secretOf: (clientId: string) => string | null): string {
  const { req } = ctx;
  const parsed = parseAuthenticationHeader(header(req, 'authentication'));
  if (!parsed) throw unauthorized('missing or malformed Authentication header');
  const version = authHeaderValue(req, 'version');
  if (version !== '1') throw unauthorized('missing or unsupported authentication version');
  const tsText = authHeaderValue(req, 'timestamp');
  if (tsText === undefined || !/^[0-9]{1,12}$/.test(tsText))
    throw unauthorized('missing or malformed authentication timestamp');
  const timestamp = Number(tsText);
  const now = Math.floor(serverNowMs(sb, ctx.route) / 1000);
  if (Math.abs(now - timestamp) > sb.windowSeconds)
    throw unauthorized('timestamp outside the allowed window (check the clock)');
  const secret = secretOf(parsed.clientId);
  if (secret === null) throw unauthorized('unknown client');
  const host = header(req, 'host') ?? '';
  const ok = verifySignature(
    {
      secret,
      url: host + (req.url ?? ''),
      canonical: host + (req.url ?? ''),
      nonce: parsed.nonce,
      timestamp,
    },
    parsed.signature,
  );
  if (!ok) throw unauthorized('signature mismatch');
  const verdict = sb.nonces.check(parsed.clientId, parsed.nonce, timestamp, now, sb.windowSeconds);
  if (verdict === 'replay') throw unauthorized('nonce already used (replay)');
  if (verdict === 'below_floor')
    throw unauthorized('timestamp too old for the replay cache; retry with a fresh request');
  return parsed.clientId;
}

/** Verifies application credentials for a route whose first segment is the app ID. */
export function appRequest(sb: SandboxContext, ctx: RequestCtx): Application {
  const appId = decodeSegment(ctx.segments[0], 'application');
  const clientId = verify(sb, ctx, (id) => {
    const app = sb.state.applications.get(id);
    if (app) return app.secret;
    // A request about an unknown application signed as that application: the spec's 404.
    if (id === appId) throw notFound('unknown application');
    return null;
  });
  const app = sb.state.applications.get(appId);
  if (!app) throw notFound('unknown application');
  if (clientId !== appId) throw unauthorized('credentials do not belong to this application');
  return app;
}

/** The user named by the path segment at `index`, which must be the last one. */
export function userOf(app: Application, ctx: RequestCtx, index = 1): User {
  if (ctx.segments.length !== index + 1) throw notFound('no such route');
  const userId = decodeSegment(ctx.segments[index], 'user');
  const user = app.users.get(userId);
  if (!user) throw notFound('unknown user');
  return user;
}

/** Verifies session credentials (client ID = the session token in the path) and returns the session. */
export function sessionOf(sb: SandboxContext, ctx: RequestCtx): Session {
  if (ctx.segments.length !== 1) throw notFound('no such route');
  const token = decodeSegment(ctx.segments[0], 'session');
  const session = sb.state.sessions.get(token);
  verify(sb, ctx, (id) => {
    if (id !== token) return null;
    return session ? session.secret : null;
  });
  if (!session) throw notFound('unknown session');
  return session;
}
