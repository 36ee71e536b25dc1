// The services wired to the REAL IampassClient and the REAL embedded sandbox
// (strict HMAC over loopback), the real keychain and a real SQLite file.
import { afterEach, beforeEach, expect, it } from 'vitest';
import { IampassClient } from '../../../src/main/iampass/client.ts';
import { startSandbox } from '../../../src/sandbox/server.ts';
import { makeConnectionTester } from '../../../src/main/services/connection-test.ts';
import type { SandboxLauncher } from '../../../src/main/services/first-run.ts';
import { openServices, type Services } from '../../../src/main/services/index.ts';
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
  services = openServices({ dataDir: tmp.dir, secrets: kc.keychain });
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
  const wrongSecret = await s.applications.add({ name: 'Wrong secret', flavour: 'Sandbox', baseUrl: base, applicationId: first.profile!.applicationId, secret: SECRET });
  const wrongApp = await s.applications.add({ name: 'Wrong app', flavour: 'Sandbox', baseUrl: base, applicationId: APP_ID, secret: SECRET });
  const wrongPath = await s.applications.add({ name: 'Wrong path', flavour: 'Sandbox', baseUrl: `${base}/not-the-api`, applicationId: first.profile!.applicationId, secret: secret0 });
  const down = await s.applications.add({ name: 'Down', flavour: 'Sandbox', baseUrl: 'http://127.0.0.1:9', applicationId: APP_ID, secret: SECRET });
  expect(await s.applications.testConnection(wrongSecret.id)).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
  expect(await s.applications.testConnection(wrongApp.id)).toMatchObject({ ok: false, error: { code: 'not_found', details: { what: 'application' } } });
  // A 404 about the endpoint (wrong base URL path) is a failure, not the probe user's "unknown".
  expect(await s.applications.testConnection(wrongPath.id)).toMatchObject({ ok: false, error: { code: 'not_found', details: { what: 'endpoint' } } });
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
  const client = new IampassClient({ flavour: 'Sandbox', baseUrl: first.sandbox!.baseUrl, applicationId: first.profile!.applicationId, secret, maxRetries: 0 });
  await client.addUsers(['persisted@example.com']);
  expect(await client.hasRegisteredDevice('persisted@example.com')).toBe(false);
  await s.close();

  s = open();
  const second = await s.ensureSandbox();
  expect(second.firstRun).toBe(false);
  expect(second.profile!.id).toBe(first.profile!.id);
  expect(s.applications.getActive()?.baseUrl).toBe(second.sandbox!.baseUrl);
  expect(await s.applications.testConnection(second.profile!.id)).toMatchObject({ ok: true });
  const again = new IampassClient({ flavour: 'Sandbox', baseUrl: second.sandbox!.baseUrl, applicationId: second.profile!.applicationId, secret, maxRetries: 0 });
  // A user the sandbox did not keep would be a 404 (not_found), not `false`.
  expect(await again.hasRegisteredDevice('persisted@example.com')).toBe(false);
});
