// The live sessions dashboard in Chromium on the built renderer, with the
// real router, services, SQLite file, keychain, sandbox and its virtual phone.
import { AxeBuilder } from '@axe-core/playwright';
import { afterAll, afterEach, expect, it } from 'vitest';
import { createHandlers } from '../../src/main/ipc/handlers/index.ts';
import { createEventBus, createRouter, type Router } from '../../src/main/ipc/router.ts';
import { sessionsFixture, type Fixture } from '../unit/sessions/fixture.ts';
import { closeBrowser, launchConsole, type ConsoleUnderTest } from './harness.ts';
import { atEachSize, layoutProblems } from './layout.ts';

afterAll(closeBrowser);

let fx: Fixture | null = null;
let app: ConsoleUnderTest | null = null;
afterEach(async () => {
  await app?.close();
  app = null;
  await fx?.close();
  fx = null;
});

/** The console on the fixture's services; `restart()` swaps in the reopened services behind the same page. */
async function open(f: Fixture, colorScheme: 'light' | 'dark' = 'light') {
  const bus = createEventBus();
  let router: Router = createRouter(
    createHandlers({ app: { version: 'e2e', dataDir: f.dir }, services: f.services, bus }),
  );
  app = await launchConsole({
    bus,
    colorScheme,
    viewport: { width: 1360, height: 860 },
    router: { handle: (c, p, s) => router.handle(c, p, s) },
  });
  await app.page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Sessions' }).click();
  // Past the first-run welcome (dismissed through the bridge), so the screenshots show the dashboard.
  await app.page.getByRole('button', { name: 'Got it' }).click();
  return {
    page: app.page,
    /** Closes and reopens the services on the same data folder; resolves with the number of sessions resumed. */
    async restart(): Promise<number> {
      const services = await f.restart();
      router = createRouter(createHandlers({ app: { version: 'e2e', dataDir: f.dir }, services, bus }));
      return services.sessionsResumed;
    },
  };
}

async function authenticate(page: ConsoleUnderTest['page'], userId: string, methods: string[] = ['Acceptance']) {
  await page.getByRole('button', { name: 'Authenticate…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Authenticate a user' });
  await dialog.getByLabel('User ID').fill(userId);
  for (const m of methods) await dialog.getByLabel(m).check();
  await dialog.getByRole('button', { name: 'Send request' }).click();
  return dialog;
}

const row = (page: ConsoleUnderTest['page'], i = 0) => page.getByTestId('session-row').nth(i);

