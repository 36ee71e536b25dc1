/**
 * Email for invitations (issue 17): SMTP settings per profile, a subject and
 * body template with placeholders, and one send through nodemailer, with
 * every failure typed. The SMTP password comes from the keychain (the caller
 * reads it) and the registration link is only ever inside the message:
 * never in an error, a log or a preview.
 *
 * Failures: the server unreachable or refusing the connection → `network`;
 * a timeout → `timeout`; bad credentials (535) → `unauthorized`; a 4xx
 * answer (try later) → `rate_limited` (retryable, with the SMTP code); a 5xx
 * answer for the message or a recipient → `refused` (not retryable).
 */
import nodemailer from 'nodemailer';
import { AppError } from '../../shared/errors.ts';
import { isLoopbackHost } from '../../shared/iampass.ts';
import { hasControlChars } from '../../shared/text.ts';

export const SMTP_SECURITY = ['tls', 'starttls', 'none'] as const;
export type SmtpSecurity = (typeof SMTP_SECURITY)[number];

export interface SmtpSettings {
  host: string;
  port: number;
  /** tls: TLS from the first byte (usually 465); starttls: upgrade required (usually 587); none: loopback only. */
  security: SmtpSecurity;
  /** Login name; none means no AUTH. */
  user?: string | null;
  /** The sender: `Name <address>` or an address. */
  from: string;
  /** PEM of a CA to trust in addition to the system's (a company's own mail server). */
  caPem?: string | null;
  /** Per connection and command, default 15 s. */
  timeoutMs?: number;
}

export interface InvitationTemplate {
  subject: string;
  body: string;
}

