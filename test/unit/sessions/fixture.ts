// A console's services on a real SQLite file and the real keychain, with an
// active profile pointing at a real sandbox, users in the directory, each
// with a phone registered through the sandbox's VirtualPhone.
import { IampassClient } from '../../../src/main/iampass/client.ts';
import { openServices, type Services } from '../../../src/main/services/index.ts';
import type { DesktopNotification } from '../../../src/main/services/notifier.ts';
import type { SessionEvent, SessionsOptions } from '../../../src/main/services/sessions.ts';
import { getUser, insertUsers } from '../../../src/main/store/directory.ts';
import { VirtualPhone } from '../../../src/sandbox/phone.ts';
import { startSandbox } from '../../../src/sandbox/server.ts';
import { tempDir, testKeychain } from '../services/helpers.ts';

export const FAST: SessionsOptions = {
  intervals: { waitingMs: 40, liveMs: 80, jitter: 0.1, backoffBaseMs: 40, backoffMaxMs: 320 },
  timeoutMs: 3000,
  profileTtlMs: 50,
};

export interface Fixture {
  dir: string;
  sandbox: Awaited<ReturnType<typeof startSandbox>>;
  phone: VirtualPhone;
  client: IampassClient;
  services: Services;
  profileId: string;
  events: SessionEvent[];
  notifications: DesktopNotification[];
  /** The IAMPASS ID sent for a directory user. */
  iampassId(userId: string): string;
  /** The phone's session token of the user's newest session. */
  token(userId: string): Promise<string>;
  /** Close and reopen the services on the same data folder (a restart of main). */
  restart(): Promise<Services>;
  close(): Promise<void>;
}

export async function sessionsFixture(
  options: {
    users?: { userId: string; displayName?: string; phone?: boolean }[];
    pendingTimeoutSeconds?: number;
    sessions?: SessionsOptions;
  } = {},
): Promise<Fixture> {
  const tmp = tempDir();
  const kc = testKeychain();
  const sandbox = await startSandbox({ pendingTimeoutSeconds: options.pendingTimeoutSeconds ?? 60 });
  const events: SessionEvent[] = [];
  const notifications: DesktopNotification[] = [];
  const open = (): Services => {
    const s = openServices({
      dataDir: tmp.dir,
      secrets: kc.keychain,
      notifier: { notify: (n) => notifications.push(n) },
      sessions: options.sessions ?? FAST,
    });
    s.sessions.on((e) => events.push(e));
    return s;
  };
  let services = open();
  const profile = await services.applications.add({
    name: 'Sandbox',
    flavour: 'Sandbox',
    baseUrl: sandbox.baseUrl,
    applicationId: sandbox.applicationId,
    secret: sandbox.applicationSecret,
  });
  services.applications.setActive(profile.id);
  const users = options.users ?? [{ userId: 'alice', displayName: 'Alice Liddell' }];
  insertUsers(
    services.store,
    profile.id,
    users.map((u) => ({ userId: u.userId, ...(u.displayName ? { displayName: u.displayName } : {}) })),
  );
  const client = new IampassClient({
    flavour: 'Sandbox',
    baseUrl: sandbox.baseUrl,
    applicationId: sandbox.applicationId,
    secret: sandbox.applicationSecret,
    retryBaseDelayMs: 5,
  });
  const phone = new VirtualPhone(sandbox.baseUrl);
  const iampassId = (userId: string): string => getUser(services.store, profile.id, userId)!.iampassId;
  await client.addUsers(users.map((u) => iampassId(u.userId)));
  for (const u of users) {
    if (u.phone === false) continue;
    await phone.register(await client.registrationLink(iampassId(u.userId)));
  }
  return {
    dir: tmp.dir,
    sandbox,
    phone,
    client,
    get services() {
      return services;
    },
    profileId: profile.id,
    events,
    notifications,
    iampassId,
    async token(userId) {
      const all = await phone.sessions(sandbox.applicationId, iampassId(userId));
      // The one waiting for the phone first: two sessions created within one timestamp tie on createdAt.
      const waiting = all.filter((x) => x.sessionStatus === 'pending' || x.sessionStatus === 'identifying');
      const newest = (waiting.length > 0 ? waiting : all).sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0];
      if (!newest) throw new Error(`no session for ${userId}`);
      return newest.id;
    },
    async restart() {
      await services.close();
      services = open();
      return services;
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
