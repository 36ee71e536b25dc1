/**
 * What the palette's pickers list, read through the bridge: the users of the
 * active application matching what is typed (main's query, `users.window`)
 * and the users with live sessions (`sessions.list`).
 */
import type { Result } from '../../../shared/errors.ts';
import { MAX_SEARCH_CHARS, type UserRow } from '../../../shared/ipc/users.ts';
import { invoke } from '../bridge.ts';

/**
 * Users of the active application matching `text`, asked of main (the same
 * query as the Users screen: 1-2 characters a prefix, 3+ a substring of user
 * ID, display name or IAMPASS ID): at most `limit` rows, never the whole
 * directory.
 */
export async function searchDirectory(text: string, limit: number): Promise<Result<UserRow[]>> {
  const search = text.trim().slice(0, MAX_SEARCH_CHARS);
  const r = await invoke('users.window', { query: search ? { search } : {}, offset: 0, limit });
  return r.ok ? { ok: true, value: r.value.rows } : r;
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
