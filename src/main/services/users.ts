/**
 * Users use cases on the ACTIVE profile's directory (plain Node): add (one,
 * a list, a CSV), delete, device-status checks, the columnar snapshot and
 * change events. Bulk work runs as jobs (jobs.ts): per-row results, one row's
 * error never stops the job, cancellation through the job's AbortSignal.
 *
 * The directory only ever holds what IAMPASS confirmed (created or existing).
 * IAMPASS IDs are random and opaque unless the profile sends own IDs.
 */
import { AppError, toErrorInfo, type ErrorInfo } from '../../shared/errors.ts';
import type { JobRow } from '../../shared/ipc/jobs.ts';
import {
  MAX_CONFIRM_FREE_DELETE,
  type CsvMapping,
  type CsvPreview,
  type StatusError,
  type UserRow,
  type UsersChanged,
  type UsersSnapshot,
} from '../../shared/ipc/users.ts';
import { chunk, mapBounded } from '../../node/bounded.ts';
import { IampassClient, type ClientConfig } from '../iampass/client.ts';
import type { SecretStore } from '../secrets/keychain.ts';
import type { Store } from '../store/db.ts';
import {
  deleteUsers as deleteDirectoryUsers,
  directoryColumns,
  getUser,
  getUsers,
  insertUsers,
  newOpaqueId,
  setDeviceStates,
  userIdMap,
  type DeviceState,
  type DirectoryUser,
} from '../store/directory.ts';
import type { Profile } from '../store/profiles.ts';
import type { AuditService } from './audit.ts';
import { parseCsv, previewCsv } from './csv.ts';
import { Emitter } from './events.ts';
import { JobRunner } from './jobs.ts';
import { ProfileScope } from './profile-scope.ts';
import { validateRows, type InputRules, type UserInput } from './user-input.ts';

export type { UserInput } from './user-input.ts';

/** What the service needs of IampassClient. */
export type UsersClient = Pick<
  IampassClient,
  'addUsers' | 'deleteUsers' | 'hasRegisteredDevice' | 'registrationLink' | 'lostDevice' | 'close'
>;

export type UsersEvent = { type: 'changed'; payload: UsersChanged };

export interface UsersDeps {
  store: Store;
  secrets: SecretStore;
  audit: AuditService;
  now?: () => number;
  jobs?: JobRunner;
  createClient?: (config: ClientConfig) => UsersClient;
  /** Users per add_users / delete_users call (default 500). */
  batchSize?: number;
  /** Per request timeout (default the client's 15 s). */
  timeoutMs?: number;
  /** Pins the service to this profile instead of the active one (the CLI's --profile). */
  profileId?: string;
  /** The profile scope shared with the other services (default: one on store, secrets and profileId). */
  scope?: ProfileScope;
}

/** Changes bigger than this are announced as `reset` (re-fetch the snapshot) instead of row upserts. */
export const MAX_UPSERTS_PER_EVENT = 5000;

// ------------------------------------------------------------------- service

function failedRow(row: number, userId: string, error: ErrorInfo): JobRow {
  if (error.code === 'cancelled') return { row, userId, result: 'cancelled' };
  return { row, userId, result: 'failed', code: error.code, reason: error.message };
}

/**
 * Reads the active profile's directory once, on the next turn of the event
 * loop, and keeps nothing but the store's columns cache: called right after
 * the window starts loading, the SQLite read (~0.3-0.6 s at 100,000 users)
 * overlaps the renderer's boot and the first `users.snapshot` is a cache hit
 * (as long as nothing writes to the database in between). Used by the
 * Electron layer at start-up and by the users-ui benchmark, so both do the
 * same thing. Never rejects; a failure is passed to `onError` as a code.
 */
export function warmDirectory(
  users: Pick<UsersService, 'snapshot'>,
  onError: (code: string) => void = () => undefined,
): Promise<void> {
  return new Promise((done) => {
    setImmediate(() => {
      try {
        users.snapshot();
      } catch (error) {
        onError(toErrorInfo(error).code);
      }
      done();
    });
  });
}

export class UsersService {
  readonly jobs: JobRunner;
  /** The profile this service works on (pinned or active) and its signed client. */
  readonly scope: ProfileScope;
  readonly #store: Store;
  readonly #audit: AuditService;
  readonly #now: () => number;
  readonly #createClient: (config: ClientConfig) => UsersClient;
  readonly #batchSize: number;
  readonly #timeoutMs: number | undefined;
  readonly #events = new Emitter<UsersEvent>();
  /** profileId -> userId -> last failed status check (memory only). */
  readonly #statusErrors = new Map<string, Map<string, StatusError>>();
  #revision = 0;