it('push, approve -> active; walk away -> alert; come back -> active; log out -> closed; timeline; deny -> cancelled; ignore -> timeout', async () => {
  const f = (fx = await sessionsFixture());
  const { page } = await open(f);
  await expect.poll(() => page.locator('.empty-state h2').textContent()).toBe('No sessions yet');

  await authenticate(page, 'alice');
  await expect.poll(() => row(page).getAttribute('data-status')).toBe('pending');
  expect(await row(page).textContent()).toContain('Alice Liddell');
  expect(await page.getByTestId('timeline').textContent()).toContain('Pending');

  const token = await f.token('alice');
  await f.phone.approve(token);
  await expect.poll(() => row(page).getAttribute('data-status')).toBe('active');
  await expect.poll(() => page.getByTestId('count-active').textContent()).toContain('1');

  await f.phone.walkAway(token);
  await expect.poll(() => row(page).getAttribute('data-status')).toBe('walkaway');
  await expect.poll(() => page.getByTestId('session-alert').count()).toBe(1);
  expect(await page.getByTestId('session-alert').textContent()).toContain('Alice Liddell (alice) walked away');
  // The desktop notification went out through the notifier port (the Electron layer shows it).
  expect(f.notifications).toEqual([
    { title: 'User walked away', body: expect.stringContaining('Alice Liddell') as string },
  ]);
  await expect.poll(() => page.getByTestId('timeline').textContent()).toContain('Walked away');
  await app!.screenshot('sessions-walkaway-light');

  await f.phone.comeBack(token);
  await expect.poll(() => row(page).getAttribute('data-status')).toBe('active');
  // The user is back: the walk-away alert is gone; a second walk-away shows one alert, not two.
  await expect.poll(() => page.getByTestId('session-alert').count()).toBe(0);
  await f.phone.walkAway(token);
  await expect.poll(() => row(page).getAttribute('data-status')).toBe('walkaway');
  await expect.poll(() => page.getByTestId('session-alert').count()).toBe(1);
  await f.phone.comeBack(token);
  await expect.poll(() => page.getByTestId('session-alert').count()).toBe(0);

  await row(page).getByRole('button', { name: 'Log out the session of alice' }).click();
  await expect.poll(() => row(page).getAttribute('data-status')).toBe('closed');
  expect((await f.phone.session(token)).sessionStatus).toBe('closed');
  const timeline = await page.getByTestId('timeline').textContent();
  for (const s of ['Pending', 'Active', 'Walked away', 'Closed']) expect(timeline).toContain(s);

  await authenticate(page, 'alice');
  await expect.poll(() => page.getByTestId('session-row').count()).toBe(2);
  await f.phone.deny(await f.token('alice'));
  await expect.poll(() => row(page).getAttribute('data-status')).toBe('cancelled');
  // The user's refusal reads as such, in the danger colour (not grey like a logout).
  const denied = row(page).getByTestId('status-badge');
  expect(await denied.textContent()).toBe('Denied');
  expect(await denied.evaluate((el: { className: string }) => el.className)).toContain('badge--danger');
  await atEachSize(page, async (width) => {
    await app!.screenshot(`sessions-denied-light-${width}`);
    expect(await layoutProblems(page), `light ${width}`).toEqual([]);
    const axe = await new AxeBuilder({ page }).analyze();
    expect(
      axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id),
      `light ${width}`,
    ).toEqual([]);
  });
  await page.setViewportSize({ width: 1360, height: 860 });

  await authenticate(page, 'alice', []);
  await expect.poll(() => page.getByTestId('session-row').count()).toBe(3);
  await f.phone.ignore(await f.token('alice'));
  await expect.poll(() => row(page).getAttribute('data-status')).toBe('timeout');
  expect(await row(page).textContent()).toContain('Timed out');

  // Filters and history.
  // The status filters carry their counts (one row: no separate count cards).
  await page.getByRole('button', { name: 'Ended 3', exact: true }).click();
  await expect.poll(() => page.getByTestId('session-row').count()).toBe(3);
  await page.getByRole('button', { name: /^Waiting/ }).click();
  await expect.poll(() => page.locator('.empty-state h2').textContent()).toBe('No sessions match this filter');
  await page.getByRole('button', { name: /^All/ }).click();
  await expect.poll(() => page.getByTestId('count-ended').textContent()).toContain('3');

  // Nothing secret reached the page.
  const html = await page.content();
  expect(html).not.toContain(token);
  expect(html).not.toContain('/authentication/');
  expect(app!.pageErrors).toEqual([]);
});

it('restart the main side mid-session: the session resumes and the page keeps following it', async () => {
  const f = (fx = await sessionsFixture());
  const console_ = await open(f);
  const { page } = console_;
  await authenticate(page, 'alice');
  await expect.poll(() => row(page).getAttribute('data-status')).toBe('pending');
  const token = await f.token('alice');
  await f.phone.approve(token);
  await expect.poll(() => row(page).getAttribute('data-status')).toBe('active');

  await page.evaluate('window.__beforeRestart = true');
  expect(await console_.restart()).toBe(1);
  // The page was not reloaded: it keeps following the session through the new main side.
  expect(await page.evaluate('window.__beforeRestart === true')).toBe(true);
  expect(f.services.sessions.monitor.stats().tracked).toBe(1);
  // On another screen, the walkaway alert arrives as a toast; View opens the session.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Audit' }).click();
  await f.phone.walkAway(token);
  const toast = page.getByTestId('session-toast');
  await expect.poll(() => toast.count()).toBe(1);
  expect(await toast.textContent()).toContain('Alice Liddell (alice) walked away');
  await app!.screenshot('sessions-toast-light');
  await toast.getByRole('button', { name: 'View' }).click();
  await expect.poll(() => page.locator('#screen-title').textContent()).toBe('Sessions');
  expect(await page.getByTestId('session-toast').count()).toBe(0);
  await expect.poll(() => page.getByTestId('session-detail').textContent()).toContain('Walked away');
  await expect.poll(() => row(page).getAttribute('data-status')).toBe('walkaway');
  await expect.poll(() => page.getByTestId('session-alert').count()).toBe(1);
  expect(f.notifications.map((n) => n.title)).toEqual(['User walked away']);
  await f.phone.comeBack(token);
  await expect.poll(() => row(page).getAttribute('data-status')).toBe('active');
  // And it ends there too: logged out from the page through the reopened services.
  await row(page).getByRole('button', { name: 'Log out the session of alice' }).click();
  await expect.poll(() => row(page).getAttribute('data-status')).toBe('closed');
  expect((await f.phone.session(token)).sessionStatus).toBe('closed');
  expect(app!.pageErrors).toEqual([]);
});

