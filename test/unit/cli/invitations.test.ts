// The invitation commands as a user runs them (the bin as a subprocess) on
// the sandbox and a real SMTP server on loopback: contacts, the email
// settings with the password from the environment, an SMS invitation the
// virtual phone registers from, an email invitation, the funnel, history.
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { generate } from 'selfsigned';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { VirtualPhone } from '../../../src/sandbox/phone.ts';
import { startSandbox, type Sandbox } from '../../../src/sandbox/server.ts';
import { filesContain, tempDir, testKeychain } from '../services/helpers.ts';
import { run, type Ran } from '../../support/run.ts';

const BIN = join(resolve(import.meta.dirname, '../../..'), 'bin', 'iampass-admin.mjs');
const SMTP_PASSWORD = 'cli-smtp-password-9012';

let sandbox: Sandbox;
let phone: VirtualPhone;
let smtp: SMTPServer;
let smtpPort: number;
let caFile: string;
const mails: { to: string; raw: string }[] = [];
const tmp = tempDir();
const kc = testKeychain();

function cli(args: string[], env: Record<string, string> = {}): Promise<Ran> {
  return run(process.execPath, [BIN, '--data', join(tmp.dir, 'data'), ...args], {
    env: {
      ...process.env,
      IAMPASS_KEYCHAIN_SERVICE: kc.keychain.service,
      IAMPASS_APP_SECRET: sandbox.applicationSecret,
      ...env,
    },
  });
}

beforeAll(async () => {
  sandbox = await startSandbox({});
  phone = new VirtualPhone(sandbox.baseUrl);
  const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keySize: 2048,
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
  });
  caFile = join(tmp.dir, 'ca.pem');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(caFile, pems.cert);
  smtp = new SMTPServer({
    key: pems.private,
    cert: pems.cert,
    authMethods: ['PLAIN', 'LOGIN'],
    onAuth: (auth, _s, done) =>
      auth.password === SMTP_PASSWORD ? done(null, { user: auth.username }) : done(new Error('no')),
    onData(stream, session, done) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        for (const r of session.envelope.rcptTo)
          mails.push({ to: r.address, raw: Buffer.concat(chunks).toString('utf8') });
        done();
      });
    },
    logger: false,
  });
  await new Promise<void>((ok) => smtp.listen(0, '127.0.0.1', ok));
  smtpPort = (smtp.server.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise<void>((ok) => smtp.close(() => ok()));
  await sandbox.close();
  await kc.cleanup();
  tmp.cleanup();
});

it('contacts, email settings, an SMS and an email invitation, the funnel and the history through the CLI', async () => {
  const base = ['--base-url', sandbox.baseUrl, '--app-id', sandbox.applicationId];
  const added = await cli(['apps', 'add', 'Lab', ...base, '--use']);
  expect(added.code, added.stderr).toBe(0);
  expect((await cli(['users', 'add', 'amy', 'ben'])).code).toBe(0);
  const contact = await cli(['users', 'contact', 'amy', '--phone', '+1 415 555 2671', '--json']);
  expect(JSON.parse(contact.stdout)).toEqual({ userId: 'amy', email: null, phone: '+14155552671' });
  expect((await cli(['users', 'contact', 'ben', '--email', 'ben@example.com'])).stdout).toContain(
    'email ben@example.com',
  );
  expect((await cli(['users', 'contact', 'ben', '--phone', '12345'])).code).toBe(2);
  // The password from the environment, never an argument; into the keychain.
  const settings = await cli(
    [
      'invitations',
      'email',
      '--host',
      '127.0.0.1',
      '--port',
      String(smtpPort),
      '--security',
      'starttls',
      '--from',
      'IT <it@example.com>',
      '--user',
      'it',
      '--ca',
      caFile,
    ],
    { IAMPASS_SMTP_PASSWORD: SMTP_PASSWORD },
  );
  expect(settings.code, settings.stderr).toBe(0);
  expect(settings.stdout).toContain('password stored');
  const sms = await cli(['users', 'invite', 'amy', '--channel', 'sms', '--json']);
  expect(sms.code, sms.stderr).toBe(0);
  expect(JSON.parse(sms.stdout)).toMatchObject({ counts: { sent: 1 } });
  await phone.registerFromSms('+14155552671');
  const mail = await cli(['users', 'invite', 'ben', 'amy', '--channel', 'email']);
  expect(mail.stdout).toMatch(/ben\s+sent/);
  expect(mail.stdout).toMatch(/amy\s+existing\s+Invited/);
  expect(mails.filter((m) => m.to === 'ben@example.com')).toHaveLength(1);
  expect((await cli(['users', 'status', '--all'])).code).toBe(0);
  expect(JSON.parse((await cli(['invitations', 'funnel', '--json'])).stdout)).toMatchObject({
    invited: 2,
    registered: 1,
  });
  expect((await cli(['invitations', 'history', 'ben'])).stdout).toMatch(/email\s+sent/);
  // No password or link outside the message and the keychain.
  const link = /http:\/\/\S+\/register\/[A-Za-z0-9_-]+/.exec(mails[0]!.raw.replace(/=\r\n/g, ''))?.[0];
  expect(link).toBeTruthy();
  for (const secret of [SMTP_PASSWORD, link!]) {
    expect(filesContain(join(tmp.dir, 'data'), secret)).toEqual([]);
    for (const r of [settings, sms, mail]) expect(r.stdout + r.stderr).not.toContain(secret);
  }
});
