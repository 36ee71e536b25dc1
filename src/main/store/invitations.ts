/**
 * Invitations' storage: contacts (optional email and phone per user, kept
 * only where the directory lives and only when the profile allows it), the
 * profile's email settings (the SMTP password is in the keychain, not here),
 * and one row per message sent, written `sending` before it goes.
 */
import type { Store } from './db.ts';

export interface Contact {
  userId: string;
  email: string | null;
  phone: string | null;
}

export interface InvitationSettingsRow {
  smtp: {
    host: string;
    port: number;
    security: 'tls' | 'starttls' | 'none';
    user: string | null;
    from: string;
    caPem: string | null;
  } | null;
  subject: string | null;
  body: string | null;
  perMinute: number;
  storeContacts: boolean;
}

export type InvitationChannel = 'email' | 'sms';
export type InvitationState = 'sending' | 'sent' | 'failed' | 'unknown';

export interface Invitation {
  id: number;
  userId: string;
  channel: InvitationChannel;
  state: InvitationState;
  jobId: string | null;
  owner: string;
  errorCode: string | null;
  createdAt: number;
  settledAt: number | null;
}

export function setContact(store: Store, profileId: string, c: Contact, now: number): void {
  if (c.email === null && c.phone === null) {
    store.db.prepare('DELETE FROM contacts WHERE profile_id = ? AND user_id = ?').run(profileId, c.userId);
    return;
  }
  store.db
    .prepare(
      `INSERT INTO contacts (profile_id, user_id, email, phone, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (profile_id, user_id) DO UPDATE SET email = excluded.email, phone = excluded.phone, updated_at = excluded.updated_at`,
    )
    .run(profileId, c.userId, c.email, c.phone, now);
}

export function getContacts(store: Store, profileId: string, userIds: readonly string[]): Map<string, Contact> {
  const rows = store.db
    .prepare(
      'SELECT c.user_id, c.email, c.phone FROM json_each(?) j CROSS JOIN contacts c ON c.profile_id = ? AND c.user_id = j.value',
    )
    .all(JSON.stringify(userIds), profileId) as { user_id: string; email: string | null; phone: string | null }[];
  return new Map(rows.map((r) => [r.user_id, { userId: r.user_id, email: r.email, phone: r.phone }]));
}

export function deleteAllContacts(store: Store, profileId: string): number {
  return Number(store.db.prepare('DELETE FROM contacts WHERE profile_id = ?').run(profileId).changes);
}

export function getInvitationSettings(store: Store, profileId: string): InvitationSettingsRow {
  const r = store.db.prepare('SELECT * FROM invitation_settings WHERE profile_id = ?').get(profileId) as
    | {
        smtp_host: string | null;
        smtp_port: number | null;
        smtp_security: 'tls' | 'starttls' | 'none' | null;
        smtp_user: string | null;
        smtp_from: string | null;
        smtp_ca_pem: string | null;
        subject: string | null;
        body: string | null;
        per_minute: number;
        store_contacts: number;
      }
    | undefined;
  if (!r) return { smtp: null, subject: null, body: null, perMinute: 60, storeContacts: true };
  const smtp =
    r.smtp_host !== null && r.smtp_port !== null && r.smtp_security !== null && r.smtp_from !== null
      ? {
          host: r.smtp_host,
          port: r.smtp_port,
          security: r.smtp_security,
          user: r.smtp_user,
          from: r.smtp_from,
          caPem: r.smtp_ca_pem,
        }
      : null;
  return { smtp, subject: r.subject, body: r.body, perMinute: r.per_minute, storeContacts: r.store_contacts === 1 };
}

export function putInvitationSettings(store: Store, profileId: string, s: InvitationSettingsRow, now: number): void {
  store.db
    .prepare(
      `INSERT INTO invitation_settings (profile_id, smtp_host, smtp_port, smtp_security, smtp_user, smtp_from, smtp_ca_pem, subject, body, per_minute, store_contacts, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (profile_id) DO UPDATE SET smtp_host = excluded.smtp_host, smtp_port = excluded.smtp_port,
         smtp_security = excluded.smtp_security, smtp_user = excluded.smtp_user, smtp_from = excluded.smtp_from,
         smtp_ca_pem = excluded.smtp_ca_pem, subject = excluded.subject, body = excluded.body,
         per_minute = excluded.per_minute, store_contacts = excluded.store_contacts, updated_at = excluded.updated_at`,
    )
    .run(
      profileId,
      s.smtp?.host ?? null,
      s.smtp?.port ?? null,
      s.smtp?.security ?? null,
      s.smtp?.user ?? null,
      s.smtp?.from ?? null,
      s.smtp?.caPem ?? null,
      s.subject,
      s.body,
      s.perMinute,
      s.storeContacts ? 1 : 0,
      now,
    );
}

