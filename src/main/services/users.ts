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
import type { DirectoryInfo } from '../../shared/directory-source.ts';
import type { JobRow } from '../../shared/ipc/jobs.ts';
import {
  LOCAL_DIRECTORY_MAX,
  MAX_CONFIRM_FREE_DELETE,
  type CsvMapping,
  type CsvPreview,
  type StatusError,
  type ExportFormat,
  type UserRow,
  type UsersChanged,
  type UsersQuery,
  type UsersSelection,
  type UsersSnapshot,
  type UsersWindow,
} from '../../shared/ipc/users.ts';
import { chunk, mapBounded } from '../../node/bounded.ts';
import { IampassClient, type ClientConfig } from '../iampass/client.ts';
import type { SecretStore } from '../secrets/keychain.ts';
import type { Store } from '../store/db.ts';
import {
  dataVersion,
  directoryColumns,
  getUser,
  getUsers,
  requireAtIampass,
  setDeviceStates,
  updateUserDetails,
  userIdMap,
  type DeviceState,
  type DirectoryUser,
} from '../store/directory.ts';
import {
  countIntents,
  listIntents,
  markUnknown,
  recordIntents,
  removeIntents,
  type AddClaimInput,
  type Intent,
} from '../store/intents.ts';
import { getProfile, type Profile } from '../store/profiles.ts';
import {
  indexOfQuery,
  iterateQuery,
  selectionIds,
  sortOrders,
  windowAndCount,
  windowQuery,
  type QueryContext,
} from '../store/user-query.ts';
import { createPrivateWriteStream } from '../../node/files.ts';
import { exportChunks, writeChunks } from './users-export.ts';
import type { AuditService } from './audit.ts';
import { saveImportedContacts } from './contacts.ts';
import { parseCsv, previewCsv } from './csv.ts';
import { Emitter } from './events.ts';
import { JobRunner, type JobContext } from './jobs.ts';
import { ownerAlive, PROCESS_OWNER } from './owner.ts';
import type { TeamService } from './team.ts';
import { addBatch, deleteBatch, failedRow, reconcileIntents, type Writer } from './writes.ts';
import { ProfileScope } from './profile-scope.ts';
import { QueryCounts } from './query-counts.ts';
import type { DirectorySources } from './directory-sources.ts';
import { checkUserInput, validateRows, type InputRules, type UserInput } from './user-input.ts';

export type { UserInput } from './user-input.ts';

/** What the service needs of IampassClient. */
export type UsersClient = Pick<
  IampassClient,
  | 'addUsers'
  | 'deleteUsers'
  | 'hasRegisteredDevice'
  | 'registrationLink'
  | 'lostDevice'
  | 'sendRegistrationSms'
  | 'close'
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
  /** The largest directory the Users screen is given whole (`screenSnapshot`); LOCAL_DIRECTORY_MAX by default. */
  screenCopyMax?: number;
  /** Per request timeout (default the client's 15 s). */
  timeoutMs?: number;
  /** Pins the service to this profile instead of the active one (the CLI's --profile). */
  profileId?: string;
  /** The profile scope shared with the other services (default: one on store, secrets and profileId). */
  scope?: ProfileScope;
  /** Profiles whose users live in the application's database (default: every directory embedded). */
  sources?: DirectorySources;
  /** Team mode for linked profiles that share a PostgreSQL schema (default: none). */
  team?: TeamService;
}

const EMBEDDED: DirectoryInfo = { kind: 'embedded', label: null, readOnly: false, syncedAt: null, team: null };

/** Changes bigger than this are announced as `reset` (re-fetch the snapshot) instead of row upserts. */
export const MAX_UPSERTS_PER_EVENT = 5000;

// ------------------------------------------------------------------- service

/**
 * Reads the first window of the active profile's directory (and its count)
 * once, on the next turn of the event loop: called right after the window
 * starts loading, SQLite's page cache is warm for the Users screen's first
 * `users.window` (the read overlaps the renderer's boot). Used by the
 * Electron layer at start-up. Never rejects; a failure is passed to
 * `onError` as a code.
 */
