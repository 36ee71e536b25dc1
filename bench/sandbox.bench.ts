import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { signedHeaders } from '../src/node/signer.ts';
import { metric, type Bench } from './harness.ts';

/**
 * The sandbox under load: verified `has_registered_mobile_device` requests per
 * second from a keep-alive client, the server in a child process (so client
 * and server do not share an event loop), and the server's resident memory
 * before and after a long run (1M requests; quick: 100k). Every request is
 * freshly signed and fully verified (signature, window, replay cache).
 */
const APP = {
  clientId: 'B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0',
  secret: 'C0FFEE00C0FFEE00C0FFEE00C0FFEE00C0FFEE00C0FFEE00',
};

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 'NaN');
  return kb / 1024;
}

const bench: Bench = async ({ quick, log }) => {
  const main = fileURLToPath(new URL('../src/sandbox/main.ts', import.meta.url));
  const child = spawn(process.execPath, ['--expose-gc', main, '--app-id', APP.clientId, '--app-secret', APP.secret], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const line = await new Promise<string>((resolve, reject) => {
      const rl = createInterface({ input: child.stdout });
      rl.once('line', (l) => {
        rl.close();
        resolve(l);
      });
      child.once('exit', (code) => reject(new Error(`sandbox exited ${code}`)));
    });
    const { baseUrl } = JSON.parse(line) as { baseUrl: string };
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    const user = 'bench-user';
    const post = (url: string, body: string) =>
      new Promise<number>((resolve, reject) => {
        const headers = {
          ...signedHeaders('IAMPASS', APP, url),
          'Content-Type': 'application/json',
          'Content-Length': String(Buffer.byteLength(body)),
        };
        const req = request(url, { method: 'POST', agent, headers }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', reject);
        req.end(body);
      });
    if ((await post(`${baseUrl}/management/add_users/${APP.clientId}`, JSON.stringify({ users: [user] }))) !== 201)
      throw new Error('add_users failed');
    const url = `${baseUrl}/management/has_registered_mobile_device/${APP.clientId}/${user}`;
    let failures = 0;
    const one = () =>
      new Promise<void>((resolve, reject) => {
        const req = request(url, { agent, headers: signedHeaders('IAMPASS', APP, url) }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            if (res.statusCode !== 200 || !Buffer.concat(chunks).toString().includes('"device_registered":false'))
              failures++;
            resolve();
          });
        });
        req.on('error', reject);
        req.end();
      });
    const runMany = async (n: number) => {
      let next = 0;
      const worker = async () => {
        while (next < n) {
          next++;
          await one();
        }
      };
      const t0 = process.hrtime.bigint();
      await Promise.all(Array.from({ length: 32 }, worker));
      return Number(process.hrtime.bigint() - t0) / 1e9;
    };

    const warm = quick ? 5_000 : 20_000;
    const measured = quick ? 20_000 : 100_000;
    const long = quick ? 100_000 : 1_000_000;
    await runMany(warm);
    const stats = async () => {
      const res = await fetch(`${baseUrl}/sandbox/stats?gc=1`);
      return (await res.json()) as { nonces: number; heapUsed: number; rss: number };
    };
    const before = await stats();
    const rssBefore = rssMiB(child.pid!);
    let rssPeak = rssBefore;
    const seconds = await runMany(measured);
    const rps = measured / seconds;
    log(`sandbox: ${rps.toFixed(0)} verified requests/s (${measured} requests)`);
    let done = measured;
    const longStart = process.hrtime.bigint();
    while (done < long) {
      const batch = Math.min(100_000, long - done);
      await runMany(batch);
      done += batch;
      const rss = rssMiB(child.pid!);
      rssPeak = Math.max(rssPeak, rss);
      log(`sandbox: ${done} requests, server RSS ${rss.toFixed(1)} MiB`);
    }
    const longSeconds = Number(process.hrtime.bigint() - longStart) / 1e9;
    const rssAfter = rssMiB(child.pid!);
    const after = await stats();
    const mib = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;
    agent.destroy();
    return {
      id: 'sandbox',
      title: 'Sandbox: verified has_registered_mobile_device throughput and server memory',
      metrics: [
        metric('verified requests/s (keep-alive, 8 sockets, 32 in flight)', Math.round(rps), 'req/s', {
          op: '>=',
          value: 2000,
        }),
        metric('verified requests/s over the long run', Math.round((done - measured) / longSeconds), 'req/s'),
        metric('server RSS after warm-up', Math.round(rssBefore * 10) / 10, 'MiB'),
        metric(`server RSS after ${warm + done} requests`, Math.round(rssAfter * 10) / 10, 'MiB'),
        metric('server RSS peak during the long run', Math.round(rssPeak * 10) / 10, 'MiB'),
        // RSS moves with V8's page retention; the live heap after a full GC is the
        // leak detector. The replay cache holds at most 100,000 nonces per client
        // (about 11 MiB of heap, measured in-process); any growth beyond that bound is a leak.
        metric('server heap after GC, warm-up', mib(before.heapUsed), 'MiB'),
        metric(`server heap after GC, after ${warm + done} requests`, mib(after.heapUsed), 'MiB'),
        metric('server heap growth after GC', mib(after.heapUsed - before.heapUsed), 'MiB', { op: '<=', value: 16 }),
        metric('nonces held at the end (cap 100,000)', after.nonces, 'count', { op: '<=', value: 100_000 }),
        metric('failed or unverified answers', failures, 'count', { op: '<=', value: 0 }),
      ],
      notes: [
        'server: `node src/sandbox/main.ts` in a child process; client: node:http keep-alive Agent in the bench process; both on the same 2 cores',
        'every request freshly signed (new nonce) and fully verified: signature, ±300 s window, per-client replay cache (cap 100,000 nonces)',
      ],
    };
  } finally {
    child.kill('SIGTERM');
  }
};
export default bench;
