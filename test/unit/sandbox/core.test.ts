import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness, signed } from './helpers.ts';

describe('sandbox core: management, authentication, virtual phone', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start();
  });
  afterAll(async () => {
    await h.close();
  });

  it('starts on 127.0.0.1 with a random application of the right shape', () => {
    expect(h.sandbox.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(h.sandbox.phoneUrl).toBe(`${h.sandbox.baseUrl}/sandbox/phone`);
    expect(h.sandbox.applicationId).toMatch(/^[0-9A-F]{32}$/);
    expect(h.sandbox.applicationSecret).toMatch(/^[0-9A-F]{48}$/);
  });

  it('add_users: 201 with created and existing', async () => {
    const a = await h.addUsers(['alice@example.com', 'bob']);
    expect(a.status).toBe(201);
    expect(a.json).toEqual({ status: true, users: { created: ['alice@example.com', 'bob'], existing: [] } });
    const b = await h.addUsers(['bob', 'carol', 'carol']);
    expect(b.json).toEqual({ status: true, users: { created: ['carol'], existing: ['bob', 'carol'] } });
  });

  it('has_registered_mobile_device: false, then true after the phone opens the link', async () => {
    await h.addUsers(['Zoë Ålund / +x']);
    expect(await h.hasDevice('Zoë Ålund / +x')).toBe(false);
    const link = await h.link('Zoë Ålund / +x');
    expect(link).toMatch(new RegExp(`^${h.sandbox.baseUrl}/sandbox/phone/register/[A-Za-z0-9_-]{43}$`));
    const reg = await h.phone.register(link);
    expect(reg.userId).toBe('Zoë Ålund / +x');
    expect(reg.applicationId).toBe(h.app.clientId);
    expect(await h.hasDevice('Zoë Ålund / +x')).toBe(true);
  });

  it('registration links are one-time and a new link replaces the older one', async () => {
    await h.addUsers(['linky']);
    const first = await h.link('linky');
    const second = await h.link('linky');
    await expect(h.phone.register(first)).rejects.toMatchObject({ code: 'not_found' });
    await h.phone.register(second);
    await expect(h.phone.register(second)).rejects.toMatchObject({ code: 'not_found' });
    // With a device registered, a new link is refused (200, status false).
    const again = await signed('GET', h.mgmt('device_registration_link', 'linky'), h.app);
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({ status: false, reason: expect.any(String) as string });
  });

  it('display_name is accepted on the link request', async () => {
    await h.addUsers(['dn']);
    const a = await signed('GET', h.mgmt('device_registration_link', 'dn', '?display_name=Dee+N%40app'), h.app);
    expect(a.status).toBe(200);
    expect(a.json).toMatchObject({ status: true });
  });

  it('unknown user / application: 404 plain text', async () => {
    const a = await signed('GET', h.mgmt('has_registered_mobile_device', 'nobody'), h.app);
    expect(a.status).toBe(404);
    expect(a.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(a.json).toBeNull();
    const otherId = 'A'.repeat(32);
    const b = await signed('GET', `${h.sandbox.baseUrl}/management/has_registered_mobile_device/${otherId}/bob`, {
      clientId: otherId,
      secret: 'B'.repeat(48),
    });
    expect(b.status).toBe(404);
    expect(b.headers.get('content-type')).toMatch(/^text\/plain/);
  });

  it('authenticate: 200 authenticated false without a device', async () => {
    await h.addUsers(['nodevice']);
    const { answer, session } = await h.authenticate('nodevice');
    expect(session).toBeNull();
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({
      authentication_status: { authenticated: false, reason: expect.any(String) as string },
    });
  });

  it('authenticate -> phone approves -> active -> logout -> closed (and stays closed)', async () => {
    await h.enrol('dave');
    const { answer, session } = await h.authenticate('dave', '?methods=acceptance,device&duration_seconds=600');
    expect(answer.status).toBe(202);
    expect(answer.json).toMatchObject({ authentication_status: { authenticated: true, session_status: 'pending' } });
    expect(session!.statusUrl).toBe(`${h.sandbox.baseUrl}/authentication/status/${session!.token}`);
    expect(session!.secret).toMatch(/^[0-9A-F]{48}$/);
    expect(await h.status(session!)).toBe('pending');
    const pending = await h.phone.pending(h.app.clientId, 'dave');
    expect(pending).toHaveLength(1);
    expect(pending[0]).toMatchObject({
      id: session!.token,
      methods: ['acceptance', 'device'],
      sessionStatus: 'pending',
    });
    await h.phone.identify(session!.token);
    expect(await h.status(session!)).toBe('identifying');
    await h.phone.approve(session!.token);
    const st = await signed('GET', session!.statusUrl, { clientId: session!.token, secret: session!.secret });
    expect(st.json).toEqual({ authentication_status: { authenticated: true, session_status: 'active' } });
    expect(await h.phone.pending(h.app.clientId, 'dave')).toEqual([]);
    await h.phone.walkAway(session!.token);
    expect(await h.status(session!)).toBe('walkaway');
    await h.phone.comeBack(session!.token);
    expect(await h.status(session!)).toBe('active');
    const out = await h.logout(session!);
    expect(out.status).toBe(200);
    expect(out.json).toEqual({ status: true });
    const st2 = await signed('GET', session!.statusUrl, { clientId: session!.token, secret: session!.secret });
    expect(st2.json).toEqual({ authentication_status: { authenticated: false, session_status: 'closed' } });
    const again = await h.logout(session!);
    expect(again.json).toMatchObject({ status: false });
    await expect(h.phone.comeBack(session!.token)).rejects.toMatchObject({ code: 'conflict' });
    expect(await h.status(session!)).toBe('closed');
  });

  it('lost device: disables, fails waiting requests, closes live sessions, returns a fresh link', async () => {
    await h.enrol('erin');
    const live = (await h.authenticate('erin')).session!;
    await h.phone.approve(live.token);
    const waiting = (await h.authenticate('erin')).session!;
    const a = await signed('GET', h.mgmt('lost_user_mobile_device', 'erin'), h.app);
    expect(a.status).toBe(200);
    const url = (a.json as { register_url: string }).register_url;
    expect(a.json).toEqual({
      status: true,
      register_url: expect.stringMatching(/\/sandbox\/phone\/register\//) as string,
    });
    expect(await h.hasDevice('erin')).toBe(false);
    expect(await h.status(live)).toBe('closed');
    expect(await h.status(waiting)).toBe('failed');
    const { answer } = await h.authenticate('erin');
    expect(answer.status).toBe(200);
    await h.phone.register(url);
    expect(await h.hasDevice('erin')).toBe(true);
  });

  it('delete_users: 200, user gone (404 afterwards), sessions ended', async () => {
    await h.enrol('frank');
    const s = (await h.authenticate('frank')).session!;
    const a = await signed('POST', h.mgmt('delete_users'), h.app, {
      body: JSON.stringify({ users: ['frank', 'never-existed'] }),
    });
    expect(a.status).toBe(200);
    expect(a.json).toEqual({ status: true });
    expect((await signed('GET', h.mgmt('has_registered_mobile_device', 'frank'), h.app)).status).toBe(404);
    expect(await h.status(s)).toBe('cancelled');
  });

  it('createApplication gives a second, independent application', async () => {
    const app = await h.phone.createApplication();
    expect(app.id).toMatch(/^[0-9A-F]{32}$/);
    expect(app.secret).toMatch(/^[0-9A-F]{48}$/);
    const url = `${h.sandbox.baseUrl}/management/add_users/${app.id}`;
    const a = await signed('POST', url, { clientId: app.id, secret: app.secret }, { body: '{"users":["x"]}' });
    expect(a.status).toBe(201);
    // The default app's credentials do not work for it.
    const b = await signed('POST', url, h.app, { body: '{"users":["y"]}' });
    expect(b.status).toBe(401);
  });

  it('stats: sizes and memory of the sandbox process', async () => {
    const res = await fetch(`${h.sandbox.baseUrl}/sandbox/stats`);
    const body = (await res.json()) as {
      nonces: number;
      sessions: number;
      applications: number;
      rss: number;
      heapUsed: number;
    };
    expect(res.status).toBe(200);
    expect(body.nonces).toBeGreaterThan(10);
    expect(body.sessions).toBeGreaterThan(3);
    expect(body.applications).toBe(2);
    expect(body.heapUsed).toBeGreaterThan(0);
  });
});
