// Invitations on the real sandbox (its virtual phone and SMS inbox), a real
// SMTP server in this process (STARTTLS + AUTH, smtp-server), real SQLite and
// the real keychain: contacts, email and SMS invitations the phone registers
// from, the funnel, the throttle on an injected clock, SMTP 4xx retried and
// 5xx failed, a message left mid-send never sent again, no link or password
// anywhere but in the message.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { SMTPServer } from 'smtp-server';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { InvitationsService } from '../../../src/main/services/invitations.ts';
import { beginInvitation } from '../../../src/main/store/invitations.ts';
import { startSandbox } from '../../../src/sandbox/server.ts';
import type { JobFinished } from '../../../src/shared/ipc/jobs.ts';
import { usersFixture, type UsersFixture } from '../users/fixture.ts';
import { filesContain } from './helpers.ts';

const SMTP_USER = 'invites@example.com';
const SMTP_PASSWORD = 'smtp-password-never-stored-5678';

interface Received {
  to: string;
  raw: string;
}
let smtp: SMTPServer;
let smtpPort: number;
let ca: string;
const received: Received[] = [];
/** Recipient -> SMTP codes to answer, in order (then accept). */
const answers = new Map<string, number[]>();

const unQp = (raw: string) =>
  raw.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
const linkIn = (raw: string) =>
  /http:\/\/127\.0\.0\.1:\d+\/sandbox\/phone\/register\/[A-Za-z0-9_-]+/.exec(unQp(raw))?.[0];

beforeAll(async () => {
  const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keySize: 2048,
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
  });
  ca = pems.cert;
  smtp = new SMTPServer({
    key: pems.private,
    cert: pems.cert,
    authMethods: ['PLAIN', 'LOGIN'],
    onAuth: (auth, _s, done) =>
      auth.username === SMTP_USER && auth.password === SMTP_PASSWORD
        ? done(null, { user: SMTP_USER })
        : done(new Error('no')),
    onRcptTo(address, _s, done) {
      const code = answers.get(address.address)?.shift();
      if (code !== undefined) done(Object.assign(new Error(`code ${code}`), { responseCode: code }));
      else done();
    },
    onData(stream, session, done) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        for (const r of session.envelope.rcptTo)
          received.push({ to: r.address, raw: Buffer.concat(chunks).toString('utf8') });
        done();
      });
    },
    logger: false,
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  smtpPort = (smtp.server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => smtp.close(() => resolve())));

let fx: UsersFixture | null = null;
afterEach(async () => {
  await fx?.close();
  fx = null;
});

/** A fake clock for the throttle: sleeping advances it and records the wait. */
function clock() {
  let t = 1_800_000_000_000;
  const waits: number[] = [];
  return {
    waits,
    now: () => t,
    sleep: (ms: number) => {
      waits.push(Math.round(ms));
      if (ms > 0) t += ms;
      return Promise.resolve();
    },
    advance: (ms: number) => void (t += ms),
  };
}

async function setup(perMinute = 6000) {
  const f = (fx = await usersFixture());
  const c = clock();
  const invitations = new InvitationsService({
    store: f.services.store,
    secrets: f.services.secrets,
    audit: f.services.audit,
    users: f.services.users,
    now: c.now,
    sleep: c.sleep,
  });
  await invitations.saveSettings({
    smtp: {
      host: '127.0.0.1',
      port: smtpPort,
      security: 'starttls',
      user: SMTP_USER,
      from: 'Help desk <it@example.com>',
      caPem: ca,
    },
    password: SMTP_PASSWORD,
    perMinute,
  });
  const finished = async (jobId: string): Promise<JobFinished> => (await f.services.users.jobs.wait(jobId))!;
  return { f, c, invitations, finished };
}

