/**
 * A profile linked to an application's users table in PostgreSQL (issue 15):
 * 1,000,000 users in a throwaway PostgreSQL 15 cluster (the test support's
 * initdb, loopback), the console's services and the built renderer in
 * Chromium (the users-ui harness and probes: users-probes.ts).
 *
 * - link: the dry run (every check, counts over the whole table) and the
 *   first sync of every user into the console's mirror;
 * - fingerprint: the no-change check every CLI command and the 30 s watch run;
 * - the Users screen: first paint (target 1 s), keystroke p95 for prefix
 *   (100 ms) and substring (200 ms) searches;
 * - adding 100,000 of the application's users to IAMPASS (the real sandbox in
 *   its own process; claims in the application's table, intents, mirror)
 *   against adding 100,000 users to an embedded directory of the same size
 *   (target at least 80 %) and to an empty one (reported), same run,
 *   alternating, best of 2.
 *
 * - team mode: adding 100,000 users of a table of 100,000 through a team-mode
 *   link (every batch recorded in the shared ledger first, tidied after)
 *   against the same through a plain link, alternating, best of 2 (target
 *   at least 80 %).
 *
 * `--quick`: 20,000 users, 5,000 added.
 */
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHandlers } from '../src/main/ipc/handlers/index.ts';
import { createEventBus, createRouter } from '../src/main/ipc/router.ts';
import { openServices, type Services } from '../src/main/services/index.ts';
import type { Profile } from '../src/main/store/profiles.ts';
import { insertUsers } from '../src/main/store/directory.ts';
import type { JobFinished } from '../src/shared/ipc/jobs.ts';
import type { UsersQuery } from '../src/shared/ipc/users.ts';
import { startPostgres } from '../test/support/postgres.ts';
import { buildRenderer, openBenchConsole } from './chromium.ts';
import { metric, percentile, type Bench, type Metric } from './harness.ts';
import { memorySecrets, spawnSandbox, useSandboxProfile } from './support.ts';
import { firstPaints, keystrokes, PROBES } from './users-probes.ts';

const PASSWORD = 'bench-console-password';
const r1 = (x: number) => Math.round(x * 10) / 10;

async function done(s: Services, jobId: string): Promise<JobFinished> {
  const f = await s.users.jobs.wait(jobId);
  if (!f || f.outcome !== 'completed') throw new Error(`job ${jobId}: ${JSON.stringify(f?.error ?? f?.outcome)}`);
  return f;
}

const app = () => ({ id: randomBytes(16).toString('hex').toUpperCase(), secret: randomBytes(24).toString('hex') });

