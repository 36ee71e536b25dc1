/**
 * Application profiles: list, add, edit, remove, switch, test connection.
 * The row lives in SQLite, the secret in the keychain; add/edit/remove keep
 * the two in step (a failure on either side leaves nothing half-done).
 * Nothing here returns a secret. Every change writes an audit entry.
 */
import { randomUUID } from 'node:crypto';
import { AppError, toErrorInfo, type ErrorInfo } from '../../shared/errors.ts';
import { normalizeSecret, type SecretStore } from '../secrets/keychain.ts';
import type { Store } from '../store/db.ts';
import {
  ACTIVE_PROFILE_KEY,
  deleteProfile,
  findProfileByName,
  getProfile,
  getSetting,
  insertProfile,
  listProfiles,
  setSetting,
  updateProfile,
  type Profile,
  type ProfileFlavour,
} from '../store/profiles.ts';
import { noSecretError } from './profile-scope.ts';
import { AuditService, type AuditAction } from './audit.ts';
import {
  validateApplicationId,
  validateBaseUrl,
  validateBoolean,
  validateConcurrency,
  validateFlavour,
  validateName,
} from './validate.ts';

/** A profile with whether it is active and has a secret (the IPC layer builds its ApplicationView from it). */
export interface ProfileView extends Profile {
  active: boolean;
  /** Whether the keychain holds its secret; null when the keychain is unreachable. */
  hasSecret: boolean | null;
}

export interface AddApplicationInput {
  name: string;
  flavour: ProfileFlavour;
  baseUrl?: string;
  applicationId: string;
  secret: string;
  concurrency?: number;
  sendOwnIds?: boolean;
}

export interface EditApplicationInput {
  name?: string;
  flavour?: ProfileFlavour;
  baseUrl?: string;
  applicationId?: string;
  concurrency?: number;
  sendOwnIds?: boolean;
  /** Replaces the secret when given. */
  secret?: string;
}

export interface ConnectionTarget {
  flavour: ProfileFlavour;
  baseUrl: string;
  applicationId: string;
}

/**
 * Port: makes one real signed call (e.g. has_registered_mobile_device for a
 * random probe ID) and resolves when the service accepted the signature;
 * rejects with the client's AppError (unauthorized with
 * details.clockSkewSeconds, network, timeout, ...).
 */
export type ConnectionTester = (target: ConnectionTarget, secret: string) => Promise<void>;

export type ConnectionTestResult = { ok: true; latencyMs: number } | { ok: false; latencyMs: number; error: ErrorInfo };

export interface ApplicationsDeps {
  store: Store;
  secrets: SecretStore;
  tester?: ConnectionTester;
  now?: () => number;
  audit?: AuditService;
}

export class ApplicationsService {
  readonly #store: Store;
  readonly #secrets: SecretStore;
  readonly #tester: ConnectionTester | undefined;
  readonly #now: () => number;
  readonly audit: AuditService;

