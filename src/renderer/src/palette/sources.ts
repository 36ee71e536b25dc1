/**
 * What the palette's pickers list, read through the bridge: the users of the
 * active application (the `users.snapshot` columns, folded once for fuzzy
 * search and re-read after `users.changed` / `applications.changed`) and the
 * users with live sessions (`sessions.list`).
 */
import type { Result } from '../../../shared/errors.ts';
import type { DeviceState } from '../../../shared/ipc/users.ts';
import { invoke, on } from '../bridge.ts';
import { fold, rankIndexes } from './fuzzy.ts';

export interface UserIndex {
  profileId: string | null;
  profileName: string | null;
  count: number;
  userIds: string[];
  displayNames: string[];
  deviceStates: DeviceState[];
  /** Folded user IDs, display names and IAMPASS IDs (search finds either). */
  folded: [string, string, string][];
}

let cached: UserIndex | null = null;
let loading: { for: string | null; promise: Promise<Result<UserIndex>> } | null = null;
let following = false;

function follow(): void {
  if (following) return;
  following = true;
  const drop = () => {
    cached = null;
  };
  on('users.changed', drop);
  on('applications.changed', drop);
}

/**
 * The active application's users (cached until a change event, or until
 * `activeProfileId`, the renderer's idea of the active profile, differs).
 */
export function loadUsers(activeProfileId: string | null): Promise<Result<UserIndex>> {
  follow();
  if (cached && cached.profileId === activeProfileId) return Promise.resolve({ ok: true, value: cached });
  if (loading && loading.for === activeProfileId) return loading.promise;
  const mine = {
    for: activeProfileId,
    promise: invoke('users.snapshot', {}).then((r): Result<UserIndex> => {
      if (loading === mine) loading = null;
      if (!r.ok) return r;
      const s = r.value;
      const folded = s.userIds.map((u, i): [string, string, string] => [
        fold(u),
        fold(s.displayNames[i] ?? ''),
        fold(s.iampassIds[i] ?? ''),
      ]);
      const index: UserIndex = {
        profileId: s.profileId,
        profileName: s.profileName,
        count: s.count,
        userIds: s.userIds,
        displayNames: s.displayNames,
        deviceStates: s.deviceStates,
        folded,
      };
      cached = index;
      return { ok: true, value: index };
    }),
  };
  loading = mine;
  return mine.promise;
}

/** Indexes of the best `limit` users for `query`. */
export function searchUsers(index: UserIndex, query: string, limit = 50): number[] {
  return rankIndexes(query, index.count, (i) => index.folded[i]!, limit);
}

export interface LiveUser {
  userId: string;
  displayName: string | null;
  live: number;
}

/** Users of the active application with live sessions, most sessions first. */
export async function loadLiveUsers(): Promise<Result<LiveUser[]>> {
  const r = await invoke('sessions.list', { filter: 'live', limit: 1000 });
  if (!r.ok) return r;
  const by = new Map<string, LiveUser>();
  for (const s of r.value.sessions) {
    const u = by.get(s.userId) ?? { userId: s.userId, displayName: s.displayName, live: 0 };
    u.live++;
    by.set(s.userId, u);
  }
  return { ok: true, value: [...by.values()].sort((a, b) => b.live - a.live || a.userId.localeCompare(b.userId)) };
}