/** The placeholders a template may use. */
export const PLACEHOLDERS = ['displayName', 'link', 'expires', 'application'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

export const DEFAULT_TEMPLATE: InvitationTemplate = {
  subject: 'Register your phone for {application}',
  body: 'Hello {displayName},\n\nOpen this link on your phone to register it for {application}:\n\n{link}\n\nThe link works until {expires}. If you did not expect this message, ignore it.\n',
};

const PLACEHOLDER_RE = /\{([A-Za-z]+)\}/g;

function invalid(message: string, field: string): AppError {
  return new AppError('invalid_input', message, { details: { field } });
}

/** A template is valid when it names only known placeholders and its body carries `{link}` (an invitation without a link invites nobody). */
export function checkTemplate(t: InvitationTemplate): InvitationTemplate {
  for (const [field, text, max] of [
    ['subject', t.subject, 200],
    ['body', t.body, 10_000],
  ] as const) {
    if (typeof text !== 'string' || text.trim() === '' || text.length > max)
      throw invalid(`The ${field} must be 1 to ${max} characters.`, field);
    for (const m of text.matchAll(PLACEHOLDER_RE)) {
      if (!(PLACEHOLDERS as readonly string[]).includes(m[1]!)) {
        throw invalid(
          `Unknown placeholder {${m[1]!}} in the ${field}: use ${PLACEHOLDERS.map((p) => `{${p}}`).join(', ')}.`,
          field,
        );
      }
    }
  }
  if (/[\r\n]/.test(t.subject) || hasControlChars(t.subject))
    throw invalid('The subject is one line of text.', 'subject');
  if (t.subject.includes('{link}')) throw invalid('The link goes in the body, not in the subject.', 'subject');
  if (!t.body.includes('{link}'))
    throw invalid('The body must contain {link}: the registration link goes there.', 'body');
  return t;
}

/** Fills a template; `link` only here, at sending time. */
export function renderTemplate(t: InvitationTemplate, values: Record<Placeholder, string>): InvitationTemplate {
  const fill = (text: string) =>
    text.replace(PLACEHOLDER_RE, (whole, name: string) =>
      (PLACEHOLDERS as readonly string[]).includes(name) ? values[name as Placeholder] : whole,
    );
  return { subject: fill(t.subject).replace(/[\r\n]+/g, ' '), body: fill(t.body) };
}

/** What the admin sees before sending: the template filled for a user, the link shown as a mark (it never reaches the renderer). */
export function previewTemplate(
  t: InvitationTemplate,
  values: Omit<Record<Placeholder, string>, 'link'>,
): InvitationTemplate {
  return renderTemplate(checkTemplate(t), { ...values, link: '[registration link]' });
}

export function checkSettings(s: SmtpSettings): SmtpSettings {
  if (typeof s.host !== 'string' || !/^[A-Za-z0-9.-]{1,253}$|^\[[0-9A-Fa-f:.]+\]$/.test(s.host))
    throw invalid('The SMTP host is a host name or an IP address.', 'host');
  if (!Number.isInteger(s.port) || s.port < 1 || s.port > 65535)
    throw invalid('The SMTP port is a number from 1 to 65535.', 'port');
  if (!(SMTP_SECURITY as readonly string[]).includes(s.security))
    throw invalid('Security is tls, starttls or none.', 'security');
  if (s.security === 'none' && !isLoopbackHost(s.host)) {
    throw new AppError('insecure_url', 'Sending without TLS is only allowed to a loopback host; use tls or starttls.', {
      details: { field: 'security' },
    });
  }
  if (
    s.user !== undefined &&
    s.user !== null &&
    (s.user.length === 0 || s.user.length > 320 || hasControlChars(s.user))
  )
    throw invalid('The SMTP user is 1 to 320 characters.', 'user');
  if (
    typeof s.from !== 'string' ||
    !/^(?:[^<>\r\n]{0,100}<[^\s@<>]+@[^\s@<>]+>|[^\s@<>]+@[^\s@<>]+)$/.test(s.from.trim())
  ) {
    throw invalid('The sender is an address, or a name and an address: Help desk <it@example.com>.', 'from');
  }
  return s;
}

/** An SMTP failure as a typed error: the server's code and class, never the message's content. */
export function smtpError(error: unknown): AppError {
  const e = error as {
    code?: string;
    responseCode?: number;
    command?: string;
    rejectedErrors?: { responseCode?: number }[];
  };
  const code = e.responseCode ?? e.rejectedErrors?.[0]?.responseCode;
  const details = {
    ...(code === undefined ? {} : { smtpCode: code }),
    ...(e.code === undefined ? {} : { reason: String(e.code) }),
  };
  if (e.code === 'EAUTH' || code === 535 || code === 534)
    return new AppError('unauthorized', 'The SMTP server refused the user name or password.', {
      retryable: false,
      details,
    });
  if (code !== undefined && code >= 400 && code < 500)
    return new AppError('rate_limited', `The SMTP server asked to try later (${code}).`, { retryable: true, details });
  if (code !== undefined && code >= 500)
    return new AppError('refused', `The SMTP server refused the message (${code}).`, { retryable: false, details });
  if (e.code === 'ETIMEDOUT') return new AppError('timeout', 'The SMTP server did not answer in time.', { details });
  if (e.code === 'ECONNECTION' || e.code === 'ESOCKET' || e.code === 'EDNS') {
    return new AppError('network', 'The SMTP server could not be reached (connection refused, reset or TLS failure).', {
      details,
    });
  }
  return new AppError('network', 'Sending the email failed.', { details });
}

export interface Mailer {
  /** Sends one message to one recipient; resolves with the server's message ID. */
  send(message: { to: string; subject: string; text: string }): Promise<{ messageId: string }>;
  /** Checks the connection and the login without sending anything. */
  verify(): Promise<void>;
  close(): void;
}

/** A mailer on one pooled SMTP connection set (nodemailer). */
export function createMailer(settings: SmtpSettings, password: string | null): Mailer {
  const s = checkSettings(settings);
  const timeout = s.timeoutMs ?? 15_000;
  const transport = nodemailer.createTransport({
    host: s.host,
    port: s.port,
    secure: s.security === 'tls',
    requireTLS: s.security === 'starttls',
    ignoreTLS: s.security === 'none',
    ...(s.user ? { auth: { user: s.user, pass: password ?? '' } } : {}),
    tls: { ...(s.caPem ? { ca: [s.caPem] } : {}), minVersion: 'TLSv1.2' },
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
    pool: true,
    maxConnections: 2,
    logger: false,
    debug: false,
  });
  return {
    async send(message) {
      try {
        const info = (await transport.sendMail({
          from: s.from,
          to: message.to,
          subject: message.subject,
          text: message.text,
        })) as { messageId: string; rejected: unknown[] };
        if (info.rejected.length > 0) throw smtpError({ responseCode: 550 });
        return { messageId: info.messageId };
      } catch (error) {
        throw error instanceof AppError ? error : smtpError(error);
      }
    },
    async verify() {
      try {
        await transport.verify();
      } catch (error) {
        throw smtpError(error);
      }
    },
    close() {
      transport.close();
    },
  };
}