describe('contacts', () => {
  it('validated and normalized (E.164 by libphonenumber-js); refused for users not in the directory; none kept when the profile turns them off', async () => {
    const { f, invitations } = await setup();
    await f.finished(f.services.users.add([{ userId: 'ann' }]));
    expect(invitations.setContact('ann', { email: ' ann@example.com ', phone: '+1 (415) 555-2671' })).toEqual({
      userId: 'ann',
      email: 'ann@example.com',
      phone: '+14155552671',
    });
    for (const [contact, field] of [
      [{ email: 'ann@' }, 'email'],
      [{ email: 'Ann <ann@example.com>' }, 'email'],
      [{ phone: '0612345678' }, 'phone'],
      [{ phone: '+1 555 123 0001' }, 'phone'],
    ] as const) {
      expect(() => invitations.setContact('ann', contact)).toThrow(
        expect.objectContaining({ code: 'invalid_input', details: { field } }),
      );
    }
    expect(invitations.contacts(['ann']).get('ann')?.phone).toBe('+14155552671');
    expect(() => invitations.setContact('nobody', { email: 'x@example.com' })).toThrow(
      expect.objectContaining({ code: 'missing' }),
    );
    await invitations.saveSettings({ storeContacts: false });
    expect(invitations.contacts(['ann']).size).toBe(0);
    expect(() => invitations.setContact('ann', { email: 'ann@example.com' })).toThrow(
      expect.objectContaining({ code: 'conflict' }),
    );
  });
});

