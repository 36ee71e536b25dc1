// The README's first five minutes on the sandbox, step by step, in Chromium
// on the built renderer with the real router, services, keychain and sandbox:
// the welcome banner, Add users (a pasted list), the registration code, the
// virtual phone registering, an authentication approved on it, and the audit
// log. Each step is asserted, and photographed at 1280x800 (light; one dark).
// `npm run screenshots` runs this file with IAMPASS_DOCS_SCREENSHOTS=1 and the
// photographs also go to docs/screenshots/ (the README's images).
import { copyFileSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, expect, it } from 'vitest';
import { usersFixture } from '../unit/users/fixture.ts';
import { ROOT } from './build.ts';
import { closeBrowser, launchOnServices, SCREENSHOT_DIR } from './harness.ts';

afterAll(closeBrowser);

const DOCS = process.env['IAMPASS_DOCS_SCREENSHOTS'] === '1' ? resolve(ROOT, 'docs/screenshots') : null;

/** Writes test-results/screenshots/<name>.png (and docs/screenshots/<name>.png for `npm run screenshots`). */
async function photograph(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = resolve(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path });
  if (DOCS) {
    mkdirSync(DOCS, { recursive: true });
    copyFileSync(path, resolve(DOCS, `${name}.png`));
  }
}

it('the first five minutes on the sandbox: add users, a registration code, the virtual phone, an approved sign-in, the audit log', async () => {
  const f = await usersFixture({ pollMs: 40 });
  const app = await launchOnServices(f, { viewport: { width: 1280, height: 800 } });
  const { phones } = app;
  try {
    const { page } = app;
    const nav = (screen: string) =>
      page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: screen }).click();
    await nav('Users');

    // 1. The welcome banner: the sandbox is active, nothing to set up.
    await expect.poll(() => page.getByTestId('first-run-lead').textContent()).toContain('is the built-in sandbox');
    await photograph(page, '01-welcome');

    // 2. Add users: a pasted list, previewed.
    await page.getByRole('button', { name: 'Add users' }).first().click();
    const add = page.getByTestId('add-dialog');
    await add.getByRole('tab', { name: 'Paste a list' }).click();
    await add
      .getByLabel('User IDs, one per line')
      .fill(['alice@corp.example, Alice Liddell', 'bob@corp.example, Bob Martin', 'chloe@corp.example'].join('\n'));
    await photograph(page, '02-add-users');
    await add.getByRole('button', { name: 'Add 3 users' }).click();
    await add.getByTestId('job-results').waitFor();
    await add.getByRole('button', { name: 'Done' }).click();
    const row = (userId: string) => page.locator(`[data-testid="user-row"][data-user-id="${userId}"]`);
    await row('chloe@corp.example').waitFor();

    // 3. Alice's registration code; 4. the virtual phone opened on it registers.
    await row('alice@corp.example')
      .getByRole('button', { name: 'Show registration QR for alice@corp.example' })
      .click();
    const qr = page.getByTestId('qr-dialog');
    await qr.getByRole('button', { name: 'Open virtual phone' }).waitFor();
    await photograph(page, '03-registration-code');
    await qr.getByRole('button', { name: 'Open virtual phone' }).click();
    await expect.poll(() => phones.length).toBe(1);
    const phone = await app.context.newPage();
    await phone.setViewportSize({ width: 420, height: 640 });
    await phone.goto(phones[0]!);
    await phone.getByRole('button', { name: 'Register this phone' }).click();
    await phone.getByText('This tab is now the phone of').waitFor();
    await expect
      .poll(() => row('alice@corp.example').getByTestId('device-state').getAttribute('data-state'), {
        timeout: 10_000,
      })
      .toBe('registered');
    await page.keyboard.press('Escape');
    await photograph(page, '04-users');

    // 5. Sessions: push an authentication to Alice, approve it on her phone.
    await nav('Sessions');
    await page.getByRole('button', { name: 'Authenticate…' }).click();
    const auth = page.getByRole('dialog', { name: 'Authenticate a user' });
    await auth.getByLabel('User ID').fill('alice@corp.example');
    await auth.getByRole('button', { name: 'Send request' }).click();
    await phone.getByRole('button', { name: 'Approve' }).waitFor({ timeout: 10_000 });
    await photograph(phone, '05-virtual-phone');
    await phone.getByRole('button', { name: 'Approve' }).click();
    await expect
      .poll(() => page.getByTestId('session-row').first().getAttribute('data-status'), { timeout: 10_000 })
      .toBe('active');
    await page.getByTestId('session-detail').getByText('Active', { exact: true }).first().waitFor();
    await photograph(page, '06-sessions');

    // 6. Everything above is in the audit log, in words, naming the admin.
    await nav('Audit');
    const audit = page.getByTestId('audit-table');
    await expect.poll(() => audit.textContent()).toContain('Authentication pushed');
    expect(await audit.textContent()).toContain('Registration link opened on the virtual phone');
    await photograph(page, '07-audit');

    // The same console in the dark.
    await page.emulateMedia({ colorScheme: 'dark' });
    await nav('Users');
    await row('alice@corp.example').waitFor();
    await photograph(page, '08-users-dark');
    expect(app.pageErrors).toEqual([]);
    await phone.close();
  } finally {
    await app.close();
    await f.close();
  }
});
