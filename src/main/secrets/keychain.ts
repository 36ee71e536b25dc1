/**
 * Application secrets in the OS keychain, through keytar: one service name,
 * one account per application profile (`profile:<id>`), plus the data key
 * that encrypts session secrets at rest (`data-key`).
 *
 * There is no plaintext fallback: when no keychain is reachable every call
 * fails with a `keychain` error that says what to install or unlock.
 * `get` is for main-side use only (signing); the bridge never exposes it.
 */
import type * as KeytarModule from 'keytar';
import { normalizeCredential } from '../../shared/credentials.ts';
import { AppError } from '../../shared/errors.ts';
import { DATA_KEY_BYTES, newDataKey } from '../../node/envelope.ts';

export const DEFAULT_SERVICE = 'iampass-admin';
const DATA_KEY_ACCOUNT = 'data-key';

/** What the services need from a keychain. */
export interface SecretStore {
  /** Sets or replaces the profile's secret (validated first). */
  set(profileId: string, secret: string): Promise<void>;
  has(profileId: string): Promise<boolean>;
  /** Main-side only. */
  get(profileId: string): Promise<string | null>;
  /** True when something was deleted. */
  delete(profileId: string): Promise<boolean>;
  /** The 32-byte data key, created on first use. */
  dataKey(): Promise<Buffer>;
  /** Another credential of a profile (`smtp`: the SMTP password for invitations), kept like the secret; main side only. */
  setCredential(profileId: string, kind: CredentialKind, value: string): Promise<void>;
  getCredential(profileId: string, kind: CredentialKind): Promise<string | null>;
  deleteCredential(profileId: string, kind: CredentialKind): Promise<boolean>;
}

export type CredentialKind = 'smtp' | 'database';

/**
 * Checks an Application Secret's form (spec, "Credential shapes"): 16 to 128
 * printable ASCII characters without whitespace. Surrounding whitespace (a
 * paste) is trimmed; the case is kept as entered because the signature uses
 * the secret as text (spec section 2). The message never echoes the value.
 * An unusual shape is accepted: `secretWarning` says so.
 */
export function normalizeSecret(value: unknown): string {
  return normalizeCredential('secret', value);
}

type Keytar = typeof KeytarModule;

const INSTALL_HINT =
  'Install and start a Secret Service keychain (on Linux: gnome-keyring or KWallet with libsecret, running in your D-Bus session) and unlock it, then try again.';

function keychainError(operation: string, cause: unknown): AppError {
  const reason = cause instanceof Error ? cause.message.replace(/\s+/g, ' ').slice(0, 200) : 'unknown error';
  const locked = /lock/i.test(reason);
  return new AppError(
    'keychain',
    locked
      ? `The OS keychain is locked, so the secret could not be ${operation}. Unlock your login keyring and try again.`
      : `The OS keychain is not reachable, so the secret could not be ${operation} (${reason}). ${INSTALL_HINT}`,
    { retryable: true, details: { operation, locked } },
  );
}

export interface KeychainOptions {
  /** Keychain service name; tests pass their own. */
  service?: string;
  /** A call that takes longer than this (e.g. an unlock prompt nobody answers) fails. */
  timeoutMs?: number;
}

export class Keychain implements SecretStore {
  readonly service: string;
  readonly #timeoutMs: number;
  #keytar: Promise<Keytar> | null = null;

  constructor(options: KeychainOptions = {}) {
    this.service = options.service ?? DEFAULT_SERVICE;
    this.#timeoutMs = options.timeoutMs ?? 15_000;
  }

  static account(profileId: string): string {
    return `profile:${profileId}`;
  }

  async #call<T>(operation: string, fn: (k: Keytar) => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    try {
      this.#keytar ??= import('keytar').then((m) => (m as { default?: Keytar }).default ?? m);
      const k = await this.#keytar;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${this.#timeoutMs} ms`)), this.#timeoutMs);
      });
      return await Promise.race([fn(k), timeout]);
    } catch (error) {
      if (error instanceof AppError) throw error;
      throw keychainError(operation, error);
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  async set(profileId: string, secret: string): Promise<void> {
    const value = normalizeSecret(secret);
    await this.#call('saved', (k) => k.setPassword(this.service, Keychain.account(profileId), value));
  }

  async has(profileId: string): Promise<boolean> {
    return (await this.#call('read', (k) => k.getPassword(this.service, Keychain.account(profileId)))) !== null;
  }

  async get(profileId: string): Promise<string | null> {
    return this.#call('read', (k) => k.getPassword(this.service, Keychain.account(profileId)));
  }

  async delete(profileId: string): Promise<boolean> {
    return this.#call('deleted', (k) => k.deletePassword(this.service, Keychain.account(profileId)));
  }

  async setCredential(profileId: string, kind: CredentialKind, value: string): Promise<void> {
    if (typeof value !== 'string' || value.length === 0 || value.length > 1024) {
      throw new AppError('invalid_input', 'The password must be 1 to 1024 characters.', { details: { field: kind } });
    }
    await this.#call('saved', (k) => k.setPassword(this.service, `${kind}:${profileId}`, value));
  }

  async getCredential(profileId: string, kind: CredentialKind): Promise<string | null> {
    return this.#call('read', (k) => k.getPassword(this.service, `${kind}:${profileId}`));
  }

  async deleteCredential(profileId: string, kind: CredentialKind): Promise<boolean> {
    return this.#call('deleted', (k) => k.deletePassword(this.service, `${kind}:${profileId}`));
  }

  async dataKey(): Promise<Buffer> {
    const stored = await this.#call('read', (k) => k.getPassword(this.service, DATA_KEY_ACCOUNT));
    if (stored !== null) {
      const key = Buffer.from(stored, 'base64');
      if (key.length !== DATA_KEY_BYTES)
        throw new AppError('keychain', 'The data key in the OS keychain is damaged.', { retryable: false });
      return key;
    }
    const key = newDataKey();
    await this.#call('saved', (k) => k.setPassword(this.service, DATA_KEY_ACCOUNT, key.toString('base64')));
    return key;
  }
}
