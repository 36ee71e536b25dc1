/**
 * A profile linked to an application directory: its source (the mapping,
 * never a password) and the mirror of the application's users in the
 * `users` table, which serves every query, window and search exactly as the
 * embedded directory does. The application's database is the record: a
 * sync copies what it holds (user ID, display name, IAMPASS ID or '' when
 * the user is not at IAMPASS) and keeps the console's own columns (device
 * state, last authentication).
 */
import { directorySource, type DirectorySource, type SourceUser } from '../../shared/directory-source.ts';
import type { Store } from './db.ts';
import { naturalKey } from '../../shared/user-order.ts';

export interface LinkedSource {
  profileId: string;
  source: DirectorySource;
  fingerprint: string | null;
  /** The fingerprint without the IAMPASS IDs (app-db/types.ts, Fingerprint). */
  usersFingerprint: string | null;
  /** The login could write the IAMPASS ID at the last link or sync. */
  writable: boolean;
  linkedAt: number;
  syncedAt: number | null;
}

interface SourceRow {
  profile_id: string;
  source: string;
  fingerprint: string | null;
  users_fingerprint: string | null;
  writable: number;
  linked_at: number;
  synced_at: number | null;
}

export function getSource(store: Store, profileId: string): LinkedSource | null {
  const r = store.db.prepare('SELECT * FROM directory_sources WHERE profile_id = ?').get(profileId) as
    SourceRow | undefined;
  if (!r) return null;
  return {
    profileId: r.profile_id,
    source: directorySource.parse(JSON.parse(r.source)),
    fingerprint: r.fingerprint,
    usersFingerprint: r.users_fingerprint,
    writable: r.writable === 1,
    linkedAt: r.linked_at,
    syncedAt: r.synced_at,
  };
}

/** Links the profile to a source; its embedded users are replaced by the mirror at the first sync. */
export function setSource(
  store: Store,
  profileId: string,
  source: DirectorySource,
  writable: boolean,
  now: number,
): void {
  store.db
    .prepare(
      `INSERT INTO directory_sources (profile_id, source, fingerprint, writable, linked_at, synced_at) VALUES (?, ?, NULL, ?, ?, NULL)
       ON CONFLICT (profile_id) DO UPDATE SET source = excluded.source, fingerprint = NULL, users_fingerprint = NULL,
         writable = excluded.writable,
         linked_at = excluded.linked_at, synced_at = NULL`,
    )
    .run(profileId, JSON.stringify(source), writable ? 1 : 0, now);
}

/** Unlinks: the mirror goes with the link (the application's table is untouched). */
export function clearSource(store: Store, profileId: string): boolean {
  return store.transaction(() => {
    const gone = Number(store.db.prepare('DELETE FROM directory_sources WHERE profile_id = ?').run(profileId).changes);
    if (gone > 0) store.db.prepare('DELETE FROM users WHERE profile_id = ?').run(profileId);
    return gone > 0;
  });
}

export function markSynced(
  store: Store,
  profileId: string,
  fingerprint: { all: string; users: string },
  writable: boolean,
  now: number,
): void {
  store.db
    .prepare(
      'UPDATE directory_sources SET fingerprint = ?, users_fingerprint = ?, writable = ?, synced_at = ? WHERE profile_id = ?',
    )
    .run(fingerprint.all, fingerprint.users, writable ? 1 : 0, now, profileId);
}

export interface MirrorResult {
  /** User IDs whose row was added or changed. */
  changed: string[];
  /** Rows not mirrored: their IAMPASS ID is another mirrored user's (the check reports such data). */
  conflicts: string[];
}

/**
 * Copies the application's users into the mirror in one transaction: new
 * users are added, changed names and IAMPASS IDs updated (a changed ID
 * resets the device state), unchanged rows left alone.
 */
