/**
 * The in-memory users directory of the renderer: the columnar snapshot from
 * `users.snapshot`, kept current by `users.changed`, plus precomputed
 * lowercase search keys and cached sort permutations so a keystroke only
 * walks arrays (no per-keystroke objects for 100,000 users).
 */
import type { DeviceState, StatusError, UserRow, UsersChanged, UsersSnapshot } from '../../../../shared/ipc/users.ts';

export type SortColumn = 'userId' | 'displayName' | 'deviceState' | 'addedAt' | 'lastAuthAt';
export interface SortSpec {
  column: SortColumn;
  desc: boolean;
}
export type DeviceFilter = 'all' | DeviceState;

export interface Directory {
  profileId: string | null;
  profileName: string | null;
  sendOwnIds: boolean;
  revision: number;
  count: number;
  userIds: string[];
  displayNames: string[];
  iampassIds: string[];
  deviceStates: DeviceState[];
  deviceCheckedAt: (number | null)[];
  addedAt: number[];
  lastAuthAt: (number | null)[];
  statusErrors: Map<string, StatusError>;
  /** `userId \u0000 displayName \u0000 iampassId`, lowercased. */
  keys: string[];
  index: Map<string, number>;
  /** Bumped on every change (memo key). */
  version: number;
  sortCache: Map<string, Int32Array>;
  /** Recent search results per (sort, filter, query), least recently used first; see visibleRows. */
  searchCache: Map<string, Int32Array>;
}

const searchKey = (u: string, d: string, i: string) => `${u}\u0000${d}\u0000${i}`.toLowerCase();

export function emptyDirectory(): Directory {
  return fromSnapshot({
    profileId: null,
    profileName: null,
    sendOwnIds: false,
    revision: 0,
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
  });
}

export function fromSnapshot(s: UsersSnapshot, version = 0): Directory {
  const keys = new Array<string>(s.count);
  const index = new Map<string, number>();
  for (let i = 0; i < s.count; i++) {
    const u = s.userIds[i]!;
    keys[i] = searchKey(u, s.displayNames[i]!, s.iampassIds[i]!);
    index.set(u, i);
  }
  return {
    profileId: s.profileId,
    profileName: s.profileName,
    sendOwnIds: s.sendOwnIds,
    revision: s.revision,
    count: s.count,
    userIds: s.userIds,
    displayNames: s.displayNames,
    iampassIds: s.iampassIds,
    deviceStates: s.deviceStates,
    deviceCheckedAt: s.deviceCheckedAt,
    addedAt: s.addedAt,
    lastAuthAt: s.lastAuthAt,
    statusErrors: new Map(Object.entries(s.statusErrors)),
    keys,
    index,
    version: version + 1,
    sortCache: new Map(),
    searchCache: new Map(),
  };
}

/** Applies an event in place (arrays are owned by the directory) and returns a new wrapper for React. */
export function applyChange(d: Directory, e: UsersChanged): Directory {
  if (e.revision <= d.revision) return d;
  const removed = new Set(e.removed);
  for (const row of e.upserts) removed.delete(row.userId);
  if (removed.size > 0) {
    const keep: number[] = [];
    for (let i = 0; i < d.count; i++) if (!removed.has(d.userIds[i]!)) keep.push(i);
    const pick = <T>(a: T[]) => keep.map((i) => a[i]!);
    d.userIds = pick(d.userIds);
    d.displayNames = pick(d.displayNames);
    d.iampassIds = pick(d.iampassIds);
    d.deviceStates = pick(d.deviceStates);
    d.deviceCheckedAt = keep.map((i) => d.deviceCheckedAt[i] ?? null);
    d.addedAt = pick(d.addedAt);
    d.lastAuthAt = keep.map((i) => d.lastAuthAt[i] ?? null);
    d.keys = pick(d.keys);
    d.count = keep.length;
    for (const u of removed) d.statusErrors.delete(u);
    d.index = new Map(d.userIds.map((u, i) => [u, i]));
  }
  for (const row of e.upserts) upsert(d, row);
  return { ...d, revision: e.revision, version: d.version + 1, sortCache: new Map(), searchCache: new Map() };
}

function upsert(d: Directory, r: UserRow): void {
  let i = d.index.get(r.userId);
  if (i === undefined) {
    i = d.count++;
    d.index.set(r.userId, i);
    d.userIds.push(r.userId);
  }
  d.displayNames[i] = r.displayName;
  d.iampassIds[i] = r.iampassId;
  d.deviceStates[i] = r.deviceState;
  d.deviceCheckedAt[i] = r.deviceCheckedAt;
  d.addedAt[i] = r.addedAt;
  d.lastAuthAt[i] = r.lastAuthAt;
  d.keys[i] = searchKey(r.userId, r.displayName, r.iampassId);
  if (r.statusError) d.statusErrors.set(r.userId, r.statusError);
  else d.statusErrors.delete(r.userId);
}

const STATE_RANK: Record<DeviceState, number> = { registered: 0, not_registered: 1, unknown: 2 };

