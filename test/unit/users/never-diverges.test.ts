// The directory never diverges from IAMPASS (issue 13), against the real
// sandbox over loopback, real SQLite files and the real keychain: a console
// process (job-child.ts) killed with SIGKILL at seeded random moments during
// add, import, delete and lost device, then recovery; concurrent imports
// from several processes; every fault kind on every mutating route. After
// each: the directory's IAMPASS IDs are exactly the sandbox's users.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openServices, type Services } from '../../../src/main/services/index.ts';
import { directoryColumns, getUser } from '../../../src/main/store/directory.ts';
import { seededRandom, type RouteName } from '../../../src/sandbox/faults.ts';
import { VirtualPhone } from '../../../src/sandbox/phone.ts';
import { startSandbox, type Sandbox } from '../../../src/sandbox/server.ts';
import type { JobFinished } from '../../../src/shared/ipc/jobs.ts';
import { tempDir, testKeychain } from '../services/helpers.ts';
import { runJobChild } from './run-child.ts';

let sandbox: Sandbox;
let phone: VirtualPhone;
const kc = testKeychain();
const tmp = tempDir();

beforeAll(async () => {
  sandbox = await startSandbox({});
  phone = new VirtualPhone(sandbox.baseUrl);
});
afterAll(async () => {
  await sandbox.close();
  await kc.cleanup();
  tmp.cleanup();
});

interface World {
  dir: string;
  appId: string;
  open(): Services;
}

let worlds = 0;
/** A fresh application at the sandbox and a fresh data folder with its active profile (concurrency 4). */
async function world(): Promise<World> {
  const app = await phone.createApplication();
  const dir = join(tmp.dir, `w${String(worlds++)}`);
  const open = () =>
    openServices({ dataDir: dir, secrets: kc.keychain, users: { batchSize: 25 }, resumeSessions: false });
  const s = open();
  const p = await s.applications.add({
    name: 'Lab',
    flavour: 'Sandbox',
    baseUrl: sandbox.baseUrl,
    applicationId: app.id,
    secret: app.secret,
    concurrency: 4,
  });
  s.applications.setActive(p.id);
  await s.close();
  return { dir, appId: app.id, open };
}

async function sandboxUsers(appId: string): Promise<Map<string, boolean>> {
  const r = (await (await fetch(`${sandbox.baseUrl}/sandbox/users/${appId}`)).json()) as {
    users: { id: string; deviceRegistered: boolean }[];
  };
  return new Map(r.users.map((u) => [u.id, u.deviceRegistered]));
}

function directoryIds(s: Services): string[] {
  return [...directoryColumns(s.store, s.users.scope.current().id).iampassIds].sort();
}

async function finished(s: Services, jobId: string): Promise<JobFinished> {
  const f = await s.users.jobs.wait(jobId);
  if (!f) throw new Error('job lost');
  return f;
}

/** Runs job-child.ts on the world's folder (run-child.ts). */
function child(w: World, op: 'add' | 'import' | 'delete' | 'lost' | 'invite', arg: string, killAfterMs: number | null) {
  return runJobChild(w.dir, op, arg, killAfterMs, { keychainService: kc.keychain.service, batch: 25 });
}

/** Recovery in a new console process (this one), then the check: the directory holds exactly the sandbox's users. Answers how many intents recovery settled. */
async function recoverAndCompare(w: World): Promise<Services & { settled: number }> {
  const s = w.open();
  const settled = (await finished(s, s.users.reconcile())).rows.length;
  expect(s.users.pendingIntents()).toEqual({});
  expect(directoryIds(s)).toEqual([...(await sandboxUsers(w.appId)).keys()].sort());
  return Object.assign(s, { settled });
}

