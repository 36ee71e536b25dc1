/**
 * A profile whose users live in the application's own database, end to end:
 * real PostgreSQL (a throwaway cluster) and a real SQLite file, the real
 * sandbox over loopback, real console stores and the real keychain. The
 * application's table and IAMPASS must agree exactly after adds, deletes,
 * concurrent consoles and another console's change must show within 5 s.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DirectoryMapping, DirectorySourceInput } from '../../../src/shared/directory-source.ts';
import type { JobFinished } from '../../../src/shared/ipc/jobs.ts';
import { openServices, type Services } from '../../../src/main/services/index.ts';
import { seededRandom } from '../../../src/sandbox/faults.ts';
import { VirtualPhone } from '../../../src/sandbox/phone.ts';
import { startSandbox, type Sandbox } from '../../../src/sandbox/server.ts';
import { startPostgres, type PgCluster } from '../../support/postgres.ts';
import { testKeychain } from '../services/helpers.ts';
import { runJobChild } from './run-child.ts';

const MAPPING: DirectoryMapping = {
  table: 'customers',
  key: 'id',
  userId: 'email',
  displayName: 'name',
  iampassId: { kind: 'column', column: 'iampass_id' },
};
const PASSWORD = 'pw-console-1';
const N = 60;

let sandbox: Sandbox;
let phone: VirtualPhone;
let cluster: PgCluster;
let tmp: string;
const kc = testKeychain();
let dbs = 0;

beforeAll(async () => {
  sandbox = await startSandbox({});
  phone = new VirtualPhone(sandbox.baseUrl);
  cluster = await startPostgres();
  cluster.sql(`CREATE ROLE console LOGIN PASSWORD '${PASSWORD}'; CREATE ROLE reader LOGIN PASSWORD 'pw-reader'`);
  tmp = mkdtempSync(join(tmpdir(), 'iampass-linked-'));
}, 60_000);
afterAll(async () => {
  await sandbox?.close();
  await cluster?.stop();
  await kc.cleanup();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** A new application database with `n` customers (user IDs with the spec's awkward characters). */
function appDatabase(n = N): string {
  const name = `app${String(dbs++)}`;
  cluster.createDatabase(name);
  const rows = Array.from({ length: n }, (_, i) => `('c${i}+o''k@corp.example', 'Customer ${i}')`).join(', ');
  cluster.sql(
    `CREATE TABLE customers (id serial PRIMARY KEY, email text NOT NULL UNIQUE, name text, iampass_id text UNIQUE);
     INSERT INTO customers (email, name) VALUES ${rows};
     GRANT SELECT, UPDATE ON customers TO console; GRANT SELECT ON customers TO reader;`,
    name,
  );
  return name;
}

const customer = (i: number) => `c${i}+o'k@corp.example`;

function pgSource(database: string, user = 'console'): DirectorySourceInput {
  return {
    kind: 'postgres',
    connection: { host: '127.0.0.1', port: cluster.port, database, user, sslmode: 'disable' },
    mapping: MAPPING,
  };
}

interface Console {
  services: Services;
  profileId: string;
}

/** A console (its own data folder) with a profile on the given sandbox application. */
async function consoleFor(
  app: { id: string; secret: string },
  name: string,
  dataDir = join(tmp, `${name}-${String(dbs)}-${Math.random().toString(16).slice(2)}`),
  fingerprintEveryMs = 60_000,
): Promise<Console> {
  const services = openServices({
    dataDir,
    secrets: kc.keychain,
    users: { batchSize: 7 },
    resumeSessions: false,
    sources: { fingerprintEveryMs, pollMs: 50 },
  });
  const p = await services.applications.add({
    name,
    flavour: 'Sandbox',
    baseUrl: sandbox.baseUrl,
    applicationId: app.id,
    secret: app.secret,
    concurrency: 3,
  });
  services.applications.setActive(p.id);
  return { services, profileId: p.id };
}

async function finished(s: Services, jobId: string): Promise<JobFinished> {
  const f = await s.users.jobs.wait(jobId);
  if (!f) throw new Error('job lost');
  return f;
}

async function sandboxIds(appId: string): Promise<string[]> {
  const r = (await (await fetch(`${sandbox.baseUrl}/sandbox/users/${appId}`)).json()) as { users: { id: string }[] };
  return r.users.map((u) => u.id).sort();
}