/** Writes the message's row before it is sent (one committed statement); answers its id. */
export function beginInvitation(
  store: Store,
  profileId: string,
  i: { userId: string; channel: InvitationChannel; jobId: string | null; owner: string; now: number },
): number {
  return Number(
    store.db
      .prepare(
        `INSERT INTO invitations (profile_id, user_id, channel, state, job_id, owner, created_at) VALUES (?, ?, ?, 'sending', ?, ?, ?)`,
      )
      .run(profileId, i.userId, i.channel, i.jobId, i.owner, i.now).lastInsertRowid,
  );
}

export function settleInvitation(
  store: Store,
  id: number,
  state: Exclude<InvitationState, 'sending'>,
  errorCode: string | null,
  now: number,
): void {
  store.db
    .prepare('UPDATE invitations SET state = ?, error_code = ?, settled_at = ? WHERE id = ?')
    .run(state, errorCode, now, id);
}

/** Rows still `sending` (their process died mid-send, or is sending now), oldest first. */
export function sendingInvitations(store: Store, profileId: string): Invitation[] {
  return (
    store.db
      .prepare("SELECT * FROM invitations WHERE profile_id = ? AND state = 'sending' ORDER BY id")
      .all(profileId) as unknown as InvitationRow[]
  ).map(fromRow);
}

/** The latest invitation (any state but failed) of each of these users since `since`. */
export function recentInvitations(
  store: Store,
  profileId: string,
  userIds: readonly string[],
  since: number,
): Map<string, Invitation> {
  const rows = store.db
    .prepare(
      `SELECT i.* FROM json_each(?) j CROSS JOIN invitations i
       ON i.profile_id = ? AND i.user_id = j.value AND i.created_at >= ? AND i.state <> 'failed' ORDER BY i.id`,
    )
    .all(JSON.stringify(userIds), profileId, since) as unknown as InvitationRow[];
  const out = new Map<string, Invitation>();
  for (const r of rows) out.set(r.user_id, fromRow(r));
  return out;
}

/** A user's invitations, newest first. */
export function invitationsOf(store: Store, profileId: string, userId: string): Invitation[] {
  return (
    store.db
      .prepare('SELECT * FROM invitations WHERE profile_id = ? AND user_id = ? ORDER BY id DESC')
      .all(profileId, userId) as unknown as InvitationRow[]
  ).map(fromRow);
}

/** Invited users (a message sent, or possibly sent, since `since`) and how many of them have registered a phone. */
export function invitationFunnel(
  store: Store,
  profileId: string,
  since: number,
): { invited: number; registered: number } {
  const r = store.db
    .prepare(
      `SELECT COUNT(*) AS invited, COALESCE(SUM(u.device_state = 'registered'), 0) AS registered
       FROM (SELECT DISTINCT user_id FROM invitations WHERE profile_id = ? AND state IN ('sent', 'unknown') AND created_at >= ?) i
       JOIN users u ON u.profile_id = ? AND u.user_id = i.user_id`,
    )
    .get(profileId, since, profileId) as { invited: number; registered: number };
  return { invited: r.invited, registered: r.registered };
}

interface InvitationRow {
  id: number;
  user_id: string;
  channel: InvitationChannel;
  state: InvitationState;
  job_id: string | null;
  owner: string;
  error_code: string | null;
  created_at: number;
  settled_at: number | null;
}

function fromRow(r: InvitationRow): Invitation {
  return {
    id: r.id,
    userId: r.user_id,
    channel: r.channel,
    state: r.state,
    jobId: r.job_id,
    owner: r.owner,
    errorCode: r.error_code,
    createdAt: r.created_at,
    settledAt: r.settled_at,
  };
}
