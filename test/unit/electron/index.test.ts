/** src/electron/main.ts wires the real `electron` module (mocked here) into start(). */
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import keytar from 'keytar';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { REQUEST_CHANNELS } from '../../../src/shared/ipc/contract.ts';
import { Keychain } from '../../../src/main/secrets/keychain.ts';
import type * as ServicesModule from '../../../src/main/services/index.ts';
import type * as ProtocolModule from '../../../src/main/electron/protocol.ts';
import { createFakeElectron } from './fake-electron.ts';

const { userData, keychainService } = vi.hoisted(() => ({
  userData: `${process.env['TMPDIR'] ?? '/tmp'}/iampass-index-${String(process.pid)}-${String(Date.now())}`,
  keychainService: `iampass-admin-test-index-${String(process.pid)}`,
}));
const fake = createFakeElectron({ userData });
vi.mock('electron', () => fake.electron);
// Records the folder the app:// handler serves.
const protocolRoots = vi.hoisted(() => [] as string[]);
vi.mock('../../../src/main/electron/protocol.ts', async (importOriginal) => {
  const real = await importOriginal<typeof ProtocolModule>();
  return {
    ...real,
    createAppProtocolHandler: (o: ProtocolModule.AppProtocolOptions) => (
      protocolRoots.push(o.root),
      real.createAppProtocolHandler(o)
    ),
  };
});
// The real openServices on a temp userData, with a test-only keychain service name.
vi.mock('../../../src/main/services/index.ts', async (importOriginal) => {
  const real = await importOriginal<typeof ServicesModule>();
  return {
    ...real,
    openServices: (o: ServicesModule.ServicesOptions) =>
      real.openServices({ ...o, secrets: new Keychain({ service: keychainService }) }),
  };
});

afterAll(async () => {
  for (const c of await keytar.findCredentials(keychainService))
    await keytar.deletePassword(keychainService, c.account);
  rmSync(userData, { recursive: true, force: true });
});

describe('src/electron/main.ts', () => {
  it('takes the lock, registers every channel and opens the built renderer over app:// with the CommonJS preload', async () => {
    await import('../../../src/electron/main.ts');
    expect(fake.calls.lock).toBe(1);
    expect([...fake.handlers.keys()].sort()).toEqual([...REQUEST_CHANNELS].sort());
    await fake.ready();
    await vi.waitFor(() => expect(fake.windows).toHaveLength(1), { timeout: 10_000 });
    const win = fake.windows[0]!;
    const prefs = (win.options as { webPreferences: { preload: string; sandbox: boolean } }).webPreferences;
    expect(prefs.preload).toMatch(/[/\\]preload[/\\]index\.cjs$/);
    expect(prefs.sandbox).toBe(true);
    expect(win.loaded).toBe('app://iampass/index.html');
    // The app:// handler serves the renderer folder beside main's (out/renderer next to out/main in a build).
    expect(fake.protocol.privileged).toHaveLength(1);
    expect(protocolRoots).toEqual([resolve(import.meta.dirname, '../../../src/renderer')]);
    const served = await fake.protocol.handlers.get('app')!(new Request('app://iampass/..%2f..%2fpackage.json'));
    expect(served.status).toBe(403);
    // The first-run step ran on the userData folder: the Sandbox secret is in the (test) keychain.
    expect((await keytar.findCredentials(keychainService)).map((c) => c.account)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^profile:/)]),
    );
    fake.appEvents.emit('will-quit', { preventDefault: () => undefined });
    await vi.waitFor(() => expect(fake.calls.quit).toBe(1));
  });
});
