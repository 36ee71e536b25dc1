/**
 * Which application profile a service works on, and the client it signs with.
 * One place for what users, sessions, onboarding and applications each did
 * their own way: the pinned profile (the CLI's --profile) or else the active
 * one; the profile's secret from the keychain (main side only) with one
 * "no secret stored" error; a client built from both.
 */
import { AppError } from '../../shared/errors.ts';
import type { ClientConfig } from '../iampass/client.ts';
import type { SecretStore } from '../secrets/keychain.ts';
import type { Store } from '../store/db.ts';
import { ACTIVE_PROFILE_KEY, getProfile, getSetting, type Profile } from '../store/profiles.ts';

export const NO_SECRET_MESSAGE = 'No secret is stored for this application; edit it and enter the secret.';

export function noSecretError(): AppError {
  return new AppError('keychain', NO_SECRET_MESSAGE, { retryable: false });
}

export class ProfileScope {
  readonly #store: Store;
  readonly #secrets: SecretStore;
  readonly #pinnedProfileId: string | undefined;

  constructor(deps: { store: Store; secrets: SecretStore; profileId?: string | undefined }) {
    this.#store = deps.store;
    this.#secrets = deps.secrets;
    this.#pinnedProfileId = deps.profileId;
  }

  /** The pinned profile, else the active one; null when there is none. */
  currentOrNull(): Profile | null {
    const id = this.#pinnedProfileId ?? getSetting(this.#store, ACTIVE_PROFILE_KEY);
    return id === null ? null : getProfile(this.#store, id);
  }

  /** The same, or a typed `missing` error that tells the admin what to do. */
  current(): Profile {
    const profile = this.currentOrNull();
    if (!profile) throw new AppError('missing', 'No application is active: add or choose one first.');
    return profile;
  }

  /** The profile's secret from the keychain, or null when none is stored. */
  secretOrNull(profileId: string): Promise<string | null> {
    return this.#secrets.get(profileId);
  }

  /** The profile's secret, or the typed `keychain` error. */
  async secret(profileId: string): Promise<string> {
    const secret = await this.#secrets.get(profileId);
    if (secret === null) throw noSecretError();
    return secret;
  }

  /** A client for the profile, signed with its keychain secret; the caller closes it. */
  async client<C>(
    profile: Profile,
    create: (config: ClientConfig) => C,
    tuning: Omit<Partial<ClientConfig>, 'flavour' | 'baseUrl' | 'applicationId' | 'secret'> = {},
  ): Promise<C> {
    const secret = await this.secret(profile.id);
    return create({
      concurrency: profile.concurrency,
      ...tuning,
      flavour: profile.flavour,
      baseUrl: profile.baseUrl,
      applicationId: profile.applicationId,
      secret,
    });
  }
}
