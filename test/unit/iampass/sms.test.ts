// send_registration_sms (spec section 4) end to end on the sandbox over
// loopback: the client's call, the service texting its own link, the virtual
// phone receiving it and registering from it; refusals, a deployment without
// the route, and a lost answer that is never sent twice.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IampassClient } from '../../../src/main/iampass/client.ts';
import { VirtualPhone } from '../../../src/sandbox/phone.ts';
import { startSandbox, type Sandbox } from '../../../src/sandbox/server.ts';

let sandbox: Sandbox;
let client: IampassClient;
let phone: VirtualPhone;

beforeAll(async () => {
  sandbox = await startSandbox({});
  client = new IampassClient({
    flavour: 'Sandbox',
    baseUrl: sandbox.baseUrl,
    applicationId: sandbox.applicationId,
    secret: sandbox.applicationSecret,
    retryBaseDelayMs: 5,
  });
  phone = new VirtualPhone(sandbox.baseUrl);
});
afterAll(async () => {
  client.close();
  await sandbox.close();
});

describe('send_registration_sms', () => {
  it('the service texts its link; the virtual phone receives it and registers from it', async () => {
    await client.addUsers(['sms-alice']);
    expect(await client.sendRegistrationSms('sms-alice', { phoneNumber: '+15551230001' })).toBe(true);
    const [sms] = await phone.sms('+15551230001');
    expect(sms!.text).toMatch(
      /^Register your phone with IAMPASS: http:\/\/127\.0\.0\.1:\d+\/sandbox\/phone\/register\/\S+$/,
    );
    expect(await client.hasRegisteredDevice('sms-alice')).toBe(false);
    const registered = await phone.registerFromSms('+15551230001');
    expect(registered.deviceId).toBeTruthy();
    expect(await client.hasRegisteredDevice('sms-alice')).toBe(true);
  });

  it('a message and a display name are sent as given; the link is appended to the message', async () => {
    await client.addUsers(['sms-bob']);
    await client.sendRegistrationSms('sms-bob', {
      phoneNumber: '+447700900123',
      displayName: 'Bob at Lab',
      message: 'Hi Bob, join Lab:',
    });
    const [sms] = await phone.sms('+447700900123');
    expect(sms!.text).toMatch(/^Hi Bob, join Lab: http:\/\/\S+$/);
    const r = await phone.registerFromSms('+447700900123');
    expect(r).toMatchObject({ userId: 'sms-bob' });
  });

  it('refusals: a registered user is refused by the service with its reason; a malformed number never leaves the client', async () => {
    const before = (await phone.sms()).length;
    const refused = await client.sendRegistrationSms('sms-alice', { phoneNumber: '+15551230002' }).then(
      () => null,
      (error: unknown) => error as { code: string; message: string },
    );
    expect(refused?.code).toBe('refused');
    expect(refused?.message).toContain('already has a registered device');
    for (const bad of ['5551230002', '+0551230002', '+1 555 123', `+1${'5'.repeat(20)}`]) {
      await expect(client.sendRegistrationSms('sms-bob', { phoneNumber: bad })).rejects.toMatchObject({
        code: 'invalid_input',
        details: { field: 'phoneNumber' },
      });
    }
    await expect(
      client.sendRegistrationSms('sms-bob', { phoneNumber: '+15551230003', message: 'a\u0007b' }),
    ).rejects.toMatchObject({
      code: 'invalid_input',
      details: { field: 'message' },
    });
    expect(await phone.sms()).toHaveLength(before);
  });

  it('a lost answer (truncated: an unreadable or cut answer) fails the call, and the message is not sent twice (no retry)', async () => {
    await client.addUsers(['sms-carol']);
    await phone.setFaults([{ route: 'send_registration_sms', kind: 'truncate' }]);
    try {
      const lost = await client.sendRegistrationSms('sms-carol', { phoneNumber: '+15551230004' }).then(
        () => null,
        (error: unknown) => error as { code: string },
      );
      expect(['protocol', 'network']).toContain(lost?.code);
    } finally {
      await phone.clearFaults();
    }
    expect(await phone.sms('+15551230004')).toHaveLength(1);
  });

  it('a deployment without the route: not_found naming the endpoint', async () => {
    const without = await startSandbox({ sms: false });
    const c = new IampassClient({
      flavour: 'Sandbox',
      baseUrl: without.baseUrl,
      applicationId: without.applicationId,
      secret: without.applicationSecret,
    });
    try {
      await c.addUsers(['x']);
      await expect(c.sendRegistrationSms('x', { phoneNumber: '+15551230005' })).rejects.toMatchObject({
        code: 'not_found',
        details: { what: 'endpoint' },
      });
    } finally {
      c.close();
      await without.close();
    }
  });
});