async function appIds(database: string): Promise<Map<string, string>> {
  const client = new pg.Client({ connectionString: cluster.url(database) });
  await client.connect();
  try {
    const { rows } = await client.query<{ email: string; iampass_id: string }>(
      'SELECT email, iampass_id FROM customers WHERE iampass_id IS NOT NULL',
    );
    return new Map(rows.map((r) => [r.email, r.iampass_id]));
  } finally {
    await client.end();
  }
}

async function waitFor(check: () => boolean, ms: number): Promise<number> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > ms) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
  return Date.now() - start;
}

describe('a profile linked to the application database', () => {
  it('lists the application users as not at IAMPASS, adds and deletes them writing only the IAMPASS ID column', async () => {
    const database = appDatabase();
    const app = await phone.createApplication();
    const c = await consoleFor(app, 'Shop');
    const s = c.services;
    try {
      const profile = s.applications.get(c.profileId);
      const { check, jobId } = await s.sources.link(profile, pgSource(database), { password: PASSWORD });
      expect(check).toMatchObject({ ok: true, writable: true, users: N, withIampassId: 0 });
      expect((await finished(s, jobId)).outcome).toBe('completed');
      expect(s.users.count({})).toBe(N);
      expect(s.users.count({ atIampass: false })).toBe(N);
      // The password is in the keychain, never in the store.
      expect(await kc.keychain.getCredential(c.profileId, 'database')).toBe(PASSWORD);

      const added = await finished(s, s.users.add(Array.from({ length: 20 }, (_, i) => ({ userId: customer(i) }))));
      expect(added.counts).toEqual({ created: 20 });
      const absent = await finished(s, s.users.add([{ userId: 'stranger@corp.example' }]));
      expect(absent.rows[0]).toMatchObject({ result: 'missing' });

      let table = await appIds(database);
      expect(table.size).toBe(20);
      expect(await sandboxIds(app.id)).toEqual([...table.values()].sort());
      expect(s.users.count({ atIampass: true })).toBe(20);
      expect(s.users.row(customer(3)).iampassId).toBe(table.get(customer(3)));
      // The display name comes from the application's table, and is changed there, not here.
      expect(s.users.row(customer(3)).displayName).toBe('Customer 3');
      await expect(s.users.setDisplayName(customer(3), 'Renamed')).rejects.toMatchObject({ code: 'invalid_input' });
      expect(s.users.row(customer(3)).displayName).toBe('Customer 3');

      const deleted = await finished(s, s.users.delete([customer(0), customer(1), customer(25)]));
      expect(deleted.rows.map((r) => r.result)).toEqual(['deleted', 'deleted', 'missing']);
      table = await appIds(database);
      expect(table.size).toBe(18);
      expect(await sandboxIds(app.id)).toEqual([...table.values()].sort());
      // Still the application's users, now not at IAMPASS.
      expect(s.users.count({})).toBe(N);
      expect(s.users.row(customer(0)).iampassId).toBe('');
      await expect(s.onboarding.lostDevice(customer(0))).rejects.toMatchObject({ code: 'missing' });
    } finally {
      await s.close();
    }
  });

  it('two consoles adding overlapping users at once: one ID per user, the table and IAMPASS agree exactly; each sees the other within 5 s', async () => {
    const database = appDatabase();
    const app = await phone.createApplication();
    const a = await consoleFor(app, 'Admin A');
    const b = await consoleFor(app, 'Admin B');
    try {
      for (const c of [a, b]) {
        const { jobId } = await c.services.sources.link(c.services.applications.get(c.profileId), pgSource(database), {
          password: PASSWORD,
        });
        await finished(c.services, jobId);
        await c.services.sources.watch(c.services.applications.get(c.profileId));
      }
      const [ra, rb] = await Promise.all([
        finished(a.services, a.services.users.add(Array.from({ length: 40 }, (_, i) => ({ userId: customer(i) })))),
        finished(
          b.services,
          b.services.users.add(Array.from({ length: 40 }, (_, i) => ({ userId: customer(i + 20) }))),
        ),
      ]);
      expect(ra.outcome).toBe('completed');
      expect(rb.outcome).toBe('completed');
      const table = await appIds(database);
      expect(table.size).toBe(60);
      expect(new Set(table.values()).size).toBe(60);
      expect(await sandboxIds(app.id)).toEqual([...table.values()].sort());
      const created = (ra.counts.created ?? 0) + (rb.counts.created ?? 0);
      expect(created).toBe(60);

      // Each console's mirror holds the IDs the other wrote.
      await waitFor(() => a.services.users.count({ atIampass: true }) === 60, 5_000);
      await waitFor(() => b.services.users.count({ atIampass: true }) === 60, 5_000);
      for (const c of [a, b]) expect(c.services.users.row(customer(59)).iampassId).toBe(table.get(customer(59)));

      // A delete in A shows in B within 5 s.
      await finished(a.services, a.services.users.delete([customer(30)]));
      const ms = await waitFor(() => b.services.users.row(customer(30)).iampassId === '', 5_000);
      expect(ms).toBeLessThan(5_000);
    } finally {
      await a.services.close();
      await b.services.close();
    }
  });

  it('a read-only login links as read-only: adds and deletes are refused before anything is sent', async () => {
    const database = appDatabase();
    const app = await phone.createApplication();
    const c = await consoleFor(app, 'Viewer');
    try {
      const { check, jobId } = await c.services.sources.link(
        c.services.applications.get(c.profileId),
        pgSource(database, 'reader'),
        { password: 'pw-reader' },
      );
      expect(check).toMatchObject({ ok: true, writable: false });
      await finished(c.services, jobId);
      // Refused before anything is sent: adds and deletes alike (a delete at IAMPASS could not be written back).
      expect(() => c.services.users.add([{ userId: customer(1) }])).toThrow(/Read-only/);
      expect(() => c.services.users.delete([customer(1)])).toThrow(/Read-only/);
      expect(c.services.users.window({}, 0, 1).directory).toMatchObject({ kind: 'postgres', readOnly: true });
      expect((await appIds(database)).size).toBe(0);
      expect(await sandboxIds(app.id)).toEqual([]);
    } finally {
      await c.services.close();
    }
  });

  it('refuses to link a profile whose own directory holds users (their IDs are recorded nowhere else)', async () => {
    const app = await phone.createApplication();
    const c = await consoleFor(app, 'Old');
    try {
      await finished(c.services, c.services.users.add([{ userId: 'kept@corp.example' }]));
      await expect(
        c.services.sources.link(c.services.applications.get(c.profileId), pgSource(appDatabase()), {
          password: PASSWORD,
        }),
      ).rejects.toMatchObject({ code: 'conflict' });
      expect(c.services.users.count({})).toBe(1);
    } finally {
      await c.services.close();
    }
  });

  it("an application's SQLite file with a token table, written by the application during an import: nothing lost on either side", async () => {
    const file = join(tmp, `app-${String(dbs++)}.sqlite`);
    const appDb = new DatabaseSync(file);
    appDb.exec(`PRAGMA journal_mode = WAL;
      CREATE TABLE users (uid INTEGER PRIMARY KEY, login TEXT NOT NULL UNIQUE, full_name TEXT);
      CREATE TABLE iampass_ids (uid INTEGER NOT NULL UNIQUE REFERENCES users, token TEXT NOT NULL UNIQUE);`);
    const insert = appDb.prepare('INSERT INTO users (login, full_name) VALUES (?, ?)');
    for (let i = 0; i < N; i++) insert.run(customer(i), `Customer ${i}`);
    const app = await phone.createApplication();
    const c = await consoleFor(app, 'Files');
    try {
      const mapping: DirectoryMapping = {
        table: 'users',
        key: 'uid',
        userId: 'login',
        displayName: 'full_name',
        iampassId: { kind: 'table', table: 'iampass_ids', userKey: 'uid', column: 'token' },
      };
      const { jobId } = await c.services.sources.link(c.services.applications.get(c.profileId), {
        kind: 'sqlite',
        path: file,
        mapping,
      });
      await finished(c.services, jobId);
      const job = c.services.users.add(Array.from({ length: N }, (_, i) => ({ userId: customer(i) })));
      // The application signs up new users while the console writes.
      let signups = 0;
      const timer = setInterval(() => {
        appDb.exec('BEGIN IMMEDIATE');
        insert.run(`new${signups}@corp.example`, 'New');
        appDb.exec('COMMIT');
        signups++;
      }, 5);
      const r = await finished(c.services, job);
      clearInterval(timer);
      expect(r.counts).toEqual({ created: N });
      expect(signups).toBeGreaterThan(0);
      const tokens = appDb.prepare('SELECT token FROM iampass_ids').all() as { token: string }[];
      expect(tokens.map((t) => t.token).sort()).toEqual(await sandboxIds(app.id));
      expect((appDb.prepare('SELECT count(*) AS n FROM users').get() as { n: number }).n).toBe(N + signups);
      // The new signups reach the mirror (data_version noticed by the watch, or an explicit sync).
      await finished(c.services, c.services.sources.sync(c.services.applications.get(c.profileId)));
      expect(c.services.users.count({ atIampass: false })).toBe(signups);
    } finally {
      await c.services.close();
      appDb.close();
    }
  });

  it("a watching console: its own adds start no sync of the table; the application's signups do, within seconds", async () => {
    const database = appDatabase(30);
    const app = await phone.createApplication();
    const c = await consoleFor(app, 'Watcher', undefined, 100);
    const s = c.services;
    const syncs: string[] = [];
    s.users.jobs.on((e) => {
      if (e.type === 'finished' && e.payload.kind === 'users.sync') syncs.push(e.payload.jobId);
    });
    try {
      const profile = s.applications.get(c.profileId);
      await finished(s, (await s.sources.link(profile, pgSource(database), { password: PASSWORD })).jobId);
      await s.sources.watch(profile);
      const before = syncs.length;
      await finished(s, s.users.add(Array.from({ length: 10 }, (_, i) => ({ userId: customer(i) }))));
      // Several fingerprint checks pass: the IAMPASS IDs this console wrote change nothing they compare.
      await new Promise((r) => setTimeout(r, 500));
      expect(syncs.length).toBe(before);
      cluster.sql("INSERT INTO customers (email, name) VALUES ('signup@corp.example', 'Signed up')", database);
      // The sync job's rows land page by page; its end comes after.
      await waitFor(() => s.users.count({ search: 'signup@corp' }) === 1 && syncs.length > before, 5_000);
      expect(s.users.count({ atIampass: true })).toBe(10);
    } finally {
      await s.close();
    }
  });

  it('the application renames a user (same IAMPASS ID) and removes one: a sync follows both; unlinking waits for unsettled changes', async () => {
    const database = appDatabase(6);
    const app = await phone.createApplication();
    const c = await consoleFor(app, 'Renames');
    const s = c.services;
    try {
      const profile = s.applications.get(c.profileId);
      await finished(s, (await s.sources.link(profile, pgSource(database), { password: PASSWORD })).jobId);
      await finished(s, s.users.add([0, 1, 2].map((i) => ({ userId: customer(i) }))));
      const id0 = s.users.row(customer(0)).iampassId;
      // Same row (same key and IAMPASS ID), a new user ID; and a user the application deleted.
      cluster.sql(
        `UPDATE customers SET email = 'renamed@corp.example' WHERE email = '${customer(0).replaceAll("'", "''")}';
         DELETE FROM customers WHERE email = '${customer(5).replaceAll("'", "''")}';`,
        database,
      );
      const sync = await finished(s, s.sources.sync(profile));
      expect(sync.rows).toEqual([]);
      expect(s.users.row('renamed@corp.example').iampassId).toBe(id0);
      expect(() => s.users.row(customer(0))).toThrow();
      expect(() => s.users.row(customer(5))).toThrow();
      expect(s.users.count({})).toBe(5);
      // An unsettled change (a lost answer) keeps the link: it belongs to this table.
      await phone.setFaults([{ route: 'add_users', kind: 'reset' }]);
      const lost = await finished(s, s.users.add([{ userId: customer(3) }]));
      expect(lost.rows[0]).toMatchObject({ result: 'unknown' });
      await expect(s.sources.unlink(profile)).rejects.toMatchObject({ code: 'conflict' });
      await phone.setFaults([]);
      await finished(s, s.users.reconcile());
      expect(await s.sources.unlink(profile)).toBe(true);
    } finally {
      await phone.setFaults([]);
      await s.close();
    }
  });

  it('the kept database password goes only to the linked server: an edited connection gets none', async () => {
    const database = appDatabase(2);
    const app = await phone.createApplication();
    const c = await consoleFor(app, 'Kept');
    const s = c.services;
    try {
      const profile = s.applications.get(c.profileId);
      await finished(s, (await s.sources.link(profile, pgSource(database), { password: PASSWORD })).jobId);
      // Same server and login: the kept password works.
      expect((await s.sources.check(profile.id, pgSource(database))).ok).toBe(true);
      // Another database (or host, port, login): no password is sent, so the login is refused.
      const other = appDatabase(1);
      await expect(s.sources.check(profile.id, pgSource(other))).rejects.toMatchObject({ code: 'unauthorized' });
    } finally {
      await s.close();
    }
  });

  it("invites by SMS with the phone numbers of the application's table, copying none into the console", async () => {
    const database = appDatabase(5);
    cluster.sql(
      `ALTER TABLE customers ADD COLUMN mobile text;
       UPDATE customers SET mobile = '+1415555267' || (id - 1) WHERE id <= 3;
       UPDATE customers SET mobile = 'not a number' WHERE id = 4;`,
      database,
    );
    const app = await phone.createApplication();
    const c = await consoleFor(app, 'Texts');
    const s = c.services;
    try {
      const { jobId } = await s.sources.link(
        s.applications.get(c.profileId),
        { ...pgSource(database), mapping: { ...MAPPING, phone: 'mobile' } },
        { password: PASSWORD },
      );
      await finished(s, jobId);
      const ids = [0, 1, 2, 3, 4].map(customer);
      await finished(s, s.users.add(ids.map((userId) => ({ userId }))));
      const sent = await finished(s, s.invitations.invite(ids, { channel: 'sms', smsMessage: 'Join Shop:' }));
      expect(sent.rows.map((r) => r.result)).toEqual(['sent', 'sent', 'sent', 'missing', 'missing']);
      for (const i of [0, 1, 2]) expect(await phone.sms(`+1415555267${i}`)).toHaveLength(1);
      // Read from the application each time: the console keeps no copy.
      expect([...s.invitations.contacts(ids).values()]).toEqual([]);
    } finally {
      await s.close();
    }
  });

  it('two console processes adding overlapping users at once: the table and IAMPASS agree exactly, one ID per user', async () => {
    const database = appDatabase(150);
    const app = await phone.createApplication();
    const folders: string[] = [];
    for (const name of ['Process A', 'Process B']) {
      const dataDir = join(tmp, `${name.replace(' ', '-')}-${String(dbs)}`);
      const c = await consoleFor(app, name, dataDir);
      await finished(
        c.services,
        (
          await c.services.sources.link(c.services.applications.get(c.profileId), pgSource(database), {
            password: PASSWORD,
          })
        ).jobId,
      );
      await c.services.close();
      folders.push(dataDir);
    }
    const fileA = join(folders[0]!, 'ids.txt');
    const fileB = join(folders[1]!, 'ids.txt');
    writeFileSync(fileA, `${Array.from({ length: 100 }, (_, i) => customer(i)).join('\n')}\n`);
    writeFileSync(fileB, `${Array.from({ length: 100 }, (_, i) => customer(i + 50)).join('\n')}\n`);
    await Promise.all([killChild(folders[0]!, fileA, null), killChild(folders[1]!, fileB, null)]);
    const table = await appIds(database);
    expect(table.size).toBe(150);
    expect(new Set(table.values()).size).toBe(150);
    expect(await sandboxIds(app.id)).toEqual([...table.values()].sort());
  }, 60_000);

  it('SIGKILL of a console process mid-add (6 seeds), then recovery: the table and IAMPASS agree exactly', async () => {
    await phone.setFaults([{ route: 'add_users', kind: 'latency', ms: 30, jitterMs: 20 }]);
    try {
      let interrupted = 0;
      for (let seed = 1; seed <= 6; seed++) {
        const database = appDatabase(120);
        const app = await phone.createApplication();
        const dataDir = join(tmp, `kill-${String(seed)}-${String(dbs)}`);
        const c = await consoleFor(app, 'Killed', dataDir);
        const linked = await c.services.sources.link(c.services.applications.get(c.profileId), pgSource(database), {
          password: PASSWORD,
        });
        await finished(c.services, linked.jobId);
        await c.services.close();
        const file = join(dataDir, 'ids.txt');
        writeFileSync(file, `${Array.from({ length: 120 }, (_, i) => customer(i)).join('\n')}\n`);
        const killed = await killChild(dataDir, file, Math.floor(seededRandom(seed)() * 200));
        if (killed) interrupted++;
        // Recovery in a new console process on the same folder (this one).
        const s = openServices({ dataDir, secrets: kc.keychain, resumeSessions: false });
        try {
          await finished(s, s.users.reconcile());
          const table = await appIds(database);
          expect(await sandboxIds(app.id), `seed ${seed}`).toEqual([...table.values()].sort());
          expect(s.users.pendingIntents()).toEqual({});
        } finally {
          await s.close();
        }
      }
      expect(interrupted).toBeGreaterThanOrEqual(3);
    } finally {
      await phone.setFaults([]);
    }
  }, 120_000);

  it('a database connection dropped mid-claim: those rows failed (rolled back, nothing sent), nothing diverges', async () => {
    const database = appDatabase(140);
    const app = await phone.createApplication();
    const c = await consoleFor(app, 'Dropped');
    const s = c.services;
    // The application holds a lock on its table: the console's claims wait on it, in flight.
    const holder = new pg.Client({ connectionString: cluster.url(database) });
    await holder.connect();
    try {
      await finished(
        s,
        (await s.sources.link(s.applications.get(c.profileId), pgSource(database), { password: PASSWORD })).jobId,
      );
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE customers IN EXCLUSIVE MODE');
      const job = s.users.add(Array.from({ length: 140 }, (_, i) => ({ userId: customer(i) })));
      const waiting = () =>
        Number(
          cluster
            .sql(
              "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'iampass-admin' AND wait_event_type = 'Lock'",
            )
            .trim(),
        );
      await waitFor(() => waiting() >= 1, 10_000);
      cluster.sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'iampass-admin'");
      await holder.query('COMMIT');
      const first = await finished(s, job);
      expect(first.outcome).toBe('completed');
      // The claims died before COMMIT: rolled back for sure, so those rows failed (nothing was sent) rather than unknown.
      expect(first.counts.failed).toBeGreaterThan(0);
      expect(first.counts.unknown).toBeUndefined();
      for (const r of first.rows.filter((x) => x.result === 'failed')) expect(r.reason).toMatch(/connection was lost/);
      expect(s.users.pendingIntents()).toEqual({});
      const settled = await finished(s, s.users.reconcile());
      expect(settled.outcome).toBe('completed');
      expect(s.users.pendingIntents()).toEqual({});
      const table = await appIds(database);
      expect(await sandboxIds(app.id)).toEqual([...table.values()].sort());
      // Everyone the first job left out is added by running it again: all 140 agree.
      await finished(s, s.users.add(Array.from({ length: 140 }, (_, i) => ({ userId: customer(i) }))));
      expect((await appIds(database)).size).toBe(140);
      expect(await sandboxIds(app.id)).toEqual([...(await appIds(database)).values()].sort());
    } finally {
      await holder.end();
      await s.close();
    }
  }, 60_000);
});

