// Invitation email through a real SMTP server in this process (smtp-server,
// nodemailer's project) on loopback, with STARTTLS on a certificate made for
// the test and AUTH: what the server receives, and every failure typed.
import { generate } from 'selfsigned';
import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkTemplate,
  createMailer,
  DEFAULT_TEMPLATE,
  previewTemplate,
  renderTemplate,
  type SmtpSettings,
} from '../../../src/main/services/mailer.ts';

const USER = 'invites@example.com';
const PASSWORD = 'smtp-password-not-in-any-log-1234';
const LINK = 'http://127.0.0.1:9/sandbox/phone/register/AbCdEf0123456789_token';

interface Received {
  from: string;
  to: string[];
  raw: string;
}

let server: SMTPServer;
let port: number;
let ca: string;
const received: Received[] = [];
/** Recipients the server answers with this SMTP code (4xx: try later; 5xx: refused). */
const answers = new Map<string, number>();

/** Quoted-printable soft breaks and escapes undone, so the body reads as sent. */
function unQp(raw: string): string {
  return raw.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

beforeAll(async () => {
  const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keySize: 2048,
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
  });
  ca = pems.cert;
  server = new SMTPServer({
    key: pems.private,
    cert: pems.cert,
    authMethods: ['PLAIN', 'LOGIN'],
    onAuth(auth, _session, done) {
      if (auth.username === USER && auth.password === PASSWORD) done(null, { user: USER });
      else done(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onRcptTo(address, _session, done) {
      const code = answers.get(address.address);
      if (code !== undefined) done(Object.assign(new Error(`no (${code})`), { responseCode: code }));
      else done();
    },
    onData(stream, session, done) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        done();
      });
    },
    logger: false,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const settings = (extra: Partial<SmtpSettings> = {}): SmtpSettings => ({
  host: '127.0.0.1',
  port,
  security: 'starttls',
  user: USER,
  from: 'Help desk <it@example.com>',
  caPem: ca,
  timeoutMs: 5000,
  ...extra,
});

describe('templates', () => {
  it('fill the placeholders; the preview shows a mark where the link goes; a template without {link} or with an unknown placeholder is refused', () => {
    const values = { displayName: 'Zoë', application: 'Lab', expires: '2026-12-05 10:00 UTC' };
    const sent = renderTemplate(DEFAULT_TEMPLATE, { ...values, link: LINK });
    expect(sent.subject).toBe('Register your phone for Lab');
    expect(sent.body).toContain(`Hello Zoë,`);
    expect(sent.body).toContain(LINK);
    const preview = previewTemplate(DEFAULT_TEMPLATE, values);
    expect(preview.body).toContain('[registration link]');
    expect(JSON.stringify(preview)).not.toContain('http');
    expect(() => checkTemplate({ subject: 'Hi', body: 'no link here' })).toThrow(
      expect.objectContaining({ code: 'invalid_input' }),
    );
    expect(() => checkTemplate({ subject: 'Hi {name}', body: '{link}' })).toThrow(/Unknown placeholder \{name\}/);
    expect(() => checkTemplate({ subject: 'Hi\nBcc: x@y', body: '{link}' })).toThrow(/one line/);
    expect(() => checkTemplate({ subject: 'Your {link}', body: '{link}' })).toThrow(/not in the subject/);
    // A display name that looks like a placeholder is text, not a second link.
    expect(
      renderTemplate({ subject: 'Hi', body: '{displayName} {link}' }, { ...values, displayName: '{link}', link: 'L' })
        .body,
    ).toBe('{link} L');
  });
});

describe('sending', () => {
  it('STARTTLS + AUTH: the message arrives once, from the sender, with the subject and the link in the body', async () => {
    const mailer = createMailer(settings(), PASSWORD);
    try {
      const message = renderTemplate(DEFAULT_TEMPLATE, {
        displayName: 'Ann',
        application: 'Lab',
        expires: 'tomorrow',
        link: LINK,
      });
      const { messageId } = await mailer.send({
        to: 'ann@example.com',
        ...{ subject: message.subject, text: message.body },
      });
      expect(messageId).toMatch(/@/);
      const got = received.filter((r) => r.to.includes('ann@example.com'));
      expect(got).toHaveLength(1);
      expect(got[0]!.from).toBe('it@example.com');
      expect(got[0]!.raw).toMatch(/^Subject: Register your phone for Lab\r?$/m);
      expect(unQp(got[0]!.raw)).toContain(LINK);
    } finally {
      mailer.close();
    }
  });

  it('failures are typed and never carry the password or the link: wrong password, 4xx (later), 5xx (refused), server down, no TLS to a remote host', async () => {
    const errors: unknown[] = [];
    const wrong = createMailer(settings(), 'not-the-password');
    try {
      await expect(wrong.verify()).rejects.toMatchObject({ code: 'unauthorized', details: { smtpCode: 535 } });
      errors.push(await wrong.send({ to: 'x@example.com', subject: 's', text: LINK }).catch((e: unknown) => e));
    } finally {
      wrong.close();
    }
    answers.set('later@example.com', 451);
    answers.set('never@example.com', 550);
    const mailer = createMailer(settings(), PASSWORD);
    try {
      const later = await mailer.send({ to: 'later@example.com', subject: 's', text: LINK }).catch((e: unknown) => e);
      expect(later).toMatchObject({ code: 'rate_limited', retryable: true, details: { smtpCode: 451 } });
      const never = await mailer.send({ to: 'never@example.com', subject: 's', text: LINK }).catch((e: unknown) => e);
      expect(never).toMatchObject({ code: 'refused', retryable: false, details: { smtpCode: 550 } });
      errors.push(later, never);
    } finally {
      mailer.close();
    }
    const down = createMailer(settings({ port: 9 }), PASSWORD);
    try {
      const e = await down.send({ to: 'x@example.com', subject: 's', text: LINK }).catch((err: unknown) => err);
      expect(e).toMatchObject({ code: 'network' });
      errors.push(e);
    } finally {
      down.close();
    }
    expect(() => createMailer(settings({ host: 'mail.example.com', security: 'none' }), PASSWORD)).toThrow(
      expect.objectContaining({ code: 'insecure_url' }),
    );
    for (const e of errors) {
      const text = JSON.stringify({ message: (e as Error).message, details: (e as { details?: unknown }).details });
      expect(text).not.toContain(PASSWORD);
      expect(text).not.toContain(LINK);
    }
    expect(received.filter((r) => r.to.includes('later@example.com') || r.to.includes('never@example.com'))).toEqual(
      [],
    );
  });

  it('a server certificate nobody vouches for is refused (no silent downgrade)', async () => {
    const mailer = createMailer(settings({ caPem: null }), PASSWORD);
    try {
      await expect(mailer.verify()).rejects.toMatchObject({ code: 'network' });
    } finally {
      mailer.close();
    }
  });
});
