/**
 * 1,000 email invitations (issue 17): the users.invite job against the
 * sandbox (a registration link per user, signed and verified, in its own
 * process) and a real SMTP server in this process on loopback (STARTTLS with
 * a test certificate, AUTH), at the highest rate a profile may set (6,000
 * per minute). Reports the job's time and messages/s and checks that every
 * user received exactly one message.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { SMTPServer } from 'smtp-server';
import { openServices } from '../src/main/services/index.ts';
import { metric, type Bench } from './harness.ts';
import { memorySecrets, spawnSandbox, useSandboxProfile } from './support.ts';

const bench: Bench = async ({ quick, log }) => {
  const USERS = quick ? 100 : 1000;
  const app = { id: randomBytes(16).toString('hex'), secret: randomBytes(24).toString('hex') };
  const sandbox = await spawnSandbox(app);
  const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keySize: 2048,
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
  });
  const perRecipient = new Map<string, number>();
  const smtp = new SMTPServer({
    key: pems.private,
    cert: pems.cert,
    authMethods: ['PLAIN'],
    onAuth: (_auth, _s, done) => done(null, { user: 'bench' }),
    onData(stream, session, done) {
      stream.on('data', () => undefined);
      stream.on('end', () => {
        for (const r of session.envelope.rcptTo) perRecipient.set(r.address, (perRecipient.get(r.address) ?? 0) + 1);
        done();
      });
    },
    logger: false,
  });
  await new Promise<void>((ok) => smtp.listen(0, '127.0.0.1', ok));
  const dir = mkdtempSync(join(tmpdir(), 'iampass-bench-invite-'));
  const services = openServices({ dataDir: dir, secrets: memorySecrets() });
  try {
    await useSandboxProfile(services, sandbox.baseUrl, app);
    const ids = Array.from({ length: USERS }, (_, i) => `invitee${String(i).padStart(4, '0')}`);
    await services.users.jobs.wait(
      services.users.add(ids.map((userId) => ({ userId, displayName: `Invitee ${userId}` }))),
    );
    for (const id of ids) services.invitations.setContact(id, { email: `${id}@bench.example` });
    await services.invitations.saveSettings({
      smtp: {
        host: '127.0.0.1',
        port: (smtp.server.address() as AddressInfo).port,
        security: 'starttls',
        user: 'bench',
        from: 'it@example.com',
        caPem: pems.cert,
      },
      password: 'bench-password',
      perMinute: 6000,
    });
    log(`inviting ${USERS} users by email at 6,000 per minute`);
    const t0 = performance.now();
    const result = await services.users.jobs.wait(services.invitations.invite(ids, { channel: 'email' }));
    const ms = performance.now() - t0;
    const once = ids.every((id) => perRecipient.get(`${id}@bench.example`) === 1);
    if (!result || result.counts.sent !== USERS || !once)
      throw new Error(`unexpected: ${JSON.stringify(result?.counts)}; exactly once: ${String(once)}`);
    return {
      id: 'invitations',
      title: `${USERS.toLocaleString('en')} email invitations to a loopback SMTP server`,
      metrics: [
        metric('invitation job', Math.round(ms), 'ms'),
        metric('messages per second', Math.round((USERS / ms) * 10_000) / 10, 'msg/s', { op: '>=', value: 90 }),
        metric('users who received exactly one message', perRecipient.size, 'users', { op: '>=', value: USERS }),
      ],
      notes: [
        'the profile rate is 6,000 per minute (100 per second): the throttle, not SMTP, sets the pace; the target is 90 % of it',
        'each message: a registration link from the sandbox (own process, signatures verified), then SMTP with STARTTLS and AUTH (pooled, 2 connections)',
      ],
    };
  } finally {
    await services.close();
    await new Promise<void>((ok) => smtp.close(() => ok()));
    await sandbox.close();
    rmSync(dir, { recursive: true, force: true });
  }
};
export default bench;
