/**
 * Device-status sweep (issue 3): `has_registered_mobile_device` for every
 * user of a 10,000-user application, against the real sandbox (which
 * verifies every signature) with 20 ms of injected latency per request.
 *
 * - bounded: this client at its default concurrency (16), via mapBounded;
 * - sequential: one blocking request at a time (the vendor SDK's pattern),
 *   same client and keep-alive agent, so the difference is concurrency only.
 *
 * Targets: bounded at least 12x faster than sequential, and within 1.5x of
 * the latency bound users x latency / concurrency.
 */
import { mapBounded } from '../src/node/bounded.ts';
import { randomBytes } from 'node:crypto';
import { availableParallelism, loadavg } from 'node:os';
import { IampassClient } from '../src/main/iampass/client.ts';
import { VirtualPhone } from '../src/sandbox/phone.ts';
import { CLIENT_DEFAULTS } from '../src/shared/iampass.ts';
import { metric, type Bench } from './harness.ts';
import { spawnSandbox } from './support.ts';

const LATENCY_MS = 20;

const bench: Bench = async ({ quick, log }) => {
  const users = quick ? 800 : 10_000;
  const concurrency = CLIENT_DEFAULTS.concurrency;
  const app = {
    id: randomBytes(16).toString('hex').toUpperCase(),
    secret: randomBytes(24).toString('hex').toUpperCase(),
  };
  const sandbox = await spawnSandbox(app);
  const phone = new VirtualPhone(sandbox.baseUrl);
  const config = { flavour: 'Sandbox' as const, baseUrl: sandbox.baseUrl, applicationId: app.id, secret: app.secret };
  const client = new IampassClient(config);
  const sequential = new IampassClient({ ...config, concurrency: 1 });
  try {
    const ids = Array.from({ length: users }, (_, i) => `user-${String(i).padStart(5, '0')}@example.com`);
    const added = await client.addUsers(ids);
    if (added.created.length !== users) throw new Error(`setup: created ${added.created.length} of ${users} users`);
    // A few registered devices so the answers are not all the same.
    for (const id of ids.slice(0, 20)) await phone.register(await client.registrationLink(id));
    await phone.setFaults([{ route: 'has_registered_mobile_device', kind: 'latency', ms: LATENCY_MS }]);

    // Warm-up: open the keep-alive connections.
    await mapBounded(ids.slice(0, concurrency), (id, signal) => client.hasRegisteredDevice(id, { signal }), {
      concurrency: client.concurrency,
    });
    await sequential.hasRegisteredDevice(ids[0]!);

    log(`client: bounded sweep of ${users} users at concurrency ${concurrency}`);
    const load = loadavg()[0]!;
    const serverCpu0 = await sandbox.cpuMicros();
    const clientCpu0 = process.cpuUsage();
    let t0 = performance.now();
    const results = await mapBounded(ids, (id, signal) => client.hasRegisteredDevice(id, { signal }), {
      concurrency: client.concurrency,
    });
    const boundedMs = performance.now() - t0;
    const clientCpu = process.cpuUsage(clientCpu0);
    const serverCpu = (await sandbox.cpuMicros()) - serverCpu0;
    const failures = results.filter((r) => !r.ok).length;
    const withDevice = results.filter((r) => r.ok && r.value).length;
    if (failures > 0 || withDevice !== 20)
      throw new Error(`bounded sweep: ${failures} failures, ${withDevice} devices (expected 0 and 20)`);

    log(`client: sequential sweep of ${users} users (about ${Math.round((users * LATENCY_MS) / 1000)} s)`);
    t0 = performance.now();
    let seqDevices = 0;
    for (const id of ids) if (await sequential.hasRegisteredDevice(id)) seqDevices++;
    const sequentialMs = performance.now() - t0;
    if (seqDevices !== 20) throw new Error(`sequential sweep: ${seqDevices} devices (expected 20)`);

    const boundMs = (users * LATENCY_MS) / concurrency;
    return {
      id: 'client',
      title: `Device-status sweep, ${users} users, ${LATENCY_MS} ms injected latency`,
      metrics: [
        metric('bounded (concurrency 16)', boundedMs / 1000, 's'),
        metric('sequential', sequentialMs / 1000, 's'),
        metric('speed-up', sequentialMs / boundedMs, 'x', { op: '>=', value: 12 }),
        metric('latency bound (users x latency / concurrency)', boundMs / 1000, 's'),
        metric('bounded / latency bound', boundedMs / boundMs, 'x', { op: '<=', value: 1.5 }),
        metric('bounded throughput', users / (boundedMs / 1000), 'req/s'),
        metric('client CPU per request (bounded sweep)', (clientCpu.user + clientCpu.system) / users, 'µs'),
        metric('sandbox CPU per request (bounded sweep)', serverCpu / users, 'µs'),
        metric('1-minute load average when the sweep started', load, ''),
      ],
      notes: [
        'Real sandbox in its own process over loopback HTTP, every request HMAC-signed by the client and verified by the server.',
        'Both sweeps use the same client code and a keep-alive agent; the sequential one waits for each answer before sending the next.',
        quick ? 'Quick mode: 800 users instead of 10,000.' : 'Full 10,000 users for both sweeps.',
        `Each request's CPU (client + sandbox) is what a loaded machine must schedule 16 times per 20 ms round; with a load average above the core count (${availableParallelism()} cores here) the sweep waits for the CPU and both targets read worse than on a quiet machine.`,
      ],
    };
  } finally {
    client.close();
    sequential.close();
    await sandbox.close();
  }
};
export default bench;
