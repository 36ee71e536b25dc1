/**
 * Reading the service's answers: the JSON body, the registration link, and
 * the typed error of every non-2xx status (spec section 4: 401 signature or
 * clock, 404 naming what is unknown, 429 with Retry-After, 5xx). Nothing
 * unexpected is ever treated as success.
 */
import { AppError } from '../../shared/errors.ts';
import { cleanReason, isObject, type Json } from './checks.ts';
import { parseRetryAfter, type RawResponse } from './transport.ts';

/** What a request is about, for error messages. */
export interface CallContext {
  /** e.g. "add users" */
  action: string;
  kind: 'management' | 'session';
  userId?: string;
  /** Strings that must never appear in an error (secret, session secret). */
  secrets: string[];
}

/** The registration link of an answer, or a protocol error. */
export function registerUrl(json: Json, action: string): string {
  const link = json.register_url;
  if (json.status !== true || typeof link !== 'string' || !/^https?:\/\/\S+$/i.test(link) || !URL.canParse(link)) {
    throw protocolError(action, 'the answer lacks a valid "register_url"');
  }
  return link;
}

/** An answer that is not what the spec says: never treated as success. */
export function protocolError(action: string, what: string): AppError {
  return new AppError(
    'protocol',
    `Unexpected answer from the service when trying to ${action}: ${what}. Nothing was treated as success.`,
    {
      retryable: false,
    },
  );
}

/** The answer's body as a JSON object, or a protocol error. */
export function parseJson(res: RawResponse, context: CallContext): Json {
  let value: unknown;
  try {
    value = JSON.parse(res.body);
  } catch {
    throw protocolError(context.action, `the body is not JSON (HTTP ${res.status})`);
  }
  if (!isObject(value)) throw protocolError(context.action, 'the body is not a JSON object');
  return value;
}

/** The typed error of a non-2xx answer: 401 (signature or clock), 404 (what is unknown), 429, 5xx, anything else. */
export function httpError(
  res: RawResponse,
  context: CallContext,
  app: { applicationId: string; baseUrl: string },
): AppError {
  const status = res.status;
  const reasonText = (): string | null => {
    try {
      const json: unknown = JSON.parse(res.body);
      if (isObject(json) && typeof json.reason === 'string') return cleanReason(json.reason, context.secrets);
    } catch {
      // plain-text bodies are fine
    }
    return null;
  };
  if (status === 401) {
    const details: Record<string, number | string> = { status };
    const serverDate = typeof res.headers.date === 'string' ? Date.parse(res.headers.date) : Number.NaN;
    const reason = reasonText();
    if (reason !== null) details.reason = reason;
    if (!Number.isNaN(serverDate)) {
      // Positive: this computer's clock is ahead of the service's.
      const skew = Math.round((Date.now() - serverDate) / 1000);
      details.clockSkewSeconds = skew;
      if (Math.abs(skew) > 60) {
        return new AppError(
          'unauthorized',
          `The service rejected the request because this computer's clock is off by ${Math.abs(skew)} seconds (${skew > 0 ? 'ahead of' : 'behind'} the service). Correct the system clock and try again.`,
          { retryable: false, details },
        );
      }
    }
    const message =
      context.kind === 'session'
        ? `The service rejected the session's signature when trying to ${context.action}: the session may be unknown or expired.`
        : `The service rejected the request signature when trying to ${context.action}. Check this profile's Application ID and Application Secret.`;
    return new AppError('unauthorized', message, { retryable: false, details });
  }
  if (status === 404) {
    const text = res.body.toLowerCase();
    let what: 'application' | 'user' | 'session' | 'endpoint' | 'unknown';
    if (context.kind === 'session') what = 'session';
    else if (text.includes('route') || text.includes('endpoint')) what = 'endpoint';
    else if (text.includes('application')) what = 'application';
    else if (text.includes('user')) what = 'user';
    else what = context.userId === undefined ? 'application' : 'unknown';
    const message =
      what === 'application'
        ? `The service does not know application ${app.applicationId}. Check this profile's Application ID and base URL.`
        : what === 'user'
          ? `The service does not know user "${context.userId ?? ''}" in this application. Add the user first.`
          : what === 'session'
            ? 'The service does not know this session (it may have expired).'
            : what === 'endpoint'
              ? `The service at ${app.baseUrl} has no such endpoint. Check this profile's base URL.`
              : `The service does not know application ${app.applicationId} or user "${context.userId ?? ''}".`;
    return new AppError('not_found', message, { retryable: false, details: { status, what } });
  }
  if (status === 429) {
    const after = parseRetryAfter(
      typeof res.headers['retry-after'] === 'string' ? res.headers['retry-after'] : undefined,
    );
    const details: Record<string, number> = { status };
    if (after !== null) details.retryAfterSeconds = after;
    return new AppError(
      'rate_limited',
      `The service is rate limiting this application${after !== null ? `; try again in ${after} s` : '; try again later'}.`,
      { details },
    );
  }
  if (status >= 500 && status <= 599) {
    return new AppError(
      'server',
      `The service failed with HTTP ${status} when trying to ${context.action}. Try again later.`,
      { details: { status } },
    );
  }
  return new AppError(
    'protocol',
    `Unexpected answer from the service when trying to ${context.action}: HTTP ${status}. Nothing was treated as success.`,
    {
      retryable: false,
      details: { status },
    },
  );
}
