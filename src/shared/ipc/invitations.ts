/**
 * Feature: invitations (registration links by email and by SMS), contacts,
 * the profile's email settings and the funnel, for the ACTIVE profile. The
 * SMTP password goes in (saveSettings) and never comes back; registration
 * links never cross the bridge.
 */
import { z } from 'zod';
import { request } from './define.ts';
import { usersSelection } from './users.ts';

export interface SmtpSettingsView {
  host: string;
  port: number;
  security: 'tls' | 'starttls' | 'none';
  user: string | null;
  from: string;
  caPem: string | null;
  /** Whether the keychain holds the SMTP password (null: the keychain is unreachable). */
  hasPassword: boolean | null;
}

export interface InvitationSettingsView {
  smtp: SmtpSettingsView | null;
  template: { subject: string; body: string };
  perMinute: number;
  storeContacts: boolean;
}

export interface ContactView {
  userId: string;
  email: string | null;
  phone: string | null;
}

export interface InvitationView {
  channel: 'email' | 'sms';
  state: 'sending' | 'sent' | 'failed' | 'unknown';
  errorCode: string | null;
  at: number;
}

const text = (max: number) => z.string().max(max);
const smtp = z
  .object({
    host: text(253),
    port: z.number().int(),
    security: z.enum(['tls', 'starttls', 'none']),
    user: text(320).nullable(),
    from: text(400),
    caPem: text(65_536).nullable(),
  })
  .strict();
const userId = text(4096);

export const invitationsRequests = {
  'invitations.settings': request(z.object({}).strict()).returns<InvitationSettingsView>(),
  /** Saves what is given; `password` goes to the keychain (null deletes it). */
  'invitations.saveSettings': request(
    z
      .object({
        smtp: smtp.nullable().optional(),
        password: text(1024).nullable().optional(),
        template: z
          .object({ subject: text(200), body: text(10_000) })
          .strict()
          .optional(),
        perMinute: z.number().int().optional(),
        storeContacts: z.boolean().optional(),
      })
      .strict(),
  ).returns<InvitationSettingsView>(),
  /** The message as a user would get it, a mark where the link goes. */
  'invitations.preview': request(z.object({ userId: userId.optional() }).strict()).returns<{
    subject: string;
    body: string;
  }>(),
  'invitations.sendTest': request(z.object({ to: text(320) }).strict()).returns<{ sent: true }>(),
  'invitations.contact': request(z.object({ userId }).strict()).returns<ContactView>(),
  'invitations.setContact': request(
    z.object({ userId, email: text(320).nullable().optional(), phone: text(64).nullable().optional() }).strict(),
  ).returns<ContactView>(),
  /** Starts a users.invite job; per-row results in job.finished. */
  'invitations.invite': request(
    z
      .object({
        selection: usersSelection,
        channel: z.enum(['email', 'sms']),
        remind: z.boolean().optional(),
        smsMessage: text(480).optional(),
      })
      .strict(),
  ).returns<{ jobId: string }>(),
  'invitations.history': request(z.object({ userId }).strict()).returns<InvitationView[]>(),
  'invitations.funnel': request(z.object({ days: z.number().int().min(1).max(3650).optional() }).strict()).returns<{
    invited: number;
    registered: number;
    since: number;
  }>(),
};

export const invitationsEvents = {};
