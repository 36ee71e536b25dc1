// The scheduler alone, on an injected clock that counts its timers.
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../src/shared/errors.ts';
import type { SessionStatus } from '../../../src/shared/iampass.ts';
import { SessionMonitor, type MonitorClock, type MonitorTarget } from '../../../src/main/services/monitor.ts';

/** A manual clock: `advance` fires due timers in order; it records how many timers were ever armed at once. */
function manualClock(): MonitorClock & {
  advance(ms: number): Promise<void>;
  armed: number;
  maxArmed: number;
  created: number;
} {
  let now = 1_000_000;
  let nextId = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  const clock = {
    armed: 0,
    maxArmed: 0,
    created: 0,
    now: () => now,
    setTimeout(fn: () => void, ms: number) {
      const id = ++nextId;
      timers.set(id, { at: now + ms, fn });
      clock.created++;
      clock.armed = timers.size;
      clock.maxArmed = Math.max(clock.maxArmed, timers.size);
      return id;
    },
    clearTimeout(h: unknown) {
      timers.delete(h as number);
      clock.armed = timers.size;
    },
    async advance(ms: number) {
      const end = now + ms;
      for (;;) {
        const due = [...timers.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
        if (!due) break;
        timers.delete(due[0]);
        clock.armed = timers.size;
        now = Math.max(now, due[1].at);
        due[1].fn();
        await flush();
      }
      now = end;
      await flush();
    },
  };
  return clock;
}

async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

const noJitter = { jitter: 0, waitingMs: 1000, liveMs: 3000, backoffBaseMs: 1000, backoffMaxMs: 8000 };

describe('SessionMonitor', () => {
  it('follows 500 sessions with ONE timer, not one per session', async () => {
    const clock = manualClock();
    const polled = new Map<string, number>();
    const monitor = new SessionMonitor({
      clock,
      intervals: { ...noJitter, jitter: 0.1 },
      concurrency: () => 16,
      poll: (t) => {
        polled.set(t.id, (polled.get(t.id) ?? 0) + 1);
        return Promise.resolve(t.status);
      },
      onStatus: () => undefined,
      onError: () => undefined,
    });
    for (let i = 0; i < 500; i++)
      monitor.track({ id: `s${String(i)}`, group: 'p', status: i % 2 ? 'pending' : 'active' });
    expect(clock.armed).toBe(1);
    await clock.advance(10_000);
    expect(clock.maxArmed).toBe(1);
    expect(monitor.stats().timers).toBe(1);
    // Adaptive: pending about every 1 s (10 polls in 10 s, +-jitter), active about every 3 s.
    expect(polled.get('s1')).toBeGreaterThanOrEqual(9);
    expect(polled.get('s1')).toBeLessThanOrEqual(11);
    expect(polled.get('s0')).toBeGreaterThanOrEqual(3);
    expect(polled.get('s0')).toBeLessThanOrEqual(4);
    monitor.close();
    expect(clock.armed).toBe(0);
  });

  it('bounds polls in flight per group and queues the rest', async () => {
    const clock = manualClock();
    let inFlight = 0;
    let peak = 0;
    const release: (() => void)[] = [];
    const monitor = new SessionMonitor({
      clock,
      intervals: noJitter,
      concurrency: (g) => (g === 'a' ? 3 : 1),
      poll: (t) =>
        new Promise<SessionStatus>((resolve) => {
          inFlight++;
          peak = Math.max(peak, inFlight);
          release.push(() => {
            inFlight--;
            resolve(t.status);
          });
        }),
      onStatus: () => undefined,
      onError: () => undefined,
    });
    for (let i = 0; i < 10; i++) monitor.track({ id: `a${String(i)}`, group: 'a', status: 'pending' });
    for (let i = 0; i < 4; i++) monitor.track({ id: `b${String(i)}`, group: 'b', status: 'pending' });
    await clock.advance(1000);
    expect(inFlight).toBe(4); // 3 of group a, 1 of group b
    expect(monitor.stats().queued).toBe(10);
    while (release.length) {
      release.shift()!();
      await flush();
      expect(inFlight).toBeLessThanOrEqual(4);
    }
    expect(peak).toBe(4);
    expect(monitor.stats().queued).toBe(0);
    monitor.close();
  });

  it('reports changes, stops at a final status, backs off on errors and reports recovery', async () => {
    const clock = manualClock();
    const script: (SessionStatus | Error)[] = [
      'pending',
      'active',
      new AppError('server', 'HTTP 500'),
      new AppError('protocol', 'garbage'),
      new AppError('unauthorized', '401'),
      'walkaway',
      'closed',
    ];
    const pollTimes: number[] = [];
    const events: string[] = [];
    const monitor = new SessionMonitor({
      clock,
      intervals: noJitter,
      poll: () => {
        pollTimes.push(clock.now());
        const next = script.shift();
        if (next === undefined) return Promise.reject(new Error('polled after the final status'));
        if (next instanceof Error) return Promise.reject(next);
        return Promise.resolve(next);
      },
      onStatus: (id, status, info) =>
        events.push(`${id}:${status}${info.changed ? '' : ' (same)'}${info.recovered ? ' recovered' : ''}`),
      onError: (id, error, info) =>
        events.push(`${id}:error ${error.code} #${String(info.failures)} retry ${String(info.retryInMs)}`),
    });
    const target: MonitorTarget = { id: 's', group: 'p', status: 'pending' };
    monitor.track(target);
    await clock.advance(60_000);
    expect(events).toEqual([
      's:active',
      's:error server #1 retry 1000',
      's:error protocol #2 retry 2000',
      's:error unauthorized #3 retry 4000',
      's:walkaway recovered',
      's:closed',
    ]);
    const gaps = pollTimes.slice(1).map((t, i) => t - pollTimes[i]!);
    // still pending -> 1 s, active -> 3 s, then backoff 1 s, 2 s, 4 s, then walkaway -> 3 s
    expect(gaps).toEqual([1000, 3000, 1000, 2000, 4000, 3000]);
    expect(monitor.has('s')).toBe(false);
    expect(monitor.stats()).toMatchObject({ tracked: 0, timers: 0 });
    expect(clock.armed).toBe(0);
  });

  it('caps the backoff, and a throwing listener does not stop the scheduler', async () => {
    const clock = manualClock();
    let polls = 0;
    const monitor = new SessionMonitor({
      clock,
      intervals: noJitter,
      poll: () => {
        polls++;
        return Promise.reject(new Error('garbage'));
      },
      onStatus: () => undefined,
      onError: () => {
        throw new Error('listener bug');
      },
    });
    monitor.track({ id: 's', group: 'p', status: 'active' });
    await clock.advance(3000 + 1000 + 2000 + 4000 + 8000 + 8000);
    expect(polls).toBe(6);
    expect(monitor.stats().timers).toBe(1);
    monitor.untrack('s');
    await clock.advance(60_000);
    expect(polls).toBe(6);
  });

  it('a final status given at track time is not followed; untrack drops an in-flight result', async () => {
    const clock = manualClock();
    const seen: string[] = [];
    let resolvePoll: ((s: SessionStatus) => void) | null = null;
    const monitor = new SessionMonitor({
      clock,
      intervals: noJitter,
      poll: () => new Promise<SessionStatus>((r) => (resolvePoll = r)),
      onStatus: (id, s) => seen.push(`${id}:${s}`),
      onError: () => undefined,
    });
    monitor.track({ id: 'over', group: 'p', status: 'closed' });
    expect(monitor.has('over')).toBe(false);
    monitor.track({ id: 's', group: 'p', status: 'pending' });
    await clock.advance(1000);
    expect(resolvePoll).not.toBeNull();
    monitor.untrack('s');
    resolvePoll!('active');
    await flush();
    expect(seen).toEqual([]);
    expect(monitor.stats()).toMatchObject({ tracked: 0, inFlight: 0 });
  });
});