export function warmDirectory(
  users: Pick<UsersService, 'window'>,
  onError: (code: string) => void = () => undefined,
): Promise<void> {
  return new Promise((done) => {
    setImmediate(() => {
      try {
        users.window({ sort: { column: 'userId' } }, 0, 300);
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
  /** Application directories (linked profiles); null: embedded only. */
  readonly sources: DirectorySources | null;
  readonly #store: Store;
  readonly #team: TeamService | null;
  readonly #audit: AuditService;
  readonly #now: () => number;
  readonly #createClient: (config: ClientConfig) => UsersClient;
  readonly #batchSize: number;
  readonly #screenCopyMax: number;
  /** `PRAGMA data_version` at the last window (see #noticeOtherWriters). */
  #dataVersion: number | null = null;
  readonly #timeoutMs: number | undefined;
  readonly #events = new Emitter<UsersEvent>();
  /** The intent-first writes (writes.ts) with this service's store, clock and events. */
  readonly #writer: Writer = {
    store: null as unknown as Store,
    now: () => this.#now(),
    changed: (profileId, upserted, removed) => this.#changed(profileId, upserted, removed),
    canTakeOver: (intent) => this.#canTakeOver(intent),
    forgetStatusError: (profileId, userId) => this.#statusErrors.get(profileId)?.delete(userId),
    source: (profile) => this.sources?.directory(profile) ?? null,
    announce: (profile, userIds) => {
      this.sources?.announce(profile, userIds).catch(() => undefined);
    },
    inTeam: (profile) => this.#team?.enabled(profile) ?? false,
    share: (profile, fresh, held) => this.#team?.share(profile, fresh, held) ?? null,
    settled: (profile) => void this.#team?.settled(profile),
    adopt: (profile) => this.#team?.adopt(profile) ?? Promise.resolve(0),
  };
  /** profileId -> userId -> last failed status check (memory only). */
  readonly #statusErrors = new Map<string, Map<string, StatusError>>();
  #revision = 0;
  readonly #counts: QueryCounts;

  constructor(deps: UsersDeps) {
    this.#store = deps.store;
    this.#writer.store = deps.store;
    this.#counts = new QueryCounts(deps.store, () => this.#revision);
    this.scope =
      deps.scope ?? new ProfileScope({ store: deps.store, secrets: deps.secrets, profileId: deps.profileId });
    this.#audit = deps.audit;
    this.#now = deps.now ?? Date.now;
    this.jobs = deps.jobs ?? new JobRunner({ now: this.#now });
    this.#createClient = deps.createClient ?? ((config) => new IampassClient(config));
    this.#batchSize = deps.batchSize ?? 500;
    this.#screenCopyMax = deps.screenCopyMax ?? LOCAL_DIRECTORY_MAX;
    this.#timeoutMs = deps.timeoutMs;
    this.sources = deps.sources ?? null;
    this.#team = deps.team ?? null;
    // A sync or another console's change: the mirror's rows changed under the console.
    this.sources?.on((e) => {
      const { profileId, upserted, removed } = e.payload;
      if (upserted.includes('*') || removed.includes('*')) this.#reset(profileId);
      else this.#changed(profileId, upserted, removed);
    });
  }

  /** `changed` events (rows upserted / removed, or a reset); returns the unsubscribe function. */
  on(listener: (event: UsersEvent) => void): () => void {
    return this.#events.on(listener);
  }

  get revision(): number {
    return this.#revision;
  }

  // ------------------------------------------------------------------ reads

  /** The active profile's whole directory with its sort orders (read in one transaction). */
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
        userKeys: [],
        nameKeys: [],
        orders: {
          userId: [],
          displayName: [],
          iampassId: [],
          deviceState: [],
          deviceCheckedAt: [],
          addedAt: [],
          lastAuthAt: [],
        },
        statusErrors: {},
      };
    }
    const { c, orders } = this.#store.read(() => {
      const c = directoryColumns(this.#store, profile.id);
      return { c, orders: sortOrders(this.#store, profile.id, c.rowIds) };
    });
    return {
      profileId: profile.id,
      profileName: profile.name,
      sendOwnIds: profile.sendOwnIds,
      revision: this.#revision,
      count: c.userIds.length,
      ...c,
      orders,
      statusErrors: Object.fromEntries(this.#statusErrors.get(profile.id) ?? []),
    };
  }

  /** The directory for the Users screen to hold (`users.snapshot`); null when it is larger than it should hold. */
  screenSnapshot(): UsersSnapshot | null {
    return this.count({}) > this.#screenCopyMax ? null : this.snapshot();
  }

  /** A window of the active profile's users matching `query`, in its order, with the total. */
  window(query: UsersQuery, offset: number, limit: number): UsersWindow {
    const profile = this.scope.currentOrNull();
    if (!profile)
      return {
        profileId: null,
        profileName: null,
        sendOwnIds: false,
        revision: this.#revision,
        directory: EMBEDDED,
        total: 0,
        offset,
        rows: [],
      };
    this.#noticeOtherWriters(profile.id);
    // The profile on screen: a linked one is watched for other consoles' and the application's changes.
    const directory = this.sources?.show(profile) ?? EMBEDDED;
    this.#team?.show(profile);
    const ctx = this.#queryContext(profile.id);
    const known = this.#counts.known(profile.id, query, ctx);
    let total: number;
    let rows: DirectoryUser[];
    if (known !== null) {
      total = known;
      rows = windowQuery(this.#store, profile.id, query, offset, limit, { ...ctx, total });
    } else {
      ({ rows, total } = windowAndCount(this.#store, profile.id, query, offset, limit, ctx));
      this.#counts.remember(profile.id, query, ctx, total);
    }
    return {
      profileId: profile.id,
      profileName: profile.name,
      sendOwnIds: profile.sendOwnIds,
      revision: this.#revision,
      directory,
      total,
      offset,
      rows: rows.map((u) => this.#view(u)),
    };
  }

  /** A user's 0-based position in the query's order (null: not matching), with the total. */
  indexOf(query: UsersQuery, userId: string): { index: number | null; total: number } {
    const profile = this.scope.currentOrNull();
    if (!profile) return { index: null, total: 0 };
    const ctx = this.#queryContext(profile.id);
    return {
      index: indexOfQuery(this.#store, profile.id, query, userId, ctx),
      total: this.#counts.get(profile.id, query, ctx),
    };
  }

  /** How many users of the active profile match. */
  count(query: UsersQuery): number {
    const profile = this.scope.currentOrNull();
    return profile ? this.#counts.get(profile.id, query, this.#queryContext(profile.id)) : 0;
  }

  /** Every matching user in the query's order, streamed from the store (constant memory). */
  iterate(query: UsersQuery): Iterable<DirectoryUser> {
    const profile = this.scope.current();
    return iterateQuery(this.#store, profile.id, query, this.#queryContext(profile.id));
  }

  /** The user IDs a selection holds now (a query minus exceptions, or a list as given). */
  selectionIds(selection: UsersSelection): string[] {
    if ('userIds' in selection) return selection.userIds;
    const profile = this.scope.current();
    return selectionIds(this.#store, profile.id, selection.query, selection.except, this.#queryContext(profile.id));
  }

  /** Deletes a selection as a job; more than MAX_CONFIRM_FREE_DELETE users needs `confirmCount` equal to its size now. */
  deleteSelection(selection: UsersSelection, confirmCount?: number): string {
    return this.delete(this.selectionIds(selection), confirmCount);
  }

  /** Adds a selection's users (a linked directory's users not at IAMPASS) as a job. */
  addSelection(selection: UsersSelection): string {
    return this.add(this.selectionIds(selection).map((userId) => ({ userId })));
  }

  /** Checks the device state of a selection as a job. */
  refreshSelection(selection: UsersSelection): string {
    return this.refreshStatus({ userIds: this.selectionIds(selection) });
  }

  /**
   * Writes the query's rows to `path` (owner-only) as a job (users.export):
   * progress per row, no per-row results; the file is complete when the job
   * completes (a cancel or failure removes nothing but stops writing).
   */
  exportTo(query: UsersQuery, format: ExportFormat, path: string): string {
    const profile = this.scope.current();
    const total = this.count(query);
    return this.jobs.start('users.export', total, async (ctx) => {
      const out = createPrivateWriteStream(path);
      let done = 0;
      const closed = new Promise<void>((resolve, reject) => {
        out.once('close', resolve);
        out.once('error', reject);
      });
      try {
        const users = iterateQuery(this.#store, profile.id, query, this.#queryContext(profile.id));
        await writeChunks(
          out,
          exportChunks(users, format, () => {
            if (++done % 1000 === 0) ctx.progress(done);
          }),
          ctx.signal,
        );
        ctx.progress(done);
      } finally {
        out.end();
        await closed;
      }
      this.record(profile, 'users.export', `${done} users (${format})`);
      return [];
    });
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
    this.#writable(profile);
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
    this.#writable(profile);
    const csv = parseCsv(text, { mapping, hasHeader });
    return this.jobs.start('users.import', csv.rows.length, async (ctx) => {
      const rows = await this.#addRows(profile, csv.rows, ctx, 'users.import');
      saveImportedContacts(this.#store, profile.id, csv.rows, rows, this.#now());
      return rows;
    });
  }

  delete(userIds: readonly string[], confirmCount?: number): string {
    const profile = this.scope.current();
    this.#writable(profile);
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

  /**
   * Settles the profile's intents that no live job holds (a crash, a lost
   * answer, a cancel mid-call left them) as a job: adds are completed with
   * their recorded IAMPASS IDs (add_users reports existing ones), deletes
   * sent again (safe to repeat), lost devices checked. One row per intent.
   */
  reconcile(profileId?: string): string {
    const profile = profileId === undefined ? this.scope.current() : this.#profile(profileId);
    return this.jobs.start('users.reconcile', 0, async (ctx) => {
      this.#jobStarted(profile, 'users.reconcile', ctx.jobId, 0);
      const rows = await reconcileIntents(
        this.#writer,
        profile,
        () => this.clientFor(profile),
        ctx,
        profile.concurrency,
        this.#batchSize,
      );
      this.#summary(profile, 'users.reconcile', rows, ctx.jobId);
      return rows;
    });
  }

  /** Records the intent of a single-user change (lost device) before its call; answers its id. */
  beginIntent(profile: Profile, kind: 'lost_device', user: DirectoryUser): number {
    return recordIntents(this.#store, profile.id, kind, [{ userId: user.userId, iampassId: user.iampassId }], {
      owner: PROCESS_OWNER,
      jobId: null,
      now: this.#now(),
    })[0]!;
  }

  /** The call's outcome: done or failed removes the intent; unknown keeps it, marked, for recovery. */
  endIntent(id: number, outcome: 'done' | 'failed' | 'unknown'): void {
    if (outcome === 'unknown') markUnknown(this.#store, [id], this.#now());
    else removeIntents(this.#store, [id]);
  }

  /** How many of the profile's unsettled changes recovery may settle now (no live job holds them). */
  recoverable(profileId?: string): number {
    const profile = profileId === undefined ? this.scope.currentOrNull() : this.#profile(profileId);
    return profile ? listIntents(this.#store, profile.id).filter((i) => this.#canTakeOver(i)).length : 0;
  }

  /** How many of the profile's changes are recorded and not yet settled, by kind. */
  pendingIntents(profileId?: string): Partial<Record<Intent['kind'], number>> {
    const profile = profileId === undefined ? this.scope.currentOrNull() : this.#profile(profileId);
    return profile ? countIntents(this.#store, profile.id) : {};
  }

  /** Checks one user now. A failed check is kept on the row and thrown as its typed error. */
  async checkStatus(userId: string): Promise<UserRow> {
    const profile = this.scope.current();
    const user = getUser(this.#store, profile.id, userId);
    if (!user) throw new AppError('missing', 'This user is not in the directory.');
    requireAtIampass(user);
    const client = await this.clientFor(profile);
    try {
      const registered = await client.hasRegisteredDevice(user.iampassId);
      this.setState(profile, userId, registered ? 'registered' : 'not_registered');
      return this.row(userId);
    } catch (error) {
      this.#setStatusError(profile.id, userId, inUserTerms(toErrorInfo(error), user));
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
    requireAtIampass(user);
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

  /**
   * Changes a user's display name in the console's directory (validated like an
   * added user's, the application's secret refused; audited). A linked
   * directory's names are the application's: changed there, read at the next
   * sync. The name on a phone already registered stays what it was.
   */
  async setDisplayName(userId: string, displayName: string): Promise<UserRow> {
    const profile = this.scope.current();
    if ((this.sources?.show(profile) ?? EMBEDDED).kind !== 'embedded')
      throw new AppError(
        'invalid_input',
        "This application's users live in its own database: change the display name there; the console reads it at the next sync.",
      );
    const user = getUser(this.#store, profile.id, userId);
    if (!user) throw new AppError('missing', 'This user is not in the directory.');
    const checked = checkUserInput({ userId: user.userId, displayName }, await this.#inputRules(profile));
    if (!checked.ok) throw new AppError('invalid_input', checked.problem, { details: { field: 'displayName' } });
    updateUserDetails(this.#store, profile.id, user.userId, { displayName: checked.displayName }, this.#now());
    this.record(profile, 'user.display_name', user.userId);
    this.#changed(profile.id, [user.userId], []);
    return this.row(user.userId);
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
    ctx: JobContext,
    action: 'users.add' | 'users.import',
  ): Promise<JobRow[]> {
    const rows = new Array<JobRow>(inputs.length);
    const rules = await this.#inputRules(profile);
    this.#jobStarted(profile, action, ctx.jobId, inputs.length);
    const candidates: AddClaimInput[] = [];
    for (const v of validateRows(inputs, rules)) {
      if (v.problem !== null) rows[v.row - 1] = { row: v.row, userId: v.userId, result: 'invalid', reason: v.problem };
      else candidates.push({ row: v.row, userId: v.userId, displayName: v.displayName });
    }
    let done = inputs.length - candidates.length;
    ctx.progress(done);
    if (candidates.length > 0) {
      const client = await this.clientFor(profile);
      try {
        const outcomes = await mapBounded(
          chunk(candidates, this.#batchSize),
          async (batch, signal) => {
            await addBatch(this.#writer, profile, client, batch, rows, ctx.jobId, signal);
            done += batch.length;
            ctx.progress(done);
          },
          { concurrency: profile.concurrency, signal: ctx.signal },
        );
        for (const o of outcomes)
          if (!o.ok) for (const b of o.item) rows[b.row - 1] ??= failedRow(b.row, b.userId, o.error);
      } finally {
        client.close();
      }
    }
    this.#summary(profile, action, rows, ctx.jobId);
    return rows;
  }

  async #deleteRows(profile: Profile, userIds: readonly string[], ctx: JobContext): Promise<JobRow[]> {
    const rows = new Array<JobRow>(userIds.length);
    this.#jobStarted(profile, 'users.delete', ctx.jobId, userIds.length);
    const known = getUsers(this.#store, profile.id, userIds).filter((u) => u.iampassId !== '');
    const byId = new Map(known.map((u) => [u.userId, u.iampassId]));
    const seen = new Set<string>();
    const toSend: { row: number; userId: string; iampassId: string }[] = [];
    userIds.forEach((userId, i) => {
      const iampassId = byId.get(userId);
      if (seen.has(userId)) rows[i] = { row: i + 1, userId, result: 'invalid', reason: 'Duplicate in the selection.' };
      else if (iampassId === undefined)
        rows[i] = { row: i + 1, userId, result: 'missing', reason: 'Not in the directory (or not at IAMPASS).' };
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
            await deleteBatch(this.#writer, profile, client, batch, rows, ctx.jobId, signal);
            done += batch.length;
            ctx.progress(done);
          },
          { concurrency: profile.concurrency, signal: ctx.signal },
        );
        for (const o of outcomes)
          if (!o.ok) for (const b of o.item) rows[b.row - 1] ??= failedRow(b.row, b.userId, o.error);
      } finally {
        client.close();
      }
    }
    this.#summary(profile, 'users.delete', rows, ctx.jobId);
    return rows;
  }

  /** A profile linked read-only (the login may not write IAMPASS IDs) refuses adds and deletes before anything is sent. */
  #writable(profile: Profile): void {
    const info = this.sources?.info(profile.id);
    if (info?.readOnly)
      throw new AppError(
        'forbidden',
        `Read-only: this database login may not write IAMPASS IDs in ${info.label ?? "the application's table"}, so users cannot be added or deleted.`,
        { details: { reason: 'read_only' } },
      );
  }

  /** An intent this process may take over: its owner is gone, or it is ours and no running job of ours holds it. */
  #canTakeOver(intent: Intent): boolean {
    if (intent.owner !== PROCESS_OWNER) return !ownerAlive(intent.owner);
    return intent.jobId === null || !this.jobs.list().some((j) => j.jobId === intent.jobId);
  }

  #profile(id: string): Profile {
    const profile = getProfile(this.#store, id);
    if (!profile) throw new AppError('missing', 'That application profile does not exist.');
    return profile;
  }

  /** The job's audit entry at its start: a crash leaves "started" without its end, and the intents of what it did. */
  #jobStarted(profile: Profile, action: `${string}.${string}`, jobId: string, rows: number): void {
    this.#audit.record({
      action: `${action}.start`,
      profile: { id: profile.id, name: profile.name },
      target: `${rows} rows (job ${jobId.slice(0, 8)})`,
      outcome: 'ok',
    });
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
      if (iampassId === undefined || iampassId === '')
        rows[i] = { row: i + 1, userId, result: 'missing', reason: 'Not in the directory (or not at IAMPASS).' };
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
            const info = inUserTerms(toErrorInfo(error), item);
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

  #summary(profile: Profile, action: `${string}.${string}`, rows: readonly JobRow[], jobId?: string): void {
    const counts = new Map<string, number>();
    let firstError: JobRow | undefined;
    for (const r of rows) {
      counts.set(r.result, (counts.get(r.result) ?? 0) + 1);
      if ((r.result === 'failed' || r.result === 'unknown') && !firstError) firstError = r;
    }
    const only = rows.length === 1 ? rows[0] : undefined;
    const summary = [...counts].map(([k, n]) => `${n} ${k.replace('_', ' ')}`).join(', ');
    const job = jobId === undefined ? '' : ` (job ${jobId.slice(0, 8)})`;
    const target = only ? `${only.userId} (${only.result})${job}` : `${rows.length} users: ${summary}${job}`;
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

  #queryContext(profileId: string): QueryContext {
    return { failedUserIds: [...(this.#statusErrors.get(profileId)?.keys() ?? [])], now: this.#now() };
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

  /** Many rows changed at once (a sync): windows refetch. */
  /**
   * Another process (the CLI on the same data folder) committed to the store
   * since the last window: its changes came with no event, so a reset is
   * announced (a screen holding a copy of the directory drops it).
   */
  #noticeOtherWriters(profileId: string): void {
    const version = dataVersion(this.#store);
    if (this.#dataVersion !== null && version !== this.#dataVersion) this.#reset(profileId);
    this.#dataVersion = version;
  }

  #reset(profileId: string): void {
    this.#revision++;
    this.#events.emit({
      type: 'changed',
      payload: { profileId, revision: this.#revision, upserts: [], removed: [], reset: true },
    });
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

/** An error about a user in the admin's terms: the opaque IAMPASS ID the service was asked about becomes the user ID. */
function inUserTerms(info: ErrorInfo, user: { userId: string; iampassId: string }): ErrorInfo {
  if (user.iampassId === '' || user.iampassId === user.userId) return info;
  return { ...info, message: info.message.split(user.iampassId).join(user.userId) };
}
