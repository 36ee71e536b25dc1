/**
 * Intents: what the console is about to change at IAMPASS, written in one
 * committed transaction before the call, settled (removed, with the
 * directory change they confirm) in one transaction after it. A process
 * killed at any instant leaves the intents of what may have happened;
 * recovery settles them (services/reconcile.ts).
 *
 * An `add` intent is also the user's claim and holds the IAMPASS ID chosen
 * for them: one per user and profile (unique index), reused by any later add
 * of the same user, so a second ID is never minted while the first may exist
 * at the service.
 */
import type { Store } from './db.ts';
import { naturalKey } from '../../shared/user-order.ts';
import { newOpaqueId } from './directory.ts';

export const INTENT_KINDS = ['add', 'delete', 'lost_device', 'authenticate', 'logout'] as const;
export type IntentKind = (typeof INTENT_KINDS)[number];
/** recorded: written, the call may or may not have been sent; unknown: sent, and its answer was lost. */
export type IntentState = 'recorded' | 'unknown';

export interface Intent {
  id: number;
  profileId: string;
  kind: IntentKind;
  userId: string;
  iampassId: string;
  displayName: string;
  sessionId: string | null;
  jobId: string | null;
  owner: string;
  state: IntentState;
  createdAt: number;
  updatedAt: number;
}

interface IntentRow {
  id: number;
  profile_id: string;
  kind: IntentKind;
  user_id: string;
  iampass_id: string;
  display_name: string;
  session_id: string | null;
  job_id: string | null;
  owner: string;
  state: IntentState;
  created_at: number;
  updated_at: number;
}

