/**
 * Team mode (docs/directory.md#team-mode), for profiles linked to a
 * PostgreSQL directory with a team schema: this console's adds and deletes
 * are recorded in the shared ledger before they are sent, its audit entries
 * are copied to the shared log, its installation is marked alive while it
 * works, and the intents of consoles gone silent are taken over so that
 * recovery settles them here.
 */
import { randomUUID } from 'node:crypto';
import { AppError } from '../../shared/errors.ts';
import type { AuditEntry, AuditFilter } from '../store/audit.ts';
import { markAuditShared, unsharedAudit } from '../store/audit.ts';
import type { TeamAuditRow, TeamIntent, TeamLedger } from '../store/app-db/team.ts';
import type { Store } from '../store/db.ts';
import { adoptIntents, intentIds } from '../store/intents.ts';
import { getProfile, getSetting, setSetting, type Profile } from '../store/profiles.ts';
import type { AuditService } from './audit.ts';
import type { DirectorySources } from './directory-sources.ts';
import { ADMIN, ADOPTED_OWNER } from './owner.ts';

export type { TeamIntent };

function asEntry(profile: Profile, r: TeamAuditRow): AuditEntry {
  return { ...r, profileId: profile.id };
}

/** Audit entries copied to the shared log per statement. */
const AUDIT_BATCH = 1000;

export interface TeamDeps {
  store: Store;
  sources: DirectorySources;
  /** Entries recorded for a team profile are shared within a moment. */
  audit: AuditService;
  now?: () => number;
  /** How often a console showing a team profile marks itself alive and shares its audit (default 10 s). */
  heartbeatMs?: number;
  /** How long an installation may be silent before its intents are taken over (default 60 s). */
  staleMs?: number;
}

export class TeamService {
  /** This data folder's id in the shared ledger (its window and its CLI are one installation). */
  readonly installation: string;
  readonly #store: Store;
  readonly #sources: DirectorySources;
  readonly #now: () => number;
  readonly #heartbeatMs: number;
  readonly #staleMs: number;
  #shown: { profile: Profile; timer: NodeJS.Timeout } | null = null;
  /** Team profiles this process used: their audit is shared on close. */
  readonly #used = new Map<string, Profile>();
  /** The settle pass running per profile, and whether another batch settled since it began. */
  readonly #tidying = new Map<string, { again: boolean; done: Promise<void> }>();
  /** Audit shares scheduled by #shareSoon. */
  readonly #sharing = new Map<string, Promise<void>>();

  constructor(deps: TeamDeps) {
    this.#store = deps.store;
    this.#sources = deps.sources;
    this.#now = deps.now ?? Date.now;
    this.#heartbeatMs = deps.heartbeatMs ?? 10_000;
    this.#staleMs = deps.staleMs ?? 60_000;
    let id = getSetting(deps.store, 'installation_id');
    if (id === null) setSetting(deps.store, 'installation_id', (id = randomUUID()));
    this.installation = id;
    deps.audit.onRecorded((profileId) => {
      if (profileId !== null) this.#shareSoon(profileId);
    });
  }

  /** Shares a team profile's new audit entries on the next turn (one push for a burst of entries). */
  #shareSoon(profileId: string): void {
    if (this.#sharing.has(profileId) || !this.enabled({ id: profileId })) return;
    const profile = getProfile(this.#store, profileId);
    if (!profile) return;
    const run = (async () => {
      await new Promise((r) => setImmediate(r));
      this.#sharing.delete(profileId);
      const ledger = this.#ledger(profile);
      if (ledger) await this.#shareAudit(profile, await ledger);
    })().catch(() => undefined);
    this.#sharing.set(profileId, run);
  }

  /** Whether the profile is in team mode (linked to PostgreSQL with a team schema). */
  enabled(profile: Pick<Profile, 'id'>): boolean {
    const source = this.#sources.linked(profile.id)?.source;
    return source?.kind === 'postgres' && source.team !== undefined;
  }

  #ledger(profile: Profile): Promise<TeamLedger> | null {
    if (!this.enabled(profile)) return null;
    const dir = this.#sources.directory(profile);
    if (!dir) return null;
    this.#used.set(profile.id, profile);
    return dir.then((d) => d.team!);
  }

  /**
   * Before a batch is sent: records `fresh` intents in the shared ledger and
   * answers which of them and of `held` (recorded earlier) this console may
   * send; null when the profile is not in team mode. Rejects when the ledger
   * cannot be reached: nothing may be sent then.
   */
  share(profile: Profile, fresh: readonly TeamIntent[], held: readonly number[]): Promise<Set<number>> | null {
    const ledger = this.#ledger(profile);
    if (!ledger) return null;
    return ledger.then((l) => l.share(this.installation, ADMIN, profile.applicationId, fresh, held));
  }

