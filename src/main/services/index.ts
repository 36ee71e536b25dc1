/**
 * One entry point for the console's main process and the CLI: opens the
 * store in the data folder and builds the services on it.
 *
 *   const services = openServices({ dataDir: app.getPath('userData'), launcher: sandboxLauncher });
 *   const first = await services.ensureSandbox();   // first-run screen when first.firstRun
 *   ...
 *   await services.close();
 */
import { join } from 'node:path';
import { AppError } from '../../shared/errors.ts';
import { Keychain, type SecretStore } from '../secrets/keychain.ts';
import { openStore, type Store } from '../store/db.ts';
import { ApplicationsService, type ConnectionTester } from './applications.ts';
import { IampassClient } from '../iampass/client.ts';
import { AuditService } from './audit.ts';
import { makeConnectionTester } from './connection-test.ts';
import { ensureSandboxProfile, type FirstRunResult, type SandboxLauncher } from './first-run.ts';
import type { Notifier } from './notifier.ts';
import { SessionsService, type SessionsOptions } from './sessions.ts';
import { UsersService, type UsersDeps } from './users.ts';
import { OnboardingService, type OnboardingOptions } from './onboarding.ts';
import { VirtualPhoneService } from './virtual-phone.ts';
import { InvitationsService, type InvitationsDeps } from './invitations.ts';
import { ProfileScope } from './profile-scope.ts';
import { DirectorySources, type DirectorySourcesDeps } from './directory-sources.ts';
import { JobRunner } from './jobs.ts';
import { TeamService, type TeamDeps } from './team.ts';

export const STORE_FILE = 'iampass-admin.sqlite';

export interface ServicesOptions {
  /** The data folder (Electron's userData, or the CLI's --data-dir). */
  dataDir: string;
  /** Defaults to the OS keychain under the `iampass-admin` service. */
  secrets?: SecretStore;
  /** Defaults to one real signed call through IampassClient (no retries). */
  tester?: ConnectionTester;
  /**
   * Starts the embedded sandbox for `ensureSandbox`. Injected by the
   * composition root (src/electron/main.ts and the CLI context pass
   * src/sandbox/launcher.ts): main's services never import the sandbox.
   * Without one, `ensureSandbox` fails with a typed error.
   */
  launcher?: SandboxLauncher;
  now?: () => number;
  /** Desktop notifications (the Electron layer's); default: none. */
  notifier?: Notifier;
  /** Session monitor tuning (intervals, clock). */
  sessions?: SessionsOptions;
  /** Registration-link handles: TTL, poll interval. */
  onboarding?: OnboardingOptions;
  /** Invitations: the throttle's wait (tests advance a clock), the mailer. */
  invitations?: Pick<InvitationsDeps, 'sleep' | 'createMailer'>;
  /** Users jobs tuning: users per add/delete call, request timeout. */
  users?: Pick<UsersDeps, 'batchSize' | 'timeoutMs' | 'screenCopyMax'>;
  /** Pins users, onboarding and sessions to this profile instead of the active one (the CLI's --profile). */
  profileId?: string;
  /** Application directories: how often watched databases are checked, SQLite polling. */
  sources?: Pick<DirectorySourcesDeps, 'fingerprintEveryMs' | 'pollMs'>;
  /** Team mode: heartbeat and how long a silent console's intents wait before another takes them over. */
  team?: Pick<TeamDeps, 'heartbeatMs' | 'staleMs'>;
  /** Resume monitoring the stored live sessions on open (default true; the CLI resumes only in `sessions watch`). */
  resumeSessions?: boolean;
}

export interface Services {
  store: Store;
  secrets: SecretStore;
  applications: ApplicationsService;
  audit: AuditService;
  /** Live sessions + the monitor; live sessions in the store resume on open (`sessionsResumed`). */
  sessions: SessionsService;
  /** Resolves with the number of sessions resumed (rejects, e.g. keychain locked, without crashing). */
  sessionsResumed: Promise<number>;
  /** The users directory: snapshot, add/import/delete/status jobs (users.jobs), change events. */
  users: UsersService;
  /** Profiles whose users live in the application's database: link, check, sync, watch. */
  sources: DirectorySources;
  /** Team mode: the shared ledger of changes and the shared audit log. */
  team: TeamService;
  /** Registration QR handles and the lost-device flow. */
  onboarding: OnboardingService;
  /** The sandbox's phone page for the console's "Open virtual phone". */
  phone: VirtualPhoneService;
  /** Contacts, email settings, invitations by email and SMS, the funnel. */
  invitations: InvitationsService;
  /** First-run / restart of the embedded sandbox (needs `launcher`). */
  ensureSandbox(): Promise<FirstRunResult>;
  /** Stops the sandbox started by `ensureSandbox` and closes the store. */
  close(): Promise<void>;
}

