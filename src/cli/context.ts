/**
 * What every command gets: the global flags, the output, the data folder,
 * the keychain (IAMPASS_KEYCHAIN_SERVICE overrides its service name, for
 * tests), the secret from IAMPASS_APP_SECRET / standard input, and the
 * services opened on the store — pinned to the profile the command works on.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { secretWarning } from '../shared/credentials.ts';
import { AppError } from '../shared/errors.ts';
import { ensurePrivateDir } from '../node/files.ts';
import { isLoopbackHost } from '../shared/iampass.ts';
import { Keychain, normalizeSecret, type CredentialKind, type SecretStore } from '../main/secrets/keychain.ts';
import { openServices, type Services, type ServicesOptions } from '../main/services/index.ts';
import { sandboxLauncher } from '../sandbox/launcher.ts';
import { findProfileByName, listProfiles, type Profile, type ProfileFlavour } from '../main/store/profiles.ts';
import { UsageError } from './exit.ts';
import type { Io, Output } from './output.ts';
import { firstLine } from './stdin.ts';

export const APP_DIR_NAME = 'iampass-admin';

/**
 * The folder Electron's app.getPath('userData') gives the console: appData
 * + the app name (package.json "name", no productName is set).
 */
export function defaultDataDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): string {
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', APP_DIR_NAME);
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), APP_DIR_NAME);
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), APP_DIR_NAME);
}

export interface GlobalFlags {
  json: boolean;
  data: string | undefined;
  profile: string | undefined;
  baseUrl: string | undefined;
  appId: string | undefined;
  flavour: string | undefined;
}

/**
 * Keychain plus secrets held in this process's memory only: the secret given
 * for ad-hoc credentials (--base-url/--app-id) is used for signing and never
 * written to the keychain.
 */
export class OverlaySecrets implements SecretStore {
  readonly #inner: SecretStore;
  readonly #memory = new Map<string, string>();
  /** While set, `set` keeps the secret in memory (creating the ad-hoc profile). */
  memoryOnly = false;

  constructor(inner: SecretStore) {
    this.#inner = inner;
  }
  hold(profileId: string, secret: string): void {
    this.#memory.set(profileId, normalizeSecret(secret));
  }
  async set(profileId: string, secret: string): Promise<void> {
    if (this.memoryOnly) this.hold(profileId, secret);
    else await this.#inner.set(profileId, secret);
  }
  async has(profileId: string): Promise<boolean> {
    return this.#memory.has(profileId) || this.#inner.has(profileId);
  }
  async get(profileId: string): Promise<string | null> {
    return this.#memory.get(profileId) ?? this.#inner.get(profileId);
  }
  async delete(profileId: string): Promise<boolean> {
    this.#memory.delete(profileId);
    return this.#inner.delete(profileId);
  }
  dataKey(): Promise<Buffer> {
    return this.#inner.dataKey();
  }
  setCredential(profileId: string, kind: CredentialKind, value: string): Promise<void> {
    return this.#inner.setCredential(profileId, kind, value);
  }
  getCredential(profileId: string, kind: CredentialKind): Promise<string | null> {
    return this.#inner.getCredential(profileId, kind);
  }
  deleteCredential(profileId: string, kind: CredentialKind): Promise<boolean> {
    return this.#inner.deleteCredential(profileId, kind);
  }
}

const MAX_SECRET_INPUT = 4096;
const SECRET_WAIT_HINT_MS = 3000;

export class Context {
  readonly flags: GlobalFlags;
  readonly out: Output;
  readonly io: Io;
  readonly secrets: OverlaySecrets;
  #services: Services | null = null;
  #secret: string | null = null;

  constructor(flags: GlobalFlags, out: Output, io: Io) {
    this.flags = flags;
    this.out = out;
    this.io = io;
    const service = io.env.IAMPASS_KEYCHAIN_SERVICE?.trim();
    this.secrets = new OverlaySecrets(new Keychain(service ? { service } : {}));
  }

  get dataDir(): string {
    return resolve(this.flags.data ?? defaultDataDir(this.io.env));
  }