  /**
   * Takes over the intents of consoles silent for the stale period (this
   * console then holds them for recovery); answers how many. 0 when not in
   * team mode.
   */
  async adopt(profile: Profile): Promise<number> {
    const ledger = this.#ledger(profile);
    if (!ledger) return 0;
    const taken = await (
      await ledger
    ).adopt(this.installation, ADMIN, profile.applicationId, this.#staleMs, (intents) =>
      adoptIntents(this.#store, profile.id, intents, { owner: ADOPTED_OWNER, now: this.#now() }),
    );
    return taken.length;
  }

  /**
   * After a batch settled: its rows leave the ledger and new audit entries
   * are shared (one pass at a time per profile; batches settling meanwhile
   * are covered by one more pass). Never rejects.
   */
  settled(profile: Profile): Promise<void> {
    const ledger = this.#ledger(profile);
    if (!ledger) return Promise.resolve();
    const running = this.#tidying.get(profile.id);
    if (running) {
      running.again = true;
      return running.done;
    }
    const state = { again: false, done: Promise.resolve() };
    state.done = (async () => {
      try {
        const l = await ledger;
        do {
          state.again = false;
          await l.tidy(this.installation, () => intentIds(this.#store));
          await this.#shareAudit(profile, l);
        } while (state.again);
      } catch {
        // The next heartbeat, batch or close tries again; a leftover row only makes another console's recovery repeat a settled change.
      } finally {
        this.#tidying.delete(profile.id);
      }
    })();
    this.#tidying.set(profile.id, state);
    return state.done;
  }

  async #shareAudit(profile: Profile, ledger: TeamLedger): Promise<void> {
    for (;;) {
      const entries = unsharedAudit(this.#store, profile.id, AUDIT_BATCH);
      if (entries.length === 0) return;
      await ledger.pushAudit(
        this.installation,
        profile.applicationId,
        entries.map((e) => ({ ...e, localId: e.id })),
      );
      markAuditShared(this.#store, profile.id, entries[entries.length - 1]!.id);
    }
  }

  /**
   * A page of the application's shared audit log (every console's entries,
   * newest first), this console's new entries shared first; the actions
   * present, for the filter menu.
   */
  async audit(
    profile: Profile,
    filter: Omit<AuditFilter, 'profileId'>,
    limit: number,
    offset: number,
  ): Promise<{ rows: AuditEntry[]; total: number; actions: string[] }> {
    const l = await this.#requireLedger(profile);
    await this.#shareAudit(profile, l);
    const page = await l.audit(profile.applicationId, filter, limit, offset);
    return {
      total: page.total,
      rows: page.rows.map((r) => asEntry(profile, r)),
      actions: await l.auditActions(profile.applicationId),
    };
  }

  /** Every entry of the shared log matching the filter, newest first (the export). */
  async auditAll(profile: Profile, filter: Omit<AuditFilter, 'profileId'>): Promise<AuditEntry[]> {
    const l = await this.#requireLedger(profile);
    await this.#shareAudit(profile, l);
    const out: AuditEntry[] = [];
    for (let page; (page = await l.audit(profile.applicationId, filter, AUDIT_BATCH, out.length)).rows.length > 0;)
      out.push(...page.rows.map((r) => asEntry(profile, r)));
    return out;
  }

  #requireLedger(profile: Profile): Promise<TeamLedger> {
    const ledger = this.#ledger(profile);
    if (!ledger)
      throw new AppError('invalid_input', `"${profile.name}" is not in team mode: it has no shared audit log.`);
    return ledger;
  }

  /**
   * The profile the console shows: while it is in team mode, this
   * installation is marked alive, settled rows leave the ledger, the audit
   * is shared, and silent consoles' intents are taken over (they show as
   * changes to check) every heartbeat. Idempotent.
   */
  show(profile: Profile): void {
    if (this.#shown?.profile.id === profile.id) return;
    this.#stopShowing();
    if (!this.enabled(profile)) return;
    const tick = () => {
      const ledger = this.#ledger(profile);
      ledger
        ?.then((l) => l.heartbeat(this.installation, ADMIN))
        .then(() => this.settled(profile))
        .then(() => this.adopt(profile))
        .catch(() => undefined);
    };
    tick();
    const timer = setInterval(tick, this.#heartbeatMs);
    timer.unref();
    this.#shown = { profile, timer };
  }

  #stopShowing(): void {
    if (this.#shown) clearInterval(this.#shown.timer);
    this.#shown = null;
  }

  /** Stops the heartbeat and shares what this process recorded (before the directories close). */
  async close(): Promise<void> {
    this.#stopShowing();
    await Promise.all(this.#sharing.values());
    for (const profile of this.#used.values()) await this.settled(profile);
  }
}
