import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startSandbox } from '../../../src/sandbox/server.ts';
import { Harness, signed } from './helpers.ts';

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
      const moved = { ...s, statusUrl: `${h2.sandbox.baseUrl}/authentication/status/${s.token}`, logoutUrl: `${h2.sandbox.baseUrl}/authentication/logout/${s.token}` };
      expect(await h2.status(moved)).toBe('active');
      // The unopened link still works after the restart (its hash was kept).
      await h2.phone.register(`${h2.sandbox.baseUrl}/sandbox/phone/register/${token}`);
      expect(await h2.hasDevice('bob')).toBe(true);
      const a = await signed('POST', `${h2.sandbox.baseUrl}/management/add_users/${extra.id}`, { clientId: extra.id, secret: extra.secret }, { body: '{"users":["z"]}' });
      expect(a.status).toBe(201);
    } finally {
      await h2.close();
    }
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

  it('a damaged data file is refused with a typed error and left as it was', async () => {
    const dataFile = join(dir, 'broken.json');
    writeFileSync(dataFile, '{"version": 1, "applications": [');
    await expect(startSandbox({ dataFile })).rejects.toMatchObject({ code: 'invalid_input' });
    expect(readFileSync(dataFile, 'utf8')).toBe('{"version": 1, "applications": [');
    writeFileSync(dataFile, '{"version": 9}');
    await expect(startSandbox({ dataFile })).rejects.toMatchObject({ code: 'invalid_input' });
  });

  it('bad options are refused with a typed error', async () => {
    await expect(startSandbox({ application: { id: 'short', secret: 'x' } })).rejects.toMatchObject({ code: 'invalid_input' });
    await expect(startSandbox({ pendingTimeoutSeconds: 0 })).rejects.toMatchObject({ code: 'invalid_input' });
    await expect(startSandbox({ faults: [{ route: '*', kind: 'error' }] })).rejects.toMatchObject({ code: 'invalid_input' });
  });
});