describe('SIGKILL of a console process at random moments, then recovery', () => {
  it('import and add (12 seeds): the sets are equal after recovery, and importing again leaves no orphan', async () => {
    const ids = Array.from({ length: 300 }, (_, i) => `user${String(i)}`);
    await phone.setFaults([{ route: 'add_users', kind: 'latency', ms: 40, jitterMs: 20 }]);
    try {
      let interrupted = 0;
      let recovered = 0;
      for (let seed = 1; seed <= 12; seed++) {
        const w = await world();
        const file = join(w.dir, 'users.txt');
        writeFileSync(file, `${ids.join('\n')}\n`);
        const delay = Math.floor(seededRandom(seed)() * 160);
        const run = await child(w, seed % 3 === 0 ? 'add' : 'import', file, delay);
        if (run.killed && run.counts === null) interrupted++;
        const s = await recoverAndCompare(w);
        if (s.settled > 0) recovered++;
        try {
          const again = await finished(
            s,
            s.users.importCsv(`${ids.join('\n')}\n`, { userId: 0, displayName: null }, false),
          );
          expect(again.counts.unknown ?? 0).toBe(0);
          expect((again.counts.created ?? 0) + (again.counts.existing ?? 0)).toBe(300);
          const remote = await sandboxUsers(w.appId);
          expect(remote.size).toBe(300);
          expect(directoryIds(s)).toEqual([...remote.keys()].sort());
        } finally {
          await s.close();
        }
      }
      // The kills really land mid-job, and recovery really has something to settle.
      expect(interrupted).toBeGreaterThanOrEqual(8);
      expect(recovered).toBeGreaterThanOrEqual(4);
    } finally {
      await phone.clearFaults();
    }
  }, 120_000);

  it('delete (4 seeds) and lost device (4 seeds): the directory and IAMPASS agree after recovery', async () => {
    await phone.setFaults([
      { route: 'delete_users', kind: 'latency', ms: 40, jitterMs: 20 },
      { route: 'lost_user_mobile_device', kind: 'latency', ms: 30, jitterMs: 20 },
    ]);
    try {
      for (let seed = 21; seed <= 28; seed++) {
        const w = await world();
        const lost = seed > 24;
        const count = lost ? 12 : 200;
        const ids = Array.from({ length: count }, (_, i) => `p${String(i)}`);
        const s0 = w.open();
        await finished(s0, s0.users.add(ids.map((userId) => ({ userId }))));
        if (lost) {
          for (const id of ids) {
            const view = await s0.onboarding.show(id);
            const link: string[] = [];
            await s0.onboarding.copyLink(view.handle, { writeText: (t) => void link.push(t) });
            await phone.register(link[0]!);
            s0.onboarding.close(view.handle);
          }
          await finished(s0, s0.users.refreshStatus({ all: true }));
        }
        await s0.close();
        const file = join(w.dir, 'ids.txt');
        writeFileSync(file, `${ids.join('\n')}\n`);
        await child(w, lost ? 'lost' : 'delete', file, Math.floor(seededRandom(seed)() * (lost ? 250 : 160)));
        const s = await recoverAndCompare(w);
        try {
          if (lost) {
            const remote = await sandboxUsers(w.appId);
            for (const id of ids) {
              const u = getUser(s.store, s.users.scope.current().id, id)!;
              expect([id, u.deviceState]).toEqual([id, remote.get(u.iampassId) ? 'registered' : 'not_registered']);
            }
          }
        } finally {
          await s.close();
        }
      }
    } finally {
      await phone.clearFaults();
    }
  }, 120_000);
});

describe('several processes on one data folder', () => {
  it.each([
    [
      '2 imports of the same file',
      [
        [0, 200],
        [0, 200],
      ],
    ],
    [
      '4 imports of overlapping files',
      [
        [0, 150],
        [100, 250],
        [200, 350],
        [50, 300],
      ],
    ],
  ] as const)(
    '%s: exact sets, and the created counts add up to the distinct users',
    async (_name, ranges) => {
      await phone.setFaults([{ route: 'add_users', kind: 'latency', ms: 20, jitterMs: 20 }]);
      try {
        const w = await world();
        const files = ranges.map(([from, to], i) => {
          const file = join(w.dir, `part${String(i)}.csv`);
          writeFileSync(file, `${Array.from({ length: to - from }, (_, k) => `user${String(from + k)}`).join('\n')}\n`);
          return file;
        });
        const results = await Promise.all(files.map((f) => child(w, 'import', f, null)));
        const distinct = new Set(ranges.flatMap(([from, to]) => Array.from({ length: to - from }, (_, k) => from + k)))
          .size;
        const created = results.reduce((n, r) => n + (r.counts?.created ?? 0), 0);
        expect(results.every((r) => (r.counts?.unknown ?? 0) === 0 && (r.counts?.failed ?? 0) === 0)).toBe(true);
        expect(created).toBe(distinct);
        const s = await recoverAndCompare(w);
        try {
          expect(directoryIds(s)).toHaveLength(distinct);
        } finally {
          await s.close();
        }
      } finally {
        await phone.clearFaults();
      }
    },
    60_000,
  );
});

