/**
 * Registration-QR onboarding and the lost-device flow (plain Node).
 *
 * A registration link is a bearer credential: it is held in memory only,
 * under an opaque handle with a TTL, never stored, logged, audited or sent to
 * the renderer. The renderer gets the QR module matrix to draw; copying and
 * exporting are done here through injected ports (the Electron layer's
 * clipboard and save dialog). While a handle is open, the user's
 * has_registered_mobile_device is polled (one call in flight per handle) and
 * the row turns "registered" when the phone finishes.
 */
import { randomUUID } from 'node:crypto';
import QRCode from 'qrcode';
import { AppError, toErrorInfo } from '../../shared/errors.ts';
import type { OnboardingView, QrMatrix } from '../../shared/ipc/users.ts';
import type { DeviceState } from '../store/directory.ts';
import type { Profile } from '../store/profiles.ts';
import { Emitter } from './events.ts';
import { mayHaveTakenEffect } from './owner.ts';
import type { UsersClient, UsersService } from './users.ts';

/** `registered`: the phone finished registering on an open handle; `expired`: the handle's link expired. */
export type OnboardingEvent =
  | { type: 'registered'; payload: { handle: string; userId: string } }
  | { type: 'expired'; payload: { handle: string } };

/** Writes text to the system clipboard (Electron: clipboard.writeText). */
export interface ClipboardPort {
  writeText(text: string): void | Promise<void>;
}

export interface SaveFileRequest {
  /** A file name to suggest, e.g. "alice-registration.png". */
  suggestedName: string;
  format: 'png' | 'svg';
  data: Uint8Array | string;
}

/** Asks where to save and writes the file (Electron: dialog.showSaveDialog + fs.writeFile); false when the admin cancelled. */
export interface SaveFilePort {
  save(request: SaveFileRequest): Promise<boolean>;
}

export interface OnboardingOptions {
  now?: () => number;
  /** Default lifetime of a handle (default 300 s). */
  ttlMs?: number;
  /** Between two has_registered_mobile_device checks of one handle (default 2000 ms). */
  pollMs?: number;
  /** Open handles kept at most; opening one more closes the oldest (default 16). */
  maxOpen?: number;
}

interface OpenLink {
  handle: string;
  profile: Profile;
  userId: string;
  iampassId: string;
  /** Only here, only in memory. */
  link: string;
  expiresAt: number;
  client: UsersClient;
  expiry: NodeJS.Timeout;
  poll: NodeJS.Timeout | null;
  polling: AbortController | null;
  registered: boolean;
}

export function qrMatrix(link: string): QrMatrix {
  const qr = QRCode.create(link, { errorCorrectionLevel: 'M' });
  const { size, data } = qr.modules;
  let modules = '';
  for (let i = 0; i < size * size; i++) modules += data[i] ? '1' : '0';
  return { size, modules };
}

/** What the phone shows for the account by default: the user and the application, e.g. "chloe@corp.example (Shop)". */
function phoneDisplayName(userId: string, profile: Profile): string {
  return `${userId} (${profile.name})`;
}

function safeFileName(userId: string): string {
  const base = userId.replace(/[^\p{L}\p{N}._-]+/gu, '_').slice(0, 64) || 'user';
  return `${base}-registration`;
}

export class OnboardingService {
  readonly #users: UsersService;
  readonly #now: () => number;
  readonly #ttlMs: number;
  readonly #pollMs: number;
  readonly #maxOpen: number;
  readonly #open = new Map<string, OpenLink>();
  readonly #events = new Emitter<OnboardingEvent>();

  constructor(users: UsersService, options: OnboardingOptions = {}) {
    this.#users = users;
    this.#now = options.now ?? Date.now;
    this.#ttlMs = options.ttlMs ?? 300_000;
    this.#pollMs = options.pollMs ?? 2000;
    this.#maxOpen = options.maxOpen ?? 16;
  }

