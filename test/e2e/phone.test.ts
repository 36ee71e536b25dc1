// "Open virtual phone" in Chromium on the built renderer, with the real
// router, services, SQLite file, keychain and sandbox. Main's phone window is
// played by a second page of the same browser on the URL main asked to open:
// from the QR dialog it is the code's registration link (Register there turns
// the row registered; the link never reaches the console's page), from the
// Sessions detail the user's own phone (Approve there turns the session
// Active). The welcome banner and the command palette offer it too; with a
// real IAMPASS application active nothing does. Screenshots of the Sessions
// detail at 1024x768 and 1280x800, light and dark; axe on it.
import { AxeBuilder } from '@axe-core/playwright';
import { afterAll, expect, it } from 'vitest';
import { usersFixture } from '../unit/users/fixture.ts';
import { closeBrowser, launchOnServices } from './harness.ts';
import { atEachSize, layoutProblems } from './layout.ts';

afterAll(closeBrowser);

it('the QR dialog, the Sessions detail, the welcome banner and the palette open the virtual phone; registering and approving there show in the console', async () => {
  const f = await usersFixture({ pollMs: 40 });
  const app = await launchOnServices(f);
  const { phones: opened, router } = app;
  try {
    const { page } = app;
    await f.finished(f.services.users.add([{ userId: 'dana', displayName: 'Dana Scully' }]));
    await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Users' }).click();

    // The welcome banner: the bare phone page.
    await page.getByTestId('first-run').getByRole('button', { name: 'Open virtual phone' }).click();
    await expect.poll(() => opened.length).toBe(1);
    expect(opened[0]).toBe(`${f.sandbox.baseUrl}/sandbox/phone`);
    await page.getByRole('button', { name: 'Got it' }).click();

    // The QR dialog: the phone page on the code's link; registering there turns the row registered.
    const row = page.locator('[data-testid="user-row"][data-user-id="dana"]');
    await row.getByRole('button', { name: 'Show registration QR for dana' }).click();
    const dialog = page.getByTestId('qr-dialog');
    await dialog.getByRole('button', { name: 'Open virtual phone' }).click();
    await expect.poll(() => opened.length).toBe(2);
    const link = opened[1]!;
    expect(link.startsWith(`${f.sandbox.baseUrl}/sandbox/phone/register/`)).toBe(true);
    await dialog.getByText('The virtual phone opened on this code').waitFor();
    const phone = await app.context.newPage();
    await phone.goto(link);
    await phone.getByRole('button', { name: 'Register this phone' }).click();
    await phone.getByText('This tab is now the phone of').waitFor();
    await expect
      .poll(() => row.getByTestId('device-state').getAttribute('data-state'), { timeout: 10_000 })
      .toBe('registered');
    const token = new URL(link).pathname.split('/').at(-1)!;
    expect(await page.content()).not.toContain(token);
    expect(JSON.stringify(app.calls)).not.toContain(token);
    await page.keyboard.press('Escape');

    // Sessions: push an authentication; the detail opens the user's phone; Approve there -> Active.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Sessions' }).click();
    await page.getByRole('button', { name: 'Authenticate…' }).click();
    const auth = page.getByRole('dialog', { name: 'Authenticate a user' });
    await auth.getByLabel('User ID').fill('dana');
    await auth.getByRole('button', { name: 'Send request' }).click();
    const detail = page.getByTestId('session-detail');
    await detail.getByRole('button', { name: 'Open virtual phone' }).click();
    await expect.poll(() => opened.length).toBe(3);
    const iampassId = f.iampassId('dana')!;
    expect(opened[2]).toBe(
      `${f.sandbox.baseUrl}/sandbox/phone/user/${encodeURIComponent(f.sandbox.applicationId)}/${encodeURIComponent(iampassId)}`,
    );
    const own = await app.context.newPage();
    await own.goto(opened[2]!);
    await own.getByText('Phone of').waitFor();
    await own.getByRole('button', { name: 'Approve' }).click({ timeout: 10_000 });
    await expect
      .poll(() => page.getByTestId('session-row').first().getAttribute('data-status'), { timeout: 10_000 })
      .toBe('active');
    await phone.close();
    await own.close();

    // The user panel's history: the authentication and what was done about the user, in words.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Users' }).click();
    await row.getByRole('button', { name: 'dana', exact: true }).click();
    const history = page.getByTestId('user-history');
    await expect.poll(() => history.getByRole('list', { name: 'Authentications' }).textContent()).toContain('Active');
    const actions = (await history.getByRole('list', { name: 'Actions about this user' }).textContent()) ?? '';
    for (const a of [
      'Authentication pushed',
      'Registration link opened on the virtual phone',
      'Registration code shown',
    ])
      expect(actions).toContain(a);
    // Edit the display name from the panel: the row shows it at once; a control character is refused and changes nothing.
    const panel = page.getByTestId('user-panel');
    await panel.getByRole('button', { name: 'Edit the display name of dana' }).click();
    await panel.getByLabel('Display name', { exact: true }).fill('Dana K. Scully');
    await panel.getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(() => row.textContent()).toContain('Dana K. Scully');
    await panel.getByRole('button', { name: 'Edit the display name of dana' }).click();
    await panel.getByLabel('Display name', { exact: true }).fill('tab\there');
    await panel.getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(() => panel.getByRole('alert').textContent()).toContain('control characters');
    await panel.getByRole('button', { name: 'Cancel' }).click();
    expect(await row.textContent()).toContain('Dana K. Scully');
    await atEachSize(page, async (width) => {
      expect(await layoutProblems(page), `history ${width}`).toEqual([]);
      await app.screenshot(`user-history-light-${width}`);
    });
    await page.keyboard.press('Escape');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Sessions' }).click();

    for (const colorScheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme });
      await atEachSize(page, async (width) => {
        expect(await layoutProblems(page), `${colorScheme} ${width}`).toEqual([]);
        await app.screenshot(`phone-session-${colorScheme}-${width}`);
      });
      const axe = await new AxeBuilder({ page }).analyze();
      expect(
        axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id),
        colorScheme,
      ).toEqual([]);
    }

    // The palette offers it while a Sandbox application is active, and not otherwise.
    await page.keyboard.press('Control+k');
    await page.getByRole('option', { name: 'Open virtual phone' }).click();
    await expect.poll(() => opened.length).toBe(4);
    // A real application, added through the bridge (the page hears of it) and made active in the header.
    const added = (await router.handle(
      'applications.add',
      {
        name: 'Real',
        flavour: 'IAMPASS',
        baseUrl: 'https://main.iamdevelopment.com',
        applicationId: 'A'.repeat(32),
        secret: 'B'.repeat(32),
      },
      { id: 'e2e', url: app.url },
    )) as { ok: boolean; value: { id: string } };
    expect(added.ok).toBe(true);
    const real = added.value;
    await page.getByTestId('profile-switcher').selectOption(real.id);
    await expect.poll(() => f.services.applications.getActive()?.id).toBe(real.id);
    await page.keyboard.press('Control+k');
    await page.getByRole('option', { name: 'Go to Users' }).waitFor();
    expect(await page.getByRole('option', { name: 'Open virtual phone' }).count()).toBe(0);
    await page.keyboard.press('Escape');
    expect(await page.getByRole('button', { name: 'Open virtual phone' }).count()).toBe(0);
    expect(opened).toHaveLength(4);
    expect(app.pageErrors).toEqual([]);
  } finally {
    await app.close();
    await f.close();
  }
});
