/**
 * Issue 7: 1,000 concurrent live sessions followed by the session monitor
 * for 10 minutes (--quick: 1 minute), against the real sandbox in its own
 * process (loopback HTTP, every status call HMAC-signed with the session's
 * token and secret and verified by the server).
 *
 * - main-side CPU: process.cpuUsage() of this process (the monitor, the
 *   services, SQLite) over the measured window, as % of one core (<= 30 %).
 * - status change -> event: the phone flips random sessions active <->
 *   walkaway at known times; latency = `changed` event time - time the flip
 *   was sent; p95 <= the live poll interval (3 s) + 250 ms.
 * - heap: heapUsed after a full GC every minute (--quick: every 10 s); the
 *   least-squares slope must show no upward trend.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { IampassClient } from '../src/main/iampass/client.ts';
import { openServices } from '../src/main/services/index.ts';
import { DEFAULT_INTERVALS } from '../src/main/services/monitor.ts';
import { getUser, insertUsers } from '../src/main/store/directory.ts';
import { VirtualPhone } from '../src/sandbox/phone.ts';
import { metric, percentile, type Bench } from './harness.ts';
import { memorySecrets, spawnSandbox, useSandboxProfile } from './support.ts';

function fullGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

async function bounded<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

/** Least-squares slope of y over x. */
function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