const bench: Bench = async ({ quick, log }) => {
  const N = quick ? 20_000 : Number(process.env['IAMPASS_BENCH_APP_USERS'] ?? 1_000_000);
  const ADD = quick ? 5_000 : 100_000;
  const sz = N >= 1_000_000 ? `${N / 1_000_000}M` : `${N / 1000}k`;
  const metrics: Metric[] = [];
  const notes: string[] = [];
  const cluster = await startPostgres();
  const build = buildRenderer();
  const dirs: string[] = [];
  const tempDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'iampass-bench-pg-'));
    dirs.push(d);
    return d;
  };
  try {
    cluster.createDatabase('shop');
    cluster.sql(`CREATE ROLE console LOGIN PASSWORD '${PASSWORD}'`);
    let t = performance.now();
    // The first ADD users are not at IAMPASS yet; the others have an ID (they were added before).
    cluster.sql(
      `CREATE TABLE customers (id bigserial PRIMARY KEY, email text NOT NULL UNIQUE, name text, iampass_id varchar(64) UNIQUE);
       INSERT INTO customers (email, name, iampass_id)
       SELECT CASE WHEN g % 10 = 3 THEN 'EMP-' || lpad(g::text, 7, '0')
                   ELSE lower((ARRAY['maria','jose','zoe','orjan','amelie','john','wei','fatima','olusegun','anna','lars'])[g % 11 + 1])
                        || '.' || (ARRAY['garcia','nunez','angstrom','odegard','dubois','smith','li','khan','adeyemi','kowalska'])[g * 7 % 10 + 1]
                        || g || '@corp.example' END,
              (ARRAY['María','José','Zoë','Ørjan','Amélie','John','Wei','Fatima','Olusegun','Anna','Lars'])[g % 11 + 1] || ' '
                || (ARRAY['García','Núñez','Ångström','Ødegård','Dubois','Smith','Li','Khan','Adeyemi','Kowalska'])[g * 7 % 10 + 1],
              CASE WHEN g > ${ADD} THEN md5(g::text) END
         FROM generate_series(1, ${N}) g;
       GRANT SELECT, UPDATE ON customers TO console; ANALYZE customers;`,
      'shop',
    );
    const seedS = (performance.now() - t) / 1000;
    log(`seeded ${N} application users in PostgreSQL in ${seedS.toFixed(1)} s`);
    metrics.push(metric(`seed ${sz} users in PostgreSQL (generate_series)`, r1(seedS), 's'));
    const source = {
      kind: 'postgres' as const,
      connection: { host: '127.0.0.1', port: cluster.port, database: 'shop', user: 'console' },
      mapping: {
        table: 'customers',
        key: 'id',
        userId: 'email',
        displayName: 'name',
        iampassId: { kind: 'column' as const, column: 'iampass_id' },
      },
    };

    // --- link: the dry run, then the first sync of every user.
    const linkedDir = tempDir();
    const services = openServices({ dataDir: linkedDir, secrets: memorySecrets(), resumeSessions: false });
    let profile: Profile;
    try {
      const sandboxApp = app();
      const sandbox = await spawnSandbox(sandboxApp);
      profile = await useSandboxProfile(services, sandbox.baseUrl, sandboxApp);
      t = performance.now();
      const check = await services.sources.check(profile.id, source, PASSWORD);
      const checkMs = performance.now() - t;
      if (!check.ok) throw new Error(JSON.stringify(check.checks));
      t = performance.now();
      const linked = await services.sources.link(profile, source, { password: PASSWORD });
      await done(services, linked.jobId);
      const linkS = (performance.now() - t) / 1000;
      log(`check ${checkMs.toFixed(0)} ms; link + first sync ${linkS.toFixed(1)} s`);
      metrics.push(metric(`dry run (all checks, counts over the table) (${sz})`, Math.round(checkMs), 'ms'));
      metrics.push(metric(`link + first sync of every user into the mirror (${sz})`, r1(linkS), 's'));
      metrics.push(metric(`first sync rate (${sz})`, Math.round(N / linkS), 'rows/s'));
      const fp: number[] = [];
      for (let k = 0; k < 3; k++) {
        t = performance.now();
        const id = await services.sources.syncIfChanged(profile);
        fp.push(performance.now() - t);
        if (id !== null) throw new Error('a sync was started though nothing changed');
      }
      metrics.push(metric(`fingerprint, nothing changed, median of 3 (${sz})`, Math.round(percentile(fp, 50)), 'ms'));
      await sandbox.close();

      // --- the Users screen on the linked profile.
      const bus = createEventBus();
      const router = createRouter(createHandlers({ app: { version: 'bench', dataDir: linkedDir }, services, bus }));
      const expected = (q: UsersQuery) => {
        const w = services.users.window(q, 0, 1);
        return { count: w.total, first: w.rows[0]?.userId ?? null };
      };
      const ui = await openBenchConsole({ rendererDir: build.dir, router, bus, initScript: PROBES });
      try {
        const loads = await firstPaints(ui.page, `${ui.url}#/users`);
        log(`first paint: ${loads.map((x) => x.toFixed(0)).join(', ')} ms`);
        metrics.push(
          metric(`Users screen first paint, median of 3 (linked, ${sz})`, r1(percentile(loads, 50)), 'ms', {
            op: '<=',
            value: 1000,
          }),
        );
        const { prefixMs, substringMs } = await keystrokes(ui.page, ['smith', 'garcia12', 'emp-0009'], (typed) =>
          expected({ search: typed, sort: { column: 'userId' } }),
        );
        log(
          `keystrokes prefix ${prefixMs.map((x) => x.toFixed(0)).join(', ')} ms; substring ${substringMs.map((x) => x.toFixed(0)).join(', ')} ms`,
        );
        metrics.push(
          metric(`keystroke p95, prefix 1-2 chars (linked, ${sz})`, r1(percentile(prefixMs, 95)), 'ms', {
            op: '<=',
            value: 100,
          }),
        );
        metrics.push(
          metric(`keystroke p95, substring 3+ chars (linked, ${sz})`, r1(percentile(substringMs, 95)), 'ms', {
            op: '<=',
            value: 200,
          }),
        );
        if (ui.pageErrors.length > 0) notes.push(`page errors: ${ui.pageErrors.slice(0, 3).join(' | ')}`);
      } finally {
        await ui.close();
      }

      // --- adding ADD users, alternating, each against a fresh sandbox process: an empty embedded
      // directory, an embedded directory already holding N users (the same size as the mirror), and the
      // application's users (claims in its table, the mirror of N users).
      const bigDir = tempDir();
      const big = openServices({ dataDir: bigDir, secrets: memorySecrets(), resumeSessions: false });
      const bigProfile = await useSandboxProfile(big, 'http://127.0.0.1:9', app(), 'Embedded at scale');
      t = performance.now();
      for (let s0 = 0; s0 < N; s0 += 50_000)
        insertUsers(
          big.store,
          bigProfile.id,
          Array.from({ length: Math.min(50_000, N - s0) }, (_, k) => ({
            userId: `seed${s0 + k}@corp.example`,
            displayName: `Seeded ${s0 + k}`,
          })),
          { now: Date.now() },
        );
      log(`seeded an embedded directory of ${N} users in ${((performance.now() - t) / 1000).toFixed(1)} s`);
      const emptyMs: number[] = [];
      const bigMs: number[] = [];
      const linkedMs: number[] = [];
      const inputs = (round: number) =>
        Array.from({ length: ADD }, (_, i) => ({ userId: `r${round}-user${String(i).padStart(6, '0')}@corp.example` }));
      for (let round = 0; round < 2; round++) {
        {
          const a = app();
          const sb = await spawnSandbox(a);
          const svc = openServices({ dataDir: tempDir(), secrets: memorySecrets(), resumeSessions: false });
          try {
            await useSandboxProfile(svc, sb.baseUrl, a, 'Embedded');
            const t0 = performance.now();
            const f = await done(svc, svc.users.add(inputs(round)));
            emptyMs.push(performance.now() - t0);
            if (f.counts.created !== ADD) throw new Error(`embedded: ${JSON.stringify(f.counts)}`);
          } finally {
            await svc.close();
            await sb.close();
          }
        }
        {
          const a = app();
          const sb = await spawnSandbox(a);
          try {
            await big.applications.edit(bigProfile.id, { baseUrl: sb.baseUrl, applicationId: a.id, secret: a.secret });
            const t0 = performance.now();
            const f = await done(big, big.users.add(inputs(round)));
            bigMs.push(performance.now() - t0);
            if (f.counts.created !== ADD) throw new Error(`embedded at scale: ${JSON.stringify(f.counts)}`);
          } finally {
            await sb.close();
          }
        }
        {
          const a = app();
          const sb = await spawnSandbox(a);
          try {
            // The same linked profile, pointed at a fresh sandbox; its first ADD users not at IAMPASS again.
            await services.applications.edit(profile.id, {
              baseUrl: sb.baseUrl,
              applicationId: a.id,
              secret: a.secret,
            });
            if (round > 0) {
              cluster.sql(`UPDATE customers SET iampass_id = NULL WHERE id <= ${ADD}`, 'shop');
              await done(services, services.sources.sync(profile));
            }
            if (services.users.count({ atIampass: false }) !== ADD) throw new Error('not at IAMPASS: wrong count');
            const t0 = performance.now();
            const f = await done(services, services.users.addSelection({ query: { atIampass: false }, except: [] }));
            linkedMs.push(performance.now() - t0);
            if (f.counts.created !== ADD) throw new Error(`linked: ${JSON.stringify(f.counts)}`);
          } finally {
            await sb.close();
          }
        }
      }
      await big.close();
      const ms = (xs: number[]) => xs.map((x) => x.toFixed(0)).join('/');
      log(`add ${ADD}: embedded empty ${ms(emptyMs)} ms; embedded ${sz} ${ms(bigMs)} ms; linked ${ms(linkedMs)} ms`);
      const rate = (xs: number[]) => Math.round((ADD / Math.min(...xs)) * 1000);
      const k = ADD.toLocaleString('en-US');
      metrics.push(metric(`add ${k} users to an empty embedded directory, best of 2`, rate(emptyMs), 'rows/s'));
      metrics.push(metric(`add ${k} users to an embedded directory of ${sz}, best of 2`, rate(bigMs), 'rows/s'));
      metrics.push(
        metric(`add ${k} of the application's users (table and mirror of ${sz}), best of 2`, rate(linkedMs), 'rows/s'),
      );
      metrics.push(
        metric(`linked / embedded of the same size (${sz})`, Math.round((rate(linkedMs) / rate(bigMs)) * 100), '%', {
          op: '>=',
          value: 80,
        }),
      );
      metrics.push(
        metric('linked / empty embedded directory', Math.round((rate(linkedMs) / rate(emptyMs)) * 100), '%'),
      );
      const withIds = Number(cluster.sql('SELECT count(iampass_id) FROM customers', 'shop').trim());
      if (withIds !== N) throw new Error(`the table has ${withIds} IDs, expected ${N}`);
    } finally {
      await services.close();
    }
    metrics.push(
      metric(
        'main RSS at the end (services + bench + Playwright client)',
        Math.round(process.memoryUsage().rss / 2 ** 20),
        'MiB',
      ),
    );
    try {
      notes.push(`load average at the end: ${execFileSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).trim()}`);
    } catch {
      // not Linux
    }
    metrics.push(...(await teamOverhead(cluster, ADD, tempDir, log)));
    notes.push('PostgreSQL 15, a throwaway cluster on loopback (fsync off: the measure is the console, not the disk)');
  } finally {
    build.cleanup();
    await cluster.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
  return {
    id: 'directory-pg',
    title: `A profile linked to an application's PostgreSQL users table of ${N.toLocaleString('en-US')} users`,
    metrics,
    notes,
  };
};

