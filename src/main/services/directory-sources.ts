/**
 * Profiles whose directory lives in the application's own database
 * (docs/directory.md). The application's users table is the record; the
 * console keeps a mirror of it in its store, which answers every query and
 * window as the embedded directory does. This service links and unlinks a
 * profile (a dry-run check first; the database password in the keychain),
 * keeps one open connection per linked profile, and keeps the mirror
 * current: a full sync (a job) at link time, on demand and when the
 * database's fingerprint changed; the users another console announces
 * (NOTIFY) re-read at once; a periodic fingerprint check for changes the
 * application itself makes.
 */
import { AppError } from '../../shared/errors.ts';
import {
  describeSource,
  directoryConnection,
  directorySource,
  type DirectoryConnectionInput,
  type DirectoryInfo,
  type DirectorySource,
  type DirectorySourceInput,
  type PostgresConnection,
  type SourceCheck,
  type SourceUser,
} from '../../shared/directory-source.ts';
import type { JobRow } from '../../shared/ipc/jobs.ts';
import { listTables, openAppDirectory, type AppDirectory, type TableInfo } from '../store/app-db/index.ts';
import type { Store } from '../store/db.ts';
import { countUsers } from '../store/directory.ts';
import { countIntents } from '../store/intents.ts';
import {
  applyMirror,
  beginSweep,
  clearSource,
  endSweep,
  getSource,
  markSeen,
  markSynced,
  removeFromMirror,
  setSource,
  type LinkedSource,
} from '../store/mirror.ts';
import type { Profile } from '../store/profiles.ts';
import type { SecretStore } from '../secrets/keychain.ts';
import type { AuditService } from './audit.ts';
import { Emitter } from './events.ts';
import type { JobContext, JobRunner } from './jobs.ts';

/** Rows read from the application per page of a sync. */
export const SYNC_PAGE = 5_000;

export type MirrorEvent = {
  type: 'mirrored';
  payload: { profileId: string; upserted: string[]; removed: string[] };
};

export interface DirectorySourcesDeps {
  store: Store;
  secrets: SecretStore;
  audit: AuditService;
  jobs: JobRunner;
  now?: () => number;
  /** How often a watched profile's database is checked for changes the application made (default 30 s). */
  fingerprintEveryMs?: number;
  /** SQLite files: how often other writers are looked for (default 2 s). */
  pollMs?: number;
}

export interface LinkOptions {
  /** PostgreSQL: the login's password (kept in the keychain); omitted: the one already kept, if any. */
  password?: string | null;
  /** DDL from the check (a token table, unique indexes) the admin chose to run before linking. */
  applyDdl?: readonly string[];
}

export class DirectorySources {
  readonly #store: Store;
  readonly #secrets: SecretStore;
  readonly #audit: AuditService;
  readonly #jobs: JobRunner;
  readonly #now: () => number;
  readonly #fingerprintEveryMs: number;
  readonly #pollMs: number | undefined;
  readonly #events = new Emitter<MirrorEvent>();
  readonly #open = new Map<string, Promise<AppDirectory>>();
  readonly #watches = new Map<string, { stop: () => Promise<void>; timer: NodeJS.Timeout }>();
  /** Profiles whose watch is being set up (a second window call must not start another). */
  readonly #starting = new Set<string>();
  /** One full sync at a time per store (the sweep's temporary table is per connection). */
  #syncing: Promise<unknown> = Promise.resolve();
  readonly #pendingSync = new Map<string, string>();
  /** Users this console wrote while a full sync of their profile was reading (see announce). */
  readonly #writtenDuringSync = new Map<string, Set<string>>();

  constructor(deps: DirectorySourcesDeps) {
    this.#store = deps.store;
    this.#secrets = deps.secrets;
    this.#audit = deps.audit;
    this.#jobs = deps.jobs;
    this.#now = deps.now ?? Date.now;
    this.#fingerprintEveryMs = deps.fingerprintEveryMs ?? 30_000;
    this.#pollMs = deps.pollMs;
  }

  /** Mirror changes (rows added, changed or removed by a sync); answers the unsubscribe. */
  on(listener: (event: MirrorEvent) => void): () => void {
    return this.#events.on(listener);
  }

