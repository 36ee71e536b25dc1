/** Handlers for src/shared/ipc/invitations.ts: views built field by field, never a password or a link. */
import type { InvitationSettingsView } from '../../../shared/ipc/invitations.ts';
import type { Services } from '../../services/index.ts';
import type { Handler } from '../router.ts';

type Channels =
  | 'invitations.settings'
  | 'invitations.saveSettings'
  | 'invitations.preview'
  | 'invitations.sendTest'
  | 'invitations.contact'
  | 'invitations.setContact'
  | 'invitations.invite'
  | 'invitations.history'
  | 'invitations.funnel';

function view(v: Awaited<ReturnType<Services['invitations']['settings']>>): InvitationSettingsView {
  return {
    smtp: v.smtp
      ? {
          host: v.smtp.host,
          port: v.smtp.port,
          security: v.smtp.security,
          user: v.smtp.user ?? null,
          from: v.smtp.from,
          caPem: v.smtp.caPem ?? null,
          hasPassword: v.smtp.hasPassword,
        }
      : null,
    template: { subject: v.template.subject, body: v.template.body },
    perMinute: v.perMinute,
    storeContacts: v.storeContacts,
  };
}

export function invitationsHandlers(deps: { services: Services }): { [C in Channels]: Handler<C> } {
  const invitations = deps.services.invitations;
  return {
    'invitations.settings': async () => view(await invitations.settings()),
    'invitations.saveSettings': async (p) =>
      view(
        await invitations.saveSettings({
          ...(p.smtp === undefined ? {} : { smtp: p.smtp }),
          ...(p.password === undefined ? {} : { password: p.password }),
          ...(p.template === undefined ? {} : { template: p.template }),
          ...(p.perMinute === undefined ? {} : { perMinute: p.perMinute }),
          ...(p.storeContacts === undefined ? {} : { storeContacts: p.storeContacts }),
        }),
      ),
    'invitations.preview': ({ userId }) => invitations.preview(userId),
    'invitations.sendTest': ({ to }) => invitations.sendTest(to),
    'invitations.contact': ({ userId }) =>
      invitations.contacts([userId]).get(userId) ?? { userId, email: null, phone: null },
    'invitations.setContact': ({ userId, email, phone }) =>
      invitations.setContact(userId, {
        ...(email === undefined ? {} : { email }),
        ...(phone === undefined ? {} : { phone }),
      }),
    'invitations.invite': ({ selection, channel, remind, smsMessage }) => ({
      jobId: invitations.invite(deps.services.users.selectionIds(selection), {
        channel,
        ...(remind === undefined ? {} : { remind }),
        ...(smsMessage === undefined ? {} : { smsMessage }),
      }),
    }),
    'invitations.history': ({ userId }) =>
      invitations
        .history(userId)
        .map((i) => ({ channel: i.channel, state: i.state, errorCode: i.errorCode, at: i.createdAt })),
    'invitations.funnel': ({ days }) => invitations.funnel(days),
  };
}