/**
 * Rows in user ID order (the lowercased search key, compared with <): the
 * first column's order and every other column's tie-breaker. The snapshot
 * arrives sorted by SQLite's NOCASE user ID, which differs from it only
 * around non-ASCII IDs (and rows appended by events): Array#sort (TimSort)
 * merges such nearly sorted runs in close to linear time.
 */
function userIdOrder(d: Directory): Int32Array {
  const hit = d.sortCache.get('userId:a');
  if (hit) return hit;
  const keys = d.keys;
  const n = d.count;
  let sorted = true;
  for (let i = 1; i < n && sorted; i++) sorted = keys[i - 1]! <= keys[i]!;
  let order: Int32Array;
  if (sorted) {
    order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
  } else {
    const a = new Array<number>(n);
    for (let i = 0; i < n; i++) a[i] = i;
    a.sort((x, y) => (keys[x]! < keys[y]! ? -1 : keys[x]! > keys[y]! ? 1 : 0));
    order = Int32Array.from(a);
  }
  d.sortCache.set('userId:a', order);
  return order;
}

/** Ascending order of a column: a stable sort of the user ID order by the column's value alone (ties stay in user ID order). */
function ascendingOrder(d: Directory, column: SortColumn): Int32Array {
  const byUid = userIdOrder(d);
  if (column === 'userId') return byUid;
  if (column === 'deviceState') {
    // Three values: a counting sort, linear.
    const counts = [0, 0, 0];
    for (let k = 0; k < byUid.length; k++) counts[STATE_RANK[d.deviceStates[byUid[k]!]!]]!++;
    const next = [0, counts[0]!, counts[0]! + counts[1]!];
    const order = new Int32Array(byUid.length);
    for (let k = 0; k < byUid.length; k++) {
      const i = byUid[k]!;
      order[next[STATE_RANK[d.deviceStates[i]!]]!++] = i;
    }
    return order;
  }
  const a = Array.from(byUid);
  if (column === 'displayName') {
    const names = d.displayNames.map((n) => n.toLowerCase());
    a.sort((x, y) => (names[x]! < names[y]! ? -1 : names[x]! > names[y]! ? 1 : 0));
  } else {
    const src = column === 'addedAt' ? d.addedAt : d.lastAuthAt;
    const v = new Float64Array(d.count);
    for (let i = 0; i < d.count; i++) v[i] = src[i] ?? -1;
    a.sort((x, y) => v[x]! - v[y]!);
  }
  return Int32Array.from(a);
}

/** The row order for a sort (cached per directory version). Descending is the ascending order reversed. */
export function sortOrder(d: Directory, sort: SortSpec): Int32Array {
  const cacheKey = `${sort.column}:${sort.desc ? 'd' : 'a'}`;
  const hit = d.sortCache.get(cacheKey);
  if (hit) return hit;
  const ascKey = `${sort.column}:a`;
  const asc = d.sortCache.get(ascKey) ?? ascendingOrder(d, sort.column);
  d.sortCache.set(ascKey, asc);
  if (!sort.desc) return asc;
  const order = asc.slice().reverse();
  d.sortCache.set(cacheKey, order);
  return order;
}

/** How many search results a directory keeps (each at most `count` int32s). */
const SEARCH_CACHE_SIZE = 24;

/**
 * Indexes of the rows to show, in display order. Results are cached per
 * (sort, filter, query): a Backspace back to an earlier query is a cache hit,
 * and a query containing a cached one (the next keystroke) scans only that
 * cached result, which holds every possible match, instead of the directory.
 */
export function visibleRows(d: Directory, sort: SortSpec, query: string, filter: DeviceFilter): Int32Array {
  const order = sortOrder(d, sort);
  const q = query.trim().toLowerCase();
  if (!q && filter === 'all') return order;
  const prefix = `${sort.column}:${sort.desc ? 'd' : 'a'}:${filter}\u0000`;
  const cacheKey = prefix + q;
  const cache = d.searchCache;
  const hit = cache.get(cacheKey);
  if (hit) {
    cache.delete(cacheKey);
    cache.set(cacheKey, hit);
    return hit;
  }
  let base = order;
  let filtered = false;
  for (const [k, rows] of cache) {
    if (rows.length < base.length && k.startsWith(prefix) && q.includes(k.slice(prefix.length))) {
      base = rows;
      filtered = true;
    }
  }
  const out = new Int32Array(base.length);
  let n = 0;
  const keys = d.keys;
  const states = d.deviceStates;
  for (let k = 0; k < base.length; k++) {
    const i = base[k]!;
    if (!filtered && filter !== 'all' && states[i] !== filter) continue;
    if (q && !keys[i]!.includes(q)) continue;
    out[n++] = i;
  }
  const rows = out.slice(0, n);
  cache.set(cacheKey, rows);
  if (cache.size > SEARCH_CACHE_SIZE) cache.delete(cache.keys().next().value!);
  return rows;
}
