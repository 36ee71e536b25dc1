/**
 * The user directory: the lookup table the vendor recommends, since IAMPASS
 * has no "list users" call. Per profile: the admin's own user ID or login,
 * display name, notes, the IAMPASS ID actually sent (unique per profile),
 * added/updated times, last known device state and when it was checked,
 * last authentication time.
 *
 * Sized for 100,000+ users per profile. The renderer is fed either pages
 * (`pageUsers`: filter + sort + keyset or offset paging, served by indexes)
 * or a compact column snapshot (`directorySnapshot`) for a virtualised table.
 */
import { randomBytes } from 'node:crypto';
import { containsPattern } from './like.ts';
import { AppError } from '../../shared/errors.ts';
import type { Store } from './db.ts';
import { naturalKey } from '../../shared/user-order.ts';
import { fromRow, type UserRow } from './user-query.ts';

export const DEVICE_STATES = ['registered', 'not_registered', 'unknown'] as const;
export type DeviceState = (typeof DEVICE_STATES)[number];

export interface DirectoryUser {
  /** Local row id: stable, used for keyset paging. */
  rowId: number;
  profileId: string;
  userId: string;
  displayName: string;
  notes: string;
  iampassId: string;
  addedAt: number;
  updatedAt: number;
  deviceState: DeviceState;
  deviceCheckedAt: number | null;
  lastAuthAt: number | null;
}

/** A linked application's user not at IAMPASS yet has no IAMPASS ID: nothing can be sent for them. */
export function requireAtIampass(user: DirectoryUser): void {
  if (user.iampassId === '')
    throw new AppError('missing', `${user.userId} is not at IAMPASS yet: add them first.`, {
      details: { field: 'userId', reason: 'not_at_iampass' },
    });
}

export interface NewDirectoryUser {
  userId: string;
  displayName?: string;
  notes?: string;
  /** Omitted: a random opaque ID (or the user ID when the profile sends own IDs). */
  iampassId?: string;
}

/** A random opaque IAMPASS ID: 32 hex characters, nothing about the person. */
export function newOpaqueId(): string {
  return randomBytes(16).toString('hex');
}

export interface InsertOptions {
  /** Send the admin's own user ID as the IAMPASS ID instead of a random one. */
  sendOwnIds?: boolean;
  /** Skip users whose user ID is already in the profile instead of failing the batch (re-running an import). */
  skipExisting?: boolean;
  now?: number;
}

/**
 * Inserts users in ONE transaction: all or nothing; returns how many rows
 * were added. A duplicate user ID (unless `skipExisting`) or IAMPASS ID
 * within the profile is a `conflict` and nothing is written.
 */
export function insertUsers(
  store: Store,
  profileId: string,
  users: readonly NewDirectoryUser[],
  options: InsertOptions = {},
): number {
  const now = options.now ?? Date.now();
  const stmt = store.db.prepare(
    `INSERT INTO users (profile_id, user_id, display_name, notes, iampass_id, added_at, updated_at, user_key, name_key)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)${options.skipExisting ? ' ON CONFLICT (profile_id, user_id) DO NOTHING' : ''}`,
  );
  try {
    return store.transaction(() => {
      let inserted = 0;
      for (const u of users) {
        const iampassId = u.iampassId ?? (options.sendOwnIds ? u.userId : newOpaqueId());
        inserted += Number(
          stmt.run(
            profileId,
            u.userId,
            u.displayName ?? '',
            u.notes ?? '',
            iampassId,
            now,
            now,
            naturalKey(u.userId),
            naturalKey(u.displayName ?? ''),
          ).changes,
        );
      }
      return inserted;
    });
  } catch (error) {
    if (error instanceof Error && /UNIQUE constraint failed/.test(error.message)) {
      throw new AppError('conflict', 'A user with the same user ID or IAMPASS ID already exists in this application.', {
        cause: error,
      });
    }
    if (error instanceof Error && /FOREIGN KEY constraint failed/.test(error.message)) {
      throw new AppError('missing', 'The application profile does not exist.', { cause: error });
    }
    throw error;
  }
}

