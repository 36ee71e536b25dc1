/**
 * Invitations (issue 17): contacts, the profile's email settings, and
 * inviting users by email (the registration link in a message sent from
 * main through SMTP) or by SMS (the service texts its own link,
 * send_registration_sms), in bulk as a job: throttled (messages per minute
 * per profile), SMTP 4xx retried later, 5xx failed, per-row results.
 *
 * Each message is written `sending` before it goes and settled after
 * (store/invitations.ts). A message whose process died mid-send, or whose
 * answer was lost, is `unknown` and never sent again by itself: a resumed
 * invitation skips everyone invited recently (sent or unknown) and sends the
 * rest. The link lives only in memory and in the message.
 */
import { AppError, toErrorInfo, type ErrorInfo } from '../../shared/errors.ts';
import type { JobRow } from '../../shared/ipc/jobs.ts';
import type { SecretStore } from '../secrets/keychain.ts';
import type { Store } from '../store/db.ts';
import { getUser, getUsers } from '../store/directory.ts';
import {
  beginInvitation,
  deleteAllContacts,
  getContacts,
  getInvitationSettings,
  invitationFunnel,
  invitationsOf,
  putInvitationSettings,
  recentInvitations,
  sendingInvitations,
  setContact,
  settleInvitation,
  type Contact,
  type Invitation,
  type InvitationChannel,
  type InvitationSettingsRow,
} from '../store/invitations.ts';
import type { Profile } from '../store/profiles.ts';
import type { AuditService } from './audit.ts';
import { normalizeEmail, normalizePhone } from './contacts.ts';
import type { JobContext } from './jobs.ts';
import {
  checkSettings,
  checkTemplate,
  createMailer,
  DEFAULT_TEMPLATE,
  previewTemplate,
  renderTemplate,
  type InvitationTemplate,
  type Mailer,
  type SmtpSettings,
} from './mailer.ts';
import { mayHaveTakenEffect, ownerAlive, PROCESS_OWNER } from './owner.ts';
import type { UsersService } from './users.ts';

export interface InvitationsDeps {
  store: Store;
  secrets: SecretStore;
  audit: AuditService;
  users: UsersService;
  now?: () => number;
  /** Waits between two messages (the throttle); tests pass one that advances their clock. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  createMailer?: (settings: SmtpSettings, password: string | null) => Mailer;
}

export interface InviteOptions {
  channel: InvitationChannel;
  /** Invite again users invited within the window (a reminder). Default: they are skipped. */
  remind?: boolean;
  /** Who counts as invited recently (default 7 days). */
  withinMs?: number;
  /** An SMS's text before the link (the service appends the link). */
  smsMessage?: string;
}

export interface InvitationSettingsView {
  smtp: (Omit<SmtpSettings, 'timeoutMs'> & { hasPassword: boolean | null }) | null;
  template: InvitationTemplate;
  perMinute: number;
  storeContacts: boolean;
}

const WEEK_MS = 7 * 24 * 3600 * 1000;
/** The service's usual registration-link lifetime, for `{expires}`. */
const LINK_LIFETIME_MS = 10 * 60 * 1000;
/** An SMTP "try later" (4xx) is retried this many times, after the rest of the batch. */
const MAX_ATTEMPTS = 3;
function invalid(message: string, field: string): AppError {
  return new AppError('invalid_input', message, { details: { field } });
}

const defaultSleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (ms <= 0 || signal.aborted) return resolve();
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });

export class InvitationsService {
  readonly #store: Store;
  readonly #secrets: SecretStore;
  readonly #audit: AuditService;
  readonly #users: UsersService;
  readonly #now: () => number;
  readonly #sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly #createMailer: (settings: SmtpSettings, password: string | null) => Mailer;

  constructor(deps: InvitationsDeps) {
    this.#store = deps.store;
    this.#secrets = deps.secrets;
    this.#audit = deps.audit;
    this.#users = deps.users;
    this.#now = deps.now ?? Date.now;
    this.#sleep = deps.sleep ?? defaultSleep;
    this.#createMailer = deps.createMailer ?? createMailer;
  }

