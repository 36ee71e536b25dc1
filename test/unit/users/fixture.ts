// Real services (SQLite file, OS keychain) with an active profile on a real
// sandbox, a virtual phone, and a recorder of every service / job event.
import { IampassClient } from '../../../src/main/iampass/client.ts';
import { openServices, type Services } from '../../../src/main/services/index.ts';
import type { JobEvent } from '../../../src/main/services/jobs.ts';
import type { UsersEvent } from '../../../src/main/services/users.ts';
import { getUser } from '../../../src/main/store/directory.ts';
import type { JobFinished } from '../../../src/shared/ipc/jobs.ts';
import { VirtualPhone } from '../../../src/sandbox/phone.ts';
import { startSandbox } from '../../../src/sandbox/server.ts';
import { tempDir, testKeychain } from '../services/helpers.ts';

export interface UsersFixture {
  dir: string;
  /** The test keychain's service name (for child processes on the same data folder). */
  keychainService: string;
  sandbox: Awaited<ReturnType<typeof startSandbox>>;
  phone: VirtualPhone;
  /** A direct client on the sandbox (to look at the server's side). */
  client: IampassClient;
  services: Services;
  profileId: string;
  events: (UsersEvent | JobEvent)[];
  iampassId(userId: string): string | undefined;
  /** Waits for a job's result. */
  finished(jobId: string): Promise<JobFinished>;
  close(): Promise<void>;
}

export async function usersFixture(
  options: {
    concurrency?: number;
    sendOwnIds?: boolean;
    batchSize?: number;
    pollMs?: number;
    /** The largest directory the Users screen is given whole (default LOCAL_DIRECTORY_MAX). */
    screenCopyMax?: number;
  } = {},
): Promise<UsersFixture> {
  const tmp = tempDir();
  const kc = testKeychain();
  const sandbox = await startSandbox({});
  const services = openServices({
    dataDir: tmp.dir,
    secrets: kc.keychain,
    onboarding: { pollMs: options.pollMs ?? 50 },
    users: {
      batchSize: options.batchSize ?? 500,
      ...(options.screenCopyMax === undefined ? {} : { screenCopyMax: options.screenCopyMax }),
    },
    sessions: {
      intervals: { waitingMs: 40, liveMs: 80, jitter: 0.1, backoffBaseMs: 40, backoffMaxMs: 320 },
      timeoutMs: 3000,
    },
  });
  const events: (UsersEvent | JobEvent)[] = [];
  services.users.on((e) => events.push(e));
  services.users.jobs.on((e) => events.push(e));
  const profile = await services.applications.add({
    name: 'Sandbox',
    flavour: 'Sandbox',
    baseUrl: sandbox.baseUrl,
    applicationId: sandbox.applicationId,
    secret: sandbox.applicationSecret,
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
    ...(options.sendOwnIds === undefined ? {} : { sendOwnIds: options.sendOwnIds }),
  });
  services.applications.setActive(profile.id);
  const client = new IampassClient({
    flavour: 'Sandbox',
    baseUrl: sandbox.baseUrl,
    applicationId: sandbox.applicationId,
    secret: sandbox.applicationSecret,
    retryBaseDelayMs: 5,
  });
  const phone = new VirtualPhone(sandbox.baseUrl);
  return {
    dir: tmp.dir,
    keychainService: kc.keychain.service,
    sandbox,
    phone,
    client,
    services,
    profileId: profile.id,
    events,
    iampassId: (userId) => getUser(services.store, profile.id, userId)?.iampassId,
    async finished(jobId) {
      const r = await services.users.jobs.wait(jobId);
      if (!r) throw new Error(`no job ${jobId}`);
      return r;
    },
    async close() {
      await services.close();
      client.close();
      await sandbox.close();
      await kc.cleanup();
      tmp.cleanup();
    },
  };
}
