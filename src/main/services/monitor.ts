/**
 * The session monitor: ONE scheduler for every live session.
 *
 * Next-poll times sit in a binary min-heap; a single timer is armed for the
 * earliest one (never a timer per session). When it fires, every due session
 * is polled, bounded per group (the profile's concurrency): sessions over the
 * bound wait in a FIFO and start as soon as a poll of their group finishes.
 *
 * Interval by status (adaptive): ~1 s while pending/identifying, ~3 s while
 * active/walkaway, shortened by a random jitter (never lengthened) so
 * sessions started together spread out.
 * A failed poll is reported (the owner marks the session "unknown (error)")
 * and retried with exponential backoff (base, doubling, capped, jittered).
 * A final status (timeout, cancelled, failed, closed) stops the polling.
 *
 * Plain Node, no I/O of its own: the poll function, the clock and the
 * randomness are injected, which is how the tests count timers.
 */
import { toErrorInfo, type ErrorInfo } from '../../shared/errors.ts';
import { CLIENT_DEFAULTS, SESSION_STATUS_INFO, type SessionStatus } from '../../shared/iampass.ts';

/** Timer source (defaults to the global timers). Tests inject one that counts. */
export interface MonitorClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: MonitorClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export interface MonitorIntervals {
  /** pending / identifying (default 1000 ms). */
  waitingMs: number;
  /** active / walkaway (default 3000 ms). */
  liveMs: number;
  /** Fraction of the interval removed at random, so sessions started together spread out (default 0.1); never added. */
  jitter: number;
  /** First retry delay after a failed poll (default 1000 ms); doubles per failure. */
  backoffBaseMs: number;
  /** Backoff cap (default 60 000 ms). */
  backoffMaxMs: number;
}

export const DEFAULT_INTERVALS: MonitorIntervals = {
  waitingMs: 1000,
  liveMs: 3000,
  jitter: 0.1,
  backoffBaseMs: 1000,
  backoffMaxMs: 60_000,
};

export interface MonitorTarget {
  id: string;
  /** Concurrency group (the profile id). */
  group: string;
  status: SessionStatus;
}

export interface MonitorOptions {
  /** One status read; throws on failure (an AppError ideally). */
  poll(target: MonitorTarget, signal: AbortSignal): Promise<SessionStatus>;
  /** The status changed, or the first good poll after errors (`recovered`). */
  onStatus(id: string, status: SessionStatus, info: { at: number; changed: boolean; recovered: boolean }): void;
  /** A poll failed; the next try is in `retryInMs`. */
  onError(id: string, error: ErrorInfo, info: { at: number; failures: number; retryInMs: number }): void;
  /** Polls in flight per group at most (default: the client's bulk concurrency, 16). */
  concurrency?: (group: string) => number;
  intervals?: Partial<MonitorIntervals>;
  clock?: MonitorClock;
  random?: () => number;
}

interface Entry {
  target: MonitorTarget;
  /** Bumped on every reschedule/untrack: heap items with an older seq are stale. */
  seq: number;
  failures: number;
  inFlight: AbortController | null;
  queued: boolean;
}

interface HeapItem {
  due: number;
  id: string;
  seq: number;
}

export interface MonitorStats {
  tracked: number;
  inFlight: number;
  queued: number;
  heap: number;
  /** Timers currently armed (0 or 1). */
  timers: number;
  polls: number;
}

export class SessionMonitor {
  readonly #opts: MonitorOptions;
  readonly #iv: MonitorIntervals;
  readonly #clock: MonitorClock;
  readonly #random: () => number;
  readonly #entries = new Map<string, Entry>();
  readonly #heap: HeapItem[] = [];
  readonly #inFlight = new Map<string, number>();
  readonly #waiting = new Map<string, string[]>();
  readonly #limits = new Map<string, { n: number; at: number }>();
  #timer: unknown = null;
  #timerDue = Infinity;
  #closed = false;
  #polls = 0;

  constructor(options: MonitorOptions) {
    this.#opts = options;
    this.#iv = { ...DEFAULT_INTERVALS, ...options.intervals };
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
  }