export const defaultTester: ConnectionTester = makeConnectionTester(
  (config) => new IampassClient({ ...config, maxRetries: 0 }),
);
const noLauncher: SandboxLauncher = {
  start: () => Promise.reject(new AppError('internal', 'No sandbox launcher was given to openServices.')),
};

/**
 * Every sandbox started on a console data folder gets the keychain data key
 * as `secretKey`, so its data file (`<dataDir>/sandbox-data.json`) holds its
 * application and session secrets only sealed: the data folder has no secret
 * in plain text. Wraps any launcher (the default one, the CLI's); a launcher
 * that spreads its options into `startSandbox` passes the key on.
 */
export function keychainSealedLauncher(secrets: Pick<SecretStore, 'dataKey'>, inner: SandboxLauncher): SandboxLauncher {
  return {
    start: async (options) => {
      const sealed: Parameters<SandboxLauncher['start']>[0] & { secretKey: Uint8Array } = {
        ...options,
        secretKey: await secrets.dataKey(),
      };
      return inner.start(sealed);
    },
  };
}

export function openServices(options: ServicesOptions): Services {
  const store = openStore(join(options.dataDir, STORE_FILE));
  const secrets = options.secrets ?? new Keychain();
  const now = options.now ?? Date.now;
  const audit = new AuditService(store, now);
  const tester = options.tester ?? defaultTester;
  const launcher = keychainSealedLauncher(secrets, options.launcher ?? noLauncher);
  const applications = new ApplicationsService({ store, secrets, audit, now, tester });
  // One profile scope (the pinned profile, else the active one) for users, onboarding and sessions.
  const scope = new ProfileScope({ store, secrets, profileId: options.profileId });
  const sessions = new SessionsService({
    store,
    secrets,
    audit,
    now,
    scope,
    ...(options.notifier ? { notifier: options.notifier } : {}),
    ...(options.sessions ? { options: options.sessions } : {}),
  });
  let sessionsResumed: Promise<number>;
  try {
    sessionsResumed = Promise.resolve(options.resumeSessions === false ? 0 : sessions.resume());
  } catch (error) {
    sessionsResumed = Promise.reject(error instanceof Error ? error : new Error('resume failed'));
    sessionsResumed.catch(() => undefined);
  }
  const jobs = new JobRunner({ now });
  const sources = new DirectorySources({ store, secrets, audit, jobs, now, ...options.sources });
  const team = new TeamService({ store, sources, audit, now, ...options.team });
  const users = new UsersService({ store, secrets, audit, now, ...options.users, scope, jobs, sources, team });
  const onboarding = new OnboardingService(users, { now, ...options.onboarding });
  const invitations = new InvitationsService({ store, secrets, audit, users, now, ...options.invitations });
  // A session turning active sets the user's last authentication: keep the Users table current.
  sessions.on((e) => {
    if (e.type === 'changed' && e.payload.session.status === 'active' && e.payload.previous !== 'active')
      users.announce([e.payload.session.userId]);
  });
  let sandbox: FirstRunResult['sandbox'] = null;
  return {
    store,
    secrets,
    applications,
    audit,
    sessions,
    sessionsResumed,
    users,
    sources,
    team,
    onboarding,
    phone: new VirtualPhoneService(users, onboarding),
    invitations,
    async ensureSandbox() {
      if (sandbox) await sandbox.close();
      sandbox = null;
      const result = await ensureSandboxProfile({ store, secrets, launcher, dataDir: options.dataDir, now });
      sandbox = result.sandbox;
      return result;
    },
    async close() {
      await sessions.close();
      onboarding.closeAll();
      await users.jobs.close();
      await team.close();
      await sources.close();
      if (sandbox) await sandbox.close();
      sandbox = null;
      store.close();
    },
  };
}
