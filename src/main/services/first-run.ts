/**
 * First run: a fresh store gets a "Sandbox" profile backed by the embedded
 * sandbox, with its own Application ID and secret (generated once, the
 * secret kept in the keychain like any other) and made active. Later runs
 * restart the sandbox (its data file in the data folder keeps its users)
 * and point the profile at its new free port.
 *
 * If the admin removed the Sandbox profile, it is not recreated.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { AppError, toErrorInfo } from '../../shared/errors.ts';
import type { SecretStore } from '../secrets/keychain.ts';
import type { Store } from '../store/db.ts';
import {
  ACTIVE_PROFILE_KEY,
  findProfileByName,
  getProfile,
  getSetting,
  insertProfile,
  setSetting,
  updateProfile,
  type Profile,
} from '../store/profiles.ts';
import { SANDBOX_PROFILE_KEY } from './applications.ts';
import { AuditService } from './audit.ts';
import { DEFAULT_CONCURRENCY } from './validate.ts';

export interface SandboxHandle {
  baseUrl: string;
  applicationId: string;
  close(): Promise<void> | void;
}

/** Port for the embedded sandbox (src/sandbox/server.ts's startSandbox fits it). */
export interface SandboxLauncher {
  start(options: {
    port?: number;
    dataFile: string;
    application: { id: string; secret: string };
  }): Promise<SandboxHandle>;
}

export interface FirstRunResult {
  /** True when this call created the Sandbox profile: the UI shows its first-run screen. */
  firstRun: boolean;
  /** The sandbox profile, or null when the admin removed it. */
  profile: Profile | null;
  /** The running sandbox (stop it on quit), or null. */
  sandbox: SandboxHandle | null;
}

export interface FirstRunDeps {
  store: Store;
  secrets: SecretStore;
  launcher: SandboxLauncher;
  /** The data folder: the sandbox's data file goes here. */
  dataDir: string;
  now?: () => number;
}

const FIRST_RUN_DONE_KEY = 'first_run_done';
export const SANDBOX_DATA_FILE = 'sandbox-data.json';

function newApplicationId(): string {
  return randomBytes(16).toString('hex').toUpperCase();
}
function newSecret(): string {
  return randomBytes(24).toString('hex').toUpperCase();
}

function freeName(store: Store): string {
  for (let i = 1; ; i++) {
    const name = i === 1 ? 'Sandbox' : `Sandbox ${String(i)}`;
    if (!findProfileByName(store, name)) return name;
  }
}

export async function ensureSandboxProfile(deps: FirstRunDeps): Promise<FirstRunResult> {
  const { store, secrets, launcher } = deps;
  const now = deps.now ?? Date.now;
  const audit = new AuditService(store, now);
  const dataFile = join(deps.dataDir, SANDBOX_DATA_FILE);
  const sandboxId = getSetting(store, SANDBOX_PROFILE_KEY);

  if (getSetting(store, FIRST_RUN_DONE_KEY) === null) {
    const profileId = randomUUID();
    const applicationId = newApplicationId();
    const secret = newSecret();
    await secrets.set(profileId, secret);
    let sandbox: SandboxHandle;
    try {
      sandbox = await launcher.start({ port: 0, dataFile, application: { id: applicationId, secret } });
    } catch (error) {
      await secrets.delete(profileId).catch(() => false);
      audit.record({
        action: 'sandbox.create',
        target: 'Sandbox',
        outcome: 'error',
        errorCode: toErrorInfo(error).code,
      });
      throw error instanceof AppError
        ? error
        : new AppError('internal', 'The embedded sandbox could not be started.', { cause: error });
    }
    const profile: Profile = {
      id: profileId,
      name: freeName(store),
      flavour: 'Sandbox',
      baseUrl: sandbox.baseUrl,
      applicationId,
      concurrency: DEFAULT_CONCURRENCY,
      sendOwnIds: false,
      createdAt: now(),
      updatedAt: now(),
    };
    try {
      store.transaction(() => {
        insertProfile(store, profile);
        setSetting(store, SANDBOX_PROFILE_KEY, profileId);
        setSetting(store, ACTIVE_PROFILE_KEY, profileId);
        setSetting(store, FIRST_RUN_DONE_KEY, String(now()));
        audit.record({ action: 'sandbox.create', profile, target: profile.name, outcome: 'ok' });
      });
    } catch (error) {
      await sandbox.close();
      await secrets.delete(profileId).catch(() => false);
      throw error;
    }
    return { firstRun: true, profile, sandbox };
  }

  const existing = sandboxId === null ? null : getProfile(store, sandboxId);
  if (!existing) return { firstRun: false, profile: null, sandbox: null };

  let secret = await secrets.get(existing.id);
  if (secret === null) {
    // The keychain lost it (new keyring, manual deletion): the sandbox is ours, so mint a new one.
    secret = newSecret();
    await secrets.set(existing.id, secret);
  }
  let sandbox: SandboxHandle;
  try {
    sandbox = await launcher.start({ port: 0, dataFile, application: { id: existing.applicationId, secret } });
  } catch (error) {
    audit.record({
      action: 'sandbox.start',
      profile: existing,
      target: existing.name,
      outcome: 'error',
      errorCode: toErrorInfo(error).code,
    });
    throw error instanceof AppError
      ? error
      : new AppError('internal', 'The embedded sandbox could not be started.', { cause: error });
  }
  const profile: Profile = { ...existing, baseUrl: sandbox.baseUrl, updatedAt: now() };
  store.transaction(() => {
    updateProfile(store, profile);
    audit.record({ action: 'sandbox.start', profile, target: profile.name, outcome: 'ok' });
  });
  return { firstRun: false, profile, sandbox };
}
