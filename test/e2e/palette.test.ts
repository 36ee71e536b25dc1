// The command palette (Ctrl+K) in Chromium on the built renderer, with the
// real router, services, SQLite file, keychain, sandbox and its virtual phone.
import { AxeBuilder } from '@axe-core/playwright';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, expect, it } from 'vitest';
import { createHandlers } from '../../src/main/ipc/handlers/index.ts';
import { createEventBus, createRouter } from '../../src/main/ipc/router.ts';
import { sessionsFixture, type Fixture } from '../unit/sessions/fixture.ts';
import { closeBrowser, launchConsole, type ConsoleUnderTest } from './harness.ts';

afterAll(closeBrowser);

let fx: Fixture | null = null;
let app: ConsoleUnderTest | null = null;
afterEach(async () => {
  await app?.close();
  app = null;
  await fx?.close();
  fx = null;
});

const USERS = [
  { userId: 'alice', displayName: 'Alice Liddell' },
  { userId: 'bob', phone: false },
  { userId: 'carol', displayName: 'Carol Danvers' },
  { userId: 'zoe', displayName: 'Zoë Ortega' },
];

async function open(f: Fixture, colorScheme: 'light' | 'dark', hash = '#/audit'): Promise<Page> {
  // Device states from the sandbox (alice, carol, zoe have a phone; bob has none).
  for (const u of USERS) await f.services.users.checkStatus(u.userId);
  const bus = createEventBus();
  const router = createRouter(createHandlers({ app: { version: 'e2e', dataDir: f.dir }, services: f.services, bus }));
  app = await launchConsole({ bus, colorScheme, viewport: { width: 1360, height: 860 }, router, hash });
  await app.page.getByTestId('app-version').waitFor();
  return app.page;
}

const palette = (page: Page) => page.getByRole('dialog', { name: 'Command palette' });
const input = (page: Page) => palette(page).getByRole('combobox');
const options = (page: Page) => palette(page).getByRole('option');
const activeOption = (page: Page) => palette(page).locator('[role="option"][aria-selected="true"]');
const focusedRole = (page: Page) => page.evaluate('document.activeElement?.getAttribute("role") ?? null');

/** Ctrl+K, then wait for the palette's input to have the focus (typing starts there). */
async function openPalette(page: Page): Promise<void> {
  await page.keyboard.press('Control+K');
  await expect.poll(() => palette(page).isVisible()).toBe(true);
  await expect.poll(() => focusedRole(page)).toBe('combobox');
}

/** Enter on the active action, then wait for its picker step. */
async function enterStep(page: Page, crumb: string): Promise<void> {
  await page.keyboard.press('Enter');
  await expect.poll(() => palette(page).getByTestId('palette-step').textContent()).toBe(crumb);
  await expect.poll(() => focusedRole(page)).toBe('combobox');
}