export interface ImportProgress {
  batch: number;
  committedRows: number;
}

/**
 * Imports users in batches, one transaction each. `onBatch` runs after each
 * COMMIT returns: a batch it reports is durable (WAL) and complete.
 */
export function importUsers(
  store: Store,
  profileId: string,
  users: readonly NewDirectoryUser[],
  options: InsertOptions & { batchSize?: number; onBatch?: (p: ImportProgress) => void } = {},
): number {
  const size = options.batchSize ?? 1000;
  let committed = 0;
  for (let start = 0, batch = 0; start < users.length; start += size, batch++) {
    committed += insertUsers(store, profileId, users.slice(start, start + size), options);
    options.onBatch?.({ batch, committedRows: committed });
  }
  return committed;
}

export function getUser(store: Store, profileId: string, userId: string): DirectoryUser | null {
  const row = store.db
    .prepare('SELECT * FROM users WHERE profile_id = ? AND user_id = ?')
    .get(profileId, userId) as unknown as UserRow | undefined;
  return row ? fromRow(row) : null;
}

export function countUsers(store: Store, profileId: string): number {
  return (store.db.prepare('SELECT count(*) AS n FROM users WHERE profile_id = ?').get(profileId) as { n: number }).n;
}

/** Records a device-state check for many users in one transaction. */
export function setDeviceStates(
  store: Store,
  profileId: string,
  states: readonly { userId: string; state: DeviceState }[],
  now = Date.now(),
): number {
  const stmt = store.db.prepare(
    'UPDATE users SET device_state = ?, device_checked_at = ? WHERE profile_id = ? AND user_id = ?',
  );
  return store.transaction(() => {
    let n = 0;
    for (const s of states) n += Number(stmt.run(s.state, now, profileId, s.userId).changes);
    return n;
  });
}

export function updateUserDetails(
  store: Store,
  profileId: string,
  userId: string,
  patch: { displayName?: string; notes?: string },
  now = Date.now(),
): boolean {
  const current = getUser(store, profileId, userId);
  if (!current) return false;
  store.db
    .prepare('UPDATE users SET display_name = ?, name_key = ?, notes = ?, updated_at = ? WHERE id = ?')
    .run(
      patch.displayName ?? current.displayName,
      naturalKey(patch.displayName ?? current.displayName),
      patch.notes ?? current.notes,
      now,
      current.rowId,
    );
  return true;
}

export function setLastAuth(store: Store, profileId: string, userId: string, at = Date.now()): boolean {
  return (
    Number(
      store.db
        .prepare('UPDATE users SET last_auth_at = ? WHERE profile_id = ? AND user_id = ?')
        .run(at, profileId, userId).changes,
    ) > 0
  );
}

export function deleteUsers(store: Store, profileId: string, userIds: readonly string[]): number {
  const stmt = store.db.prepare('DELETE FROM users WHERE profile_id = ? AND user_id = ?');
  return store.transaction(() => {
    let n = 0;
    for (const id of userIds) n += Number(stmt.run(profileId, id).changes);
    return n;
  });
}

export const USER_SORTS = ['user_id', 'display_name', 'added_at', 'device_state'] as const;
export type UserSort = (typeof USER_SORTS)[number];

export interface PageQuery {
  /** Case-insensitive substring of user ID, display name or IAMPASS ID. */
  search?: string;
  state?: DeviceState;
  sort?: UserSort;
  descending?: boolean;
  /** Offset paging (simple; cost grows with the offset). */
  offset?: number;
  limit?: number;
}

export interface UserPage {
  rows: DirectoryUser[];
  /** Rows matching the filter (all pages). */
  total: number;
}

const SORT_SQL: Record<UserSort, string> = {
  user_id: 'user_key',
  display_name: 'name_key',
  added_at: 'added_at',
  device_state: 'device_state',
};

export const MAX_PAGE = 1000;

