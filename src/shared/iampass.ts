/**
 * Pure IAMPASS protocol types and tables (spec sections 1 and 5), shared by
 * main, the CLI and the renderer. No Node, no DOM.
 */

export const PROFILE_FLAVOURS = ['IAMPASS', 'Activeconnect', 'Sandbox'] as const;
/** `Sandbox` is our own server: it signs with the `IAMPASS` header prefix. */
export type ProfileFlavour = (typeof PROFILE_FLAVOURS)[number];

/** The header prefix a flavour signs with (spec section 1). */
export function headerPrefix(flavour: ProfileFlavour): 'IAMPASS' | 'Activeconnect' {
  return flavour === 'Activeconnect' ? 'Activeconnect' : 'IAMPASS';
}

export const AUTH_METHODS = ['acceptance', 'device', 'facial'] as const;
/** `acceptance`: confirm on the phone; `device`: unlock the phone; `facial`: face check. */
export type AuthMethod = (typeof AUTH_METHODS)[number];

export const SESSION_STATUSES = [
  'pending',
  'identifying',
  'active',
  'walkaway',
  'timeout',
  'cancelled',
  'failed',
  'closed',
] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];

export interface SessionStatusInfo {
  /** Is the user authenticated while the session is in this status? */
  authenticated: boolean;
  /** Is the session over (it never changes again)? */
  over: boolean;
  /** A short description for the UI. */
  description: string;
}

/** The spec's status table (section 5). */
export const SESSION_STATUS_INFO: Readonly<Record<SessionStatus, SessionStatusInfo>> = {
  pending: { authenticated: false, over: false, description: 'Request sent, waiting for the phone' },
  identifying: { authenticated: false, over: false, description: 'The phone is collecting the required data' },
  active: { authenticated: true, over: false, description: 'Authenticated' },
  walkaway: { authenticated: true, over: false, description: 'Authenticated, but the phone has left the area' },
  timeout: { authenticated: false, over: true, description: 'The user did not respond in time' },
  cancelled: { authenticated: false, over: true, description: 'The user refused' },
  failed: { authenticated: false, over: true, description: 'Authentication failed' },
  closed: { authenticated: false, over: true, description: 'Logged out' },
};

export function isSessionStatus(value: unknown): value is SessionStatus {
  return typeof value === 'string' && (SESSION_STATUSES as readonly string[]).includes(value);
}

export function isAuthMethod(value: unknown): value is AuthMethod {
  return typeof value === 'string' && (AUTH_METHODS as readonly string[]).includes(value);
}

/** Client defaults (issue 3). */
export const CLIENT_DEFAULTS = {
  timeoutMs: 15_000,
  concurrency: 16,
  batchSize: 500,
  maxRetries: 3,
} as const;

/** Upper bound of `duration_seconds` the client accepts (one day). */
export const MAX_SESSION_DURATION_SECONDS = 86_400;

/**
 * A loopback host name as `URL.hostname` gives it (`localhost`, `127.x.y.z`,
 * `[::1]`; the brackets optional): the only hosts plain http:// may reach
 * (spec section 1). The one check the client, the profile validation, the
 * CLI and the sandbox-URL rebasing share.
 */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}