describe('every fault kind on every mutating route, then recovery', () => {
  const kinds = ['truncate', 'non_json', 'reset', 'error'] as const;
  it.each(kinds)(
    '%s: add, delete and lost device end "unknown" (or refused), never diverged',
    async (kind) => {
      const w = await world();
      const s = w.open();
      try {
        const fault = (route: RouteName) => [{ route, kind, ...(kind === 'error' ? { status: 502 } : {}) }];
        // add
        await phone.setFaults(fault('add_users'));
        const add = await finished(s, s.users.add(['a1', 'a2', 'a3'].map((userId) => ({ userId }))));
        await phone.clearFaults();
        expect(add.rows.map((r) => r.result)).toEqual(['unknown', 'unknown', 'unknown']);
        expect(add.rows[0]!.reason).toContain('will be checked');
        // The same users again before recovery: the recorded IDs are reused, never new ones.
        const recorded = s.users.pendingIntents();
        expect(recorded).toEqual({ add: 3 });
        await finished(s, s.users.reconcile());
        expect(directoryIds(s)).toEqual([...(await sandboxUsers(w.appId)).keys()].sort());
        // delete
        await phone.setFaults(fault('delete_users'));
        const del = await finished(s, s.users.delete(['a1']));
        await phone.clearFaults();
        expect(del.rows[0]!.result).toBe('unknown');
        await finished(s, s.users.reconcile());
        expect(directoryIds(s)).toEqual([...(await sandboxUsers(w.appId)).keys()].sort());
        expect(getUser(s.store, s.users.scope.current().id, 'a1')).toBeNull();
        // lost device
        await phone.setFaults(fault('lost_user_mobile_device'));
        await expect(s.onboarding.lostDevice('a2')).rejects.toMatchObject({ code: 'uncertain' });
        await phone.clearFaults();
        expect(s.users.pendingIntents()).toEqual({ lost_device: 1 });
        const settled = await finished(s, s.users.reconcile());
        expect(settled.rows).toEqual([expect.objectContaining({ userId: 'a2', result: 'not_registered' })]);
        expect(s.users.pendingIntents()).toEqual({});
      } finally {
        await phone.clearFaults();
        await s.close();
      }
    },
    60_000,
  );
});

describe('an authentication whose answer was lost', () => {
  it('says a request may be on the phone, records it, refuses a blind second push, sends one with "again"', async () => {
    const w = await world();
    const s = w.open();
    try {
      await finished(s, s.users.add([{ userId: 'ann' }]));
      const view = await s.onboarding.show('ann');
      const link: string[] = [];
      await s.onboarding.copyLink(view.handle, { writeText: (t) => void link.push(t) });
      await phone.register(link[0]!);
      s.onboarding.close(view.handle);
      const iampassId = getUser(s.store, s.users.scope.current().id, 'ann')!.iampassId;
      await phone.setFaults([{ route: 'authenticate_user', kind: 'truncate' }]);
      const lost = await s.sessions.start({ userId: 'ann' }).then(
        () => null,
        (error: unknown) => error as { code: string; message: string },
      );
      expect(lost?.code).toBe('uncertain');
      expect(lost?.message).toContain("may already be on the user's phone");
      await phone.clearFaults();
      // The push did reach the phone, and nothing local pretends otherwise.
      expect(await phone.pending(w.appId, iampassId)).toHaveLength(1);
      expect(s.users.pendingIntents()).toEqual({ authenticate: 1 });
      await expect(s.sessions.start({ userId: 'ann' })).rejects.toMatchObject({ code: 'conflict' });
      expect(await phone.pending(w.appId, iampassId)).toHaveLength(1);
      const again = await s.sessions.start({ userId: 'ann', again: true });
      expect(again.started).toBe(true);
      expect(await phone.pending(w.appId, iampassId)).toHaveLength(2);
      expect(s.users.pendingIntents()).toEqual({});
    } finally {
      await phone.clearFaults();
      await s.close();
    }
  }, 30_000);
});