async function axeSerious(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

it('Ctrl+K opens it; fuzzy filter, arrows, Enter, Escape; authenticate a user through it and the session appears on the dashboard; log out all of a user’s sessions', async () => {
  const f = (fx = await sessionsFixture({ users: USERS }));
  const page = await open(f, 'light');

  await openPalette(page);
  // Focus is in the combobox, which points at its listbox and active option.
  expect(await input(page).getAttribute('aria-expanded')).toBe('true');
  const listId = (await input(page).getAttribute('aria-controls'))!;
  expect(await palette(page).locator(`[id="${listId}"]`).getAttribute('role')).toBe('listbox');
  expect(await input(page).getAttribute('aria-activedescendant')).toBe(await activeOption(page).getAttribute('id'));
  expect(await options(page).allTextContents()).toEqual(
    expect.arrayContaining([
      'Authenticate user…',
      'Log out all sessions of a user…',
      'Switch application…',
      'Go to Users',
      'Go to Sessions',
      'Go to Applications',
      'Go to AuditCurrent',
    ]),
  );
  await app!.screenshot('palette-root-light');

  // Arrows move the active option (wrapping), the input keeps the focus.
  const first = await activeOption(page).textContent();
  await page.keyboard.press('ArrowDown');
  const second = await activeOption(page).textContent();
  expect(second).not.toBe(first);
  await page.keyboard.press('ArrowUp');
  expect(await activeOption(page).textContent()).toBe(first);
  await page.keyboard.press('ArrowUp');
  expect(await activeOption(page).textContent()).toBe(await options(page).last().textContent());

  // Fuzzy: a subsequence finds "Go to Sessions"; Enter runs it and closes.
  await page.keyboard.type('gtsess');
  await expect.poll(() => activeOption(page).textContent()).toBe('Go to Sessions');
  await page.keyboard.press('Enter');
  await expect.poll(() => palette(page).isVisible()).toBe(false);
  await expect.poll(() => page.locator('#screen-title').textContent()).toBe('Sessions');

  // Nothing matches: a status says so and the combobox is collapsed.
  await openPalette(page);
  await page.keyboard.type('qqqxz');
  await expect.poll(() => palette(page).getByTestId('palette-status').textContent()).toContain('Nothing matches');
  expect(await options(page).count()).toBe(0);
  expect(await input(page).getAttribute('aria-expanded')).toBe('false');
  await page.keyboard.press('Escape');
  await expect.poll(() => palette(page).isVisible()).toBe(false);

  // Authenticate user… -> the user picker (main's query: by ID or name, prefix or substring, accents ignored).
  await openPalette(page);
  await page.keyboard.type('auth');
  await expect.poll(() => activeOption(page).textContent()).toBe('Authenticate user…');
  await enterStep(page, 'Authenticate');
  await expect.poll(() => options(page).count()).toBe(4);
  expect(await palette(page).textContent()).toContain('No registered device');
  await page.keyboard.type('zoe');
  await expect.poll(() => options(page).allTextContents()).toEqual(['Zoë OrtegazoeRegistered device']);
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Backspace');
  await page.keyboard.type('lidd');
  await expect.poll(() => options(page).allTextContents()).toEqual([expect.stringContaining('Alice Liddell')]);
  await app!.screenshot('palette-users-light');
  // Escape goes back one step, then closes.
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Backspace');
  await page.keyboard.press('Escape');
  await expect.poll(() => palette(page).getByTestId('palette-step').count()).toBe(0);
  expect(await palette(page).isVisible()).toBe(true);
  await page.keyboard.press('Escape');
  await expect.poll(() => palette(page).isVisible()).toBe(false);

  // The whole way by keyboard: the Authenticate dialog opens pre-filled.
  await openPalette(page);
  await page.keyboard.type('authenticate user');
  await expect.poll(() => activeOption(page).textContent()).toBe('Authenticate user…');
  await enterStep(page, 'Authenticate');
  await page.keyboard.type('alice');
  await expect.poll(() => activeOption(page).textContent()).toContain('alice');
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog', { name: 'Authenticate a user' });
  await expect.poll(() => dialog.isVisible()).toBe(true);
  // The dialog opens (showModal) in the effect that sets its state: the value lands with the next render.
  await expect.poll(() => dialog.getByLabel('User ID').inputValue()).toBe('alice');
  // Not stacked over another open dialog.
  await page.keyboard.press('Control+K');
  expect(await palette(page).isVisible()).toBe(false);
  await dialog.getByLabel('Acceptance').check();
  await dialog.getByRole('button', { name: 'Send request' }).click();
  const row = page.getByTestId('session-row').first();
  await expect.poll(() => row.getAttribute('data-status')).toBe('pending');
  expect(await row.textContent()).toContain('Alice Liddell');
  await f.phone.approve(await f.token('alice'));
  await expect.poll(() => row.getAttribute('data-status')).toBe('active');

  // Log out all sessions of a user…: only users with live sessions are offered.
  await openPalette(page);
  await page.keyboard.type('log out');
  await expect.poll(() => activeOption(page).textContent()).toBe('Log out all sessions of a user…');
  await enterStep(page, 'Log out all sessions');
  await expect.poll(() => options(page).allTextContents()).toEqual(['Alice Liddellalice1 live session']);
  await page.keyboard.press('Enter');
  await expect.poll(() => row.getAttribute('data-status')).toBe('closed');
  expect((await f.phone.session(await f.token('alice'))).sessionStatus).toBe('closed');
  await openPalette(page);
  await page.keyboard.type('log out');
  await expect.poll(() => activeOption(page).textContent()).toBe('Log out all sessions of a user…');
  await enterStep(page, 'Log out all sessions');
  await expect
    .poll(() => palette(page).getByTestId('palette-status').textContent())
    .toBe('No user has a live session.');
  await page.keyboard.press('Escape');
  await page.keyboard.press('Escape');
  // The user pickers ask main for the users matching what is typed: the directory is never loaded whole.
  expect(app!.calls.some((c) => c.channel === 'users.snapshot')).toBe(false);
  expect(app!.calls.some((c) => c.channel === 'users.window')).toBe(true);
  expect(app!.pageErrors).toEqual([]);
});

it('switch application and authenticate from the first step; the header button opens it; dark theme; axe clean', async () => {
  const f = (fx = await sessionsFixture({ users: USERS }));
  await f.services.applications.add({
    name: 'Staging',
    flavour: 'Sandbox',
    baseUrl: f.sandbox.baseUrl,
    applicationId: f.sandbox.applicationId,
    secret: f.sandbox.applicationSecret,
  });
  const started = await f.services.sessions.start({ userId: 'alice', methods: ['acceptance'] });
  expect(started.started).toBe(true);
  const page = await open(f, 'dark', '#/sessions');
  await expect.poll(() => page.getByTestId('session-row').count()).toBe(1);

  await page.getByTestId('palette-trigger').click();
  await expect.poll(() => palette(page).isVisible()).toBe(true);
  await expect.poll(() => focusedRole(page)).toBe('combobox');
  expect(await axeSerious(page)).toEqual([]);
  await app!.screenshot('palette-root-dark');

  // Typing a user in the first step offers "Authenticate <user>".
  await page.keyboard.type('carol');
  await expect
    .poll(() => options(page).allTextContents())
    .toContain('Authenticate Carol DanverscarolRegistered device');
  await app!.screenshot('palette-search-dark');
  expect(await axeSerious(page)).toEqual([]);
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Backspace');

  // Switch application…: the active one is marked; choosing another switches the header.
  await page.keyboard.type('switch');
  await expect.poll(() => activeOption(page).textContent()).toBe('Switch application…');
  await enterStep(page, 'Switch application');
  await expect.poll(() => options(page).allTextContents()).toEqual(['SandboxSandboxActive', 'StagingSandbox']);
  expect(await axeSerious(page)).toEqual([]);
  await page.keyboard.type('stag');
  await expect.poll(() => activeOption(page).textContent()).toBe('StagingSandbox');
  await page.keyboard.press('Enter');
  await expect.poll(() => palette(page).isVisible()).toBe(false);
  const staging = (await f.services.applications.list()).find((a) => a.name === 'Staging')!;
  await expect.poll(() => page.getByTestId('profile-switcher').inputValue()).toBe(staging.id);
  expect((await f.services.applications.list()).find((a) => a.active)?.id).toBe(staging.id);
  // The dashboard follows: Staging has no sessions.
  await expect.poll(() => page.getByTestId('session-row').count()).toBe(0);

  // Staging's directory is empty: the picker says so.
  await openPalette(page);
  await page.keyboard.type('authenticate');
  await expect.poll(() => activeOption(page).textContent()).toBe('Authenticate user…');
  await enterStep(page, 'Authenticate');
  await expect
    .poll(() => palette(page).getByTestId('palette-status').textContent())
    .toBe('This application’s directory has no users yet.');
  // Ctrl+K again closes it.
  await page.keyboard.press('Control+K');
  await expect.poll(() => palette(page).isVisible()).toBe(false);
  expect(app!.pageErrors).toEqual([]);
});
