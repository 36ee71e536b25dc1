/**
 * users invite | contact, invitations email | test | funnel | history: the
 * InvitationsService from the command line. The SMTP password comes from
 * IAMPASS_SMTP_PASSWORD or the first line of standard input, never from an
 * argument; the registration links are only in the messages.
 */
import { readFileSync } from 'node:fs';
import type { SmtpSecurity } from '../../main/services/mailer.ts';
import { bool, str, type Command } from '../command.ts';
import { EXIT, UsageError } from '../exit.ts';
import { table, when } from '../output.ts';
import { firstLine } from '../stdin.ts';
import { finishJob } from './users.ts';

function positiveInt(value: string | undefined, flag: string, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw new UsageError(`--${flag} is a whole number from 1 to ${String(max)}`);
  return n;
}

export const invitationsCommands: Command[] = [
  {
    name: 'users contact',
    args: 'USER_ID [--email ADDRESS | --no-email] [--phone +E164 | --no-phone]',
    summary: "Set or clear a user's email address and phone number (for invitations).",
    help: `The phone number is given in international form (+ and the country code) and
stored as E.164; both are validated. Without options, prints the contact.`,
    options: {
      email: { type: 'string' },
      phone: { type: 'string' },
      'no-email': { type: 'boolean' },
      'no-phone': { type: 'boolean' },
    },
    positionals: { min: 1, max: 1 },
    async run(ctx, values, [userId]) {
      const { services } = await ctx.pinned();
      const change: { email?: string | null; phone?: string | null } = {};
      if (bool(values, 'no-email')) change.email = null;
      else if (str(values, 'email') !== undefined) change.email = str(values, 'email')!;
      if (bool(values, 'no-phone')) change.phone = null;
      else if (str(values, 'phone') !== undefined) change.phone = str(values, 'phone')!;
      const contact =
        Object.keys(change).length > 0
          ? services.invitations.setContact(userId ?? '', change)
          : (services.invitations.contacts([userId ?? '']).get(userId ?? '') ?? {
              userId: userId ?? '',
              email: null,
              phone: null,
            });
      if (ctx.out.json) ctx.out.data(contact);
      else ctx.out.line(`${contact.userId}: email ${contact.email ?? '-'}, phone ${contact.phone ?? '-'}`);
      return EXIT.ok;
    },
  },
  {
    name: 'users invite',
    args: 'USER_ID [USER_ID...] --channel email|sms [--remind] [--message TEXT]',
    summary: 'Send registration links by email or by SMS (the service texts its own link), one job, per-row results.',
    help: `Users already registered, without an address for the channel, or invited in the
last 7 days are skipped (--remind invites those again). Messages are throttled
(the profile's messages per minute, "invitations email --per-minute"); an SMTP
"try later" is retried, a refusal fails the row. A message whose answer was
lost is "unknown" and never sent again by itself. --message: an SMS's text
before the link.`,
    options: { channel: { type: 'string' }, remind: { type: 'boolean' }, message: { type: 'string' } },
    positionals: { min: 1, max: 100_000 },
    async run(ctx, values, ids) {
      const channel = str(values, 'channel');
      if (channel !== 'email' && channel !== 'sms') throw new UsageError('--channel is email or sms');
      const message = str(values, 'message');
      const { services } = await ctx.pinned();
      return finishJob(
        ctx,
        services,
        services.invitations.invite(ids, {
          channel,
          remind: bool(values, 'remind'),
          ...(message === undefined ? {} : { smsMessage: message }),
        }),
        'users invite',
      );
    },
  },
  {
    name: 'invitations email',
    args: '[--host H --port N --security tls|starttls|none --from ADDRESS [--user U] [--ca FILE]] [--subject T] [--body-file FILE] [--per-minute N] [--no-contacts | --contacts]',
    summary: "Show or set the profile's invitation settings: SMTP server, sender, template, rate.",
    help: `With --user, the SMTP password is read from IAMPASS_SMTP_PASSWORD or the first
line of standard input (never an argument) and kept in the OS keychain.
--security none is allowed only for a loopback host. The template may use
{displayName}, {link} (required, in the body), {expires} and {application}.
--no-contacts stops keeping emails and phone numbers (and deletes those kept).`,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      security: { type: 'string' },
      from: { type: 'string' },
      user: { type: 'string' },
      ca: { type: 'string' },
      subject: { type: 'string' },
      'body-file': { type: 'string' },
      'per-minute': { type: 'string' },
      contacts: { type: 'boolean' },
      'no-contacts': { type: 'boolean' },
    },
    positionals: { min: 0, max: 0 },
    async run(ctx, values) {
      const { services } = await ctx.pinned();
      const host = str(values, 'host');
      const input: Parameters<typeof services.invitations.saveSettings>[0] = {};
      if (host !== undefined) {
        const port = positiveInt(str(values, 'port'), 'port', 65535);
        const security = str(values, 'security');
        const from = str(values, 'from');
        if (port === undefined || security === undefined || from === undefined)
          throw new UsageError('--host needs --port, --security and --from');
        if (!['tls', 'starttls', 'none'].includes(security))
          throw new UsageError('--security is tls, starttls or none');
        const user = str(values, 'user') ?? null;
        const caFile = str(values, 'ca');
        input.smtp = {
          host,
          port,
          security: security as SmtpSecurity,
          from,
          user,
          caPem: caFile === undefined ? null : readFileSync(caFile, 'utf8'),
        };
        if (user !== null) {
          const password =
            ctx.io.env.IAMPASS_SMTP_PASSWORD ?? (ctx.io.stdin.isTTY ? '' : await firstLine(ctx.io.stdin, 1024));
          if (password === '')
            throw new UsageError(
              '--user needs the SMTP password: set IAMPASS_SMTP_PASSWORD or pass it on standard input',
            );
          ctx.out.secret(password);
          input.password = password;
        }
      }
      const subject = str(values, 'subject');
      const bodyFile = str(values, 'body-file');
      if (subject !== undefined || bodyFile !== undefined) {
        const current = (await services.invitations.settings()).template;
        input.template = {
          subject: subject ?? current.subject,
          body: bodyFile === undefined ? current.body : readFileSync(bodyFile, 'utf8'),
        };
      }
      const perMinute = positiveInt(str(values, 'per-minute'), 'per-minute', 6000);
      if (perMinute !== undefined) input.perMinute = perMinute;
      if (bool(values, 'no-contacts')) input.storeContacts = false;
      else if (bool(values, 'contacts')) input.storeContacts = true;
      const view =
        Object.keys(input).length > 0
          ? await services.invitations.saveSettings(input)
          : await services.invitations.settings();
      if (ctx.out.json) ctx.out.data(view);
      else {
        const s = view.smtp;
        ctx.out.line(
          s
            ? `SMTP ${s.host}:${String(s.port)} (${s.security}), from ${s.from}${s.user ? `, user ${s.user} (password ${s.hasPassword ? 'stored' : 'missing'})` : ''}`
            : 'SMTP: not set',
        );
        ctx.out.line(
          `Rate: ${String(view.perMinute)} messages per minute; contacts ${view.storeContacts ? 'kept' : 'not kept'}.`,
        );
        ctx.out.line(`Subject: ${view.template.subject}`);
      }
      return EXIT.ok;
    },
  },
  {
    name: 'invitations test',
    args: '--to ADDRESS',
    summary: 'Send the invitation template to yourself (a mark where the link goes).',
    help: 'Checks the SMTP settings end to end; the message carries no registration link.',
    options: { to: { type: 'string' } },
    positionals: { min: 0, max: 0 },
    async run(ctx, values) {
      const to = str(values, 'to');
      if (to === undefined) throw new UsageError('--to is required');
      const { services } = await ctx.pinned();
      await services.invitations.sendTest(to);
      if (ctx.out.json) ctx.out.data({ sent: true, to });
      else ctx.out.line(`Test message sent to ${to}.`);
      return EXIT.ok;
    },
  },
  {
    name: 'invitations funnel',
    args: '[--days N]',
    summary: 'Invited users (last N days, default 30) and how many of them registered a phone.',
    help: 'Registered is the directory\'s device state: run "users status --all" first for a fresh count.',
    options: { days: { type: 'string' } },
    positionals: { min: 0, max: 0 },
    async run(ctx, values) {
      const days = positiveInt(str(values, 'days'), 'days', 3650) ?? 30;
      const { services } = await ctx.pinned();
      const f = services.invitations.funnel(days);
      if (ctx.out.json) ctx.out.data({ ...f, since: new Date(f.since).toISOString() });
      else ctx.out.line(`${String(f.invited)} invited since ${when(f.since)}, ${String(f.registered)} registered.`);
      return EXIT.ok;
    },
  },
  {
    name: 'invitations history',
    args: 'USER_ID',
    summary: "A user's invitations: when, by which channel, and what became of each.",
    help: 'Newest first; never the link.',
    options: {},
    positionals: { min: 1, max: 1 },
    async run(ctx, _values, [userId]) {
      const { services } = await ctx.pinned();
      const rows = services.invitations.history(userId ?? '');
      if (ctx.out.json)
        ctx.out.data(
          rows.map((r) => ({
            channel: r.channel,
            state: r.state,
            errorCode: r.errorCode,
            at: new Date(r.createdAt).toISOString(),
          })),
        );
      else
        ctx.out.line(
          table(
            ['WHEN', 'CHANNEL', 'STATE', 'ERROR'],
            rows.map((r) => [when(r.createdAt), r.channel, r.state, r.errorCode ?? '']),
          ),
        );
      return EXIT.ok;
    },
  },
];
