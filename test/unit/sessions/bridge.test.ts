// The sessions channels through the real router and event bus, on the real
// services, sandbox and virtual phone: payload validation, events, and no
// token / secret / URL on the wire.
import { afterEach, expect, it } from 'vitest';
import { createHandlers } from '../../../src/main/ipc/handlers/index.ts';
import { createEventBus, createRouter } from '../../../src/main/ipc/router.ts';
import { sessionSecret } from '../../../src/main/store/sessions.ts';
import { sessionsFixture, type Fixture } from './fixture.ts';

let fx: Fixture | null = null;
afterEach(async () => {
  await fx?.close();
  fx = null;
});

const sender = { id: 'test', url: 'app://renderer/index.html' };

it('start, list, get, logout through the router; sessions.changed / sessions.alert reach the bus without secrets or URLs', async () => {
  const f = (fx = await sessionsFixture());
  const bus = createEventBus();
  const wire: { event: string; payload: unknown }[] = [];
  bus.subscribe((event, payload) => wire.push({ event, payload }));
  const router = createRouter(createHandlers({ app: { version: 't', dataDir: f.dir }, services: f.services, bus }));

  expect(await router.handle('sessions.start', { userId: 'alice', methods: ['telepathy'] }, sender)).toMatchObject({
    ok: false,
    code: 'invalid_input',
  });
  expect(await router.handle('sessions.start', { userId: 'alice', durationSeconds: 0 }, sender)).toMatchObject({
    ok: false,
    code: 'invalid_input',
  });
  expect(await router.handle('sessions.list', { filter: 'bogus' }, sender)).toMatchObject({
    ok: false,
    code: 'invalid_input',
  });
  expect(f.services.sessions.list().sessions).toEqual([]);

  const started = (await router.handle(
    'sessions.start',
    { userId: 'alice', methods: ['acceptance', 'device'], durationSeconds: 300 },
    sender,
  )) as {
    ok: true;
    value: { started: true; session: { id: string; methods: string[]; timeline: unknown[] } };
  };
  expect(started).toMatchObject({
    ok: true,
    value: { started: true, session: { status: 'pending', methods: ['acceptance', 'device'] } },
  });
  const id = started.value.session.id;
  const token = await f.token('alice');
  await f.phone.approve(token);
  await expect
    .poll(() =>
      wire.some(
        (w) =>
          w.event === 'sessions.changed' && (w.payload as { session: { status: string } }).session.status === 'active',
      ),
    )
    .toBe(true);
  await f.phone.walkAway(token);
  await expect.poll(() => wire.filter((w) => w.event === 'sessions.alert').length).toBe(1);

  expect(await router.handle('sessions.list', { filter: 'walkaway' }, sender)).toMatchObject({
    ok: true,
    value: { sessions: [{ id, status: 'walkaway' }], counts: { walkaway: 1 } },
  });
  expect(await router.handle('sessions.logoutUser', { userId: 'alice' }, sender)).toEqual({
    ok: true,
    value: { loggedOut: 1, failed: 0 },
  });
  const got = (await router.handle('sessions.get', { sessionId: id }, sender)) as {
    ok: true;
    value: { status: string; timeline: { status: string }[] };
  };
  expect(got.value.status).toBe('closed');
  expect(await router.handle('sessions.logout', { sessionId: id }, sender)).toMatchObject({
    ok: false,
    code: 'conflict',
  });
  expect(await router.handle('sessions.get', { sessionId: 'nope' }, sender)).toMatchObject({
    ok: false,
    code: 'missing',
  });

  const secret = sessionSecret(f.services.store, await f.services.secrets.dataKey(), id)!;
  const all = JSON.stringify(wire) + JSON.stringify(got) + JSON.stringify(started);
  for (const needle of [secret, token, 'http', '/authentication/']) expect(all).not.toContain(needle);
});