  get adHoc(): boolean {
    return this.flags.baseUrl !== undefined || this.flags.appId !== undefined;
  }

  /** The services on the data folder, not pinned (apps, audit). */
  services(extra: Partial<ServicesOptions> = {}): Services {
    if (this.#services) return this.#services;
    ensurePrivateDir(this.dataDir);
    this.#services = openServices({
      dataDir: this.dataDir,
      secrets: this.secrets,
      resumeSessions: false,
      launcher: sandboxLauncher,
      ...extra,
    });
    return this.#services;
  }

  /**
   * The services pinned to the profile this command works on: --profile NAME,
   * ad-hoc --base-url/--app-id (found by URL + ID among the profiles, or
   * created without storing its secret), else the active profile.
   */
  async pinned(
    extra: Partial<ServicesOptions> = {},
    options: { recover?: boolean; sync?: boolean } = {},
  ): Promise<{ services: Services; profile: Profile }> {
    const plain = this.services();
    const profile = await this.#resolveProfile(plain);
    await plain.close();
    this.#services = null;
    const services = this.services({ ...extra, profileId: profile.id });
    if (options.recover !== false) await this.#recover(services, profile);
    if (options.sync ?? options.recover !== false) await this.#syncLinked(services, profile);
    return { services, profile };
  }

  /** A profile linked to the application's database: its users are read again first when the database changed. */
  async #syncLinked(services: Services, profile: Profile): Promise<void> {
    if (!services.sources.linked(profile.id)) return;
    const jobId = await services.sources.syncIfChanged(profile);
    if (jobId === null) return;
    this.out.note("iampass-admin: the application's database changed since the last sync; reading its users...");
    const finished = await services.users.jobs.wait(jobId);
    if (finished?.error) throw new AppError(finished.error.code, finished.error.message);
  }

  /**
   * Changes an earlier run left unsettled (a crash, a lost answer), and in
   * team mode those of consoles gone silent, are settled before this command
   * works on the profile: a note on stderr says
   * what was found and what became of it.
   */
  async #recover(services: Services, profile: Profile): Promise<void> {
    // Team mode: changes of admins' consoles gone silent are taken over and settled here too.
    await services.team.adopt(profile).catch(() => 0);
    const count = services.users.recoverable();
    if (count === 0) return;
    this.out.note(`iampass-admin: settling ${count} change${count === 1 ? '' : 's'} an earlier run left unsettled...`);
    const finished = await services.users.jobs.wait(services.users.reconcile());
    if (!finished) return;
    const counts = Object.entries(finished.counts)
      .map(([k, n]) => `${String(n)} ${k.replace('_', ' ')}`)
      .join(', ');
    this.out.note(
      `iampass-admin: earlier changes settled: ${counts || 'nothing to do'} (details: iampass-admin audit export --action users.reconcile).`,
    );
  }

  async #resolveProfile(services: Services): Promise<Profile> {
    const { profile: name, baseUrl, appId } = this.flags;
    if (this.adHoc) {
      if (name !== undefined) throw new UsageError('use either --profile or --base-url/--app-id, not both');
      if (baseUrl === undefined || appId === undefined) throw new UsageError('--base-url and --app-id go together');
      const secret = await this.secret();
      const flavour = this.flavour(baseUrl);
      const found = listProfiles(services.store).find(
        // IDs are opaque and signed as text (spec, "Credential shapes"): matched exactly, case included.
        (p) => p.applicationId === appId.trim() && sameUrl(p.baseUrl, baseUrl),
      );
      if (found) {
        this.secrets.hold(found.id, secret);
        return found;
      }
      this.secrets.memoryOnly = true;
      try {
        const view = await services.applications.add({
          name: freeName(services, appId),
          flavour,
          baseUrl,
          applicationId: appId,
          secret,
        });
        const { active: _a, hasSecret: _h, ...profile } = view;
        return profile;
      } finally {
        this.secrets.memoryOnly = false;
      }
    }
    if (name !== undefined) {
      const p = findProfileByName(services.store, name);
      if (!p)
        throw new AppError(
          'missing',
          `No application profile named "${name}" in ${this.dataDir} (see: iampass-admin apps list).`,
        );
      return p;
    }
    const active = services.applications.getActive();
    if (!active)
      throw new AppError(
        'missing',
        'No application is active: pass --profile NAME, or choose one with: iampass-admin apps use NAME.',
      );
    return active;
  }

  flavour(baseUrl: string | undefined): ProfileFlavour {
    const f = this.flags.flavour;
    if (f !== undefined) {
      if (f !== 'IAMPASS' && f !== 'Activeconnect' && f !== 'Sandbox')
        throw new UsageError('--flavour must be IAMPASS, Activeconnect or Sandbox');
      return f;
    }
    try {
      if (baseUrl !== undefined && isLoopbackHost(new URL(baseUrl).hostname)) return 'Sandbox';
    } catch {
      /* validated by the service */
    }
    return 'IAMPASS';
  }

  /** The application secret: IAMPASS_APP_SECRET, else standard input (a terminal prompt hides it). */
  async secret(): Promise<string> {
    if (this.#secret !== null) return this.#secret;
    let value = this.io.env.IAMPASS_APP_SECRET;
    if (value === undefined || value === '')
      value = this.io.stdin.isTTY ? await promptHidden(this.io) : await this.#secretFromPipe();
    value = value.trim();
    if (value === '')
      throw new UsageError(
        'no application secret: set IAMPASS_APP_SECRET or pass it on standard input (never as an argument)',
      );
    this.out.secret(value);
    this.#secret = normalizeSecret(value);
    const warning = secretWarning(this.#secret);
    if (warning) this.out.note(`iampass-admin: note: ${warning}`);
    return this.#secret;
  }

  /** The first line of a piped standard input; says what it waits for if nothing comes (a forgotten IAMPASS_APP_SECRET). */
  async #secretFromPipe(): Promise<string> {
    const hint = setTimeout(
      () =>
        this.out.note(
          'iampass-admin: waiting for the application secret on standard input (or set IAMPASS_APP_SECRET)...',
        ),
      SECRET_WAIT_HINT_MS,
    );
    try {
      return await firstLine(this.io.stdin, MAX_SECRET_INPUT);
    } finally {
      clearTimeout(hint);
    }
  }

  async close(): Promise<void> {
    const s = this.#services;
    this.#services = null;
    if (s) await s.close();
  }
}