  constructor(deps: ApplicationsDeps) {
    this.#store = deps.store;
    this.#secrets = deps.secrets;
    this.#tester = deps.tester;
    this.#now = deps.now ?? Date.now;
    this.audit = deps.audit ?? new AuditService(deps.store, this.#now);
  }

  async list(): Promise<ProfileView[]> {
    const active = getSetting(this.#store, ACTIVE_PROFILE_KEY);
    const profiles = listProfiles(this.#store);
    let reachable = true;
    const views: ProfileView[] = [];
    for (const p of profiles) {
      let hasSecret: boolean | null = null;
      if (reachable) {
        try {
          hasSecret = await this.#secrets.has(p.id);
        } catch (error) {
          if (!(error instanceof AppError && error.code === 'keychain')) throw error;
          reachable = false;
        }
      }
      views.push({ ...p, active: p.id === active, hasSecret });
    }
    return views;
  }

  get(id: string): Profile {
    const p = getProfile(this.#store, id);
    if (!p) throw new AppError('missing', 'That application profile does not exist.', { details: { id } });
    return p;
  }

  /** A profile by its name (names are unique, case-insensitive), or null. */
  findByName(name: string): Profile | null {
    return findProfileByName(this.#store, name);
  }

  /** Whether the admin closed the first-run screen (kept in the store). */
  firstRunDismissed(): boolean {
    return getSetting(this.#store, FIRST_RUN_DISMISSED_KEY) !== null;
  }

  dismissFirstRun(): void {
    setSetting(this.#store, FIRST_RUN_DISMISSED_KEY, String(this.#now()));
  }

  getActive(): Profile | null {
    const id = getSetting(this.#store, ACTIVE_PROFILE_KEY);
    return id === null ? null : getProfile(this.#store, id);
  }

  setActive(id: string): Profile {
    try {
      return this.#store.transaction(() => {
        const p = this.get(id);
        setSetting(this.#store, ACTIVE_PROFILE_KEY, p.id);
        this.#record('application.activate', p, p.name, null);
        return p;
      });
    } catch (error) {
      this.#record('application.activate', null, null, error);
      throw error;
    }
  }

  async add(input: AddApplicationInput): Promise<ProfileView> {
    let name: string | null = null;
    try {
      if (typeof input !== 'object' || input === null)
        throw new AppError('invalid_input', 'The application details are missing.');
      name = validateName(input.name);
      const flavour = validateFlavour(input.flavour);
      const profile: Profile = {
        id: randomUUID(),
        name,
        flavour,
        baseUrl: validateBaseUrl(input.baseUrl, flavour),
        applicationId: validateApplicationId(input.applicationId),
        concurrency: validateConcurrency(input.concurrency),
        sendOwnIds: validateBoolean(input.sendOwnIds, 'sendOwnIds'),
        createdAt: this.#now(),
        updatedAt: this.#now(),
      };
      const secret = normalizeSecret(input.secret);
      this.#assertNameFree(name, null);
      await this.#secrets.set(profile.id, secret);
      try {
        this.#store.transaction(() => {
          insertProfile(this.#store, profile);
          this.#record('application.add', profile, profile.name, null);
        });
      } catch (error) {
        await this.#secrets.delete(profile.id).catch(() => false);
        throw mapConstraint(error);
      }
      return { ...profile, active: getSetting(this.#store, ACTIVE_PROFILE_KEY) === profile.id, hasSecret: true };
    } catch (error) {
      this.#record('application.add', null, name, error);
      throw error;
    }
  }

  async edit(id: string, patch: EditApplicationInput): Promise<ProfileView> {
    let before: Profile | null = null;
    try {
      before = this.get(id);
      if (typeof patch !== 'object' || patch === null)
        throw new AppError('invalid_input', 'Nothing to change was given.');
      const flavour = patch.flavour === undefined ? before.flavour : validateFlavour(patch.flavour);
      const next: Profile = {
        ...before,
        name: patch.name === undefined ? before.name : validateName(patch.name),
        flavour,
        baseUrl:
          patch.baseUrl === undefined && patch.flavour === undefined
            ? before.baseUrl
            : validateBaseUrl(patch.baseUrl ?? before.baseUrl, flavour),
        applicationId:
          patch.applicationId === undefined ? before.applicationId : validateApplicationId(patch.applicationId),
        concurrency: patch.concurrency === undefined ? before.concurrency : validateConcurrency(patch.concurrency),
        sendOwnIds:
          patch.sendOwnIds === undefined ? before.sendOwnIds : validateBoolean(patch.sendOwnIds, 'sendOwnIds'),
        updatedAt: this.#now(),
      };
      const secret = patch.secret === undefined ? null : normalizeSecret(patch.secret);
      this.#assertNameFree(next.name, id);
      let previousSecret: string | null = null;
      if (secret !== null) {
        previousSecret = await this.#secrets.get(id);
        await this.#secrets.set(id, secret);
      }
      try {
        this.#store.transaction(() => {
          updateProfile(this.#store, next);
          this.#record('application.edit', next, next.name, null);
          if (secret !== null) this.#record('application.secret.replace', next, next.name, null);
        });
      } catch (error) {
        if (secret !== null) {
          if (previousSecret !== null) await this.#secrets.set(id, previousSecret).catch(() => undefined);
          else await this.#secrets.delete(id).catch(() => false);
        }
        throw mapConstraint(error);
      }
      return {
        ...next,
        active: getSetting(this.#store, ACTIVE_PROFILE_KEY) === id,
        hasSecret: secret !== null ? true : await this.#hasSecret(id),
      };
    } catch (error) {
      this.#record('application.edit', before, before?.name ?? null, error);
      throw error;
    }
  }

  /**
   * Removes a profile, its keychain entry, its directory and sessions.
   * `confirm.name` must repeat the profile's name: the API itself refuses an
   * unconfirmed removal (the UI's "are you sure" maps onto it).
   */
  async remove(id: string, confirm: { name: string }): Promise<void> {
    let profile: Profile | null = null;
    try {
      profile = this.get(id);
      if (
        typeof confirm !== 'object' ||
        confirm === null ||
        typeof confirm.name !== 'string' ||
        confirm.name !== profile.name
      ) {
        throw new AppError('invalid_input', 'To remove an application, confirm by repeating its exact name.', {
          details: { field: 'confirm' },
        });
      }
      const previousSecret = await this.#secrets.get(id);
      await this.#secrets.delete(id);
      try {
        const p = profile;
        this.#store.transaction(() => {
          deleteProfile(this.#store, p.id);
          if (getSetting(this.#store, ACTIVE_PROFILE_KEY) === p.id) setSetting(this.#store, ACTIVE_PROFILE_KEY, null);
          if (getSetting(this.#store, SANDBOX_PROFILE_KEY) === p.id) setSetting(this.#store, SANDBOX_PROFILE_KEY, null);
          this.#record('application.remove', p, p.name, null);
        });
      } catch (error) {
        if (previousSecret !== null) await this.#secrets.set(id, previousSecret).catch(() => undefined);
        throw error;
      }
      // The profile's other credentials (SMTP, database) go with it.
      for (const kind of ['smtp', 'database'] as const)
        await this.#secrets.deleteCredential(id, kind).catch(() => false);
    } catch (error) {
      this.#record('application.remove', profile, profile?.name ?? null, error);
      throw error;
    }
  }

  /** A real signed call with the stored secret. Never throws for a service-side failure: returns it typed. */
  async testConnection(id: string): Promise<ConnectionTestResult> {
    const profile = this.get(id);
    if (!this.#tester) throw new AppError('internal', 'No connection tester is configured.');
    const secret = await this.#secrets.get(id);
    if (secret === null) {
      const error = noSecretError();
      this.#record('application.test', profile, profile.name, error);
      return { ok: false, latencyMs: 0, error: error.toInfo() };
    }
    const started = performance.now();
    let result: ConnectionTestResult;
    try {
      await this.#tester(
        { flavour: profile.flavour, baseUrl: profile.baseUrl, applicationId: profile.applicationId },
        secret,
      );
      result = { ok: true, latencyMs: Math.round(performance.now() - started) };
      this.#record('application.test', profile, profile.name, null);
    } catch (error) {
      result = {
        ok: false,
        latencyMs: Math.round(performance.now() - started),
        error: scrub(toErrorInfo(error), secret),
      };
      this.#record('application.test', profile, profile.name, error);
    }
    return result;
  }

  async #hasSecret(id: string): Promise<boolean | null> {
    try {
      return await this.#secrets.has(id);
    } catch {
      return null;
    }
  }

  #assertNameFree(name: string, exceptId: string | null): void {
    const other = findProfileByName(this.#store, name);
    if (other && other.id !== exceptId) {
      throw new AppError('conflict', `An application named "${other.name}" already exists.`, {
        details: { field: 'name' },
      });
    }
  }

  #record(action: AuditAction, profile: Profile | null, target: string | null, error: unknown): void {
    if (error !== null) {
      // The operation already failed: auditing that is best effort and must not mask the original error.
      try {
        this.#write(action, profile, target, error);
      } catch {
        /* the store itself may be what failed */
      }
      return;
    }
    this.#write(action, profile, target, null);
  }

  #write(action: AuditAction, profile: Profile | null, target: string | null, error: unknown): void {
    this.audit.record({
      action,
      profile: profile ? { id: profile.id, name: profile.name } : null,
      target,
      outcome: error === null ? 'ok' : 'error',
      errorCode: error === null ? null : toErrorInfo(error).code,
    });
  }
}

export const SANDBOX_PROFILE_KEY = 'sandbox_profile_id';
/** Set when the admin closes the first-run screen. */
export const FIRST_RUN_DISMISSED_KEY = 'first_run_dismissed';

function mapConstraint(error: unknown): unknown {
  if (error instanceof Error && /UNIQUE constraint failed: profiles\.name/.test(error.message)) {
    return new AppError('conflict', 'An application with that name already exists.', {
      details: { field: 'name' },
      cause: error,
    });
  }
  return error;
}

/** Belt and braces: an error coming back from a client never carries the secret. */
function scrub(info: ErrorInfo, secret: string): ErrorInfo {
  if (!info.message.includes(secret)) return info;
  return { ...info, message: info.message.split(secret).join('[redacted]') };
}
