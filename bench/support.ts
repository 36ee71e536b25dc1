/**
 * What several benchmarks share: the sandbox in its own process (as a real
 * service would be: in-process it would share the measured code's event loop
 * and CPU), and an in-memory SecretStore (benchmarks measure our code, not the
 * OS keychain), and the Sandbox profile they add.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import type { SecretStore } from '../src/main/secrets/keychain.ts';
import type { Services } from '../src/main/services/index.ts';
import type { Profile } from '../src/main/store/profiles.ts';

export interface SandboxProcess {
  baseUrl: string;
  pid: number;
  /** CPU time (user + system, µs) the sandbox process has used so far (Linux /proc, 10 ms ticks). */
  cpuMicros(): Promise<number>;
  close(): Promise<void>;
}

const ENTRY = fileURLToPath(new URL('../src/sandbox/main.ts', import.meta.url));
/** USER_HZ: clock ticks per second in /proc/<pid>/stat (100 on Linux x86-64). */
const TICKS_PER_SECOND = 100;

/**
 * The standalone sandbox (`npm run sandbox`'s entry) with the given
 * application, plus any of its flags (e.g. `--pending-timeout 86400`);
 * resolves on its ready line.
 */
export async function spawnSandbox(
  app: { id: string; secret: string },
  flags: readonly string[] = [],
): Promise<SandboxProcess> {
  const child = spawn(
    process.execPath,
    ['--no-warnings', ENTRY, '--port', '0', '--app-id', app.id, '--app-secret', app.secret, ...flags],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const lines = createInterface({ input: child.stdout });
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`the sandbox process exited early (code ${String(code)})`);
  });
  const [first] = (await Promise.race([once(lines, 'line'), exited])) as [string];
  exited.catch(() => undefined);
  const { baseUrl } = JSON.parse(first) as { baseUrl: string };
  const pid = child.pid;
  if (pid === undefined) throw new Error('the sandbox process has no pid');
  return {
    baseUrl,
    pid,
    cpuMicros: async () => {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      // Fields after the ")" that closes the command name: utime is 14th, stime 15th overall.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ticks = Number(fields[11]) + Number(fields[12]);
      return (ticks / TICKS_PER_SECOND) * 1e6;
    },
    close: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

export function memorySecrets(): SecretStore {
  const map = new Map<string, string>();
  const key = randomBytes(32);
  return {
    set: (id, secret) => Promise.resolve(void map.set(id, secret)),
    has: (id) => Promise.resolve(map.has(id)),
    get: (id) => Promise.resolve(map.get(id) ?? null),
    delete: (id) => Promise.resolve(map.delete(id)),
    dataKey: () => Promise.resolve(key),
    setCredential: (id, kind, value) => Promise.resolve(void map.set(`${kind}:${id}`, value)),
    getCredential: (id, kind) => Promise.resolve(map.get(`${kind}:${id}`) ?? null),
    deleteCredential: (id, kind) => Promise.resolve(map.delete(`${kind}:${id}`)),
  };
}

/** Adds a Sandbox profile for `app` at `baseUrl` to the services and makes it the active one. */
export async function useSandboxProfile(
  services: Services,
  baseUrl: string,
  app: { id: string; secret: string },
  name = 'Bench',
): Promise<Profile> {
  const profile = await services.applications.add({
    name,
    flavour: 'Sandbox',
    baseUrl,
    applicationId: app.id,
    secret: app.secret,
  });
  services.applications.setActive(profile.id);
  return profile;
}