  /** `registered` / `expired` events of open handles; returns the unsubscribe function. */
  on(listener: (event: OnboardingEvent) => void): () => void {
    return this.#events.on(listener);
  }

  /** Gets a registration link for a user of the active profile and opens a handle on it. */
  async show(
    userId: string,
    options: { displayName?: string | undefined; ttlSeconds?: number | undefined } = {},
  ): Promise<OnboardingView> {
    const profile = this.#users.scope.current();
    const user = this.#users.user(profile, userId);
    const displayName = (options.displayName ?? '').trim() || phoneDisplayName(userId, profile);
    const client = await this.#users.clientFor(profile);
    let link: string;
    try {
      link = await client.registrationLink(user.iampassId, { displayName: [...displayName].slice(0, 256).join('') });
    } catch (error) {
      client.close();
      this.#users.record(profile, 'user.registration_link', userId, error);
      throw error;
    }
    this.#users.record(profile, 'user.registration_link', userId);
    return this.#openHandle(
      profile,
      user.userId,
      user.iampassId,
      link,
      client,
      displayName,
      user.deviceState,
      options.ttlSeconds,
    );
  }

  /** lost_user_mobile_device: disables the phone, marks not registered, audits, opens the fresh link. */
  async lostDevice(userId: string): Promise<OnboardingView> {
    const profile = this.#users.scope.current();
    const user = this.#users.user(profile, userId);
    const client = await this.#users.clientFor(profile);
    // Intent first: a crash or a lost answer leaves a record that recovery checks (has_registered_mobile_device).
    const intent = this.#users.beginIntent(profile, 'lost_device', user);
    let link: string;
    try {
      link = await client.lostDevice(user.iampassId);
    } catch (error) {
      client.close();
      const unknown = mayHaveTakenEffect(toErrorInfo(error));
      this.#users.endIntent(intent, unknown ? 'unknown' : 'failed');
      this.#users.record(
        profile,
        'user.lost_device',
        userId,
        unknown ? new AppError('uncertain', 'answer lost') : error,
      );
      if (unknown) {
        throw new AppError(
          'uncertain',
          `The lost-device call for "${userId}" was sent and its answer was lost: the phone may already be disabled, and no new link was received. It is recorded and will be checked ("Check interrupted changes", or iampass-admin users reconcile); then show a new registration code.`,
          { retryable: false },
        );
      }
      throw error;
    }
    this.#users.setState(profile, userId, 'not_registered');
    this.#users.endIntent(intent, 'done');
    this.#users.record(profile, 'user.lost_device', userId);
    // lost_user_mobile_device takes no display name: IAMPASS keeps the one it has.
    const displayName = phoneDisplayName(userId, profile);
    return this.#openHandle(profile, user.userId, user.iampassId, link, client, displayName, 'not_registered');
  }

  /**
   * Hands the link of an open handle of the active profile to `use` (the
   * sandbox's virtual phone opening it; main only, never the renderer), and
   * audits that like a copy: ok once `use` succeeded, its error otherwise.
   */
  async useLink(handle: string, use: (link: string) => Promise<void>): Promise<void> {
    const open = this.#get(handle);
    if (open.profile.id !== this.#users.scope.current().id)
      throw new AppError('missing', 'This registration code belongs to another application.');
    try {
      await use(open.link);
    } catch (error) {
      this.#users.record(open.profile, 'user.registration_link_phone', open.userId, error);
      throw error;
    }
    this.#users.record(open.profile, 'user.registration_link_phone', open.userId);
  }

  async copyLink(handle: string, clipboard: ClipboardPort | undefined): Promise<{ copied: true }> {
    const open = this.#get(handle);
    if (!clipboard) throw new AppError('internal', 'The clipboard is not available.');
    await clipboard.writeText(open.link);
    this.#users.record(open.profile, 'user.registration_link_copy', open.userId);
    return { copied: true };
  }

  async export(handle: string, format: 'png' | 'svg', saveFile: SaveFilePort | undefined): Promise<{ saved: boolean }> {
    const open = this.#get(handle);
    if (!saveFile) throw new AppError('internal', 'Saving files is not available.');
    const data =
      format === 'png'
        ? new Uint8Array(
            await QRCode.toBuffer(open.link, { type: 'png', errorCorrectionLevel: 'M', margin: 4, width: 1024 }),
          )
        : await QRCode.toString(open.link, { type: 'svg', errorCorrectionLevel: 'M', margin: 4 });
    const saved = await saveFile.save({ suggestedName: `${safeFileName(open.userId)}.${format}`, format, data });
    if (saved) this.#users.record(open.profile, 'user.registration_qr_export', open.userId);
    return { saved };
  }

  close(handle: string): { closed: boolean } {
    const open = this.#open.get(handle);
    if (!open) return { closed: false };
    this.#forget(open);
    return { closed: true };
  }

  /** Handles currently open (for tests and diagnostics; no links). */
  openHandles(): string[] {
    return [...this.#open.keys()];
  }

  closeAll(): void {
    for (const open of [...this.#open.values()]) this.#forget(open);
  }

  // -------------------------------------------------------------- internals

  #openHandle(
    profile: Profile,
    userId: string,
    iampassId: string,
    link: string,
    client: UsersClient,
    displayName: string,
    deviceState: DeviceState,
    ttlSeconds?: number,
  ): OnboardingView {
    while (this.#open.size >= this.#maxOpen) {
      const oldest = this.#open.values().next().value;
      if (!oldest) break;
      this.#forget(oldest);
    }
    const handle = randomUUID();
    const ttl = ttlSeconds === undefined ? this.#ttlMs : ttlSeconds * 1000;
    const expiresAt = this.#now() + ttl;
    const open: OpenLink = {
      handle,
      profile,
      userId,
      iampassId,
      link,
      expiresAt,
      client,
      expiry: setTimeout(() => {
        if (this.#open.get(handle) !== open) return;
        this.#forget(open);
        this.#events.emit({ type: 'expired', payload: { handle } });
      }, ttl),
      poll: null,
      polling: null,
      registered: false,
    };
    open.expiry.unref();
    this.#open.set(handle, open);
    this.#schedulePoll(open);
    return { handle, userId, displayName, qr: qrMatrix(link), expiresAt, deviceState };
  }

  #schedulePoll(open: OpenLink): void {
    open.poll = setTimeout(() => void this.#pollOnce(open), this.#pollMs);
    open.poll.unref();
  }

  async #pollOnce(open: OpenLink): Promise<void> {
    open.poll = null;
    if (this.#open.get(open.handle) !== open) return;
    const controller = new AbortController();
    open.polling = controller;
    let registered = false;
    try {
      registered = await open.client.hasRegisteredDevice(open.iampassId, { signal: controller.signal });
    } catch {
      // A failed check is retried at the next tick; the handle's TTL bounds the watch.
    } finally {
      open.polling = null;
    }
    if (this.#open.get(open.handle) !== open) return;
    if (registered) {
      open.registered = true;
      this.#users.setState(open.profile, open.userId, 'registered');
      this.#users.record(open.profile, 'user.device_registered', open.userId);
      this.#events.emit({ type: 'registered', payload: { handle: open.handle, userId: open.userId } });
      this.#forget(open);
      return;
    }
    this.#schedulePoll(open);
  }

  #get(handle: string): OpenLink {
    const open = this.#open.get(handle);
    if (!open)
      throw new AppError('missing', 'This registration code is no longer open (closed, expired or already used).');
    return open;
  }

  #forget(open: OpenLink): void {
    this.#open.delete(open.handle);
    clearTimeout(open.expiry);
    if (open.poll) clearTimeout(open.poll);
    open.polling?.abort();
    open.link = '';
    open.client.close();
  }
}
