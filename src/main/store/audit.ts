/**
 * The append-only audit log. SQLite triggers abort any UPDATE or DELETE, and
 * an INSERT whose target looks like a link or a secret. Entries carry
 * structured fields only: an error CODE, never an error message.
 */
import type { ErrorCode } from '../../shared/errors.ts';
import { actionsLabelled } from '../../shared/audit-labels.ts';
import { containsPattern } from './like.ts';
import type { Store } from './db.ts';

export type AuditOutcome = 'ok' | 'error';

export interface AuditEntry {
  id: number;
  at: number;
  profileId: string | null;
  profileName: string | null;
  action: string;
  target: string | null;
  outcome: AuditOutcome;
  errorCode: ErrorCode | null;
  /** Which admin: "OS user@machine" of the process that recorded it (null before it was recorded). */
  actor: string | null;
}

export type NewAuditEntry = Omit<AuditEntry, 'id'>;

interface AuditRow {
  id: number;
  at: number;
  profile_id: string | null;
  profile_name: string | null;
  action: string;
  target: string | null;
  outcome: AuditOutcome;
  error_code: ErrorCode | null;
  actor: string | null;
}

function fromRow(r: AuditRow): AuditEntry {
  return {
    id: r.id,
    at: r.at,
    profileId: r.profile_id,
    profileName: r.profile_name,
    action: r.action,
    target: r.target,
    outcome: r.outcome,
    errorCode: r.error_code,
    actor: r.actor,
  };
}

export function insertAudit(store: Store, e: NewAuditEntry): number {
  const r = store.db
    .prepare(
      'INSERT INTO audit (at, profile_id, profile_name, action, target, outcome, error_code, actor) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    )
    .run(e.at, e.profileId, e.profileName, e.action, e.target, e.outcome, e.errorCode, e.actor);
  return Number(r.lastInsertRowid);
}

export interface AuditFilter {
  action?: string;
  outcome?: AuditOutcome;
  profileId?: string;
  /** Inclusive, epoch ms. */
  from?: number;
  /** Exclusive, epoch ms. */
  to?: number;
  /**
   * Found anywhere in the target, the action (its code, or its words as the
   * Audit screen shows them: shared/audit-labels.ts), the admin or the
   * application's name (case-insensitive for ASCII).
   */
  text?: string;
  /** Exactly this target (e.g. a user ID: the entries about that user). */
  target?: string;
}

function whereOf(f: AuditFilter): { sql: string; params: (string | number)[] } {
  const where: string[] = [];
  const params: (string | number)[] = [];
  if (f.action !== undefined) {
    where.push('action = ?');
    params.push(f.action);
  }
  if (f.outcome !== undefined) {
    where.push('outcome = ?');
    params.push(f.outcome);
  }
  if (f.profileId !== undefined) {
    where.push('profile_id = ?');
    params.push(f.profileId);
  }
  if (f.from !== undefined) {
    where.push('at >= ?');
    params.push(f.from);
  }
  if (f.to !== undefined) {
    where.push('at < ?');
    params.push(f.to);
  }
  if (f.target !== undefined) {
    where.push('target = ?');
    params.push(f.target);
  }
  if (f.text !== undefined) {
    const like = containsPattern(f.text);
    const named = actionsLabelled(f.text);
    where.push(
      `(target LIKE ? ESCAPE '\\' OR action LIKE ? ESCAPE '\\' OR actor LIKE ? ESCAPE '\\' OR profile_name LIKE ? ESCAPE '\\'${named.length > 0 ? ` OR action IN (${named.map(() => '?').join(', ')})` : ''})`,
    );
    params.push(like, like, like, like, ...named);
  }
  return { sql: where.length ? `WHERE ${where.join(' AND ')}` : '', params };
}

export function queryAudit(
  store: Store,
  f: AuditFilter,
  limit: number,
  offset: number,
): { rows: AuditEntry[]; total: number } {
  const { sql, params } = whereOf(f);
  const total = (store.db.prepare(`SELECT count(*) AS n FROM audit ${sql}`).get(...params) as { n: number }).n;
  const rows = store.db
    .prepare(`SELECT * FROM audit ${sql} ORDER BY at DESC, id DESC LIMIT ? OFFSET ?`)
    .all(...params, limit, offset) as unknown as AuditRow[];
  return { rows: rows.map(fromRow), total };
}

export function* iterateAudit(store: Store, f: AuditFilter): Generator<AuditEntry> {
  const { sql, params } = whereOf(f);
  for (const r of store.db.prepare(`SELECT * FROM audit ${sql} ORDER BY at DESC, id DESC`).iterate(...params)) {
    yield fromRow(r as unknown as AuditRow);
  }
}

/** The distinct actions recorded so far, sorted (the Audit screen's action filter). */
export function auditActions(store: Store): string[] {
  return (store.db.prepare('SELECT DISTINCT action FROM audit ORDER BY action').all() as { action: string }[]).map(
    (r) => r.action,
  );
}

/**
 * Team mode: the profile's entries not yet copied to the shared log, oldest
 * first (after the profile's cursor), at most `limit`.
 */
export function unsharedAudit(store: Store, profileId: string, limit: number): AuditEntry[] {
  const rows = store.db
    .prepare(
      `SELECT * FROM audit WHERE profile_id = ?
          AND id > coalesce((SELECT last_id FROM team_audit_cursor WHERE profile_id = ?), 0)
        ORDER BY id LIMIT ?`,
    )
    .all(profileId, profileId, limit) as unknown as AuditRow[];
  return rows.map(fromRow);
}

/** Team mode: the profile's entries up to `lastId` are in the shared log. */
export function markAuditShared(store: Store, profileId: string, lastId: number): void {
  store.db
    .prepare(
      `INSERT INTO team_audit_cursor (profile_id, last_id) VALUES (?, ?)
       ON CONFLICT (profile_id) DO UPDATE SET last_id = max(last_id, excluded.last_id)`,
    )
    .run(profileId, lastId);
}
