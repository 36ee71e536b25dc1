/**
 * Authentication sessions (issue 7 builds on this). The session secret is
 * kept only as an AES-256-GCM envelope under the keychain's data key, bound
 * to the session id; callers pass the key, this module never sees the keychain.
 */
import { open, seal } from '../../node/envelope.ts';
import type { Store } from './db.ts';

export interface TimelineEntry {
  at: number;
  status: string;
}

export interface SessionRecord {
  id: string;
  profileId: string;
  userId: string;
  methods: string[];
  startedAt: number;
  updatedAt: number;
  status: string;
  timeline: TimelineEntry[];
  statusUrl: string | null;
  logoutUrl: string | null;
  sessionToken: string | null;
  /** True when an encrypted session secret is stored. The plaintext is only available through `sessionSecret`. */
  hasSecret: boolean;
}

export interface NewSession {
  id: string;
  profileId: string;
  userId: string;
  methods: string[];
  status: string;
  statusUrl?: string | null;
  logoutUrl?: string | null;
  sessionToken?: string | null;
  sessionSecret?: string | null;
  startedAt?: number;
}

interface SessionRow {
  id: string;
  profile_id: string;
  user_id: string;
  methods: string;
  started_at: number;
  updated_at: number;
  status: string;
  timeline: string;
  status_url: string | null;
  logout_url: string | null;
  session_token: string | null;
  session_secret_enc: Uint8Array | null;
}

function fromRow(r: SessionRow): SessionRecord {
  return {
    id: r.id,
    profileId: r.profile_id,
    userId: r.user_id,
    methods: JSON.parse(r.methods) as string[],
    startedAt: r.started_at,
    updatedAt: r.updated_at,
    status: r.status,
    timeline: JSON.parse(r.timeline) as TimelineEntry[],
    statusUrl: r.status_url,
    logoutUrl: r.logout_url,
    sessionToken: r.session_token,
    hasSecret: r.session_secret_enc !== null,
  };
}

export function insertSession(store: Store, dataKey: Uint8Array, s: NewSession): void {
  const at = s.startedAt ?? Date.now();
  const enc = s.sessionSecret ? seal(dataKey, s.sessionSecret, `session:${s.id}`) : null;
  store.db
    .prepare(
      `INSERT INTO sessions (id, profile_id, user_id, methods, started_at, updated_at, status, timeline, status_url, logout_url, session_token, session_secret_enc)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(
      s.id,
      s.profileId,
      s.userId,
      JSON.stringify(s.methods),
      at,
      at,
      s.status,
      JSON.stringify([{ at, status: s.status }]),
      s.statusUrl ?? null,
      s.logoutUrl ?? null,
      s.sessionToken ?? null,
      enc,
    );
}

export function getSession(store: Store, id: string): SessionRecord | null {
  const row = store.db.prepare('SELECT * FROM sessions WHERE id = ?').get(id) as unknown as SessionRow | undefined;
  return row ? fromRow(row) : null;
}

/** Decrypts the stored session secret (main-side only). */
export function sessionSecret(store: Store, dataKey: Uint8Array, id: string): string | null {
  const row = store.db.prepare('SELECT session_secret_enc FROM sessions WHERE id = ?').get(id) as
    { session_secret_enc: Uint8Array | null } | undefined;
  if (!row?.session_secret_enc) return null;
  return open(dataKey, row.session_secret_enc, `session:${id}`);
}

/** Appends a status change to the timeline (one transaction). */
export function updateSessionStatus(store: Store, id: string, status: string, at = Date.now()): boolean {
  return store.transaction(() => {
    const row = store.db.prepare('SELECT timeline FROM sessions WHERE id = ?').get(id) as
      { timeline: string } | undefined;
    if (!row) return false;
    const timeline = JSON.parse(row.timeline) as TimelineEntry[];
    timeline.push({ at, status });
    store.db
      .prepare('UPDATE sessions SET status = ?, updated_at = ?, timeline = ? WHERE id = ?')
      .run(status, at, JSON.stringify(timeline), id);
    return true;
  });
}

export function listSessions(store: Store, profileId: string, limit = 200): SessionRecord[] {
  return (
    store.db
      .prepare('SELECT * FROM sessions WHERE profile_id = ? ORDER BY started_at DESC LIMIT ?')
      .all(profileId, limit) as unknown as SessionRow[]
  ).map(fromRow);
}

/** Sessions of every profile whose status is one of `statuses` (the monitor's resume on start). */
export function sessionsWithStatus(store: Store, statuses: readonly string[]): SessionRecord[] {
  if (statuses.length === 0) return [];
  const marks = statuses.map(() => '?').join(', ');
  return (
    store.db
      .prepare(`SELECT * FROM sessions WHERE status IN (${marks}) ORDER BY started_at`)
      .all(...statuses) as unknown as SessionRow[]
  ).map(fromRow);
}

export interface SessionQuery {
  statuses?: readonly string[];
  userId?: string;
  limit?: number;
}

/** A profile's sessions, newest first, optionally by status and user (limit capped at 1000). */
export function querySessions(store: Store, profileId: string, q: SessionQuery = {}): SessionRecord[] {
  const where = ['profile_id = ?'];
  const args: (string | number)[] = [profileId];
  if (q.statuses) {
    if (q.statuses.length === 0) return [];
    where.push(`status IN (${q.statuses.map(() => '?').join(', ')})`);
    args.push(...q.statuses);
  }
  if (q.userId !== undefined) {
    where.push('user_id = ?');
    args.push(q.userId);
  }
  args.push(Math.min(Math.max(1, Math.trunc(q.limit ?? 200)), 1000));
  return (
    store.db
      .prepare(`SELECT * FROM sessions WHERE ${where.join(' AND ')} ORDER BY started_at DESC, id LIMIT ?`)
      .all(...args) as unknown as SessionRow[]
  ).map(fromRow);
}

/** Number of a profile's sessions per status. */
export function countSessionsByStatus(store: Store, profileId: string): Record<string, number> {
  const rows = store.db
    .prepare('SELECT status, count(*) AS n FROM sessions WHERE profile_id = ? GROUP BY status')
    .all(profileId) as unknown as { status: string; n: number }[];
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}
