// The services wired to the REAL IampassClient and the REAL embedded sandbox
// (strict HMAC over loopback), the real keychain and a real SQLite file.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { IampassClient } from '../../../src/main/iampass/client.ts';
import { startSandbox } from '../../../src/sandbox/server.ts';
import { makeConnectionTester } from '../../../src/main/services/connection-test.ts';
import type { SandboxLauncher } from '../../../src/main/services/first-run.ts';
import { SANDBOX_DATA_FILE } from '../../../src/main/services/first-run.ts';
import { openServices, type Services } from '../../../src/main/services/index.ts';
import { VirtualPhone } from '../../../src/sandbox/phone.ts';
import { APP_ID, SECRET, filesContain, tempDir, testKeychain } from './helpers.ts';

let tmp: ReturnType<typeof tempDir>;
let kc: ReturnType<typeof testKeychain>;
let services: Services | null = null;

const launcher: SandboxLauncher = { start: (options) => startSandbox(options) };
const tester = makeConnectionTester((config) => new IampassClient({ ...config, maxRetries: 0 }), 5000);

beforeEach(() => {
  tmp = tempDir();
  kc = testKeychain();
});
afterEach(async () => {
  await services?.close();
  services = null;
  await kc.cleanup();
  tmp.cleanup();
});

function open(): Services {
  services = openServices({ dataDir: tmp.dir, secrets: kc.keychain, launcher, tester });
  return services;
}

it('openServices defaults to the real client and the embedded sandbox', async () => {
  services = openServices({ dataDir: tmp.dir, secrets: kc.keychain, launcher });
  const first = await services.ensureSandbox();
  expect(await services.applications.testConnection(first.profile!.id)).toMatchObject({ ok: true });
});

it('first run gives a working Sandbox profile; test connection: right secret ok, wrong secret unauthorized, wrong app ID not_found, host down network', async () => {
  const s = open();
  const first = await s.ensureSandbox();
  expect(first.firstRun).toBe(true);
  const sandboxId = first.profile!.id;
  expect(await s.applications.testConnection(sandboxId)).toMatchObject({ ok: true });

  const base = first.sandbox!.baseUrl;
  const secret0 = (await kc.keychain.get(sandboxId))!;
  const wrongSecret = await s.applications.add({
    name: 'Wrong secret',
    flavour: 'Sandbox',
    baseUrl: base,
    applicationId: first.profile!.applicationId,
    secret: SECRET,
  });
  const wrongApp = await s.applications.add({
    name: 'Wrong app',
    flavour: 'Sandbox',
    baseUrl: base,
    applicationId: APP_ID,
    secret: SECRET,
  });
  const wrongPath = await s.applications.add({
    name: 'Wrong path',
    flavour: 'Sandbox',
    baseUrl: `${base}/not-the-api`,
    applicationId: first.profile!.applicationId,
    secret: secret0,
  });
  const down = await s.applications.add({
    name: 'Down',
    flavour: 'Sandbox',
    baseUrl: 'http://127.0.0.1:9',
    applicationId: APP_ID,
    secret: SECRET,
  });
  expect(await s.applications.testConnection(wrongSecret.id)).toMatchObject({
    ok: false,
    error: { code: 'unauthorized' },
  });
  expect(await s.applications.testConnection(wrongApp.id)).toMatchObject({
    ok: false,
    error: { code: 'not_found', details: { what: 'application' } },
  });
  // A 404 about the endpoint (wrong base URL path) is a failure, not the probe user's "unknown".
  expect(await s.applications.testConnection(wrongPath.id)).toMatchObject({
    ok: false,
    error: { code: 'not_found', details: { what: 'endpoint' } },
  });
  expect(await s.applications.testConnection(down.id)).toMatchObject({ ok: false, error: { code: 'network' } });

  const secret = await kc.keychain.get(sandboxId);
  expect(secret).toMatch(/^[0-9A-F]{48}$/);
  expect(filesContain(tmp.dir, SECRET)).toEqual([]);
  const store = filesContain(tmp.dir, secret!).filter((f) => f.includes('.sqlite'));
  expect(store).toEqual([]);
});

