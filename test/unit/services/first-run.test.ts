// First run against the real keychain, a real SQLite file and a real loopback server as the sandbox.
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { openStore, type Store } from '../../../src/main/store/db.ts';
import { ApplicationsService } from '../../../src/main/services/applications.ts';
import { makeConnectionTester } from '../../../src/main/services/connection-test.ts';
import { ensureSandboxProfile, SANDBOX_DATA_FILE, type SandboxLauncher } from '../../../src/main/services/first-run.ts';
import { openServices, STORE_FILE } from '../../../src/main/services/index.ts';
import { filesContain, probeClient, strictServer, tempDir, testKeychain } from './helpers.ts';

let tmp: ReturnType<typeof tempDir>;
let kc: ReturnType<typeof testKeychain>;
let store: Store;
const started: { dataFile: string; application: { id: string; secret: string } }[] = [];
const running: (() => Promise<void>)[] = [];

const launcher: SandboxLauncher = {
  async start(options) {
    started.push({ dataFile: options.dataFile, application: options.application });
    const server = await strictServer(options.application);
    running.push(server.close);
    return { baseUrl: server.baseUrl, applicationId: options.application.id, close: server.close };
  },
};
const failing: SandboxLauncher = {
  start: () => Promise.reject(new Error('port in use')),
};

beforeEach(() => {
  tmp = tempDir();
  kc = testKeychain();
  store = openStore(join(tmp.dir, 'admin.sqlite'));
  started.length = 0;
});
afterEach(async () => {
  for (const close of running.splice(0)) await close();
  store.close();
  await kc.cleanup();
  tmp.cleanup();
});

it('creates, starts and activates a working Sandbox profile on a fresh store, and restarts it later', async () => {
  const first = await ensureSandboxProfile({ store, secrets: kc.keychain, launcher, dataDir: tmp.dir });
  expect(first.firstRun).toBe(true);
  expect(first.profile).toMatchObject({ name: 'Sandbox', flavour: 'Sandbox', baseUrl: first.sandbox!.baseUrl });
  expect(first.profile!.applicationId).toMatch(/^[0-9A-F]{32}$/);
  expect(started[0]!.dataFile).toBe(join(tmp.dir, SANDBOX_DATA_FILE));
  expect(await kc.keychain.get(first.profile!.id)).toBe(started[0]!.application.secret);
  expect(JSON.stringify(first.profile)).not.toContain(started[0]!.application.secret);

  const apps = new ApplicationsService({
    store,
    secrets: kc.keychain,
    tester: makeConnectionTester(probeClient, 3000),
  });
  expect(apps.getActive()?.id).toBe(first.profile!.id);
  expect(await apps.testConnection(first.profile!.id)).toMatchObject({ ok: true });
  await first.sandbox!.close();
  running.length = 0;

  // Next start of the console: same file, same credentials, a new port.
  store.close();
  store = openStore(join(tmp.dir, 'admin.sqlite'));
  const second = await ensureSandboxProfile({ store, secrets: kc.keychain, launcher, dataDir: tmp.dir });
  expect(second.firstRun).toBe(false);
  expect(second.profile!.id).toBe(first.profile!.id);
  expect(started[1]).toEqual(started[0]);
  expect(second.profile!.baseUrl).toBe(second.sandbox!.baseUrl);
  const apps2 = new ApplicationsService({
    store,
    secrets: kc.keychain,
    tester: makeConnectionTester(probeClient, 3000),
  });
  expect(apps2.get(first.profile!.id).baseUrl).toBe(second.sandbox!.baseUrl);
  expect(await apps2.testConnection(first.profile!.id)).toMatchObject({ ok: true });
  expect(apps2.audit.query().rows.map((r) => [r.action, r.outcome])).toEqual([
    ['application.test', 'ok'],
    ['sandbox.start', 'ok'],
    ['application.test', 'ok'],
    ['sandbox.create', 'ok'],
  ]);
  expect(filesContain(tmp.dir, started[0]!.application.secret)).toEqual([]);
  expect(await kc.accounts()).toHaveLength(1);
});

it('does not recreate a Sandbox profile the admin removed', async () => {
  const first = await ensureSandboxProfile({ store, secrets: kc.keychain, launcher, dataDir: tmp.dir });
  const apps = new ApplicationsService({ store, secrets: kc.keychain });
  await apps.remove(first.profile!.id, { name: 'Sandbox' });
  const again = await ensureSandboxProfile({ store, secrets: kc.keychain, launcher, dataDir: tmp.dir });
  expect(again).toEqual({ firstRun: false, profile: null, sandbox: null });
  expect(await apps.list()).toEqual([]);
  expect(await kc.accounts()).toEqual([]);
});

it('leaves nothing behind when the sandbox cannot start, and tries again next time', async () => {
  await expect(
    ensureSandboxProfile({ store, secrets: kc.keychain, launcher: failing, dataDir: tmp.dir }),
  ).rejects.toMatchObject({ code: 'internal' });
  expect(await kc.accounts()).toEqual([]);
  expect(store.db.prepare('SELECT count(*) AS n FROM profiles').get()).toEqual({ n: 0 });
  const retry = await ensureSandboxProfile({ store, secrets: kc.keychain, launcher, dataDir: tmp.dir });
  expect(retry.firstRun).toBe(true);
});

it('picks a free name when "Sandbox" is taken', async () => {
  const apps = new ApplicationsService({ store, secrets: kc.keychain });
  // A profile the admin created before the first-run step ever ran (e.g. through the CLI).
  await apps.add({
    name: 'sandbox',
    flavour: 'Sandbox',
    baseUrl: 'http://127.0.0.1:1',
    applicationId: '10FB9102F29A422EB14AB2F2D0F0CC02',
    secret: 'E8D28A79023C39C200661FCCD268A29A0D347301EF56E64D',
  });
  const first = await ensureSandboxProfile({ store, secrets: kc.keychain, launcher, dataDir: tmp.dir });
  expect(first.profile!.name).toBe('Sandbox 2');
});

it('openServices wires store, keychain and sandbox in the data folder, and close() stops the sandbox', async () => {
  const dataDir = join(tmp.dir, 'userData');
  const services = openServices({
    dataDir,
    secrets: kc.keychain,
    launcher,
    tester: makeConnectionTester(probeClient, 3000),
  });
  const first = await services.ensureSandbox();
  expect(first.firstRun).toBe(true);
  expect(services.store.path).toBe(join(dataDir, STORE_FILE));
  expect(await services.applications.testConnection(first.profile!.id)).toMatchObject({ ok: true });
  await services.close();
  await expect(fetch(`${first.sandbox!.baseUrl}/`, { signal: AbortSignal.timeout(2000) })).rejects.toThrow();
});