  // ----------------------------------------------------------- contacts

  /** Sets (or with nulls clears) a user's email and phone, validated; refused when the profile keeps no contacts. */
  setContact(userId: string, contact: { email?: string | null; phone?: string | null }): Contact {
    const profile = this.#users.scope.current();
    if (!getUser(this.#store, profile.id, userId)) throw new AppError('missing', 'This user is not in the directory.');
    if (!getInvitationSettings(this.#store, profile.id).storeContacts) {
      throw new AppError(
        'conflict',
        'This application keeps no contact details (turned off in its invitation settings).',
      );
    }
    const current = getContacts(this.#store, profile.id, [userId]).get(userId);
    const next: Contact = {
      userId,
      email:
        contact.email === undefined
          ? (current?.email ?? null)
          : contact.email === null || contact.email.trim() === ''
            ? null
            : normalizeEmail(contact.email),
      phone:
        contact.phone === undefined
          ? (current?.phone ?? null)
          : contact.phone === null || contact.phone.trim() === ''
            ? null
            : normalizePhone(contact.phone),
    };
    setContact(this.#store, profile.id, next, this.#now());
    return next;
  }

  /**
   * The mapped email and phone of a linked application's users (valid ones;
   * an invalid value counts as none), read from its table in chunks.
   */
  async #applicationContacts(profile: Profile, userIds: readonly string[]): Promise<Contact[]> {
    const sources = this.#users.sources;
    const mapping = sources?.linked(profile.id)?.source.mapping;
    const open = sources?.directory(profile);
    if (!mapping || !open || (mapping.email === undefined && mapping.phone === undefined)) return [];
    const dir = await open;
    const valid = (value: string | null, normalize: (v: string) => string): string | null => {
      if (value === null || value.trim() === '') return null;
      try {
        return normalize(value);
      } catch {
        return null;
      }
    };
    const out: Contact[] = [];
    for (let i = 0; i < userIds.length; i += 1000)
      for (const u of await dir.byUserIds(userIds.slice(i, i + 1000)))
        out.push({ userId: u.userId, email: valid(u.email, normalizeEmail), phone: valid(u.phone, normalizePhone) });
    return out;
  }

  contacts(userIds: readonly string[]): Map<string, Contact> {
    return getContacts(this.#store, this.#users.scope.current().id, userIds);
  }

  // ----------------------------------------------------------- settings

  async settings(): Promise<InvitationSettingsView> {
    const profile = this.#users.scope.current();
    const s = getInvitationSettings(this.#store, profile.id);
    const hasPassword = s.smtp?.user
      ? await this.#secrets.getCredential(profile.id, 'smtp').then(
          (p) => p !== null,
          () => null,
        )
      : false;
    return {
      smtp: s.smtp ? { ...s.smtp, hasPassword } : null,
      template: { subject: s.subject ?? DEFAULT_TEMPLATE.subject, body: s.body ?? DEFAULT_TEMPLATE.body },
      perMinute: s.perMinute,
      storeContacts: s.storeContacts,
    };
  }

  /** Saves what is given (the SMTP password goes to the keychain, never to the store). */
  async saveSettings(input: {
    smtp?: Omit<SmtpSettings, 'timeoutMs'> | null;
    password?: string | null;
    template?: InvitationTemplate;
    perMinute?: number;
    storeContacts?: boolean;
  }): Promise<InvitationSettingsView> {
    const profile = this.#users.scope.current();
    const before = getInvitationSettings(this.#store, profile.id);
    const smtp =
      input.smtp === undefined
        ? before.smtp
        : input.smtp === null
          ? null
          : checkSettings({ ...input.smtp, user: input.smtp.user ?? null, caPem: input.smtp.caPem ?? null });
    const template = input.template === undefined ? null : checkTemplate(input.template);
    if (
      input.perMinute !== undefined &&
      (!Number.isInteger(input.perMinute) || input.perMinute < 1 || input.perMinute > 6000)
    ) {
      throw invalid('Messages per minute is a whole number from 1 to 6000.', 'perMinute');
    }
    const next: InvitationSettingsRow = {
      smtp: smtp
        ? {
            host: smtp.host,
            port: smtp.port,
            security: smtp.security,
            user: smtp.user ?? null,
            from: smtp.from.trim(),
            caPem: smtp.caPem ?? null,
          }
        : null,
      subject: template ? template.subject : before.subject,
      body: template ? template.body : before.body,
      perMinute: input.perMinute ?? before.perMinute,
      storeContacts: input.storeContacts ?? before.storeContacts,
    };
    if (input.password !== undefined) {
      if (input.password === null) await this.#secrets.deleteCredential(profile.id, 'smtp');
      else await this.#secrets.setCredential(profile.id, 'smtp', input.password);
    }
    this.#store.transaction(() => {
      putInvitationSettings(this.#store, profile.id, next, this.#now());
      if (before.storeContacts && !next.storeContacts) deleteAllContacts(this.#store, profile.id);
    });
    this.#audit.record({
      action: 'invitations.settings',
      profile: { id: profile.id, name: profile.name },
      target: profile.name,
      outcome: 'ok',
    });
    return this.settings();
  }

  /** The message as a user would get it, with a mark where the link goes (the link never leaves main). */
  preview(userId?: string): InvitationTemplate {
    const profile = this.#users.scope.current();
    const s = getInvitationSettings(this.#store, profile.id);
    const user = userId === undefined ? null : getUser(this.#store, profile.id, userId);
    return previewTemplate(
      { subject: s.subject ?? DEFAULT_TEMPLATE.subject, body: s.body ?? DEFAULT_TEMPLATE.body },
      {
        displayName: user?.displayName || user?.userId || 'Ada Lovelace',
        application: profile.name,
        expires: new Date(this.#now() + LINK_LIFETIME_MS).toUTCString(),
      },
    );
  }

  /** "Send a test to me": the template with a mark for the link, to the admin's address. */
  async sendTest(to: string): Promise<{ sent: true }> {
    const profile = this.#users.scope.current();
    const mailer = await this.#mailer(profile);
    try {
      const m = this.preview();
      await mailer.send({ to: normalizeEmail(to), subject: `[Test] ${m.subject}`, text: m.body });
    } finally {
      mailer.close();
    }
    this.#audit.record({
      action: 'invitations.test',
      profile: { id: profile.id, name: profile.name },
      target: 'test message',
      outcome: 'ok',
    });
    return { sent: true };
  }

  // ----------------------------------------------------------- invite

  /** Invites users as a job (`users.invite`); one result per user. */
  invite(userIds: readonly string[], options: InviteOptions): string {
    const profile = this.#users.scope.current();
    if (options.channel !== 'email' && options.channel !== 'sms')
      throw invalid('The channel is email or sms.', 'channel');
    return this.#users.jobs.start('users.invite', userIds.length, (ctx) =>
      this.#invite(profile, userIds, options, ctx),
    );
  }

  /** A user's invitations, newest first (never the link). */
  history(userId: string): Invitation[] {
    return invitationsOf(this.#store, this.#users.scope.current().id, userId);
  }

  /** Users invited (sent or possibly sent) in the last `days` days, and how many of them have registered a phone. */
  funnel(days = 30): { invited: number; registered: number; since: number } {
    const since = this.#now() - days * 24 * 3600 * 1000;
    return { ...invitationFunnel(this.#store, this.#users.scope.current().id, since), since };
  }

  async #mailer(profile: Profile): Promise<Mailer> {
    const s = getInvitationSettings(this.#store, profile.id);
    if (!s.smtp)
      throw new AppError(
        'missing',
        'No email settings for this application: set the SMTP server in its invitation settings first.',
      );
    const password = s.smtp.user ? await this.#secrets.getCredential(profile.id, 'smtp') : null;
    if (s.smtp.user && password === null)
      throw new AppError(
        'keychain',
        'No SMTP password is stored for this application; enter it in its invitation settings.',
        { retryable: false },
      );
    return this.#createMailer(s.smtp, password);
  }

  async #invite(
    profile: Profile,
    userIds: readonly string[],
    options: InviteOptions,
    ctx: JobContext,
  ): Promise<JobRow[]> {
    const now = this.#now();
    this.#audit.record({
      action: 'users.invite.start',
      profile: { id: profile.id, name: profile.name },
      target: `${userIds.length} rows by ${options.channel} (job ${ctx.jobId.slice(0, 8)})`,
      outcome: 'ok',
    });
    // Messages a dead process left mid-send: possibly delivered, so never sent again.
    for (const left of sendingInvitations(this.#store, profile.id)) {
      if (left.owner !== PROCESS_OWNER && !ownerAlive(left.owner))
        settleInvitation(this.#store, left.id, 'unknown', 'uncertain', now);
    }
    const settings = getInvitationSettings(this.#store, profile.id);
    const rows = new Array<JobRow>(userIds.length);
    const users = new Map(getUsers(this.#store, profile.id, userIds).map((u) => [u.userId, u]));
    const contacts = getContacts(this.#store, profile.id, userIds);
    // A linked application's own email and phone columns come first (its table is the record).
    for (const c of await this.#applicationContacts(profile, userIds)) {
      const kept = contacts.get(c.userId);
      contacts.set(c.userId, {
        userId: c.userId,
        email: c.email ?? kept?.email ?? null,
        phone: c.phone ?? kept?.phone ?? null,
      });
    }
    const recent = options.remind
      ? new Map<string, Invitation>()
      : recentInvitations(this.#store, profile.id, userIds, now - (options.withinMs ?? WEEK_MS));
    const queue: { index: number; attempt: number }[] = [];
    userIds.forEach((userId, index) => {
      const row = index + 1;
      const user = users.get(userId);
      const contact = contacts.get(userId);
      const address = options.channel === 'email' ? contact?.email : contact?.phone;
      const last = recent.get(userId);
      if (!user) rows[index] = { row, userId, result: 'missing', reason: 'Not in the directory.' };
      else if (user.iampassId === '')
        rows[index] = { row, userId, result: 'missing', reason: 'Not at IAMPASS yet: add them first.' };
      else if (user.deviceState === 'registered')
        rows[index] = { row, userId, result: 'existing', reason: 'Already registered a phone.' };
      else if (last) {
        rows[index] = {
          row,
          userId,
          result: 'existing',
          reason: `Invited ${new Date(last.createdAt).toISOString()} by ${last.channel}${last.state === 'unknown' ? ' (possibly: that message may or may not have gone)' : ''}; send a reminder to invite again.`,
        };
      } else if (!address)
        rows[index] = {
          row,
          userId,
          result: 'missing',
          reason: options.channel === 'email' ? 'No email address.' : 'No phone number.',
        };
      else queue.push({ index, attempt: 1 });
    });
    let done = userIds.length - queue.length;
    ctx.progress(done);
    if (queue.length > 0) {
      const mailer = options.channel === 'email' ? await this.#mailer(profile) : null;
      const client = await this.#users.clientFor(profile);
      const interval = 60_000 / settings.perMinute;
      let next = this.#now();
      let smsMissing = false;
      try {
        while (queue.length > 0 && !ctx.signal.aborted) {
          const item = queue.shift()!;
          const userId = userIds[item.index]!;
          const user = users.get(userId)!;
          const contact = contacts.get(userId)!;
          const row = item.index + 1;
          if (smsMissing) {
            rows[item.index] = {
              row,
              userId,
              result: 'failed',
              code: 'not_found',
              reason: 'This service does not send SMS: invite by email or show a QR code.',
            };
            ctx.progress(++done);
            continue;
          }
          await this.#sleep(next - this.#now(), ctx.signal);
          if (ctx.signal.aborted) {
            queue.unshift(item);
            break;
          }
          next = Math.max(next + interval, this.#now());
          const displayName = user.displayName || user.userId;
          const id = beginInvitation(this.#store, profile.id, {
            userId,
            channel: options.channel,
            jobId: ctx.jobId,
            owner: PROCESS_OWNER,
            now: this.#now(),
          });
          let sending = options.channel === 'sms';
          try {
            if (mailer) {
              // The link: fetched now, used once, only in the message.
              const link = await client.registrationLink(user.iampassId, { displayName });
              sending = true;
              const m = renderTemplate(
                { subject: settings.subject ?? DEFAULT_TEMPLATE.subject, body: settings.body ?? DEFAULT_TEMPLATE.body },
                {
                  displayName,
                  link,
                  application: profile.name,
                  expires: new Date(this.#now() + LINK_LIFETIME_MS).toUTCString(),
                },
              );
              await mailer.send({ to: contact.email!, subject: m.subject, text: m.body });
            } else {
              await client.sendRegistrationSms(user.iampassId, {
                phoneNumber: contact.phone!,
                displayName,
                ...(options.smsMessage ? { message: options.smsMessage } : {}),
              });
            }
            settleInvitation(this.#store, id, 'sent', null, this.#now());
            rows[item.index] = { row, userId, result: 'sent' };
          } catch (error) {
            const info = toErrorInfo(error);
            // Before the message itself (the link call failed): nothing went to the user.
            const outcome = sending ? this.#failure(info, options.channel) : 'failed';
            settleInvitation(this.#store, id, outcome === 'unknown' ? 'unknown' : 'failed', info.code, this.#now());
            if (outcome === 'later' && item.attempt < MAX_ATTEMPTS) {
              queue.push({ index: item.index, attempt: item.attempt + 1 });
              continue;
            }
            if (info.code === 'not_found' && info.details?.what === 'endpoint') smsMissing = true;
            rows[item.index] =
              outcome === 'unknown'
                ? {
                    row,
                    userId,
                    result: 'unknown',
                    code: 'uncertain',
                    reason: `The ${options.channel === 'email' ? 'message' : 'SMS'} may or may not have gone (${info.message.replace(/\.$/, '')}); it is not sent again by itself.`,
                  }
                : {
                    row,
                    userId,
                    result: 'failed',
                    code: info.code,
                    reason: smsMissing
                      ? 'This service does not send SMS: invite by email or show a QR code.'
                      : info.message,
                  };
          }
          ctx.progress(++done);
        }
      } finally {
        mailer?.close();
        client.close();
      }
      for (const q of queue) rows[q.index] ??= { row: q.index + 1, userId: userIds[q.index]!, result: 'cancelled' };
    }
    const counts = new Map<string, number>();
    for (const r of rows) counts.set(r.result, (counts.get(r.result) ?? 0) + 1);
    const firstError = rows.find((r) => r.result === 'failed' || r.result === 'unknown');
    this.#audit.record({
      action: 'users.invite',
      profile: { id: profile.id, name: profile.name },
      target: `${rows.length} users by ${options.channel}: ${[...counts].map(([k, n]) => `${n} ${k}`).join(', ')} (job ${ctx.jobId.slice(0, 8)})`,
      outcome: firstError ? 'error' : 'ok',
      errorCode: firstError?.code ?? null,
    });
    return rows;
  }

  /** later: retry after the others (SMTP 4xx); unknown: may have gone, never resent; failed: did not go. */
  #failure(info: ErrorInfo, channel: InvitationChannel): 'later' | 'unknown' | 'failed' {
    if (info.code === 'rate_limited') return 'later';
    if (channel === 'email') {
      // SMTP: a connection that never opened sent nothing; one that broke or timed out mid-message may have.
      if (info.code === 'network') return info.details?.reason === 'ESOCKET' ? 'unknown' : 'failed';
      if (info.code === 'timeout') return 'unknown';
      // The registration link call failed before anything was sent.
      return 'failed';
    }
    return mayHaveTakenEffect(info) ? 'unknown' : 'failed';
  }
}