const bench: Bench = async ({ quick, log }) => {
  const N = 1000;
  const durationMs = quick ? 60_000 : 600_000;
  const sampleEveryMs = quick ? 10_000 : 60_000;
  const flipsPerSecond = 4;
  const gc = fullGc();
  const app = {
    id: randomBytes(16).toString('hex').toUpperCase(),
    secret: randomBytes(24).toString('hex').toUpperCase(),
  };
  const sandbox = await spawnSandbox(app, ['--pending-timeout', '86400']);
  const dir = mkdtempSync(join(tmpdir(), 'iampass-bench-sessions-'));
  const services = openServices({ dataDir: dir, secrets: memorySecrets() });
  const client = new IampassClient({
    flavour: 'Sandbox',
    baseUrl: sandbox.baseUrl,
    applicationId: app.id,
    secret: app.secret,
  });
  const phone = new VirtualPhone(sandbox.baseUrl);
  try {
    const profile = await useSandboxProfile(services, sandbox.baseUrl, app);
    const userIds = Array.from({ length: N }, (_, i) => `user-${String(i).padStart(4, '0')}`);
    insertUsers(
      services.store,
      profile.id,
      userIds.map((userId) => ({ userId })),
    );
    const iampass = new Map(userIds.map((u) => [u, getUser(services.store, profile.id, u)!.iampassId]));
    await client.addUsers([...iampass.values()]);
    log(`registering ${String(N)} phones`);
    await bounded(userIds, 16, async (u) => {
      await phone.register(await client.registrationLink(iampass.get(u)!));
    });

    // Track every change event: session id -> status, and waiters for flips.
    const status = new Map<string, string>();
    const waiting = new Map<string, { want: string; sentAt: number }>();
    const latencies: number[] = [];
    services.sessions.on((e) => {
      if (e.type !== 'changed') return;
      const s = e.payload.session;
      status.set(s.id, s.status);
      const w = waiting.get(s.id);
      if (w && w.want === s.status) {
        latencies.push(performance.now() - w.sentAt);
        waiting.delete(s.id);
      }
    });

    log(`starting and approving ${String(N)} sessions`);
    const tokenOf = new Map<string, string>();
    await bounded(userIds, 16, async (u) => {
      const r = await services.sessions.start({ userId: u, methods: ['acceptance'] });
      if (!r.started) throw new Error(`session of ${u} did not start: ${r.reason}`);
      const [req] = await phone.pending(app.id, iampass.get(u)!);
      await phone.approve(req!.id);
      tokenOf.set(r.session.id, req!.id);
    });
    const ids = [...tokenOf.keys()];
    const deadline = Date.now() + 60_000;
    while (ids.some((id) => status.get(id) !== 'active')) {
      if (Date.now() > deadline) throw new Error('not every session reached active within 60 s');
      await new Promise((r) => setTimeout(r, 200));
    }
    log(`all ${String(N)} sessions active; monitor: ${JSON.stringify(services.sessions.monitor.stats())}`);

    // Measured window.
    gc();
    const heap: { t: number; used: number }[] = [{ t: 0, used: process.memoryUsage().heapUsed }];
    const polls0 = services.sessions.monitor.stats().polls;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let nextSample = sampleEveryMs;
    let flips = 0;
    let flipErrors = 0;
    let queuedMax = 0;
    let inFlightSum = 0;
    let loadSamples = 0;
    while (performance.now() - t0 < durationMs) {
      const tick = performance.now();
      for (let k = 0; k < flipsPerSecond; k++) {
        const id = ids[Math.floor(Math.random() * ids.length)]!;
        if (waiting.has(id)) continue;
        const cur = status.get(id);
        const want = cur === 'active' ? 'walkaway' : 'active';
        const sentAt = performance.now();
        waiting.set(id, { want, sentAt });
        try {
          if (want === 'walkaway') await phone.walkAway(tokenOf.get(id)!);
          else await phone.comeBack(tokenOf.get(id)!);
          flips++;
        } catch {
          waiting.delete(id);
          flipErrors++;
        }
      }
      const st = services.sessions.monitor.stats();
      queuedMax = Math.max(queuedMax, st.queued);
      inFlightSum += st.inFlight;
      loadSamples++;
      const elapsed = performance.now() - t0;
      if (elapsed >= nextSample) {
        gc();
        heap.push({ t: elapsed, used: process.memoryUsage().heapUsed });
        log(
          `t=${(elapsed / 1000).toFixed(0)} s heapUsed=${(heap.at(-1)!.used / 2 ** 20).toFixed(1)} MiB flips=${String(flips)} p95=${percentile(latencies, 95).toFixed(0)} ms`,
        );
        nextSample += sampleEveryMs;
      }
      await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (performance.now() - tick))));
    }
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const cpuPct = ((cpu.user + cpu.system) / 1000 / wallMs) * 100;
    const stats = services.sessions.monitor.stats();
    const pollsPerSecond = (stats.polls - polls0) / (wallMs / 1000);
    const slopeKiBPerMin =
      slope(
        heap.map((h) => h.t / 60_000),
        heap.map((h) => h.used),
      ) / 1024;
    const meanHeapMiB = heap.reduce((a, h) => a + h.used, 0) / heap.length / 2 ** 20;
    const liveMs = DEFAULT_INTERVALS.liveMs;
    return {
      id: 'sessions',
      title: `Session monitor: ${String(N)} live sessions for ${String(durationMs / 60_000)} min`,
      metrics: [
        metric('main-side CPU (monitor process)', Math.round(cpuPct * 10) / 10, '% of one core', {
          op: '<=',
          value: 30,
        }),
        metric('status change -> event p95', Math.round(percentile(latencies, 95)), 'ms', {
          op: '<=',
          value: liveMs + 250,
        }),
        metric('status change -> event p50', Math.round(percentile(latencies, 50)), 'ms'),
        metric('status change -> event max', Math.round(Math.max(...latencies)), 'ms'),
        metric('heapUsed slope after GC', Math.round(slopeKiBPerMin), 'KiB/min', { op: '<=', value: 256 }),
        metric('mean heapUsed after GC', Math.round(meanHeapMiB * 10) / 10, 'MiB'),
        metric('flips observed', latencies.length, 'count'),
        metric('timers armed by the monitor', stats.timers, 'count', { op: '<=', value: 1 }),
      ],
      notes: [
        `Sandbox in its own process; profile concurrency ${String(profile.concurrency)}; intervals ${String(DEFAULT_INTERVALS.waitingMs)} ms waiting / ${String(liveMs)} ms live, jitter ${String(DEFAULT_INTERVALS.jitter * 100)} %.`,
        `${String(flips)} flips sent by the virtual phone from this process (${String(flipErrors)} failed); their HTTP calls count in the CPU figure.`,
        `Polls in the window: about ${pollsPerSecond.toFixed(0)} per second across ${String(N)} sessions (${(N / (liveMs / 1000)).toFixed(0)}/s at one poll per interval; jitter only shortens).`,
        `Polls in flight (sampled each second): mean ${(inFlightSum / Math.max(1, loadSamples)).toFixed(1)} of ${String(profile.concurrency)} allowed; at most ${String(queuedMax)} waiting for a slot.`,
        `Load average at the end: ${loadavg()
          .map((l) => l.toFixed(2))
          .join(' ')} (${String(cpus().length)} cores, shared with other work).`,
        `Heap samples (MiB): ${heap.map((h) => (h.used / 2 ** 20).toFixed(1)).join(', ')}.`,
      ],
    };
  } finally {
    await services.close();
    client.close();
    await sandbox.close();
    rmSync(dir, { recursive: true, force: true });
  }
};

export default bench;
