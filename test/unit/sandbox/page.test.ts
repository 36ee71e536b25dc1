import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from './helpers.ts';

describe('phone web page in a real browser tab', () => {
  let h: Harness;
  let browser: Browser;
  beforeAll(async () => {
    h = await Harness.start();
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  });
  afterAll(async () => {
    await browser.close();
    await h.close();
  });

  it('is self-contained with a strict CSP', async () => {
    const res = await fetch(h.sandbox.phoneUrl);
    const html = await res.text();
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+'/);
    expect(csp).not.toContain('unsafe-inline');
    expect(html).not.toMatch(/(src|href)=["']?https?:/);
  });

  it('opening a registration link makes the tab the phone: approve, walk away, come back, deny', async () => {
    await h.addUsers(['pat']);
    const link = await h.link('pat');
    const page = await browser.newPage();
    const violations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy|Refused/.test(m.text())) violations.push(m.text());
    });
    try {
      await page.goto(link);
      // Merely opening the link does not bind the device (link scanners are harmless).
      expect(await h.hasDevice('pat')).toBe(false);
      await page.getByRole('button', { name: 'Register this phone' }).click();
      await page.getByText('This tab is now the phone of pat.').waitFor();
      expect(await h.hasDevice('pat')).toBe(true);
      expect(new URL(page.url()).pathname).toBe('/sandbox/phone');

      const s = (await h.authenticate('pat')).session!;
      await page.getByRole('button', { name: 'Approve' }).click({ timeout: 5000 });
      await expect.poll(() => h.status(s), { timeout: 5000 }).toBe('active');

      const walk = page.getByRole('checkbox', { name: 'Walked away' });
      await walk.check({ timeout: 5000 });
      await expect.poll(() => h.status(s), { timeout: 5000 }).toBe('walkaway');
      await page.waitForTimeout(1200); // let the page refresh its list
      await page.getByRole('checkbox', { name: 'Walked away' }).uncheck({ timeout: 5000 });
      await expect.poll(() => h.status(s), { timeout: 5000 }).toBe('active');

      const t = (await h.authenticate('pat')).session!;
      await page.getByRole('button', { name: 'Deny' }).click({ timeout: 5000 });
      await expect.poll(() => h.status(t), { timeout: 5000 }).toBe('cancelled');
      expect(violations).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it("opened for a user, the tab becomes that user's registered phone; a user without one is told so and nothing is bound", async () => {
    await h.enrol('Zoë Ångström');
    await h.addUsers(['nophone']);
    const userPage = (user: string) =>
      `${h.sandbox.baseUrl}/sandbox/phone/user/${encodeURIComponent(h.app.clientId)}/${encodeURIComponent(user)}`;
    const page = await browser.newPage();
    try {
      await page.goto(userPage('Zoë Ångström'));
      await page.getByText('Phone of Zoë Ångström').waitFor({ timeout: 5000 });
      expect(new URL(page.url()).pathname).toBe('/sandbox/phone');
      const s = (await h.authenticate('Zoë Ångström')).session!;
      await page.getByRole('button', { name: 'Approve' }).click({ timeout: 5000 });
      await expect.poll(() => h.status(s), { timeout: 5000 }).toBe('active');

      const other = await browser.newPage();
      try {
        await other.goto(userPage('nophone'));
        await other.getByText('This user has no registered phone yet').waitFor({ timeout: 5000 });
        expect(await other.getByRole('button', { name: 'Register this phone' }).isVisible()).toBe(true);
        expect(await h.hasDevice('nophone')).toBe(false);
      } finally {
        await other.close();
      }
      // The route behind it: the device of a registered user, 404 otherwise.
      const device = (user: string) =>
        fetch(`${h.sandbox.baseUrl}/sandbox/users/${h.app.clientId}/${encodeURIComponent(user)}/device`);
      // An unknown user: the same 404, and the page binds nothing either.
      expect(((await (await device('Zoë Ångström')).json()) as { deviceId: string }).deviceId).toMatch(/\S/);
      expect((await device('nophone')).status).toBe(404);
      expect((await device('nobody-at-all')).status).toBe(404);
    } finally {
      await page.close();
    }
  });
});
