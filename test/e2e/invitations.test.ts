// The invitation settings in Chromium on the built renderer, with the real
// router and services (SQLite, the OS keychain, the embedded sandbox) and a
// real SMTP server in the test process: the SMTP password goes in and is never
// shown again, the preview marks where the link goes, "Send test" reaches the
// server. Screenshots at 1280x800 light and 1024x768 dark; axe on the dialog.
import type { AddressInfo } from 'node:net';
import { AxeBuilder } from '@axe-core/playwright';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createHandlers } from '../../src/main/ipc/handlers/index.ts';
import { createEventBus, createRouter } from '../../src/main/ipc/router.ts';
import { openTestServices, type TestServices } from '../support/services.ts';
import { layoutProblems } from './layout.ts';
import { closeBrowser, launchConsole } from './harness.ts';

const PASSWORD = 'e2e-smtp-password-3456';
let t: TestServices;
let smtp: SMTPServer;
let port: number;
const mails: { to: string; raw: string }[] = [];

beforeAll(async () => {
  t = await openTestServices();
  await t.services.ensureSandbox();
  smtp = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true, // loopback only: the console allows security "none" for loopback hosts alone
    authMethods: ['PLAIN', 'LOGIN'],
    onAuth: (auth, _s, done) =>
      auth.password === PASSWORD ? done(null, { user: auth.username }) : done(new Error('no')),
    onData(stream, session, done) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        for (const r of session.envelope.rcptTo)
          mails.push({ to: r.address, raw: Buffer.concat(chunks).toString('utf8') });
        done();
      });
    },
    logger: false,
  });
  await new Promise<void>((ok) => smtp.listen(0, '127.0.0.1', ok));
  port = (smtp.server.address() as AddressInfo).port;
});
afterAll(async () => {
  await closeBrowser();
  await new Promise<void>((ok) => smtp.close(() => ok()));
  await t.cleanup();
});

it('invitation settings: saved with the password kept out of the page, a preview with a mark for the link, a test message sent', async () => {
  for (const [scheme, width, height] of [
    ['light', 1280, 800],
    ['dark', 1024, 768],
  ] as const) {
    const bus = createEventBus();
    const app = await launchConsole({
      bus,
      router: createRouter(createHandlers({ app: { version: 'e2e', dataDir: t.dataDir }, services: t.services, bus })),
      colorScheme: scheme,
      viewport: { width, height },
    });
    try {
      const page = app.page;
      await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Applications' }).click();
      await page.getByRole('button', { name: 'Invitations…' }).click();
      const dialog = page.getByRole('dialog', { name: 'Invitation settings' });
      const form = dialog.getByTestId('invitation-settings');
      await form.waitFor();
      await form.getByLabel('SMTP server').fill('127.0.0.1');
      await form.getByLabel('Port', { exact: true }).fill(String(port));
      await form.getByLabel('Security').selectOption('none');
      await form.getByLabel('User', { exact: true }).fill('invites');
      await form.getByLabel('Password', { exact: true }).fill(PASSWORD);
      await form.getByLabel('Sender').fill('Help desk <it@example.com>');
      await form.getByLabel('Subject', { exact: true }).fill('Register your phone for {application}');
      await form.getByRole('button', { name: 'Save' }).click();
      await expect.poll(() => form.textContent()).toContain('Invitation settings saved.');
      expect(await form.getByLabel('Password', { exact: true }).inputValue()).toBe('');
      expect(await form.textContent()).toContain('Stored in the OS keychain. Leave empty to keep it.');
      expect(await form.getByTestId('invitation-preview').textContent()).toContain('[registration link]');
      await form.getByLabel('Send a test to').fill(`me-${scheme}@example.com`);
      await form.getByRole('button', { name: 'Send test' }).click();
      await expect.poll(() => form.textContent()).toContain(`A test message went to me-${scheme}@example.com.`);
      expect(mails.filter((m) => m.to === `me-${scheme}@example.com`)).toHaveLength(1);
      const axe = await new AxeBuilder({ page }).include('dialog[open]').analyze();
      expect(axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id)).toEqual(
        [],
      );
      expect(await layoutProblems(page), `invitations ${scheme} ${width}`).toEqual([]);
      await app.screenshot(`invitations-settings-${scheme}-${String(width)}`);
      expect(await page.content()).not.toContain(PASSWORD);
      // The password crossed the bridge once, inward, in the save; no other call carries it.
      expect(JSON.stringify(app.calls.filter((c) => c.channel !== 'invitations.saveSettings'))).not.toContain(PASSWORD);
      expect(app.pageErrors).toEqual([]);
    } finally {
      await app.close();
    }
  }
});