export function pageUsers(store: Store, profileId: string, q: PageQuery = {}): UserPage {
  const where = ['profile_id = ?'];
  const params: (string | number)[] = [profileId];
  if (q.search !== undefined && q.search.trim() !== '') {
    const like = containsPattern(q.search.trim());
    where.push(`(user_id LIKE ? ESCAPE '\\' OR display_name LIKE ? ESCAPE '\\' OR iampass_id LIKE ? ESCAPE '\\')`);
    params.push(like, like, like);
  }
  if (q.state !== undefined) {
    where.push('device_state = ?');
    params.push(q.state);
  }
  const limit = Math.min(Math.max(1, Math.trunc(q.limit ?? 100)), MAX_PAGE);
  const offset = Math.max(0, Math.trunc(q.offset ?? 0));
  const dir = q.descending ? 'DESC' : 'ASC';
  const order = `${SORT_SQL[q.sort ?? 'user_id']} ${dir}, id ${dir}`;
  const whereSql = where.join(' AND ');
  const total = (store.db.prepare(`SELECT count(*) AS n FROM users WHERE ${whereSql}`).get(...params) as { n: number })
    .n;
  const rows = store.db
    .prepare(`SELECT * FROM users WHERE ${whereSql} ORDER BY ${order} LIMIT ? OFFSET ?`)
    .all(...params, limit, offset) as unknown as UserRow[];
  return { rows: rows.map(fromRow), total };
}

/**
 * A compact, column-oriented snapshot of a profile's whole directory for a
 * virtualised table: parallel arrays (no per-row objects, no notes), ordered
 * by user ID. 100,000 users is a few MB over IPC.
 */
export interface DirectorySnapshot {
  rowIds: number[];
  userIds: string[];
  displayNames: string[];
  deviceStates: DeviceState[];
  deviceCheckedAt: (number | null)[];
}

export function directorySnapshot(store: Store, profileId: string): DirectorySnapshot {
  const snap: DirectorySnapshot = { rowIds: [], userIds: [], displayNames: [], deviceStates: [], deviceCheckedAt: [] };
  const stmt = store.db.prepare(
    'SELECT id, user_id, display_name, device_state, device_checked_at FROM users WHERE profile_id = ? ORDER BY user_key, id',
  );
  for (const r of stmt.iterate(profileId) as Iterable<
    Pick<UserRow, 'id' | 'user_id' | 'display_name' | 'device_state' | 'device_checked_at'>
  >) {
    snap.rowIds.push(r.id);
    snap.userIds.push(r.user_id);
    snap.displayNames.push(r.display_name);
    snap.deviceStates.push(r.device_state);
    snap.deviceCheckedAt.push(r.device_checked_at);
  }
  return snap;
}

/** Every column the users table shows (no notes), for the whole profile, ordered by user ID; see `directorySnapshot`. */
export interface DirectoryColumns extends DirectorySnapshot {
  iampassIds: string[];
  /** The natural sort keys of the user IDs and display names (`naturalKey`, as stored and indexed). */
  userKeys: string[];
  nameKeys: string[];
  addedAt: number[];
  lastAuthAt: (number | null)[];
}

/**
 * The last columns read per store, reused while the database is unchanged:
 * no row changed through this connection (`total_changes()`, which counts
 * rolled-back changes too) and no other connection committed (`PRAGMA
 * data_version`, e.g. the CLI on the same file). Re-opening the Users screen,
 * the palette and a reset re-fetch then cost a copy of the arrays (callers
 * own what they get) instead of the query.
 */
const columnsCache = new WeakMap<Store, { profileId: string; stamp: string; columns: DirectoryColumns }>();

/** SQLite's `PRAGMA data_version`: changes when another connection (another process: the CLI) commits. */
export function dataVersion(store: Store): number {
  return (store.db.prepare('PRAGMA data_version').get() as { data_version: number }).data_version;
}

/** Changes when any row changes through this connection or another connection commits (see the columns cache). */
export function changeStamp(store: Store): string {
  const version = dataVersion(store);
  const changes = (store.db.prepare('SELECT total_changes() AS n').get() as { n: number }).n;
  return `${version}:${changes}`;
}