describe('inviting', () => {
  it('3 by email and 2 by SMS: the phone registers from each; the funnel shows 5 of 5; no link or password outside the messages', async () => {
    const { f, invitations, finished } = await setup();
    const byEmail = ['e1', 'e2', 'e3'];
    const bySms = ['s1', 's2'];
    await f.finished(
      f.services.users.add([...byEmail, ...bySms].map((userId) => ({ userId, displayName: `User ${userId}` }))),
    );
    byEmail.forEach((u) => invitations.setContact(u, { email: `${u}@example.com` }));
    bySms.forEach((u, i) => invitations.setContact(u, { phone: `+1415555267${String(i)}` }));
    const mail = await finished(invitations.invite(byEmail, { channel: 'email' }));
    expect(mail.rows.map((r) => r.result)).toEqual(['sent', 'sent', 'sent']);
    const sms = await finished(invitations.invite(bySms, { channel: 'sms', smsMessage: 'Join Lab:' }));
    expect(sms.rows.map((r) => r.result)).toEqual(['sent', 'sent']);
    const links: string[] = [];
    for (const u of byEmail) {
      const got = received.filter((r) => r.to === `${u}@example.com`);
      expect(got).toHaveLength(1);
      expect(got[0]!.raw).toMatch(/^Subject: Register your phone for Sandbox\r?$/m);
      expect(unQp(got[0]!.raw)).toContain(`Hello User ${u},`);
      const link = linkIn(got[0]!.raw)!;
      links.push(link);
      await f.phone.register(link);
    }
    for (const [i] of bySms.entries()) {
      const texts = await f.phone.sms(`+1415555267${String(i)}`);
      expect(texts).toHaveLength(1);
      expect(texts[0]!.text).toMatch(/^Join Lab: http/);
      await f.phone.registerFromSms(`+1415555267${String(i)}`);
    }
    await f.finished(f.services.users.refreshStatus({ all: true }));
    expect(invitations.funnel()).toMatchObject({ invited: 5, registered: 5 });
    expect(invitations.history('e1')).toEqual([expect.objectContaining({ channel: 'email', state: 'sent' })]);
    // Invited again: everyone is registered now, nobody gets a second message.
    const again = await finished(invitations.invite([...byEmail, ...bySms], { channel: 'email', remind: true }));
    expect(again.rows.every((r) => r.result === 'existing' && r.reason === 'Already registered a phone.')).toBe(true);
    // The link and the SMTP password are only in the messages.
    for (const secret of [...links, SMTP_PASSWORD]) {
      expect(filesContain(f.dir, secret)).toEqual([]);
      expect(f.services.audit.exportCsv()).not.toContain(secret);
      expect(JSON.stringify([mail, sms, again, await invitations.settings(), invitations.preview('e1')])).not.toContain(
        secret,
      );
    }
    expect(invitations.preview('e1').body).toContain('[registration link]');
  });

  it('throttled on the profile rate (an injected clock): one message every 500 ms at 120 per minute', async () => {
    const { f, c, invitations, finished } = await setup(120);
    await f.finished(f.services.users.add(['t1', 't2', 't3'].map((userId) => ({ userId }))));
    ['t1', 't2', 't3'].forEach((u) => invitations.setContact(u, { email: `${u}@example.com` }));
    const r = await finished(invitations.invite(['t1', 't2', 't3'], { channel: 'email' }));
    expect(r.counts).toEqual({ sent: 3 });
    expect(c.waits).toEqual([0, 500, 500]);
  });

  it('SMTP 4xx is tried again later and goes; 5xx fails with its code; skipped: no address, invited recently, not in the directory', async () => {
    const { f, invitations, finished } = await setup();
    await f.finished(f.services.users.add(['later', 'never', 'noaddr', 'recent'].map((userId) => ({ userId }))));
    invitations.setContact('later', { email: 'later@example.com' });
    invitations.setContact('never', { email: 'never@example.com' });
    invitations.setContact('recent', { email: 'recent@example.com' });
    answers.set('later@example.com', [451, 452]);
    answers.set('never@example.com', [550]);
    await finished(invitations.invite(['recent'], { channel: 'email' }));
    const r = await finished(invitations.invite(['later', 'never', 'noaddr', 'recent', 'ghost'], { channel: 'email' }));
    expect(r.rows.map((x) => [x.userId, x.result, x.code ?? null])).toEqual([
      ['later', 'sent', null],
      ['never', 'failed', 'refused'],
      ['noaddr', 'missing', null],
      ['recent', 'existing', null],
      ['ghost', 'missing', null],
    ]);
    expect(received.filter((m) => m.to === 'later@example.com')).toHaveLength(1);
    expect(received.filter((m) => m.to === 'never@example.com')).toHaveLength(0);
    expect(received.filter((m) => m.to === 'recent@example.com')).toHaveLength(1);
  });

  it('a message a dead process left mid-send is never sent again; resuming sends the rest', async () => {
    const { f, c, invitations, finished } = await setup();
    await f.finished(f.services.users.add(['r1', 'r2', 'r3'].map((userId) => ({ userId }))));
    ['r1', 'r2', 'r3'].forEach((u) => invitations.setContact(u, { email: `${u}@example.com` }));
    // As a killed run leaves it: r1's message written `sending` by a process that no longer exists.
    beginInvitation(f.services.store, f.profileId, {
      userId: 'r1',
      channel: 'email',
      jobId: 'dead',
      owner: 'nowhere.invalid:1:dead',
      now: c.now(),
    });
    // (nowhere.invalid is another host: taken as alive. A dead owner on this host:)
    beginInvitation(f.services.store, f.profileId, {
      userId: 'r2',
      channel: 'email',
      jobId: 'dead',
      owner: `${(await import('node:os')).hostname()}:999999:dead`,
      now: c.now(),
    });
    const r = await finished(invitations.invite(['r1', 'r2', 'r3'], { channel: 'email' }));
    expect(r.rows.map((x) => [x.userId, x.result])).toEqual([
      ['r1', 'existing'],
      ['r2', 'existing'],
      ['r3', 'sent'],
    ]);
    expect(r.rows[1]!.reason).toContain('may or may not have gone');
    expect(invitations.history('r2')[0]).toMatchObject({ state: 'unknown' });
    expect(received.filter((m) => ['r1@example.com', 'r2@example.com'].includes(m.to))).toHaveLength(0);
    expect(received.filter((m) => m.to === 'r3@example.com')).toHaveLength(1);
  });

  it('a service without the SMS route: the rows say so and offer email or QR', async () => {
    const { f, finished } = await setup();
    const without = await startSandbox({ sms: false });
    try {
      const p = await f.services.applications.add({
        name: 'NoSms',
        flavour: 'Sandbox',
        baseUrl: without.baseUrl,
        applicationId: without.applicationId,
        secret: without.applicationSecret,
      });
      f.services.applications.setActive(p.id);
      const invitations = new InvitationsService({
        store: f.services.store,
        secrets: f.services.secrets,
        audit: f.services.audit,
        users: f.services.users,
      });
      await f.finished(f.services.users.add([{ userId: 'n1' }, { userId: 'n2' }]));
      invitations.setContact('n1', { phone: '+14155552671' });
      invitations.setContact('n2', { phone: '+14155552672' });
      const r = await finished(invitations.invite(['n1', 'n2'], { channel: 'sms' }));
      expect(r.rows.map((x) => [x.result, x.code])).toEqual([
        ['failed', 'not_found'],
        ['failed', 'not_found'],
      ]);
      expect(r.rows[1]!.reason).toContain('does not send SMS');
    } finally {
      await without.close();
    }
  });
});