  linked(profileId: string): LinkedSource | null {
    return getSource(this.#store, profileId);
  }

  /** The profile's open application directory (one per profile), or null when its directory is embedded. */
  directory(profile: Pick<Profile, 'id'>): Promise<AppDirectory> | null {
    const linked = getSource(this.#store, profile.id);
    if (!linked) return null;
    let open = this.#open.get(profile.id);
    if (!open) {
      open = this.#connect(profile.id, linked.source, undefined);
      this.#open.set(profile.id, open);
      open.catch(() => this.#open.delete(profile.id));
    }
    return open;
  }

  async #connect(
    profileId: string,
    source: DirectorySource,
    password: string | null | undefined,
  ): Promise<AppDirectory> {
    const pw =
      source.kind === 'postgres' ? (password ?? (await this.#keptPassword(profileId, source.connection))) : null;
    return openAppDirectory(source, { password: pw, ...(this.#pollMs === undefined ? {} : { pollMs: this.#pollMs }) });
  }

  /** Where the profile's users live, as the console shows it. */
  info(profileId: string): DirectoryInfo {
    return infoOf(getSource(this.#store, profileId));
  }

  /** The tables a connection may read, before any mapping (the wizard's first step). */
  async tables(profileId: string, input: DirectoryConnectionInput, password?: string | null): Promise<TableInfo[]> {
    const parsed = directoryConnection.safeParse(input);
    if (!parsed.success) throw invalidSource(parsed.error.issues[0]!);
    const pw =
      parsed.data.kind === 'postgres'
        ? (password ?? (await this.#keptPassword(profileId, parsed.data.connection).catch(() => null)))
        : null;
    return listTables(parsed.data, { password: pw });
  }

  /**
   * The password kept for the profile's linked database, only for that same
   * server, port, database and login: an edited connection never receives it.
   */
  async #keptPassword(profileId: string, to: PostgresConnection): Promise<string | null> {
    const linked = getSource(this.#store, profileId)?.source;
    if (linked?.kind !== 'postgres') return null;
    const c = linked.connection;
    if (c.host !== to.host || c.port !== to.port || c.database !== to.database || c.user !== to.user) return null;
    return this.#secrets.getCredential(profileId, 'database');
  }

  /**
   * The profile the console shows (every users window; idempotent): watched
   * when it is linked, any other no longer; answers where its users live
   * (one read of the link).
   */
  show(profile: Profile): DirectoryInfo {
    for (const id of this.#watches.keys()) if (id !== profile.id) void this.unwatch(id);
    const linked = getSource(this.#store, profile.id);
    if (linked && !this.#watches.has(profile.id)) this.watch(profile).catch(() => undefined);
    return infoOf(linked);
  }

  /** The dry run for a source (the wizard's and the CLI's `--check`): opens, checks, closes; writes nothing. */
  async check(
    profileId: string,
    input: DirectorySourceInput,
    password?: string | null,
  ): Promise<SourceCheck & { tables: TableInfo[] }> {
    const source = parseSource(input);
    const dir = await this.#connect(profileId, source, password);
    try {
      return { ...(await dir.check()), tables: await dir.tables() };
    } finally {
      await dir.close();
    }
  }

  /**
   * Links the profile to the application's database after a passing check
   * (and the DDL the admin chose), keeps the password in the keychain, and
   * starts the first sync; answers the check and the sync's job id. A
   * profile whose embedded directory holds users is refused: its IAMPASS IDs
   * are recorded nowhere else.
   */
  async link(
    profile: Profile,
    input: DirectorySourceInput,
    options: LinkOptions = {},
  ): Promise<{ check: SourceCheck; jobId: string }> {
    const source = parseSource(input);
    this.#settled(profile, 'linked again');
    if (!getSource(this.#store, profile.id) && countUsers(this.#store, profile.id) > 0)
      throw new AppError(
        'conflict',
        `The profile's own directory holds ${countUsers(this.#store, profile.id)} users whose IAMPASS IDs are recorded only there. Link a new profile to the application's database, or delete those users first.`,
      );
    const dir = await this.#connect(profile.id, source, options.password);
    let check: SourceCheck;
    try {
      if (options.applyDdl && options.applyDdl.length > 0) {
        await dir.applyDdl(options.applyDdl);
        this.#record(profile, 'directory.ddl', `${options.applyDdl.length} statements on ${auditTarget(source)}`);
      }
      check = await dir.check();
    } catch (error) {
      await dir.close();
      throw error;
    }
    if (!check.ok) {
      await dir.close();
      const failed = check.checks.filter(
        (c) => !c.ok && c.name !== 'IAMPASS ID writable' && c.name !== 'token table writable',
      );
      throw new AppError(
        'invalid_input',
        `The mapping does not pass its check: ${failed.map((c) => `${c.name} (${c.detail})`).join('; ')}.`,
      );
    }
    if (source.kind === 'postgres' && typeof options.password === 'string')
      await this.#secrets.setCredential(profile.id, 'database', options.password);
    await this.#drop(profile.id);
    this.#open.set(profile.id, Promise.resolve(dir));
    setSource(this.#store, profile.id, source, check.writable, this.#now());
    this.#record(profile, 'directory.link', auditTarget(source));
    return { check, jobId: this.sync(profile) };
  }

  /** Unlinks: the mirror and the password go; the application's table is untouched. */
  async unlink(profile: Profile): Promise<boolean> {
    this.#settled(profile, 'unlinked');
    await this.#drop(profile.id);
    const gone = clearSource(this.#store, profile.id);
    await this.#secrets.deleteCredential(profile.id, 'database').catch(() => false);
    if (gone) {
      this.#record(profile, 'directory.unlink', profile.name);
      this.#events.emit({ type: 'mirrored', payload: { profileId: profile.id, upserted: [], removed: ['*'] } });
    }
    return gone;
  }

  /** Starts a full sync of the profile's mirror as a job (`users.sync`); a sync already waiting is reused. */
  sync(profile: Profile): string {
    const waiting = this.#pendingSync.get(profile.id);
    if (waiting !== undefined) return waiting;
    const jobId = this.#jobs.start('users.sync', 0, (ctx) => {
      const run = this.#syncing.then(() => {
        this.#pendingSync.delete(profile.id);
        return this.#syncAll(profile, ctx);
      });
      this.#syncing = run.catch(() => undefined);
      return run;
    });
    this.#pendingSync.set(profile.id, jobId);
    return jobId;
  }

  /**
   * Syncs only when the database changed since the last sync; null: current.
   * `all` (the CLI, before each command): any change; `users` (a watching
   * console, which hears IAMPASS ID changes announced): the users, their IDs
   * and names, so the console's own writes start no sync.
   */
  async syncIfChanged(profile: Profile, what: 'all' | 'users' = 'all'): Promise<string | null> {
    const linked = getSource(this.#store, profile.id);
    const dir = this.directory(profile);
    if (!linked || !dir) return null;
    const fingerprint = await (await dir).fingerprint();
    const same =
      what === 'all' ? fingerprint.all === linked.fingerprint : fingerprint.users === linked.usersFingerprint;
    return same ? null : this.sync(profile);
  }

  async #syncAll(profile: Profile, ctx: JobContext): Promise<JobRow[]> {
    const dir = this.directory(profile);
    if (!dir) throw new AppError('missing', 'This profile is not linked to an application database.');
    const app = await dir;
    const fingerprint = await app.fingerprint();
    const writable = await app.canWrite();
    const rows: JobRow[] = [];
    const retry: SourceUser[] = [];
    let seen = 0;
    let changed: string[] = [];
    let many = false;
    const written = new Set<string>();
    this.#writtenDuringSync.set(profile.id, written);
    beginSweep(this.#store);
    let after: string | null = null;
    for (;;) {
      if (ctx.signal.aborted) throw new AppError('cancelled', 'The sync was cancelled; the mirror keeps what it had.');
      const page = await app.scan(after, SYNC_PAGE);
      if (page.length === 0) break;
      const result = applyMirror(this.#store, profile.id, page, this.#now());
      markSeen(
        this.#store,
        page.map((u) => u.userId),
      );
      // An ID held in the mirror by a user renamed or removed later in the scan: tried again after the sweep.
      const conflicted = new Set(result.conflicts);
      retry.push(...page.filter((u) => conflicted.has(u.userId)));
      if (!many) changed.push(...result.changed);
      if (changed.length > 5_000) {
        many = true;
        changed = [];
      }
      seen += page.length;
      after = page.at(-1)!.key;
      ctx.progress(seen, seen + (page.length === SYNC_PAGE ? SYNC_PAGE : 0));
    }
    const removed = endSweep(this.#store, profile.id);
    this.#writtenDuringSync.delete(profile.id);
    // This console's writes during the scan: read again, so a page read before them does not undo them.
    if (written.size > 0) await this.refreshUsers(profile, [...written]);
    const again = applyMirror(this.#store, profile.id, retry, this.#now());
    if (!many) changed.push(...again.changed);
    for (const userId of again.conflicts)
      rows.push({
        row: rows.length + 1,
        userId,
        result: 'failed',
        code: 'conflict',
        reason: "Its IAMPASS ID is another user's in the application's table: not mirrored.",
      });
    markSynced(this.#store, profile.id, fingerprint, writable, this.#now());
    if (many || changed.length > 0 || removed.length > 0)
      this.#events.emit({
        type: 'mirrored',
        payload: { profileId: profile.id, upserted: many ? ['*'] : changed, removed: many ? ['*'] : removed },
      });
    this.#record(
      profile,
      'users.sync',
      `${seen} users read, ${many ? 'many' : changed.length} changed, ${removed.length} removed`,
    );
    return rows;
  }

  /** Re-reads the given users from the application (another console announced them) into the mirror. */
  async refreshUsers(profile: Pick<Profile, 'id'>, userIds: readonly string[]): Promise<void> {
    const dir = this.directory(profile);
    if (!dir || userIds.length === 0) return;
    const found = await (await dir).byUserIds(userIds);
    const result = applyMirror(this.#store, profile.id, found, this.#now());
    const present = new Set(found.map((u) => u.userId));
    const removed = removeFromMirror(
      this.#store,
      profile.id,
      userIds.filter((u) => !present.has(u)),
    );
    if (result.changed.length > 0 || removed.length > 0)
      this.#events.emit({ type: 'mirrored', payload: { profileId: profile.id, upserted: result.changed, removed } });
  }

  /**
   * Follows a linked profile while the console shows it: users other
   * consoles announce are re-read at once; a lost notification channel, a
   * changed SQLite file or a changed fingerprint (the application's own
   * writes) start a sync. Idempotent; `unwatch` or `close` stop it.
   */
  async watch(profile: Profile): Promise<void> {
    if (this.#watches.has(profile.id) || this.#starting.has(profile.id) || !getSource(this.#store, profile.id)) return;
    this.#starting.add(profile.id);
    try {
      const dir = await this.directory(profile)!;
      const stop = await dir.listen((userIds) => {
        if (userIds === null) this.sync(profile);
        else this.refreshUsers(profile, userIds).catch(() => this.sync(profile));
      });
      // PostgreSQL: the application's own changes, by fingerprint (an SQLite file's show in data_version).
      const timer = setInterval(() => {
        if (dir.kind === 'postgres') this.syncIfChanged(profile, 'users').catch(() => undefined);
      }, this.#fingerprintEveryMs);
      timer.unref();
      this.#watches.set(profile.id, { stop, timer });
    } finally {
      this.#starting.delete(profile.id);
    }
  }

  async unwatch(profileId: string): Promise<void> {
    const w = this.#watches.get(profileId);
    if (!w) return;
    this.#watches.delete(profileId);
    clearInterval(w.timer);
    await w.stop();
  }

  /** Tells other consoles on the same database that these users changed (after this console's writes). */
  async announce(profile: Pick<Profile, 'id'>, userIds: readonly string[]): Promise<void> {
    // Written while a sync reads the table: a page read before the write may have put the old value back.
    for (const id of userIds) this.#writtenDuringSync.get(profile.id)?.add(id);
    const dir = this.directory(profile);
    if (dir && userIds.length > 0) await (await dir).announce(userIds);
  }

  async #drop(profileId: string): Promise<void> {
    await this.unwatch(profileId);
    const open = this.#open.get(profileId);
    this.#open.delete(profileId);
    if (open) await (await open.catch(() => null))?.close();
  }

  async close(): Promise<void> {
    for (const id of [...new Set([...this.#open.keys(), ...this.#watches.keys()])]) await this.#drop(id);
  }

  /**
   * Changes recorded and not yet settled (intents) belong to the current
   * source: the profile is relinked or unlinked only after recovery settled
   * them, or they would be settled against the wrong table.
   */
  #settled(profile: Profile, what: string): void {
    const pending = Object.values(countIntents(this.#store, profile.id)).reduce((a, b) => a + (b ?? 0), 0);
    if (pending > 0)
      throw new AppError(
        'conflict',
        `${pending} change${pending === 1 ? '' : 's'} to this profile's users did not finish; settle them first (Check now, or iampass-admin users reconcile), then the profile can be ${what}.`,
      );
  }

  #record(profile: Profile, action: `${string}.${string}`, target: string): void {
    this.#audit.record({ action, profile: { id: profile.id, name: profile.name }, target, outcome: 'ok' });
  }
}

/** A source as the audit names it: without the URL scheme, which the audit would redact as a link. */
function auditTarget(source: DirectorySource): string {
  const team = source.kind === 'postgres' && source.team ? ` (team schema ${source.team.schema})` : '';
  return `${describeSource(source).replace(/^postgresql:\/\//, 'PostgreSQL ')}${team}`;
}

function infoOf(linked: LinkedSource | null): DirectoryInfo {
  if (!linked) return { kind: 'embedded', label: null, readOnly: false, syncedAt: null, team: null };
  const { source } = linked;
  return {
    kind: source.kind,
    label: describeSource(source),
    readOnly: !linked.writable,
    syncedAt: linked.syncedAt,
    team: source.kind === 'postgres' ? (source.team?.schema ?? null) : null,
  };
}

function invalidSource(issue: { path: PropertyKey[]; message: string }): AppError {
  const field = issue.path.map(String).join('.');
  return new AppError('invalid_input', `The directory source is not valid: ${field || 'source'}: ${issue.message}`, {
    details: { field },
  });
}

function parseSource(input: DirectorySourceInput): DirectorySource {
  const parsed = directorySource.safeParse(input);
  if (!parsed.success) throw invalidSource(parsed.error.issues[0]!);
  return parsed.data;
}