it('restarts the sandbox on a free port with the same credentials, and its users persist', async () => {
  let s = open();
  const first = await s.ensureSandbox();
  const secret = (await kc.keychain.get(first.profile!.id))!;
  const client = new IampassClient({
    flavour: 'Sandbox',
    baseUrl: first.sandbox!.baseUrl,
    applicationId: first.profile!.applicationId,
    secret,
    maxRetries: 0,
  });
  await client.addUsers(['persisted@example.com']);
  expect(await client.hasRegisteredDevice('persisted@example.com')).toBe(false);
  await s.close();

  s = open();
  const second = await s.ensureSandbox();
  expect(second.firstRun).toBe(false);
  expect(second.profile!.id).toBe(first.profile!.id);
  expect(s.applications.getActive()?.baseUrl).toBe(second.sandbox!.baseUrl);
  expect(await s.applications.testConnection(second.profile!.id)).toMatchObject({ ok: true });
  const again = new IampassClient({
    flavour: 'Sandbox',
    baseUrl: second.sandbox!.baseUrl,
    applicationId: second.profile!.applicationId,
    secret,
    maxRetries: 0,
  });
  // A user the sandbox did not keep would be a 404 (not_found), not `false`.
  expect(await again.hasRegisteredDevice('persisted@example.com')).toBe(false);
});

it('the console launcher seals the sandbox secrets: no file of the data folder holds the application or a session secret, and a restart restores users and sessions', async () => {
  services = openServices({ dataDir: tmp.dir, secrets: kc.keychain, launcher, tester });
  const first = await services.ensureSandbox();
  const secret = (await kc.keychain.get(first.profile!.id))!;
  const config = { flavour: 'Sandbox' as const, applicationId: first.profile!.applicationId, secret, maxRetries: 0 };
  const client = new IampassClient({ ...config, baseUrl: first.sandbox!.baseUrl });
  await client.addUsers(['kept@example.com']);
  const phone = new VirtualPhone(first.sandbox!.baseUrl);
  await phone.register(await client.registrationLink('kept@example.com'));
  const started = await client.authenticateUser('kept@example.com', { durationSeconds: 3600 });
  if (!started.started) throw new Error('not started');
  await phone.approve(started.session.sessionToken);
  client.close();
  await services.close();
  services = null;

  for (const needle of [secret, secret.toLowerCase(), started.session.sessionSecret])
    expect(filesContain(tmp.dir, needle)).toEqual([]);
  const data = JSON.parse(readFileSync(join(tmp.dir, SANDBOX_DATA_FILE), 'utf8')) as {
    applications: { secret?: string; sealedSecret?: string }[];
    sessions: { secret?: string; sealedSecret?: string }[];
  };
  for (const item of [...data.applications, ...data.sessions]) {
    expect(item.secret).toBeUndefined();
    expect(item.sealedSecret).toMatch(/^[A-Za-z0-9+/]+=*$/);
  }

  services = openServices({ dataDir: tmp.dir, secrets: kc.keychain, launcher, tester });
  const second = await services.ensureSandbox();
  const base = second.sandbox!.baseUrl;
  const again = new IampassClient({ ...config, baseUrl: base });
  try {
    expect(await again.hasRegisteredDevice('kept@example.com')).toBe(true);
    const session = {
      ...started.session,
      statusUrl: `${base}/authentication/status/${started.session.sessionToken}`,
      logoutUrl: `${base}/authentication/logout/${started.session.sessionToken}`,
    };
    expect(await again.sessionStatus(session)).toEqual({ authenticated: true, status: 'active' });
  } finally {
    again.close();
  }
});

it('openServices hands the keychain data key to any launcher (the CLI passes its own) as secretKey', async () => {
  const seen: unknown[] = [];
  const recording: SandboxLauncher = {
    start: (options) => {
      seen.push(options);
      return startSandbox(options);
    },
  };
  services = openServices({ dataDir: tmp.dir, secrets: kc.keychain, launcher: recording, tester });
  const first = await services.ensureSandbox();
  expect(seen).toHaveLength(1);
  const key = (seen[0] as { secretKey?: Uint8Array }).secretKey;
  expect(Buffer.from(key!).equals(await kc.keychain.dataKey())).toBe(true);
  const secret = (await kc.keychain.get(first.profile!.id))!;
  await services.close();
  services = null;
  expect(filesContain(tmp.dir, secret)).toEqual([]);
});
