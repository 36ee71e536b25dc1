import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { startSandbox } from '../../../src/sandbox/server.ts';
import { Harness, ManualClock, signed } from './helpers.ts';

describe('sandbox persistence (--data FILE)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sandbox-persist-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps applications, users, devices, links and sessions across a restart; file is 0600 and holds no link', async () => {
    const dataFile = join(dir, 'state.json');
    const h = await Harness.start({ dataFile });
    await h.enrol('alice');
    await h.addUsers(['bob']);
    const bobLink = await h.link('bob');
    const s = (await h.authenticate('alice')).session!;
    await h.phone.approve(s.token);
    const extra = await h.phone.createApplication();
    await h.close();

    const text = readFileSync(dataFile, 'utf8');
    expect(statSync(dataFile).mode & 0o777).toBe(0o600);
    const token = bobLink.split('/').pop()!;
    expect(text).not.toContain(token);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);

    const h2 = await Harness.start({ dataFile });
    try {
      expect(h2.app).toEqual(h.app);
      expect(await h2.hasDevice('alice')).toBe(true);
      expect(await h2.hasDevice('bob')).toBe(false);
      const moved = {
        ...s,
        statusUrl: `${h2.sandbox.baseUrl}/authentication/status/${s.token}`,
        logoutUrl: `${h2.sandbox.baseUrl}/authentication/logout/${s.token}`,
      };
      expect(await h2.status(moved)).toBe('active');
      // The unopened link still works after the restart (its hash was kept).
      await h2.phone.register(`${h2.sandbox.baseUrl}/sandbox/phone/register/${token}`);
      expect(await h2.hasDevice('bob')).toBe(true);
      const a = await signed(
        'POST',
        `${h2.sandbox.baseUrl}/management/add_users/${extra.id}`,
        { clientId: extra.id, secret: extra.secret },
        { body: '{"users":["z"]}' },
      );
      expect(a.status).toBe(201);
    } finally {
      await h2.close();
    }
  });

  it('SIGKILL while it is writing: the file always parses, every restart loads, and what survives is a prefix of what was acknowledged', async () => {
    const MAIN = fileURLToPath(new URL('../../../src/sandbox/main.ts', import.meta.url));
    const dataFile = join(dir, 'killed.json');
    const appId = 'FEEDFACE0123456789ABCDEF01234567';
    const secret = 'FEEDFACE0123456789ABCDEF0123456789ABCDEF01234567';
    const settled: string[] = []; // acknowledged, so on disk: a change is answered only after the write that holds it
    for (let round = 0; round < 4; round++) {
      const child = spawn(
        process.execPath,
        [MAIN, '--port', '0', '--app-id', appId, '--app-secret', secret, '--data', dataFile],
        { stdio: ['ignore', 'pipe', 'ignore'] },
      );
      const exited = once(child, 'exit');
      const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
      const ready = JSON.parse(line) as {
        baseUrl: string;
        phoneUrl: string;
        applicationId: string;
        applicationSecret: string;
      };
      const h = new Harness({ ...ready, close: () => Promise.resolve() });
      const present = async (user: string) =>
        (await signed('GET', h.mgmt('has_registered_mobile_device', user), h.app)).status === 200;
      // Everything settled in earlier rounds survived the kills.
      for (const user of settled) expect(await present(user), user).toBe(true);
      // Settled: acknowledged (no waiting needed for the disk: the answer comes after the write).
      const a = Array.from({ length: 5 }, (_, i) => `settled-${round}-${i}`);
      expect((await h.addUsers(a)).status).toBe(201);
      settled.push(...a);
      // Then a stream of acknowledged batches, a few more each round, and a SIGKILL at its end (writes are grouped over 50 ms and run back to back).
      const stream: string[][] = [];
      while (stream.length < 3 + round) {
        const batch = Array.from({ length: 20 }, (_, i) => `r${round}-b${stream.length}-${i}`);
        expect((await h.addUsers(batch)).status).toBe(201);
        stream.push(batch);
      }
      child.kill('SIGKILL');
      await exited;
      // The file is whole (old or new snapshot, never torn) and holds no half batch.
      const saved = JSON.stringify(JSON.parse(readFileSync(dataFile, 'utf8')));
      const kept = stream.map((batch) => batch.filter((u) => saved.includes(`"${u}"`)).length);
      for (const n of kept) expect([0, 20]).toContain(n);
      // Snapshots are taken in order: the batches on disk are a prefix of the acknowledged stream.
      const firstMissing = kept.indexOf(0);
      if (firstMissing >= 0) expect(kept.slice(firstMissing).every((n) => n === 0)).toBe(true);
      for (const user of settled) expect(saved).toContain(`"${user}"`);
    }
    // A final clean start loads the state the last kill left.
    const last = await startSandbox({ dataFile });
    try {
      expect(last.applicationId).toBe(appId);
    } finally {
      await last.close();
    }
  }, 60_000);

  it("with a secret key, application and session secrets are stored only sealed; another key keeps only the caller's own application", async () => {
    const dataFile = join(dir, 'sealed.json');
    const key = Buffer.alloc(32, 7);
    const own = { id: 'ABCDEF0123456789ABCDEF0123456789', secret: 'ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789' };
    // A plain file from before (no key) is sealed on the next write.
    const plain = await Harness.start({ dataFile, application: own });
    await plain.enrol('alice');
    await plain.close();
    expect(readFileSync(dataFile, 'utf8')).toContain(own.secret);

    const h = await Harness.start({ dataFile, application: own, secretKey: key });
    const s = (await h.authenticate('alice')).session!;
    await h.phone.approve(s.token);
    const extra = await h.phone.createApplication();
    await h.close();
    const text = readFileSync(dataFile, 'utf8');
    for (const secret of [own.secret, s.secret, extra.secret]) expect(text).not.toContain(secret);
    expect(text).toContain('sealedSecret');

    // Same key, no application passed: everything is back, including the session and the extra application.
    const same = await Harness.start({ dataFile, secretKey: key });
    try {
      expect(same.app).toEqual({ clientId: own.id, secret: own.secret });
      expect(await same.hasDevice('alice')).toBe(true);
      const moved = {
        ...s,
        statusUrl: `${same.sandbox.baseUrl}/authentication/status/${s.token}`,
        logoutUrl: `${same.sandbox.baseUrl}/authentication/logout/${s.token}`,
      };
      expect(await same.status(moved)).toBe('active');
      const a = await signed(
        'POST',
        `${same.sandbox.baseUrl}/management/add_users/${extra.id}`,
        { clientId: extra.id, secret: extra.secret },
        { body: '{"users":["z"]}' },
      );
      expect(a.status).toBe(201);
    } finally {
      await same.close();
    }

    // Another key (the keychain's data key was reset): the caller's own application and its users survive; what cannot be opened is left out.
    const lines: string[] = [];
    const other = await Harness.start({
      dataFile,
      application: own,
      secretKey: Buffer.alloc(32, 9),
      log: (l) => lines.push(l),
    });
    try {
      expect(await other.hasDevice('alice')).toBe(true);
      const a = await signed(
        'POST',
        `${other.sandbox.baseUrl}/management/add_users/${extra.id}`,
        { clientId: extra.id, secret: extra.secret },
        { body: '{"users":["z"]}' },
      );
      expect(a.status).toBe(404);
      expect(lines.join('\n')).toMatch(/2 stored application\(s\)\/session\(s\) left out/);
      for (const secret of [own.secret, s.secret, extra.secret]) expect(lines.join('\n')).not.toContain(secret);
    } finally {
      await other.close();
    }
    await expect(startSandbox({ secretKey: Buffer.alloc(16) })).rejects.toMatchObject({ code: 'invalid_input' });
  });

  it('an explicit application is added to a persisted state and becomes the default', async () => {
    const dataFile = join(dir, 'explicit.json');
    const first = await startSandbox({ dataFile });
    await first.close();
    const app = { id: '0123456789ABCDEF0123456789ABCDEF', secret: '0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF' };
    const second = await startSandbox({ dataFile, application: app });
    await second.close();
    expect(second.applicationId).toBe(app.id);
    const third = await startSandbox({ dataFile });
    await third.close();
    expect(third.applicationId).toBe(app.id);
    expect(third.applicationSecret).toBe(app.secret);
  });

  it('time-driven moves of restored sessions follow the clock: an unanswered request times out, an approved one ends with its duration', async () => {
    const dataFile = join(dir, 'clock.json');
    const clock = new ManualClock();
    const h = await Harness.start({ dataFile, clock });
    await h.enrol('alice');
    const waiting = (await h.authenticate('alice')).session!;
    const approved = (await h.authenticate('alice', '?duration_seconds=120')).session!;
    await h.phone.approve(approved.token);
    await h.close();

    clock.advance(60_000); // the default pendingTimeoutSeconds
    const h2 = await Harness.start({ dataFile, clock });
    try {
      const at = (s: typeof waiting) => ({ ...s, statusUrl: `${h2.sandbox.baseUrl}/authentication/status/${s.token}` });
      expect(await h2.status(at(waiting))).toBe('timeout');
      expect(await h2.status(at(approved))).toBe('active');
      clock.advance(60_000);
      expect(await h2.status(at(approved))).toBe('closed');
    } finally {
      await h2.close();
    }
  });

  it('a damaged data file is refused with a typed error and left as it was', async () => {
    const dataFile = join(dir, 'broken.json');
    writeFileSync(dataFile, '{"version": 1, "applications": [');
    await expect(startSandbox({ dataFile })).rejects.toMatchObject({ code: 'invalid_input' });
    expect(readFileSync(dataFile, 'utf8')).toBe('{"version": 1, "applications": [');
    writeFileSync(dataFile, '{"version": 9}');
    await expect(startSandbox({ dataFile })).rejects.toMatchObject({ code: 'invalid_input' });
  });

  it('bad options are refused with a typed error', async () => {
    await expect(startSandbox({ application: { id: 'short', secret: 'x' } })).rejects.toMatchObject({
      code: 'invalid_input',
    });
    await expect(startSandbox({ pendingTimeoutSeconds: 0 })).rejects.toMatchObject({ code: 'invalid_input' });
    await expect(startSandbox({ faults: [{ route: '*', kind: 'error' }] })).rejects.toMatchObject({
      code: 'invalid_input',
    });
  });
});
