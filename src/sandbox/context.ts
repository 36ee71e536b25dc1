/**
 * What the route modules share with the server: the state, the clock, the
 * faults and replay cache, the timing options, and the two callbacks into the
 * server (its base URL once listening, and `changed()` so a change is written
 * and acknowledged only once on disk). One object, built by `startSandbox`.
 */
import type { Faults, RouteName } from './faults.ts';
import type { NonceCache } from './nonces.ts';
import type { State } from './state.ts';

/**
 * Where the sandbox reads the time: every time-driven rule (the timestamp
 * window, nonce expiry, link expiry, pending timeouts, session durations,
 * the `Date` header of a `clock` fault) uses `now()`. State changes with time
 * only lazily, when it is read, so a clock that jumps ahead is all a test
 * needs. `sleep`, when present, is how a `latency` fault waits (a test clock
 * can advance itself instead of waiting); without it the fault waits on a
 * real timer.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  sleep?(ms: number): Promise<void>;
}

export const systemClock: Clock = { now: () => Date.now() };

/** How a latency fault waits on `clock`. */
export function sleeper(clock: Clock): (ms: number) => Promise<void> {
  return clock.sleep?.bind(clock) ?? ((ms) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
}

export interface SandboxContext {
  readonly state: State;
  readonly clock: Clock;
  readonly faults: Faults;
  readonly nonces: NonceCache;
  /** Accepted distance between a request's timestamp and the server's clock, in seconds. */
  readonly windowSeconds: number;
  /** How long a pending/identifying request waits for the phone, in ms. */
  readonly pendingMs: number;
  /** Registration link lifetime, in ms. */
  readonly linkMs: number;
  /** Whether this deployment has the send_registration_sms route (a 404 "endpoint" without it). */
  readonly sms: boolean;
  /** `http://127.0.0.1:<port>`, known once the server listens. */
  baseUrl(): string;
  /** Records a change to the state: the data file is written soon, and the request answered after that write. */
  changed(): void;
}

/** The server's time for a route, in ms: the clock plus any `clock` fault in force there. */
export function serverNowMs(sb: SandboxContext, route: RouteName | null): number {
  return sb.clock.now() + sb.faults.clockOffset(route) * 1000;
}