export function directoryColumns(store: Store, profileId: string): DirectoryColumns {
  // Inside a write transaction the rows may still be rolled back: read, do not cache.
  const stamp = store.db.isTransaction && !store.reading ? null : changeStamp(store);
  const hit = columnsCache.get(store);
  if (stamp !== null && hit && hit.profileId === profileId && hit.stamp === stamp) return copyColumns(hit.columns);
  const columns = readColumns(store, profileId);
  if (stamp !== null) columnsCache.set(store, { profileId, stamp, columns: copyColumns(columns) });
  return columns;
}

function copyColumns(c: DirectoryColumns): DirectoryColumns {
  return {
    rowIds: c.rowIds.slice(),
    userIds: c.userIds.slice(),
    displayNames: c.displayNames.slice(),
    deviceStates: c.deviceStates.slice(),
    deviceCheckedAt: c.deviceCheckedAt.slice(),
    iampassIds: c.iampassIds.slice(),
    userKeys: c.userKeys.slice(),
    nameKeys: c.nameKeys.slice(),
    addedAt: c.addedAt.slice(),
    lastAuthAt: c.lastAuthAt.slice(),
  };
}

function readColumns(store: Store, profileId: string): DirectoryColumns {
  const stmt = store.db.prepare(
    `SELECT id, user_id, display_name, iampass_id, device_state, device_checked_at, added_at, last_auth_at,
            user_key, name_key
     FROM users WHERE profile_id = ? ORDER BY user_key, id`,
  );
  // Rows as arrays: no object with 8 named properties per user (100,000 users: ~2.5x faster).
  stmt.setReturnArrays(true);
  type Row = [number, string, string, string, DeviceState, number | null, number, number | null, string, string];
  const rows = stmt.all(profileId) as unknown as Row[];
  const n = rows.length;
  const c: DirectoryColumns = {
    rowIds: new Array<number>(n),
    userIds: new Array<string>(n),
    displayNames: new Array<string>(n),
    deviceStates: new Array<DeviceState>(n),
    deviceCheckedAt: new Array<number | null>(n),
    iampassIds: new Array<string>(n),
    userKeys: new Array<string>(n),
    nameKeys: new Array<string>(n),
    addedAt: new Array<number>(n),
    lastAuthAt: new Array<number | null>(n),
  };
  for (let i = 0; i < n; i++) {
    const r = rows[i]!;
    c.rowIds[i] = r[0];
    c.userIds[i] = r[1];
    c.displayNames[i] = r[2];
    c.iampassIds[i] = r[3];
    c.deviceStates[i] = r[4];
    c.deviceCheckedAt[i] = r[5];
    c.addedAt[i] = r[6];
    c.lastAuthAt[i] = r[7];
    c.userKeys[i] = r[8];
    c.nameKeys[i] = r[9];
  }
  return c;
}

/** getUsers' statement (exported for its query-plan test): JSON array of user IDs, profile ID. */
export const GET_USERS_SQL =
  'SELECT u.* FROM json_each(?) AS j CROSS JOIN users AS u ON u.profile_id = ? AND u.user_id = j.value ORDER BY j.key';

/** The given users of a profile that exist (input order, unknown IDs skipped). */
export function getUsers(store: Store, profileId: string, userIds: readonly string[]): DirectoryUser[] {
  if (userIds.length === 0) return [];
  // One statement for the whole list (json_each keeps it a single bound parameter).
  // CROSS JOIN pins the loop order: the list outside, one users_profile_user
  // index lookup per ID. With a plain JOIN the planner scans the profile's
  // users and the JSON list for each of them (5,000 IDs in 100,000 users:
  // 160 s instead of 0.1 s).
  const rows = store.db.prepare(GET_USERS_SQL).all(JSON.stringify(userIds), profileId) as unknown as UserRow[];
  return rows.map(fromRow);
}

/** user ID -> IAMPASS ID for every user of a profile that is at IAMPASS. */
export function userIdMap(store: Store, profileId: string): Map<string, string> {
  const map = new Map<string, string>();
  const stmt = store.db.prepare("SELECT user_id, iampass_id FROM users WHERE profile_id = ? AND iampass_id <> ''");
  for (const r of stmt.iterate(profileId) as Iterable<{ user_id: string; iampass_id: string }>)
    map.set(r.user_id, r.iampass_id);
  return map;
}