  constructor(deps: UsersDeps) {
    this.#store = deps.store;
    this.scope =
      deps.scope ?? new ProfileScope({ store: deps.store, secrets: deps.secrets, profileId: deps.profileId });
    this.#audit = deps.audit;
    this.#now = deps.now ?? Date.now;
    this.jobs = deps.jobs ?? new JobRunner({ now: this.#now });
    this.#createClient = deps.createClient ?? ((config) => new IampassClient(config));
    this.#batchSize = deps.batchSize ?? 500;
    this.#timeoutMs = deps.timeoutMs;
  }

  /** `changed` events (rows upserted / removed, or a reset); returns the unsubscribe function. */
  on(listener: (event: UsersEvent) => void): () => void {
    return this.#events.on(listener);
  }

  get revision(): number {
    return this.#revision;
  }

  // ------------------------------------------------------------------ reads

  snapshot(): UsersSnapshot {
    const profile = this.scope.currentOrNull();
    if (!profile) {
      return {
        profileId: null,
        profileName: null,
        sendOwnIds: false,
        revision: this.#revision,
        count: 0,
        rowIds: [],
        userIds: [],
        displayNames: [],
        iampassIds: [],
        deviceStates: [],
        deviceCheckedAt: [],
        addedAt: [],
        lastAuthAt: [],
        statusErrors: {},
      };
    }
    const c = directoryColumns(this.#store, profile.id);
    return {
      profileId: profile.id,
      profileName: profile.name,
      sendOwnIds: profile.sendOwnIds,
      revision: this.#revision,
      count: c.userIds.length,
      ...c,
      statusErrors: Object.fromEntries(this.#statusErrors.get(profile.id) ?? []),
    };
  }

  /** One user of the active profile as the bridge shows it; `missing` when not in the directory. */
  row(userId: string): UserRow {
    const profile = this.scope.current();
    const user = getUser(this.#store, profile.id, userId);
    if (!user) throw new AppError('missing', 'This user is not in the directory.');
    return this.#view(user);
  }

  // ----------------------------------------------------------------- writes

  /** Adds users (one or a list) as a job; answers the job id. */
  add(inputs: readonly UserInput[]): string {
    const profile = this.scope.current();
    return this.jobs.start('users.add', inputs.length, (ctx) => this.#addRows(profile, inputs, ctx, 'users.add'));
  }

  /** A CSV's preview for the active profile (a row holding the profile's secret is refused and not echoed). */
  async previewCsv(
    text: string,
    options: {
      mapping?: CsvMapping | undefined;
      hasHeader?: boolean | undefined;
      previewRows?: number | undefined;
    } = {},
  ): Promise<CsvPreview> {
    const profile = this.scope.currentOrNull();
    return previewCsv(text, { ...options, rules: profile ? await this.#inputRules(profile) : {} });
  }

  importCsv(text: string, mapping: CsvMapping, hasHeader?: boolean): string {
    const profile = this.scope.current();
    const csv = parseCsv(text, { mapping, hasHeader });
    return this.jobs.start('users.import', csv.rows.length, (ctx) =>
      this.#addRows(profile, csv.rows, ctx, 'users.import'),
    );
  }

  delete(userIds: readonly string[], confirmCount?: number): string {
    const profile = this.scope.current();
    if (userIds.length > MAX_CONFIRM_FREE_DELETE && confirmCount !== userIds.length) {
      throw new AppError(
        'invalid_input',
        `Deleting more than ${MAX_CONFIRM_FREE_DELETE} users needs the count typed to confirm.`,
        { details: { field: 'confirmCount' } },
      );
    }
    return this.jobs.start('users.delete', userIds.length, (ctx) => this.#deleteRows(profile, userIds, ctx));
  }

  refreshStatus(target: { userIds: readonly string[] } | { all: true }): string {
    const profile = this.scope.current();
    const ids = 'all' in target ? [...userIdMap(this.#store, profile.id).keys()] : target.userIds;
    return this.jobs.start('users.refreshStatus', ids.length, (ctx) => this.#refreshRows(profile, ids, ctx));
  }

  /** Checks one user now. A failed check is kept on the row and thrown as its typed error. */
  async checkStatus(userId: string): Promise<UserRow> {
    const profile = this.scope.current();
    const user = getUser(this.#store, profile.id, userId);
    if (!user) throw new AppError('missing', 'This user is not in the directory.');
    const client = await this.clientFor(profile);
    try {
      const registered = await client.hasRegisteredDevice(user.iampassId);
      this.setState(profile, userId, registered ? 'registered' : 'not_registered');
      return this.row(userId);
    } catch (error) {
      this.#setStatusError(profile.id, userId, toErrorInfo(error));
      this.#changed(profile.id, [userId], []);
      throw error;
    } finally {
      client.close();
    }
  }

  // ------------------------------------------- directory writes for onboarding

  user(profile: Profile, userId: string): DirectoryUser {
    const user = getUser(this.#store, profile.id, userId);
    if (!user) throw new AppError('missing', 'This user is not in the directory.');
    return user;
  }

  /** The users client for the profile (its keychain secret, this service's batch size and timeout); the caller closes it. */
  clientFor(profile: Profile): Promise<UsersClient> {
    return this.scope.client(profile, this.#createClient, {
      batchSize: this.#batchSize,
      ...(this.#timeoutMs === undefined ? {} : { timeoutMs: this.#timeoutMs }),
    });
  }

  /** Re-reads the given users of the active profile and announces them (e.g. last authentication set by the sessions service). */
  announce(userIds: readonly string[]): void {
    const profile = this.scope.currentOrNull();
    if (!profile || getUsers(this.#store, profile.id, userIds).length === 0) return;
    this.#changed(profile.id, userIds, []);
  }

  /** Records a device state (clears a stored status error) and announces the row. */
  setState(profile: Profile, userId: string, state: DeviceState): void {
    setDeviceStates(this.#store, profile.id, [{ userId, state }], this.#now());
    this.#statusErrors.get(profile.id)?.delete(userId);
    this.#changed(profile.id, [userId], []);
  }

  record(profile: Profile, action: `${string}.${string}`, target: string, error?: unknown): void {
    const info = error === undefined ? null : toErrorInfo(error);
    this.#audit.record({
      action,
      profile: { id: profile.id, name: profile.name },
      target,
      outcome: info ? 'error' : 'ok',
      errorCode: info?.code ?? null,
    });
  }

  // -------------------------------------------------------------- internals

  async #addRows(
    profile: Profile,
    inputs: readonly UserInput[],
    ctx: { signal: AbortSignal; progress(done: number): void },
    action: 'users.add' | 'users.import',
  ): Promise<JobRow[]> {
    const rows = new Array<JobRow>(inputs.length);
    const rules = await this.#inputRules(profile);
    const existing = userIdMap(this.#store, profile.id);
    const toSend: { row: number; userId: string; displayName: string; iampassId: string }[] = [];
    for (const v of validateRows(inputs, rules)) {
      if (v.problem !== null) rows[v.row - 1] = { row: v.row, userId: v.userId, result: 'invalid', reason: v.problem };
      else if (existing.has(v.userId)) rows[v.row - 1] = { row: v.row, userId: v.userId, result: 'existing' };
      else
        toSend.push({
          row: v.row,
          userId: v.userId,
          displayName: v.displayName,
          iampassId: profile.sendOwnIds ? v.userId : newOpaqueId(),
        });
    }
    let done = inputs.length - toSend.length;
    ctx.progress(done);
    if (toSend.length > 0) {
      const client = await this.clientFor(profile);
      try {
        const outcomes = await mapBounded(
          chunk(toSend, this.#batchSize),
          async (batch, signal) => {
            const r = await client.addUsers(
              batch.map((b) => b.iampassId),
              { signal },
            );
            const created = new Set(r.created);
            const confirmedExisting = new Set(r.existing);
            const failures = new Map<string, ErrorInfo>();
            for (const f of r.failed) for (const u of f.users) failures.set(u, f.error);
            const confirmed = batch.filter((b) => created.has(b.iampassId) || confirmedExisting.has(b.iampassId));
            try {
              insertUsers(
                this.#store,
                profile.id,
                confirmed.map((b) => ({ userId: b.userId, displayName: b.displayName, iampassId: b.iampassId })),
                { skipExisting: true, now: this.#now() },
              );
            } catch (error) {
              const info = toErrorInfo(error);
              for (const b of batch) rows[b.row - 1] = failedRow(b.row, b.userId, info);
              return;
            }
            for (const b of batch) {
              if (created.has(b.iampassId)) rows[b.row - 1] = { row: b.row, userId: b.userId, result: 'created' };
              else if (confirmedExisting.has(b.iampassId))
                rows[b.row - 1] = { row: b.row, userId: b.userId, result: 'existing' };
              else {
                const info = failures.get(b.iampassId) ?? {
                  code: 'protocol',
                  message: 'IAMPASS did not confirm this user.',
                  retryable: true,
                };
                rows[b.row - 1] = failedRow(b.row, b.userId, info);
              }
            }
            done += batch.length;
            ctx.progress(done);
            this.#changed(
              profile.id,
              confirmed.map((b) => b.userId),
              [],
            );
          },
          { concurrency: profile.concurrency, signal: ctx.signal },
        );
        for (const o of outcomes)
          if (!o.ok) for (const b of o.item) rows[b.row - 1] = failedRow(b.row, b.userId, o.error);
      } finally {
        client.close();
      }
    }
    this.#summary(profile, action, rows);
    return rows;
  }

  async #deleteRows(
    profile: Profile,
    userIds: readonly string[],
    ctx: { signal: AbortSignal; progress(done: number): void },
  ): Promise<JobRow[]> {
    const rows = new Array<JobRow>(userIds.length);
    const known = userIdMap(this.#store, profile.id);
    const seen = new Set<string>();
    const toSend: { row: number; userId: string; iampassId: string }[] = [];
    userIds.forEach((userId, i) => {
      const iampassId = known.get(userId);
      if (seen.has(userId)) rows[i] = { row: i + 1, userId, result: 'invalid', reason: 'Duplicate in the selection.' };
      else if (iampassId === undefined)
        rows[i] = { row: i + 1, userId, result: 'missing', reason: 'Not in the directory.' };
      else toSend.push({ row: i + 1, userId, iampassId });
      seen.add(userId);
    });
    let done = userIds.length - toSend.length;
    ctx.progress(done);
    if (toSend.length > 0) {
      const client = await this.clientFor(profile);
      try {
        const outcomes = await mapBounded(
          chunk(toSend, this.#batchSize),
          async (batch, signal) => {
            const r = await client.deleteUsers(
              batch.map((b) => b.iampassId),
              { signal },
            );
            const deleted = new Set(r.deleted);
            const failures = new Map<string, ErrorInfo>();
            for (const f of r.failed) for (const u of f.users) failures.set(u, f.error);
            const gone = batch.filter((b) => deleted.has(b.iampassId));
            deleteDirectoryUsers(
              this.#store,
              profile.id,
              gone.map((b) => b.userId),
            );
            for (const b of gone) this.#statusErrors.get(profile.id)?.delete(b.userId);
            for (const b of batch) {
              rows[b.row - 1] = deleted.has(b.iampassId)
                ? { row: b.row, userId: b.userId, result: 'deleted' }
                : failedRow(
                    b.row,
                    b.userId,
                    failures.get(b.iampassId) ?? {
                      code: 'protocol',
                      message: 'IAMPASS did not confirm the deletion.',
                      retryable: true,
                    },
                  );
            }
            done += batch.length;
            ctx.progress(done);
            this.#changed(
              profile.id,
              [],
              gone.map((b) => b.userId),
            );
          },
          { concurrency: profile.concurrency, signal: ctx.signal },
        );
        for (const o of outcomes)
          if (!o.ok) for (const b of o.item) rows[b.row - 1] = failedRow(b.row, b.userId, o.error);
      } finally {
        client.close();
      }
    }
    this.#summary(profile, 'users.delete', rows);
    return rows;
  }

  async #refreshRows(
    profile: Profile,
    userIds: readonly string[],
    ctx: { signal: AbortSignal; progress(done: number): void },
  ): Promise<JobRow[]> {
    const rows = new Array<JobRow>(userIds.length);
    const known = userIdMap(this.#store, profile.id);
    const toCheck: { row: number; userId: string; iampassId: string }[] = [];
    userIds.forEach((userId, i) => {
      const iampassId = known.get(userId);
      if (iampassId === undefined) rows[i] = { row: i + 1, userId, result: 'missing', reason: 'Not in the directory.' };
      else toCheck.push({ row: i + 1, userId, iampassId });
    });
    const skipped = userIds.length - toCheck.length;
    ctx.progress(skipped);
    if (toCheck.length === 0) return rows;
    let pending: { userId: string; state: DeviceState }[] = [];
    let pendingErrors: string[] = [];
    let lastFlush = Date.now();
    const flush = (): void => {
      if (pending.length) setDeviceStates(this.#store, profile.id, pending, this.#now());
      for (const p of pending) this.#statusErrors.get(profile.id)?.delete(p.userId);
      this.#changed(profile.id, [...pending.map((p) => p.userId), ...pendingErrors], []);
      pending = [];
      pendingErrors = [];
      lastFlush = Date.now();
    };
    const client = await this.clientFor(profile);
    try {
      const results = await mapBounded(
        toCheck,
        async (item, signal) => {
          try {
            const registered = await client.hasRegisteredDevice(item.iampassId, { signal });
            const state: DeviceState = registered ? 'registered' : 'not_registered';
            pending.push({ userId: item.userId, state });
            rows[item.row - 1] = { row: item.row, userId: item.userId, result: state };
          } catch (error) {
            const info = toErrorInfo(error);
            rows[item.row - 1] = failedRow(item.row, item.userId, info);
            if (info.code !== 'cancelled') {
              this.#setStatusError(profile.id, item.userId, info);
              pendingErrors.push(item.userId);
            }
          }
          if (pending.length + pendingErrors.length >= 500 || Date.now() - lastFlush > 250) flush();
        },
        { concurrency: profile.concurrency, signal: ctx.signal, onProgress: (done) => ctx.progress(skipped + done) },
      );
      for (const r of results) if (!r.ok) rows[r.item.row - 1] = failedRow(r.item.row, r.item.userId, r.error);
    } finally {
      flush();
      client.close();
    }
    this.#summary(profile, 'users.refresh_status', rows);
    return rows;
  }

  /** The profile's secret is never a user ID: it is read here (main side only) to refuse such rows. */
  async #inputRules(profile: Profile): Promise<InputRules> {
    const secret = await this.scope.secretOrNull(profile.id).catch(() => null);
    return { forbidden: secret === null ? [] : [secret] };
  }

  #summary(profile: Profile, action: `${string}.${string}`, rows: readonly JobRow[]): void {
    const counts = new Map<string, number>();
    let firstError: JobRow | undefined;
    for (const r of rows) {
      counts.set(r.result, (counts.get(r.result) ?? 0) + 1);
      if (r.result === 'failed' && !firstError) firstError = r;
    }
    const only = rows.length === 1 ? rows[0] : undefined;
    const summary = [...counts].map(([k, n]) => `${n} ${k.replace('_', ' ')}`).join(', ');
    const target = only ? `${only.userId} (${only.result})` : `${rows.length} users: ${summary}`;
    this.#audit.record({
      action,
      profile: { id: profile.id, name: profile.name },
      target,
      outcome: firstError ? 'error' : 'ok',
      errorCode: firstError?.code ?? null,
    });
  }

  #setStatusError(profileId: string, userId: string, info: ErrorInfo): void {
    let map = this.#statusErrors.get(profileId);
    if (!map) this.#statusErrors.set(profileId, (map = new Map<string, StatusError>()));
    map.set(userId, { code: info.code, message: info.message, at: this.#now() });
  }

  #view(u: DirectoryUser): UserRow {
    return {
      rowId: u.rowId,
      userId: u.userId,
      displayName: u.displayName,
      iampassId: u.iampassId,
      deviceState: u.deviceState,
      deviceCheckedAt: u.deviceCheckedAt,
      addedAt: u.addedAt,
      lastAuthAt: u.lastAuthAt,
      statusError: this.#statusErrors.get(u.profileId)?.get(u.userId) ?? null,
    };
  }

  #changed(profileId: string, upserted: readonly string[], removed: readonly string[]): void {
    if (upserted.length === 0 && removed.length === 0) return;
    this.#revision++;
    const reset = upserted.length + removed.length > MAX_UPSERTS_PER_EVENT;
    const upserts = reset ? [] : getUsers(this.#store, profileId, upserted).map((u) => this.#view(u));
    this.#events.emit({
      type: 'changed',
      payload: { profileId, revision: this.#revision, upserts, removed: reset ? [] : [...removed], reset },
    });
  }
}