export function applyMirror(store: Store, profileId: string, users: readonly SourceUser[], now: number): MirrorResult {
  const upsert = store.db.prepare(
    `INSERT INTO users (profile_id, user_id, display_name, notes, iampass_id, added_at, updated_at, user_key, name_key)
     VALUES (?, ?, ?, '', ?, ?, ?, ?, ?)
     ON CONFLICT (profile_id, user_id) DO UPDATE SET
       display_name = excluded.display_name, name_key = excluded.name_key, updated_at = excluded.updated_at,
       iampass_id = excluded.iampass_id,
       device_state = CASE WHEN users.iampass_id = excluded.iampass_id THEN users.device_state ELSE 'unknown' END,
       device_checked_at = CASE WHEN users.iampass_id = excluded.iampass_id THEN users.device_checked_at END
     WHERE users.display_name IS NOT excluded.display_name OR users.iampass_id IS NOT excluded.iampass_id
     RETURNING user_id`,
  );
  // The page's rows as mirrored now, in one statement: unchanged users (most, after the first sync) are not written.
  const current = store.db.prepare(
    `SELECT u.user_id, u.display_name, u.iampass_id FROM json_each(?) j
       CROSS JOIN users u ON u.profile_id = ? AND u.user_id = j.value`,
  );
  return store.transaction(() => {
    const out: MirrorResult = { changed: [], conflicts: [] };
    const mirrored = new Map(
      (
        current.all(JSON.stringify(users.map((u) => u.userId)), profileId) as {
          user_id: string;
          display_name: string;
          iampass_id: string;
        }[]
      ).map((r) => [r.user_id, r]),
    );
    for (const u of users) {
      const had = mirrored.get(u.userId);
      if (had && had.display_name === u.displayName && had.iampass_id === (u.iampassId ?? '')) continue;
      try {
        const row = upsert.get(
          profileId,
          u.userId,
          u.displayName,
          u.iampassId ?? '',
          now,
          now,
          naturalKey(u.userId),
          naturalKey(u.displayName),
        );
        if (row) out.changed.push(u.userId);
      } catch (error) {
        if (
          error instanceof Error &&
          /UNIQUE constraint failed: users\.profile_id, users\.iampass_id/.test(error.message)
        )
          out.conflicts.push(u.userId);
        else throw error;
      }
    }
    return out;
  });
}

/** Removes mirrored users the application no longer has (given by user ID); answers those removed. */
export function removeFromMirror(store: Store, profileId: string, userIds: readonly string[]): string[] {
  if (userIds.length === 0) return [];
  const rows = store.db
    .prepare('DELETE FROM users WHERE profile_id = ? AND user_id IN (SELECT value FROM json_each(?)) RETURNING user_id')
    .all(profileId, JSON.stringify(userIds)) as { user_id: string }[];
  return rows.map((r) => r.user_id);
}

/**
 * A full sync's sweep: the user IDs seen in the source are collected in a
 * temporary table (this connection only), then every mirrored user not seen
 * is removed. One sweep at a time per store (the sync job serialises them).
 */
export function beginSweep(store: Store): void {
  store.db.exec('CREATE TEMP TABLE IF NOT EXISTS mirror_seen (user_id TEXT PRIMARY KEY) STRICT');
  store.db.exec('DELETE FROM temp.mirror_seen');
}

export function markSeen(store: Store, userIds: readonly string[]): void {
  store.db
    .prepare('INSERT OR IGNORE INTO temp.mirror_seen (user_id) SELECT value FROM json_each(?)')
    .run(JSON.stringify(userIds));
}

export function endSweep(store: Store, profileId: string): string[] {
  const rows = store.transaction(
    () =>
      store.db
        .prepare(
          'DELETE FROM users WHERE profile_id = ? AND user_id NOT IN (SELECT user_id FROM temp.mirror_seen) RETURNING user_id',
        )
        .all(profileId) as { user_id: string }[],
  );
  store.db.exec('DELETE FROM temp.mirror_seen');
  return rows.map((r) => r.user_id);
}
