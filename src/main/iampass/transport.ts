/**
 * One signed HTTP exchange over node:http / node:https with a keep-alive
 * agent, plus the retry loop around it. We use the built-in modules rather
 * than fetch because the signature covers the exact request path bytes: we
 * build the path ourselves (quote_plus-encoded) and hand it to
 * `http.request({ path })`, which puts it on the wire verbatim, and we set the
 * Host header to exactly the `host[:port]` we signed.
 */
import http from 'node:http';
import https from 'node:https';
import { AppError } from '../../shared/errors.ts';
import { signedHeaders, type Flavour } from '../../node/signer.ts';

export interface Target {
  protocol: 'http:' | 'https:';
  hostname: string;
  /** Numeric port actually connected to. */
  port: number;
  /** `host[:port]` as written in the signed URL and sent as the Host header. */
  host: string;
  /** Raw path and query, exactly as on the wire. */
  path: string;
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface ExchangeOptions {
  method: 'GET' | 'POST';
  target: Target;
  flavour: Flavour;
  credentials: { clientId: string; secret: string };
  body?: string;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  agent: http.Agent;
}

/** Bodies larger than this are not what the protocol sends: a protocol error. */
const MAX_BODY_BYTES = 8 * 1024 * 1024;

export function cancelledError(): AppError {
  return new AppError('cancelled', 'The operation was cancelled.', { retryable: false });
}

function networkError(target: Target, code: string | undefined): AppError {
  const where = target.host;
  const details = { errno: code ?? 'unknown' };
  switch (code) {
    case 'ECONNREFUSED':
      return new AppError(
        'network',
        `The connection to ${where} was refused. Check that the service is running and the base URL is right.`,
        { details },
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
      return new AppError(
        'network',
        `The host name of ${where} could not be resolved (DNS). Check the base URL and the network connection.`,
        { details },
      );
    case 'ECONNRESET':
    case 'EPIPE':
      return new AppError(
        'network',
        `The connection to ${where} was reset before the answer was complete. Try again.`,
        { details },
      );
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new AppError('network', `${where} is unreachable from this computer. Check the network connection.`, {
        details,
      });
    default:
      return new AppError(
        'network',
        `The connection to ${where} failed (${code ?? 'unknown error'}). Check the network connection and try again.`,
        { details },
      );
  }
}

/** The URL that is signed: scheme + host[:port] + raw path. */
export function wireUrl(target: Target): string {
  return `${target.protocol}//${target.host}${target.path}`;
}

/**
 * Sends one signed request (signed now, with a fresh nonce) and reads the
 * whole answer. Rejects with AppError network / timeout / cancelled /
 * protocol (oversized body); any HTTP status resolves.
 */
export function exchange(options: ExchangeOptions): Promise<RawResponse> {
  const { target, signal } = options;
  if (signal?.aborted) return Promise.reject(cancelledError());
  const headers: Record<string, string> = {
    ...signedHeaders(options.flavour, options.credentials, wireUrl(target)),
    Host: target.host,
    Accept: 'application/json',
  };
  if (options.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    headers['Content-Length'] = String(Buffer.byteLength(options.body, 'utf8'));
  }
  const mod = target.protocol === 'https:' ? https : http;
  return new Promise<RawResponse>((resolve, reject) => {
    let settled = false;
    const finish = (error: AppError | null, value?: RawResponse): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (error) {
        req.destroy();
        reject(error);
      } else resolve(value!);
    };
    const req = mod.request({
      method: options.method,
      protocol: target.protocol,
      hostname: target.hostname,
      port: target.port,
      path: target.path,
      headers,
      agent: options.agent,
    });
    const timer = setTimeout(() => {
      finish(
        new AppError(
          'timeout',
          `${target.host} did not answer within ${Math.round(options.timeoutMs / 100) / 10} s. The service may be slow or unreachable; try again.`,
          { details: { timeoutMs: options.timeoutMs } },
        ),
      );
    }, options.timeoutMs);
    const onAbort = (): void => finish(cancelledError());
    signal?.addEventListener('abort', onAbort, { once: true });
    req.on('error', (error: NodeJS.ErrnoException) => finish(networkError(target, error.code)));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) {
          finish(
            new AppError(
              'protocol',
              `The answer from ${target.host} is larger than the protocol allows; it was not used.`,
              { retryable: false },
            ),
          );
          return;
        }
        chunks.push(chunk);
      });
      res.on('error', (error: NodeJS.ErrnoException) => finish(networkError(target, error.code)));
      res.on('aborted', () => finish(networkError(target, 'ECONNRESET')));
      res.on('end', () => {
        finish(null, {
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
      });
    });
    if (options.body !== undefined) req.end(options.body, 'utf8');
    else req.end();
  });
}

/** Waits `ms`, or rejects with `cancelled` as soon as the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(cancelledError());
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(cancelledError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** `Retry-After` in seconds (delta-seconds or HTTP-date); null when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | null {
  if (value === undefined) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return null;
  return Math.max(0, Math.ceil((date - now) / 1000));
}

/** Full-jitter exponential backoff: uniform in [0, base * 2^attempt], capped. */
export function backoffMs(attempt: number, baseMs: number, capMs = 10_000): number {
  return Math.random() * Math.min(capMs, baseMs * 2 ** attempt);
}
