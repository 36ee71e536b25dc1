/**
 * Fault injection (sandbox only). A rule applies to one IAMPASS route (or
 * `*` for all of them) and is one of:
 *
 * - `latency`: wait `ms` plus a uniform random 0..`jitterMs` before answering;
 * - `error`: with probability `rate`, answer `status` (500, 502, 503 or 429
 *   with `Retry-After: retryAfter`) before anything is processed;
 * - `reset`: with probability `rate`, destroy the connection before anything
 *   is processed;
 * - `truncate`: with probability `rate`, process the request, then send only
 *   half of the body (Content-Length says the full size) and cut the connection;
 * - `non_json`: with probability `rate`, process the request, then answer 200
 *   with an HTML body;
 * - `clock`: the server's clock is off by `seconds` (the `Date` header and the
 *   timestamp check).
 *
 * Randomness comes from a seeded PRNG so runs are reproducible; `rate: 1`
 * makes a fault certain.
 */
import { AppError } from '../shared/errors.ts';

export const FAULT_KINDS = ['latency', 'error', 'reset', 'truncate', 'non_json', 'clock'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export const ROUTE_NAMES = [
  'add_users',
  'delete_users',
  'device_registration_link',
  'has_registered_mobile_device',
  'lost_user_mobile_device',
  'send_registration_sms',
  'authenticate_user',
  'status',
  'logout',
] as const;
export type RouteName = (typeof ROUTE_NAMES)[number];

export const ERROR_STATUSES = [500, 502, 503, 429] as const;

export interface FaultRule {
  /** A route name, or `*` for every IAMPASS route (never the sandbox API). */
  route: RouteName | '*';
  kind: FaultKind;
  /** Probability 0..1 for error/reset/truncate/non_json (default 1). */
  rate?: number;
  /** latency: fixed part in ms. */
  ms?: number;
  /** latency: random extra, uniform in 0..jitterMs. */
  jitterMs?: number;
  /** error: 500, 502, 503 or 429. */
  status?: number;
  /** error 429: the Retry-After value in seconds (default 1). */
  retryAfter?: number;
  /** clock: offset in seconds (may be negative). */
  seconds?: number;
}

function bad(message: string): AppError {
  return new AppError('invalid_input', message);
}

function finite(value: unknown, name: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw bad(`fault field ${name} must be a number from ${min} to ${max}`);
  }
  return value;
}

/** Validates one rule from untrusted JSON; throws AppError('invalid_input'). */
export function validateFault(raw: unknown): FaultRule {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad('a fault must be an object');
  const r = raw as Record<string, unknown>;
  const allowed = new Set(['route', 'kind', 'rate', 'ms', 'jitterMs', 'status', 'retryAfter', 'seconds']);
  for (const key of Object.keys(r)) if (!allowed.has(key)) throw bad(`unknown fault field: ${key}`);
  const route = r.route;
  if (route !== '*' && !(ROUTE_NAMES as readonly unknown[]).includes(route)) {
    throw bad(`fault route must be * or one of ${ROUTE_NAMES.join(', ')}`);
  }
  const kind = r.kind;
  if (!(FAULT_KINDS as readonly unknown[]).includes(kind))
    throw bad(`fault kind must be one of ${FAULT_KINDS.join(', ')}`);
  const rule: FaultRule = { route: route as FaultRule['route'], kind: kind as FaultKind };
  const rate = finite(r.rate, 'rate', 0, 1);
  const ms = finite(r.ms, 'ms', 0, 600_000);
  const jitterMs = finite(r.jitterMs, 'jitterMs', 0, 600_000);
  const status = finite(r.status, 'status', 100, 599);
  const retryAfter = finite(r.retryAfter, 'retryAfter', 0, 86_400);
  const seconds = finite(r.seconds, 'seconds', -10 * 365 * 86_400, 10 * 365 * 86_400);
  if (rate !== undefined) rule.rate = rate;
  if (ms !== undefined) rule.ms = ms;
  if (jitterMs !== undefined) rule.jitterMs = jitterMs;
  if (retryAfter !== undefined) rule.retryAfter = Math.floor(retryAfter);
  if (seconds !== undefined) rule.seconds = Math.trunc(seconds);
  if (rule.kind === 'error') {
    if (status === undefined || !(ERROR_STATUSES as readonly number[]).includes(status)) {
      throw bad('an error fault needs status 500, 502, 503 or 429');
    }
    rule.status = status;
  } else if (status !== undefined) {
    throw bad('status only applies to an error fault');
  }
  if (rule.kind === 'clock' && rule.seconds === undefined) throw bad('a clock fault needs seconds');
  if (rule.kind === 'latency' && rule.ms === undefined && rule.jitterMs === undefined)
    throw bad('a latency fault needs ms or jitterMs');
  return rule;
}

/**
 * Parses the command-line form `<route>:<kind>[:key=value,...]`, e.g.
 * `has_registered_mobile_device:error:status=503,rate=0.5`,
 * `*:latency:ms=200,jitterMs=50`, `*:clock:seconds=-600`.
 */
export function parseFaultFlag(text: string): FaultRule {
  const [route, kind, params, ...rest] = text.split(':');
  if (route === undefined || kind === undefined || rest.length > 0)
    throw bad(`bad --fault value (want route:kind[:key=value,...])`);
  const raw: Record<string, unknown> = { route, kind };
  if (params) {
    for (const pair of params.split(',')) {
      const [key, value, ...more] = pair.split('=');
      if (!key || value === undefined || more.length > 0 || value.trim() === '')
        throw bad(`bad --fault parameter: ${pair}`);
      const n = Number(value);
      if (!Number.isFinite(n)) throw bad(`--fault parameter ${key} must be a number`);
      raw[key] = n;
    }
  }
  return validateFault(raw);
}

/** mulberry32: a small, seedable PRNG (fault randomness only, never security). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Faults {
  #rules: FaultRule[] = [];
  readonly #random: () => number;

  constructor(rules: readonly unknown[] = [], seed = 1) {
    this.#random = seededRandom(seed);
    this.set(rules);
  }

  set(rules: readonly unknown[]): void {
    this.#rules = rules.map(validateFault);
  }

  list(): FaultRule[] {
    return this.#rules.map((r) => ({ ...r }));
  }

  /** The rules that apply to a route. */
  for(route: RouteName): FaultRule[] {
    if (this.#rules.length === 0) return [];
    return this.#rules.filter((r) => r.route === '*' || r.route === route);
  }

  /** Whether a rate-based fault fires this time. */
  fires(rule: FaultRule): boolean {
    const rate = rule.rate ?? 1;
    if (rate >= 1) return true;
    if (rate <= 0) return false;
    return this.#random() < rate;
  }

  jitter(rule: FaultRule): number {
    return (rule.ms ?? 0) + (rule.jitterMs ? this.#random() * rule.jitterMs : 0);
  }

  /** The clock offset (seconds) in force for a route: the sum of its clock rules. */
  clockOffset(route: RouteName | null): number {
    if (this.#rules.length === 0) return 0;
    let s = 0;
    for (const r of this.#rules)
      if (r.kind === 'clock' && (route === null ? r.route === '*' : r.route === '*' || r.route === route))
        s += r.seconds ?? 0;
    return s;
  }
}
