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
    const pick = <T,>(a: T[]) => keep.map((i) => a[i]!);
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
  return { ...d, revision: e.revision, version: d.version + 1, sortCache: new Map() };
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

/** The row order for a sort (cached per directory version). */
export function sortOrder(d: Directory, sort: SortSpec): Int32Array {
  const cacheKey = `${sort.column}:${sort.desc ? 'd' : 'a'}`;
  const hit = d.sortCache.get(cacheKey);
  if (hit) return hit;
  const order = new Int32Array(d.count);
  for (let i = 0; i < d.count; i++) order[i] = i;
  // The user ID lowercased is the tie-breaker of every column and the key of the first.
  const uid = d.keys;
  const byUid = (a: number, b: number) => {
    const x = uid[a]!;
    const y = uid[b]!;
    return x < y ? -1 : x > y ? 1 : 0;
  };
  let cmp: (a: number, b: number) => number;
  switch (sort.column) {
    case 'userId':
      cmp = byUid;
      break;
    case 'displayName': {
      const names = d.displayNames.map((n) => n.toLowerCase());
      cmp = (a, b) => {
        const x = names[a]!;
        const y = names[b]!;
        return x < y ? -1 : x > y ? 1 : byUid(a, b);
      };
      break;
    }
    case 'deviceState':
      cmp = (a, b) => STATE_RANK[d.deviceStates[a]!] - STATE_RANK[d.deviceStates[b]!] || byUid(a, b);
      break;
    case 'addedAt':
      cmp = (a, b) => d.addedAt[a]! - d.addedAt[b]! || byUid(a, b);
      break;
    case 'lastAuthAt':
      cmp = (a, b) => (d.lastAuthAt[a] ?? -1) - (d.lastAuthAt[b] ?? -1) || byUid(a, b);
      break;
  }
  order.sort(sort.desc ? (a, b) => cmp(b, a) : cmp);
  d.sortCache.set(cacheKey, order);
  return order;
}

/** Indexes of the rows to show, in display order. */
export function visibleRows(d: Directory, sort: SortSpec, query: string, filter: DeviceFilter): Int32Array {
  const order = sortOrder(d, sort);
  const q = query.trim().toLowerCase();
  if (!q && filter === 'all') return order;
  const out = new Int32Array(order.length);
  let n = 0;
  const keys = d.keys;
  const states = d.deviceStates;
  for (let k = 0; k < order.length; k++) {
    const i = order[k]!;
    if (filter !== 'all' && states[i] !== filter) continue;
    if (q && !keys[i]!.includes(q)) continue;
    out[n++] = i;
  }
  return out.subarray(0, n);
}
