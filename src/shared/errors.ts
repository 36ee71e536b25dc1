/**
 * Typed errors shared by every layer. A failure that crosses a boundary (the
 * IPC bridge, the CLI's output, a job's per-row result) is one of these codes
 * with a message an admin can act on. Messages never carry a secret, a
 * session secret or a registration link.
 */
export const ERROR_CODES = [
  /** The caller's input was rejected before anything changed. */
  'invalid_input',
  /** 401 from the service: wrong application ID or secret, or the clock is off. */
  'unauthorized',
  /** 404 from the service: unknown application or user. */
  'not_found',
  /** The service answered `status: false` (or `authenticated: false`) with a reason. */
  'refused',
  /** An answer that is not what the protocol says: never treated as success. */
  'protocol',
  /** The call was sent and its answer was lost: it may have taken effect; it is recorded and will be checked (never retry blindly). */
  'uncertain',
  /** Connection refused, reset, DNS failure. */
  'network',
  /** No answer within the request timeout. */
  'timeout',
  /** 429 from the service. */
  'rate_limited',
  /** 5xx from the service. */
  'server',
  /** The operation was cancelled by the caller. */
  'cancelled',
  /** A plain http:// URL for a host that is not loopback, or an origin that is not the profile's. */
  'insecure_url',
  /** The OS keychain is missing, locked or refused the operation. */
  'keychain',
  /** The thing asked for does not exist locally (profile, user, session, job). */
  'missing',
  /** The request conflicts with the current state (duplicate name, profile in use). */
  'conflict',
  /** The caller may not make this request at all (an IPC call from a frame that is not the console window). */
  'forbidden',
  /** A bug: something that should not happen. The message stays generic. */
  'internal',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** The wire form of an error: what the bridge, the CLI's --json and job rows carry. */
export interface ErrorInfo {
  code: ErrorCode;
  message: string;
  /** True when the same call may succeed if tried again later. */
  retryable: boolean;
  /** Extra typed facts for the UI, never secret (e.g. clock skew in seconds, Retry-After). */
  details?: Record<string, string | number | boolean | null>;
}

const RETRYABLE_BY_DEFAULT: ReadonlySet<ErrorCode> = new Set(['network', 'timeout', 'rate_limited', 'server']);

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly details: ErrorInfo['details'];

  constructor(
    code: ErrorCode,
    message: string,
    options?: { retryable?: boolean; details?: ErrorInfo['details']; cause?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.retryable = options?.retryable ?? RETRYABLE_BY_DEFAULT.has(code);
    this.details = options?.details;
  }

  toInfo(): ErrorInfo {
    const info: ErrorInfo = { code: this.code, message: this.message, retryable: this.retryable };
    if (this.details !== undefined) info.details = this.details;
    return info;
  }
}

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError;
}

/** Any thrown value as wire info; unknown errors become a generic `internal`. */
export function toErrorInfo(error: unknown): ErrorInfo {
  if (isAppError(error)) return error.toInfo();
  return {
    code: 'internal',
    message: 'An unexpected error occurred. See the application log for details.',
    retryable: false,
  };
}

/** A value or a typed error: what every bridge call resolves to. */
export type Result<T> = { ok: true; value: T } | ({ ok: false } & ErrorInfo);