/**
 * Team mode's cost: ADD users of a table of ADD users added through a plain
 * link and through a team-mode link (each a console of its own, each round
 * against a fresh sandbox process, the IDs cleared between rounds),
 * alternating, best of 2.
 */
async function teamOverhead(
  cluster: Awaited<ReturnType<typeof startPostgres>>,
  ADD: number,
  tempDir: () => string,
  log: (line: string) => void,
): Promise<Metric[]> {
  cluster.sql(
    `CREATE TABLE members (id bigserial PRIMARY KEY, login text NOT NULL UNIQUE, iampass_id varchar(64) UNIQUE);
     INSERT INTO members (login) SELECT 'member' || g || '@corp.example' FROM generate_series(1, ${ADD}) g;
     GRANT SELECT, UPDATE ON members TO console; GRANT CREATE ON DATABASE shop TO console;`,
    'shop',
  );
  const source = (team: boolean) => ({
    kind: 'postgres' as const,
    connection: { host: '127.0.0.1', port: cluster.port, database: 'shop', user: 'console' },
    mapping: {
      table: 'members',
      key: 'id',
      userId: 'login',
      iampassId: { kind: 'column' as const, column: 'iampass_id' },
    },
    ...(team ? { team: { schema: 'iampass_console' } } : {}),
  });
  const consoles = [];
  for (const team of [false, true]) {
    const services = openServices({ dataDir: tempDir(), secrets: memorySecrets(), resumeSessions: false });
    const profile = await useSandboxProfile(services, 'http://127.0.0.1:9', app(), team ? 'Team' : 'Plain');
    const check = await services.sources.check(profile.id, source(team), PASSWORD);
    const linked = await services.sources.link(profile, source(team), {
      password: PASSWORD,
      applyDdl: check.suggestedDdl,
    });
    await done(services, linked.jobId);
    consoles.push({ team, services, profile, ms: [] as number[] });
  }
  try {
    for (let round = 0; round < 2; round++)
      for (const c of consoles) {
        cluster.sql('UPDATE members SET iampass_id = NULL', 'shop');
        await done(c.services, c.services.sources.sync(c.profile));
        const a = app();
        const sb = await spawnSandbox(a);
        try {
          await c.services.applications.edit(c.profile.id, {
            baseUrl: sb.baseUrl,
            applicationId: a.id,
            secret: a.secret,
          });
          const t0 = performance.now();
          const f = await done(c.services, c.services.users.addSelection({ query: { atIampass: false }, except: [] }));
          c.ms.push(performance.now() - t0);
          if (f.counts.created !== ADD) throw new Error(`${c.team ? 'team' : 'plain'}: ${JSON.stringify(f.counts)}`);
        } finally {
          await sb.close();
        }
      }
  } finally {
    // Closing waits for the last batches' ledger tidying.
    for (const c of consoles) await c.services.close();
  }
  const left = Number(cluster.sql('SELECT count(*) FROM iampass_console.intents', 'shop').trim());
  const [plain, team] = consoles.map((c) => Math.round((ADD / Math.min(...c.ms)) * 1000)) as [number, number];
  const ms = (xs: number[]) => xs.map((x) => x.toFixed(0)).join('/');
  log(`team mode: plain ${ms(consoles[0]!.ms)} ms, team ${ms(consoles[1]!.ms)} ms`);
  const k = ADD.toLocaleString('en-US');
  return [
    metric(`add ${k} users through a plain link, best of 2`, plain, 'rows/s'),
    metric(`add ${k} users through a team-mode link, best of 2`, team, 'rows/s'),
    metric('team mode / plain link', Math.round((team / plain) * 100), '%', { op: '>=', value: 80 }),
    metric('intents left in the shared ledger after the adds', left, 'rows', { op: '<=', value: 0 }),
  ];
}

export default bench;