function sameUrl(a: string, b: string): boolean {
  try {
    const x = new URL(a);
    const y = new URL(b.trim());
    return x.origin === y.origin && x.pathname.replace(/\/+$/, '') === y.pathname.replace(/\/+$/, '');
  } catch {
    return false;
  }
}

function freeName(services: Services, appId: string): string {
  const base = `CLI ${appId.trim().slice(0, 8).toUpperCase()}`;
  for (let i = 1; ; i++) {
    const name = i === 1 ? base : `${base} (${String(i)})`;
    if (!findProfileByName(services.store, name)) return name;
  }
}

async function promptHidden(io: Io): Promise<string> {
  const stdin = io.stdin;
  // Echo off before the prompt shows: anything typed or pasted once it is visible is never echoed.
  stdin.setRawMode?.(true);
  io.stderr.write('Application secret (input hidden): ');
  try {
    return await new Promise<string>((done, fail) => {
      let text = '';
      const onData = (chunk: Buffer | string) => {
        for (const ch of chunk.toString()) {
          if (ch === '\r' || ch === '\n') return finish(text);
          if (ch === '\u0003') return fail(new UsageError('cancelled'));
          if (ch === '\u007f' || ch === '\b') text = text.slice(0, -1);
          else if (text.length < MAX_SECRET_INPUT) text += ch;
        }
      };
      const finish = (value: string) => {
        stdin.removeListener('data', onData);
        stdin.pause();
        done(value);
      };
      stdin.on('data', onData);
      stdin.resume();
    });
  } finally {
    stdin.setRawMode?.(false);
    io.stderr.write('\n');
  }
}