describe('a console process killed mid-invitation', () => {
  it('SIGKILL after the 3rd message, then inviting again: every user received exactly one message', async () => {
    const f = (fx = await usersFixture());
    const invitations = new InvitationsService({
      store: f.services.store,
      secrets: f.services.secrets,
      audit: f.services.audit,
      users: f.services.users,
    });
    await invitations.saveSettings({
      smtp: {
        host: '127.0.0.1',
        port: smtpPort,
        security: 'starttls',
        user: SMTP_USER,
        from: 'it@example.com',
        caPem: ca,
      },
      password: SMTP_PASSWORD,
      perMinute: 600, // one message every 100 ms: the kill lands between two
    });
    const ids = Array.from({ length: 8 }, (_, i) => `k${String(i)}`);
    await f.finished(f.services.users.add(ids.map((userId) => ({ userId }))));
    ids.forEach((u) => invitations.setContact(u, { email: `${u}@kill.example` }));
    const file = join(f.dir, 'ids.txt');
    writeFileSync(file, `${ids.join('\n')}\n`);
    const count = () => received.filter((m) => m.to.endsWith('@kill.example')).length;
    const child = spawn(process.execPath, [join(import.meta.dirname, '../users/job-child.ts'), f.dir, 'invite', file], {
      env: { ...process.env, IAMPASS_KEYCHAIN_SERVICE: f.keychainService },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise((done) => child.once('exit', done));
    await expect.poll(count, { timeout: 20_000, interval: 5 }).toBeGreaterThanOrEqual(3);
    // Right after the 3rd message arrived: the next one is ~100 ms away.
    child.kill('SIGKILL');
    await exited;
    const before = count();
    expect(before).toBeLessThan(ids.length);
    const resumed = await f.services.users.jobs.wait(invitations.invite(ids, { channel: 'email' }));
    expect(resumed!.counts.sent).toBe(ids.length - before);
    for (const u of ids) expect([u, received.filter((m) => m.to === `${u}@kill.example`).length]).toEqual([u, 1]);
  }, 40_000);
});

describe('contacts from a CSV import', () => {
  it('email and phone columns are guessed and kept for the users now in the directory; an invalid one is named in the row and not kept', async () => {
    const { f, invitations, finished } = await setup();
    const csv =
      'user_id,name,email,mobile\ncsv1,One,one@example.com,+1 415 555 2671\ncsv2,Two,not-an-email,\ncsv3,Three,,+1 555 000 0000\n';
    const preview = await f.services.users.previewCsv(csv);
    expect(preview.mapping).toEqual({ userId: 0, displayName: 1, email: 2, phone: 3 });
    const r = await finished(f.services.users.importCsv(csv, preview.mapping, true));
    expect(r.rows.map((x) => x.result)).toEqual(['created', 'created', 'created']);
    expect(r.rows[1]!.reason).toMatch(/Contact not kept: The email address is not valid/);
    expect(r.rows[2]!.reason).toMatch(/Contact not kept: The phone number \+15550000000 is not a valid number/);
    const kept = invitations.contacts(['csv1', 'csv2', 'csv3']);
    expect(kept.get('csv1')).toEqual({ userId: 'csv1', email: 'one@example.com', phone: '+14155552671' });
    expect(kept.has('csv2')).toBe(false);
    expect(kept.has('csv3')).toBe(false);
    // Imported again with only the email column: the phone kept before stays.
    await finished(
      f.services.users.importCsv(
        'user_id,email\ncsv1,uno@example.com\n',
        { userId: 0, displayName: null, email: 1, phone: null },
        true,
      ),
    );
    expect(invitations.contacts(['csv1']).get('csv1')).toEqual({
      userId: 'csv1',
      email: 'uno@example.com',
      phone: '+14155552671',
    });
  });
});