function fromRow(r: IntentRow): Intent {
  return {
    id: r.id,
    profileId: r.profile_id,
    kind: r.kind,
    userId: r.user_id,
    iampassId: r.iampass_id,
    displayName: r.display_name,
    sessionId: r.session_id,
    jobId: r.job_id,
    owner: r.owner,
    state: r.state,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export interface AddClaimInput {
  row: number;
  userId: string;
  displayName: string;
}

export interface AddClaims {
  /** Users this job now holds, with the IAMPASS ID to send (a reused one when an earlier add may have reached IAMPASS). */
  claimed: { row: number; userId: string; displayName: string; iampassId: string; intentId: number; reused: boolean }[];
  /** Already in the directory. */
  existing: { row: number; userId: string }[];
  /** Held by another live job (this or another process). */
  busy: { row: number; userId: string }[];
}

/**
 * Claims users for an add in one IMMEDIATE transaction: a user already in the
 * directory is `existing`; one with an add intent held by a live owner is
 * `busy`; one with an add intent left by a dead owner (or this job) is taken
 * over with its recorded IAMPASS ID; anyone else gets a new intent with a new
 * ID (`ownId` decides: the user ID itself, or a random opaque one).
 */
export function claimAdds(
  store: Store,
  profileId: string,
  inputs: readonly AddClaimInput[],
  options: { owner: string; jobId: string; now: number; ownIds: boolean; canTakeOver: (intent: Intent) => boolean },
): AddClaims {
  // One statement per batch for each look-up (json_each keeps the list one parameter; CROSS JOIN: one index probe per ID).
  const inDirectory = store.db.prepare(
    "SELECT u.user_id FROM json_each(?) j CROSS JOIN users u ON u.profile_id = ? AND u.user_id = j.value AND u.iampass_id <> ''",
  );
  const held = store.db.prepare(
    "SELECT i.* FROM json_each(?) j CROSS JOIN intents i ON i.profile_id = ? AND i.kind = 'add' AND i.user_id = j.value",
  );
  const takeOver = store.db.prepare(
    'UPDATE intents SET owner = ?, job_id = ?, display_name = ?, updated_at = ? WHERE id = ?',
  );
  const insert = store.db.prepare(
    `INSERT INTO intents (profile_id, kind, user_id, iampass_id, display_name, job_id, owner, state, created_at, updated_at)
     VALUES (?, 'add', ?, ?, ?, ?, ?, 'recorded', ?, ?)`,
  );
  return store.transaction(() => {
    const out: AddClaims = { claimed: [], existing: [], busy: [] };
    const ids = JSON.stringify(inputs.map((i) => i.userId));
    const known = new Set((inDirectory.all(ids, profileId) as { user_id: string }[]).map((r) => r.user_id));
    const claims = new Map((held.all(ids, profileId) as unknown as IntentRow[]).map((r) => [r.user_id, r]));
    for (const input of inputs) {
      if (known.has(input.userId)) {
        out.existing.push({ row: input.row, userId: input.userId });
        continue;
      }
      const row = claims.get(input.userId);
      if (row) {
        const intent = fromRow(row);
        if (intent.jobId !== options.jobId && !options.canTakeOver(intent)) {
          out.busy.push({ row: input.row, userId: input.userId });
          continue;
        }
        takeOver.run(options.owner, options.jobId, input.displayName, options.now, intent.id);
        out.claimed.push({ ...input, iampassId: intent.iampassId, intentId: intent.id, reused: true });
        continue;
      }
      const iampassId = options.ownIds ? input.userId : newOpaqueId();
      const id = Number(
        insert.run(
          profileId,
          input.userId,
          iampassId,
          input.displayName,
          options.jobId,
          options.owner,
          options.now,
          options.now,
        ).lastInsertRowid,
      );
      out.claimed.push({ ...input, iampassId, intentId: id, reused: false });
    }
    return out;
  });
}

/**
 * Settles add intents: the confirmed users enter the directory and their
 * intents go, in one transaction; `dropped` intents (IAMPASS answered that it
 * did not add them) just go.
 */
export function settleAdds(
  store: Store,
  profileId: string,
  confirmed: readonly { intentId: number; userId: string; displayName: string; iampassId: string }[],
  dropped: readonly number[],
  now: number,
): void {
  // A mirrored application user not yet at IAMPASS (iampass_id '') gets the ID; a row with an ID keeps it.
  // (Such a row's device state is already 'unknown', never checked: only the ID is written, so the
  // device-state indexes are left alone.)
  const insert = store.db.prepare(
    `INSERT INTO users (profile_id, user_id, display_name, notes, iampass_id, added_at, updated_at, user_key, name_key)
     VALUES (?, ?, ?, '', ?, ?, ?, ?, ?)
     ON CONFLICT (profile_id, user_id) DO UPDATE SET iampass_id = excluded.iampass_id, updated_at = excluded.updated_at
     WHERE users.iampass_id = ''`,
  );
  store.transaction(() => {
    for (const c of confirmed)
      insert.run(
        profileId,
        c.userId,
        c.displayName,
        c.iampassId,
        now,
        now,
        naturalKey(c.userId),
        naturalKey(c.displayName),
      );
    removeIntents(store, [...confirmed.map((c) => c.intentId), ...dropped]);
  });
}

/** The IAMPASS ID an add intent will send, when the application already held another one for the user. */
export function reassignAdd(store: Store, intentId: number, iampassId: string, now: number): void {
  store.db.prepare('UPDATE intents SET iampass_id = ?, updated_at = ? WHERE id = ?').run(iampassId, now, intentId);
}

/** Records intents of another kind (delete, lost device, authenticate, logout) in one transaction; answers their ids in order. */
export function recordIntents(
  store: Store,
  profileId: string,
  kind: Exclude<IntentKind, 'add'>,
  items: readonly { userId: string; iampassId: string; sessionId?: string | null }[],
  options: { owner: string; jobId: string | null; now: number },
): number[] {
  const insert = store.db.prepare(
    `INSERT INTO intents (profile_id, kind, user_id, iampass_id, session_id, job_id, owner, state, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, 'recorded', ?, ?)
     ON CONFLICT DO UPDATE SET owner = excluded.owner, job_id = excluded.job_id, updated_at = excluded.updated_at
     RETURNING id`,
  );
  return store.transaction(() =>
    items.map(
      (i) =>
        (
          insert.get(
            profileId,
            kind,
            i.userId,
            i.iampassId,
            i.sessionId ?? null,
            options.jobId,
            options.owner,
            options.now,
            options.now,
          ) as {
            id: number;
          }
        ).id,
    ),
  );
}

/**
 * Settles delete intents: the deleted users leave the directory (or, when
 * it mirrors an application's users, stay as "not at IAMPASS") and their
 * intents go, in one transaction.
 */
export function settleDeletes(
  store: Store,
  profileId: string,
  deleted: readonly { intentId: number; userId: string }[],
  dropped: readonly number[],
  options: { keepRows?: boolean; now?: number } = {},
): void {
  const removeUser = options.keepRows
    ? store.db.prepare(
        `UPDATE users SET iampass_id = '', device_state = 'unknown', device_checked_at = NULL, updated_at = ${Number(options.now ?? Date.now())}
          WHERE profile_id = ? AND user_id = ?`,
      )
    : store.db.prepare('DELETE FROM users WHERE profile_id = ? AND user_id = ?');
  const remove = store.db.prepare('DELETE FROM intents WHERE id = ?');
  store.transaction(() => {
    for (const d of deleted) {
      removeUser.run(profileId, d.userId);
      remove.run(d.intentId);
    }
    for (const id of dropped) remove.run(id);
  });
}

/** Removes intents (their outcome is recorded elsewhere, or there was none). */
export function removeIntents(store: Store, ids: readonly number[]): void {
  if (ids.length === 0) return;
  store.db.prepare('DELETE FROM intents WHERE id IN (SELECT value FROM json_each(?))').run(JSON.stringify(ids));
}

/** The answer to these intents' calls was lost: they will be checked. */
export function markUnknown(store: Store, ids: readonly number[], now: number): void {
  if (ids.length === 0) return;
  store.db
    .prepare("UPDATE intents SET state = 'unknown', updated_at = ? WHERE id IN (SELECT value FROM json_each(?))")
    .run(now, JSON.stringify(ids));
}

/** The profile's unsettled intents (of one kind), oldest first. */
export function listIntents(store: Store, profileId: string, kind?: IntentKind): Intent[] {
  const rows = (kind === undefined
    ? store.db.prepare('SELECT * FROM intents WHERE profile_id = ? ORDER BY id').all(profileId)
    : store.db
        .prepare('SELECT * FROM intents WHERE profile_id = ? AND kind = ? ORDER BY id')
        .all(profileId, kind)) as unknown as IntentRow[];
  return rows.map(fromRow);
}

/** How many unsettled intents each kind has (all profiles when none given). */
export function countIntents(store: Store, profileId?: string): Partial<Record<IntentKind, number>> {
  const rows = (
    profileId === undefined
      ? store.db.prepare('SELECT kind, COUNT(*) AS n FROM intents GROUP BY kind').all()
      : store.db.prepare('SELECT kind, COUNT(*) AS n FROM intents WHERE profile_id = ? GROUP BY kind').all(profileId)
  ) as { kind: IntentKind; n: number }[];
  return Object.fromEntries(rows.map((r) => [r.kind, r.n]));
}

/** The profiles that have unsettled intents. */
export function profilesWithIntents(store: Store): string[] {
  return (store.db.prepare('SELECT DISTINCT profile_id FROM intents').all() as { profile_id: string }[]).map(
    (r) => r.profile_id,
  );
}

/** This process's job takes the intents over (recovery): they are its own until it settles them. */
export function takeOverIntents(
  store: Store,
  ids: readonly number[],
  options: { owner: string; jobId: string; now: number },
): void {
  if (ids.length === 0) return;
  const take = store.db.prepare('UPDATE intents SET owner = ?, job_id = ?, updated_at = ? WHERE id = ?');
  store.transaction(() => {
    for (const id of ids) take.run(options.owner, options.jobId, options.now, id);
  });
}

/**
 * Team mode: records intents taken over from another console (their calls
 * may have been sent) for recovery, owned by `owner` (no live process), in
 * one transaction; answers each one's new id, or null when this console
 * already holds that user's add or delete (its own intent decides).
 */
export function adoptIntents(
  store: Store,
  profileId: string,
  items: readonly { kind: 'add' | 'delete'; userId: string; iampassId: string; displayName: string }[],
  options: { owner: string; now: number },
): (number | null)[] {
  const insert = store.db.prepare(
    `INSERT INTO intents (profile_id, kind, user_id, iampass_id, display_name, owner, state, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, 'unknown', ?, ?)
     ON CONFLICT DO NOTHING RETURNING id`,
  );
  return store.transaction(() =>
    items.map((i) => {
      const r = insert.get(
        profileId,
        i.kind,
        i.userId,
        i.iampassId,
        i.displayName,
        options.owner,
        options.now,
        options.now,
      ) as { id: number } | undefined;
      return r?.id ?? null;
    }),
  );
}

/** The ids of every unsettled intent (all profiles). */
export function intentIds(store: Store): Set<number> {
  return new Set((store.db.prepare('SELECT id FROM intents').all() as { id: number }[]).map((r) => r.id));
}