  get intervals(): Readonly<MonitorIntervals> {
    return this.#iv;
  }

  /** Starts (or restarts) following a session; the first poll is after `firstPollMs` (default: the status interval). */
  track(target: MonitorTarget, firstPollMs?: number): void {
    if (this.#closed || SESSION_STATUS_INFO[target.status].over) return;
    const existing = this.#entries.get(target.id);
    if (existing) {
      existing.target = { ...target };
      if (!existing.inFlight) this.#schedule(existing, firstPollMs ?? this.#interval(target.status));
      return;
    }
    const entry: Entry = { target: { ...target }, seq: 0, failures: 0, inFlight: null, queued: false };
    this.#entries.set(target.id, entry);
    this.#schedule(entry, firstPollMs ?? this.#interval(target.status));
  }

  /** Stops following a session (an in-flight poll is aborted and its result ignored). */
  untrack(id: string): void {
    const entry = this.#entries.get(id);
    if (!entry) return;
    this.#entries.delete(id);
    entry.seq++;
    entry.inFlight?.abort();
  }

  /** Tells the monitor a status learnt elsewhere (logout): a final one stops the polling. */
  setStatus(id: string, status: SessionStatus): void {
    const entry = this.#entries.get(id);
    if (!entry) return;
    if (SESSION_STATUS_INFO[status].over) {
      this.untrack(id);
      return;
    }
    entry.target.status = status;
  }

  has(id: string): boolean {
    return this.#entries.has(id);
  }

  stats(): MonitorStats {
    let inFlight = 0;
    for (const n of this.#inFlight.values()) inFlight += n;
    let queued = 0;
    for (const q of this.#waiting.values()) queued += q.length;
    return {
      tracked: this.#entries.size,
      inFlight,
      queued,
      heap: this.#heap.length,
      timers: this.#timer === null ? 0 : 1,
      polls: this.#polls,
    };
  }

  close(): void {
    this.#closed = true;
    if (this.#timer !== null) this.#clock.clearTimeout(this.#timer);
    this.#timer = null;
    for (const entry of this.#entries.values()) entry.inFlight?.abort();
    this.#entries.clear();
    this.#heap.length = 0;
    this.#waiting.clear();
  }

  // ---------------------------------------------------------------- internals

  #interval(status: SessionStatus): number {
    return status === 'pending' || status === 'identifying' ? this.#iv.waitingMs : this.#iv.liveMs;
  }

  /**
   * Jitter only shortens: the configured interval is the longest a status
   * change can go unseen (the change -> event target is "interval + 250 ms").
   */
  #jittered(ms: number): number {
    const j = this.#iv.jitter;
    return Math.max(1, Math.round(ms * (1 - j * this.#random())));
  }

  #schedule(entry: Entry, delayMs: number): void {
    entry.seq++;
    this.#push({ due: this.#clock.now() + this.#jittered(delayMs), id: entry.target.id, seq: entry.seq });
    this.#arm();
  }

  #arm(): void {
    if (this.#closed) return;
    this.#dropStale();
    const top = this.#heap[0];
    if (!top) {
      if (this.#timer !== null) this.#clock.clearTimeout(this.#timer);
      this.#timer = null;
      this.#timerDue = Infinity;
      return;
    }
    if (this.#timer !== null && this.#timerDue <= top.due) return;
    if (this.#timer !== null) this.#clock.clearTimeout(this.#timer);
    this.#timerDue = top.due;
    this.#timer = this.#clock.setTimeout(() => this.#tick(), Math.max(0, top.due - this.#clock.now()));
  }

  #dropStale(): void {
    for (;;) {
      const top = this.#heap[0];
      if (!top) return;
      const entry = this.#entries.get(top.id);
      if (entry && entry.seq === top.seq) return;
      this.#pop();
    }
  }

  #tick(): void {
    this.#timer = null;
    this.#timerDue = Infinity;
    if (this.#closed) return;
    const now = this.#clock.now();
    for (;;) {
      const top = this.#heap[0];
      if (!top || top.due > now) break;
      this.#pop();
      const entry = this.#entries.get(top.id);
      if (!entry || entry.seq !== top.seq || entry.inFlight || entry.queued) continue;
      this.#startOrQueue(entry);
    }
    this.#arm();
  }

  /** The group's bound, re-read at most every 5 s (it is a store read per poll otherwise). */
  #limit(group: string): number {
    const now = this.#clock.now();
    const cached = this.#limits.get(group);
    if (cached && now - cached.at < 5000) return cached.n;
    const n = Math.max(1, this.#opts.concurrency?.(group) ?? CLIENT_DEFAULTS.concurrency);
    this.#limits.set(group, { n, at: now });
    return n;
  }

  #startOrQueue(entry: Entry): void {
    const group = entry.target.group;
    if ((this.#inFlight.get(group) ?? 0) >= this.#limit(group)) {
      entry.queued = true;
      const q = this.#waiting.get(group);
      if (q) q.push(entry.target.id);
      else this.#waiting.set(group, [entry.target.id]);
      return;
    }
    this.#start(entry);
  }

  #start(entry: Entry): void {
    const group = entry.target.group;
    this.#inFlight.set(group, (this.#inFlight.get(group) ?? 0) + 1);
    const controller = new AbortController();
    entry.inFlight = controller;
    const seq = entry.seq;
    this.#polls++;
    let promise: Promise<SessionStatus>;
    try {
      promise = this.#opts.poll({ ...entry.target }, controller.signal);
    } catch (error) {
      promise = Promise.reject(error instanceof Error ? error : new Error('poll failed'));
    }
    promise.then(
      (status) => this.#finish(entry, group, seq, controller, { status }),
      (error: unknown) => this.#finish(entry, group, seq, controller, { error }),
    );
  }

  #finish(
    entry: Entry,
    group: string,
    seq: number,
    controller: AbortController,
    result: { status: SessionStatus } | { error: unknown },
  ): void {
    this.#inFlight.set(group, Math.max(0, (this.#inFlight.get(group) ?? 1) - 1));
    if (entry.inFlight === controller) entry.inFlight = null;
    const current = this.#entries.get(entry.target.id) === entry && entry.seq === seq && !this.#closed;
    if (current) {
      const at = this.#clock.now();
      try {
        if ('status' in result) {
          const changed = result.status !== entry.target.status;
          const recovered = entry.failures > 0;
          entry.failures = 0;
          entry.target.status = result.status;
          if (SESSION_STATUS_INFO[result.status].over) this.untrack(entry.target.id);
          else this.#schedule(entry, this.#interval(result.status));
          if (changed || recovered) this.#opts.onStatus(entry.target.id, result.status, { at, changed, recovered });
        } else {
          entry.failures++;
          const retryInMs = Math.min(
            this.#iv.backoffMaxMs,
            this.#iv.backoffBaseMs * 2 ** Math.min(entry.failures - 1, 30),
          );
          this.#schedule(entry, retryInMs);
          this.#opts.onError(entry.target.id, toErrorInfo(result.error), { at, failures: entry.failures, retryInMs });
        }
      } catch {
        // A failing listener must not stop the scheduler.
      }
    }
    this.#drain(group);
  }

  #drain(group: string): void {
    const q = this.#waiting.get(group);
    while (q && q.length > 0 && (this.#inFlight.get(group) ?? 0) < this.#limit(group)) {
      const id = q.shift()!;
      const entry = this.#entries.get(id);
      if (!entry || !entry.queued) continue;
      entry.queued = false;
      if (!entry.inFlight) this.#start(entry);
    }
    if (q && q.length === 0) this.#waiting.delete(group);
  }

  // ------------------------------------------------------------ binary heap

  #push(item: HeapItem): void {
    const h = this.#heap;
    h.push(item);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p]!.due <= h[i]!.due) break;
      [h[p], h[i]] = [h[i]!, h[p]!];
      i = p;
    }
  }

  #pop(): HeapItem | undefined {
    const h = this.#heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && h[l]!.due < h[m]!.due) m = l;
        if (r < h.length && h[r]!.due < h[m]!.due) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i]!, h[m]!];
        i = m;
      }
    }
    return top;
  }
}