it('a refusal shows the service reason; a status fault shows "Unknown (error)" then recovers; dark theme; axe clean', async () => {
  const f = (fx = await sessionsFixture({
    users: [
      { userId: 'alice', displayName: 'Alice Liddell' },
      { userId: 'bob', phone: false },
    ],
  }));
  await f.services.users.checkStatus('bob');
  const { page } = await open(f, 'dark');
  // The user field suggests directory users (by ID or name) and names the chosen one with its device.
  await page.getByRole('button', { name: 'Authenticate…' }).click();
  const field = page.getByRole('dialog', { name: 'Authenticate a user' }).getByLabel('User ID');
  await field.fill('liddell');
  await expect
    .poll(async () => {
      const opts = page.locator('datalist option');
      return Promise.all(Array.from({ length: await opts.count() }, (_, i) => opts.nth(i).getAttribute('value')));
    })
    .toEqual(['alice']);
  expect(await page.getByTestId('authenticate-user-hint').textContent()).toBe('Not in this application’s directory.');
  await field.fill('alice');
  await expect
    .poll(() => page.getByTestId('authenticate-user-hint').textContent())
    .toBe('Alice Liddell · Device status not checked');
  await page.getByRole('dialog', { name: 'Authenticate a user' }).getByRole('button', { name: 'Cancel' }).click();
  const dialog = await authenticate(page, 'bob');
  expect(await dialog.getByTestId('authenticate-user-hint').textContent()).toBe(
    'bob · No registered device: the service will refuse',
  );
  await expect.poll(() => dialog.getByTestId('authenticate-error').textContent()).toMatch(/did not start.*device/i);
  await app!.screenshot('sessions-refused-dark');
  await dialog.getByRole('button', { name: 'Cancel' }).click();

  await authenticate(page, 'alice', ['Acceptance', 'Device']);
  await expect.poll(() => row(page).getAttribute('data-status')).toBe('pending');
  await f.phone.approve(await f.token('alice'));
  await expect.poll(() => row(page).getAttribute('data-status')).toBe('active');
  await f.phone.setFaults([{ route: 'status', kind: 'error', status: 500 }]);
  await expect.poll(() => row(page).getByTestId('error-badge').count()).toBe(1);
  expect(await row(page).getAttribute('data-status')).toBe('active');
  await expect.poll(() => page.getByTestId('session-detail').textContent()).toContain('Status unknown');
  await app!.screenshot('sessions-error-dark');

  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  expect(serious).toEqual([]);

  await f.phone.clearFaults();
  await expect.poll(() => row(page).getByTestId('error-badge').count()).toBe(0);

  // A denial in the dark theme (once the new session is on the dashboard: its token is the one denied).
  const before = await page.getByTestId('session-row').count();
  await authenticate(page, 'alice', []);
  await expect.poll(() => page.getByTestId('session-row').count()).toBe(before + 1);
  await f.phone.deny(await f.token('alice'));
  await expect.poll(() => row(page).getAttribute('data-status')).toBe('cancelled');
  await atEachSize(page, async (width) => {
    await app!.screenshot(`sessions-denied-dark-${width}`);
    // A live session's Log out in view: nothing scrolls sideways, cut text ends in an ellipsis with a title.
    expect(await layoutProblems(page), String(width)).toEqual([]);
    const axe = await new AxeBuilder({ page }).analyze();
    expect(
      axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id),
      `dark ${width}`,
    ).toEqual([]);
  });
  expect(app!.pageErrors).toEqual([]);
});
