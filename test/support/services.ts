/**
 * Real services for tests: `openServices` on a fresh temp data folder with a
 * test-only keychain service name (the OS keychain through keytar, so run
 * under scripts/keyring-session.sh). `cleanup()` closes the services (and the
 * sandbox `ensureSandbox()` started), deletes every keychain entry of the
 * test service and removes the folder.
 *
 *   const t = await openTestServices();
 *   try { createHandlers({ app, services: t.services, bus }) ... } finally { await t.cleanup(); }
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import keytar from 'keytar';
import { Keychain } from '../../src/main/secrets/keychain.ts';
import { openServices, type Services, type ServicesOptions } from '../../src/main/services/index.ts';
import { sandboxLauncher } from '../../src/sandbox/launcher.ts';

export interface TestServices {
  services: Services;
  dataDir: string;
  keychainService: string;
  keychain: Keychain;
  /** Accounts the test keychain service holds (sorted). */
  accounts(): Promise<string[]>;
  cleanup(): Promise<void>;
}

export type TestServicesOptions = Omit<ServicesOptions, 'dataDir' | 'secrets'> & { dataDir?: string };

export async function openTestServices(options: TestServicesOptions = {}): Promise<TestServices> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'iampass-test-'));
  const keychainService = `iampass-admin-test-${randomUUID()}`;
  const keychain = new Keychain({ service: keychainService });
  const services = openServices({ launcher: sandboxLauncher, ...options, dataDir, secrets: keychain });
  const accounts = async () => (await keytar.findCredentials(keychainService)).map((c) => c.account).sort();
  let cleaned = false;
  return Promise.resolve({
    services,
    dataDir,
    keychainService,
    keychain,
    accounts,
    async cleanup() {
      if (cleaned) return;
      cleaned = true;
      try {
        await services.close();
      } finally {
        for (const account of await accounts()) await keytar.deletePassword(keychainService, account);
        if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
      }
    },
  });
}