describe('team mode: consoles sharing their changes and audit log in a PostgreSQL schema', () => {
  const teamSource = (database: string): DirectorySourceInput => ({
    kind: 'postgres',
    connection: { host: '127.0.0.1', port: cluster.port, database, user: 'console', sslmode: 'disable' },
    mapping: MAPPING,
    team: { schema: 'iampass_console' },
  });
  /** A team database: the console login may create the team schema (the admin runs the shown DDL). */
  function teamDatabase(n = N): string {
    const database = appDatabase(n);
    cluster.sql(`GRANT CREATE ON DATABASE ${database} TO console`);
    return database;
  }
  const teamTables = (database: string) =>
    cluster.sql("SELECT count(*) FROM pg_tables WHERE schemaname = 'iampass_console'", database).trim();

  /** Links the console in team mode, running the team schema's DDL when the check shows it. */
  async function linkTeam(c: Console, database: string): Promise<void> {
    const s = c.services;
    const profile = s.applications.get(c.profileId);
    const check = await s.sources.check(c.profileId, teamSource(database), PASSWORD);
    const linked = await s.sources.link(profile, teamSource(database), {
      password: PASSWORD,
      applyDdl: check.suggestedDdl.filter((d) => d.includes('iampass_console')),
    });
    await finished(s, linked.jobId);
  }

  it('the check shows the team DDL and writes nothing; two consoles share one audit log that names the admin', async () => {
    const database = teamDatabase(20);
    const app = await phone.createApplication();
    const a = await consoleFor(app, 'Alice console');
    const b = await consoleFor(app, 'Bob console');
    try {
      const check = await a.services.sources.check(a.profileId, teamSource(database), PASSWORD);
      expect(check.ok).toBe(false);
      expect(check.checks.find((x) => x.name === 'team tables exist')?.ok).toBe(false);
      expect(check.suggestedDdl.some((d) => d.startsWith('CREATE SCHEMA IF NOT EXISTS "iampass_console"'))).toBe(true);
      expect(teamTables(database)).toBe('0');
      await expect(
        a.services.sources.link(a.services.applications.get(a.profileId), teamSource(database), { password: PASSWORD }),
      ).rejects.toThrow(/team tables exist/);
      await linkTeam(a, database);
      expect(teamTables(database)).toBe('3');
      await linkTeam(b, database);
      expect(a.services.sources.info(a.profileId).team).toBe('iampass_console');

      await finished(a.services, a.services.users.add([0, 1, 2].map((i) => ({ userId: customer(i) }))));
      await finished(b.services, b.services.users.add([3, 4].map((i) => ({ userId: customer(i) }))));
      const profile = a.services.applications.get(a.profileId);
      // Each console's entries reach the shared log within moments.
      const started = Date.now();
      let log = await a.services.team.audit(profile, {}, 100, 0);
      const adds = () => log.rows.filter((r) => r.action === 'users.add').map((r) => r.profileName);
      while (adds().length < 2 && Date.now() - started < 5_000) {
        await new Promise((r) => setTimeout(r, 25));
        log = await a.services.team.audit(profile, {}, 100, 0);
      }
      expect(adds().sort()).toEqual(['Alice console', 'Bob console']);
      expect(new Set(log.rows.map((r) => r.actor))).toEqual(new Set([`${userInfo().username}@${hostname()}`]));
      expect(log.actions).toContain('directory.link');
      // Searched: ILIKE anywhere in the target, action, admin or application name.
      const bobs = await a.services.team.audit(profile, { text: 'BOB CONS', action: 'users.add' }, 100, 0);
      expect(bobs.rows.map((r) => r.profileName)).toEqual(['Bob console']);
      // % and _ are literal: % is in no entry, _ only in those that hold one (not "any character").
      expect((await a.services.team.audit(profile, { text: '%' }, 100, 0)).total).toBe(0);
      const all = (await a.services.team.audit(profile, {}, 1000, 0)).rows;
      const underscored = all.filter((r) => [r.target, r.action, r.actor, r.profileName].some((v) => v?.includes('_')));
      expect(underscored.length).toBeLessThan(all.length);
      expect((await a.services.team.audit(profile, { text: '_' }, 1000, 0)).total).toBe(underscored.length);
      // By the words the Audit screen shows.
      const byWords = await a.services.team.audit(profile, { text: 'users ADDED' }, 100, 0);
      expect(new Set(byWords.rows.map((r) => r.action))).toEqual(new Set(['users.add', 'users.add.start']));
      // A job's start entry by the words the screen shows for it.
      const jobStarts = await a.services.team.audit(profile, { text: 'added: STARTED' }, 100, 0);
      expect(new Set(jobStarts.rows.map((r) => r.action))).toEqual(new Set(['users.add.start']));
      // The shared log is append-only, whoever writes.
      expect(() => cluster.sql('DELETE FROM iampass_console.audit', database)).toThrow(/append-only/);
      // Settled changes leave the ledger.
      await waitFor(() => cluster.sql('SELECT count(*) FROM iampass_console.intents', database).trim() === '0', 5_000);
      expect(await sandboxIds(app.id)).toEqual([...(await appIds(database)).values()].sort());
    } finally {
      await a.services.close();
      await b.services.close();
    }
  }, 60_000);

  it('a ledger this login may not write: adds and deletes fail before the table or IAMPASS is touched', async () => {
    const database = teamDatabase(20);
    const app = await phone.createApplication();
    const c = await consoleFor(app, 'No ledger');
    const s = c.services;
    try {
      await linkTeam(c, database);
      await finished(s, s.users.add([0, 1].map((i) => ({ userId: customer(i) }))));
      const before = await sandboxIds(app.id);
      expect(before).toHaveLength(2);
      cluster.sql('REVOKE INSERT ON iampass_console.intents FROM console', database);
      const add = await finished(s, s.users.add([2, 3, 4].map((i) => ({ userId: customer(i) }))));
      expect(add.counts).toEqual({ failed: 3 });
      expect(add.rows[0]?.code).toBe('forbidden');
      const del = await finished(s, s.users.delete([customer(0), customer(1)], 2));
      expect(del.counts).toEqual({ failed: 2 });
      // Nothing reached the application's table or IAMPASS, and nothing is left to recover.
      expect([...(await appIds(database)).keys()].sort()).toEqual([customer(0), customer(1)].sort());
      expect(await sandboxIds(app.id)).toEqual(before);
      expect(s.users.pendingIntents()).toEqual({});
    } finally {
      await s.close();
    }
  }, 60_000);

  it("a console process SIGKILLed mid-add and never back: another admin's console takes its changes over and settles them; back later, it drops them", async () => {
    await phone.setFaults([{ route: 'add_users', kind: 'latency', ms: 30, jitterMs: 20 }]);
    try {
      let adopted = 0;
      for (let seed = 1; seed <= 3; seed++) {
        const database = teamDatabase(120);
        const app = await phone.createApplication();
        const dataDir = join(tmp, `team-kill-${String(seed)}-${String(dbs)}`);
        const a = await consoleFor(app, 'Killed', dataDir);
        await linkTeam(a, database);
        await a.services.close();
        const file = join(dataDir, 'ids.txt');
        writeFileSync(file, `${Array.from({ length: 120 }, (_, i) => customer(i)).join('\n')}\n`);
        await killChild(dataDir, file, 40 + Math.floor(seededRandom(seed)() * 150));
        // Another admin's console (its own folder): the killed console is silent, its intents are taken over.
        const other = openServices({
          dataDir: join(tmp, `team-other-${String(seed)}-${String(dbs)}`),
          secrets: kc.keychain,
          resumeSessions: false,
          team: { staleMs: 0 },
        });
        try {
          const p = await other.applications.add({
            name: 'Other admin',
            flavour: 'Sandbox',
            baseUrl: sandbox.baseUrl,
            applicationId: app.id,
            secret: app.secret,
            concurrency: 3,
          });
          other.applications.setActive(p.id);
          await linkTeam({ services: other, profileId: p.id }, database);
          const recovered = await finished(other, other.users.reconcile());
          adopted += recovered.rows.length;
          expect(other.users.pendingIntents(), `seed ${seed}`).toEqual({});
          const table = await appIds(database);
          expect(await sandboxIds(app.id), `seed ${seed}`).toEqual([...table.values()].sort());
        } finally {
          await other.close();
        }
        // Settled: nothing of the killed console or the other one is left in the ledger.
        expect(cluster.sql('SELECT count(*) FROM iampass_console.intents', database).trim()).toBe('0');
        // The killed console comes back: what was taken over is dropped, nothing is sent twice or lost.
        const back = openServices({ dataDir, secrets: kc.keychain, resumeSessions: false });
        try {
          const before = await sandboxIds(app.id);
          const r = await finished(back, back.users.reconcile());
          expect(
            r.rows.filter((x) => x.result !== 'cancelled'),
            `seed ${seed}`,
          ).toEqual([]);
          expect(back.users.pendingIntents()).toEqual({});
          expect(await sandboxIds(app.id)).toEqual(before);
          expect(await sandboxIds(app.id)).toEqual([...(await appIds(database)).values()].sort());
        } finally {
          await back.close();
        }
      }
      expect(adopted).toBeGreaterThan(0);
    } finally {
      await phone.setFaults([]);
    }
  }, 180_000);
});

/** Runs job-child.ts (add) on the folder; SIGKILL `afterMs` after it starts the job (null: never). Answers whether it was killed. */
async function killChild(dataDir: string, file: string, afterMs: number | null): Promise<boolean> {
  return (await runJobChild(dataDir, 'add', file, afterMs, { keychainService: kc.keychain.service, batch: 10 })).killed;
}
