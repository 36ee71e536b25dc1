/**
 * Applications, first run and Audit in Chromium on the built renderer, with
 * the real router and real services: SQLite in a temp folder, the OS keychain
 * (test service name), the embedded sandbox from ensureSandbox().
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { createHandlers } from '../../src/main/ipc/handlers/index.ts';
import { createEventBus, createRouter, type Router } from '../../src/main/ipc/router.ts';
import { IampassClient } from '../../src/main/iampass/client.ts';
import { getUser } from '../../src/main/store/directory.ts';
import { VirtualPhone } from '../../src/sandbox/phone.ts';
import { openTestServices, type TestServices } from '../support/services.ts';
import { layoutProblems } from './layout.ts';
import { closeBrowser, launchConsole } from './harness.ts';

let t: TestServices;
let router: Router;
let sandboxUrl: string;
let second: { id: string; secret: string };
const bus = createEventBus();
const responses: unknown[] = [];
const events: unknown[] = [];
bus.subscribe((event, payload) => void events.push({ event, payload }));
const logs: string[] = [];
// Everything this process writes through console (the Electron layer's log goes there) is kept and searched too.
const consoleMethods = ['log', 'info', 'warn', 'error', 'debug'] as const;
const originalConsole = consoleMethods.map((m) => [m, console[m].bind(console)] as const);
for (const [m, original] of originalConsole) {
  console[m] = (...args: unknown[]) => {
    logs.push(
      args
        .map((a) => (a instanceof Error ? `${a.name} ${a.message}` : typeof a === 'string' ? a : JSON.stringify(a)))
        .join(' '),
    );
    original(...args);
  };
}

/** Every IndexedDB database of the page, every object store, every record, as one JSON string. */
const INDEXED_DB_DUMP = `(async () => {
  const out = [];
  for (const info of await indexedDB.databases()) {
    const db = await new Promise((ok, ko) => { const r = indexedDB.open(info.name); r.onsuccess = () => ok(r.result); r.onerror = () => ko(r.error); });
    for (const store of db.objectStoreNames) {
      const all = await new Promise((ok, ko) => { const r = db.transaction(store).objectStore(store).getAll(); r.onsuccess = () => ok(r.result); r.onerror = () => ko(r.error); });
      out.push([info.name, store, all]);
    }
    db.close();
  }
  return JSON.stringify(out);
})()`;
const exportDir = mkdtempSync(join(tmpdir(), 'iampass-e2e-export-'));
const WRONG = 'C0FFEE'.repeat(8);

beforeAll(async () => {
  t = await openTestServices();
  const first = await t.services.ensureSandbox();
  sandboxUrl = first.sandbox!.baseUrl;
  second = await new VirtualPhone(sandboxUrl).createApplication();
  const startup = {
    phase: 'ready' as const,
    firstRun: first.firstRun,
    sandbox: { baseUrl: sandboxUrl, profileId: first.profile?.id ?? null },
    error: null,
  };
  const inner = createRouter(
    createHandlers({
      app: { version: '0.0.0-e2e', dataDir: t.dataDir, platform: 'linux' },
      services: t.services,
      bus,
      startup: () => startup,
      saveFile: ({ suggestedName, content }) => {
        const path = join(exportDir, suggestedName);
        writeFileSync(path, content);
        return Promise.resolve(path);
      },
    }),
    // The app's error log, as the Electron layer would write it.
    {
      onError: (channel, error) =>
        logs.push(
          `${channel}: ${error instanceof Error ? `${error.name} ${error.message} ${String(error.cause)}` : String(error)}`,
        ),
    },
  );
  router = {
    async handle(channel, payload, sender) {
      const r = await inner.handle(channel, payload, sender);
      responses.push(r);
      return r;
    },
  };
});

afterAll(async () => {
  for (const [m, original] of originalConsole) console[m] = original;
  await closeBrowser();
  await t.cleanup();
  rmSync(exportDir, { recursive: true, force: true });
});

const card = (page: Page, name: string) => page.getByRole('listitem', { name, exact: true });

async function fillForm(
  page: Page,
  fields: { name?: string; flavour?: string; baseUrl?: string; applicationId?: string; secret?: string },
) {
  const dialog = page.getByRole('dialog');
  if (fields.name !== undefined) await dialog.getByLabel('Name', { exact: true }).fill(fields.name);
  if (fields.flavour !== undefined) await dialog.getByLabel('Service', { exact: true }).selectOption(fields.flavour);
  if (fields.baseUrl !== undefined) await dialog.getByLabel('Base URL').fill(fields.baseUrl);
  if (fields.applicationId !== undefined) await dialog.getByLabel('Application ID').fill(fields.applicationId);
  if (fields.secret !== undefined) await dialog.getByLabel(/application secret/i).fill(fields.secret);
}

describe('Applications screen (Chromium, real services, sandbox)', () => {
  it('first run, add, test (ok / wrong secret), switch, edit, remove; the secret never reaches the renderer', async () => {
    const app = await launchConsole({ router, bus, hash: '#/applications' });
    const { page } = app;
    try {
      // First run: the sandbox explained, the Sandbox profile active in the header.
      const firstRun = page.getByTestId('first-run');
      await firstRun.waitFor();
      expect(await firstRun.textContent()).toContain('nothing leaves the machine');
      expect(await page.getByTestId('sandbox-url').textContent()).toBe(sandboxUrl);
      await card(page, 'Sandbox').waitFor();
      expect(await card(page, 'Sandbox').textContent()).toContain('Active');
      expect(await page.getByTestId('profile-switcher').locator('option:checked').textContent()).toContain('Sandbox');
      await app.screenshot('applications-first-run-light');

      // Add: a validation error first (bad application ID), shown on its field; nothing added.
      await firstRun.getByRole('button', { name: 'Add application' }).click();
      await fillForm(page, {
        name: 'Second app',
        flavour: 'Sandbox',
        baseUrl: sandboxUrl,
        applicationId: 'not-hex',
        secret: second.secret,
      });
      expect(
        await page
          .getByRole('dialog')
          .getByLabel(/application secret/i)
          .getAttribute('type'),
      ).toBe('password');
      await page.getByRole('dialog').getByRole('button', { name: 'Add application' }).click();
      const idError = page.getByRole('dialog').locator('.field--invalid');
      await idError.waitFor();
      expect(await idError.textContent()).toMatch(/Application ID/i);
      await app.screenshot('applications-add-invalid');
      await fillForm(page, { applicationId: second.id });
      await page.getByRole('dialog').getByRole('button', { name: 'Add application' }).click();
      await card(page, 'Second app').waitFor();
      expect(await page.getByRole('dialog').isVisible()).toBe(false);

      // Test: OK with latency.
      await card(page, 'Second app').getByRole('button', { name: 'Test connection' }).click();
      const result = card(page, 'Second app').getByTestId('test-result');
      await result.waitFor();
      expect(await result.textContent()).toMatch(/Connected\s*\d+ ms/);

      // Switch in the header: the card and the service agree.
      // The flavour follows a name that does not say it; the Sandbox profile is just "Sandbox".
      expect(await page.getByTestId('profile-switcher').locator('option').allTextContents()).toContain('Sandbox');
      await page.getByTestId('profile-switcher').selectOption({ label: 'Second app · Sandbox' });
      await expect.poll(() => card(page, 'Second app').textContent()).toContain('Active');
      expect(t.services.applications.getActive()?.name).toBe('Second app');

      // Edit: rename and replace the secret with a wrong one -> the test says so.
      await page.getByRole('button', { name: 'Edit Second app' }).click();
      expect(
        await page
          .getByRole('dialog')
          .getByLabel(/application secret/i)
          .inputValue(),
      ).toBe('');
      await fillForm(page, { name: 'Second app (edited)', secret: WRONG });
      await page.getByRole('dialog').getByRole('button', { name: 'Save changes' }).click();
      await card(page, 'Second app (edited)').waitFor();
      await card(page, 'Second app (edited)').getByRole('button', { name: 'Test connection' }).click();
      await expect
        .poll(() => card(page, 'Second app (edited)').getByTestId('test-result').textContent())
        .toContain('Wrong application secret');
      await app.screenshot('applications-list-light');

      // Remove: the button stays disabled until the exact name is typed.
      const id = t.services.applications.getActive()!.id;
      expect(await t.accounts()).toContain(`profile:${id}`);
      await page.getByRole('button', { name: 'Remove Second app (edited)' }).click();
      const dialog = page.getByRole('dialog');
      const confirm = dialog.getByRole('button', { name: 'Remove application' });
      expect(await confirm.isDisabled()).toBe(true);
      await dialog.getByLabel(/Type/).fill('Second app');
      expect(await confirm.isDisabled()).toBe(true);
      await app.screenshot('applications-remove-dialog');
      await dialog.getByLabel(/Type/).fill('Second app (edited)');
      await confirm.click();
      await expect.poll(() => card(page, 'Second app (edited)').count()).toBe(0);
      expect(await t.accounts()).not.toContain(`profile:${id}`);
      expect(await page.getByTestId('profile-switcher').inputValue()).toBe('');

      // The secrets never reached the renderer: DOM, web storage, bridge responses, SQLite files, logs.
      const sandboxId = (await t.services.applications.list()).find((a) => a.name === 'Sandbox')!.id;
      const sandboxSecret = (await t.keychain.get(sandboxId))!;
      expect(sandboxSecret).toMatch(/^[0-9A-F]{48}$/);
      const html = await page.evaluate('document.documentElement.outerHTML');
      const storage = await page.evaluate(
        'JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage)])',
      );
      const indexedDb = await page.evaluate<string>(INDEXED_DB_DUMP);
      expect(events.length).toBeGreaterThan(0);
      for (const secret of [second.secret, WRONG, sandboxSecret]) {
        for (const variant of [secret, secret.toLowerCase()]) {
          expect(html).not.toContain(variant);
          expect(storage).not.toContain(variant);
          expect(indexedDb).not.toContain(variant);
          expect(JSON.stringify(responses)).not.toContain(variant);
          expect(JSON.stringify(events)).not.toContain(variant);
          expect(logs.join('\n')).not.toContain(variant);
          // Every file of the data folder: the database, its write-ahead log (WAL mode), the embedded sandbox's data file.
          const files = readdirSync(t.dataDir, { recursive: true, encoding: 'utf8' }).filter((f) =>
            statSync(join(t.dataDir, f)).isFile(),
          );
          expect(files.some((f) => f.endsWith('.sqlite-wal'))).toBe(true);
          expect(files).toContain('sandbox-data.json');
          for (const f of files) expect(readFileSync(join(t.dataDir, f)).includes(Buffer.from(variant)), f).toBe(false);
        }
      }
      // The secret crossed the bridge only inward, as the payload of add / edit.
      const carrying = app.calls
        .filter((c) => JSON.stringify(c.payload).includes(second.secret) || JSON.stringify(c.payload).includes(WRONG))
        .map((c) => c.channel);
      expect([...new Set(carrying)].sort()).toEqual(['applications.add', 'applications.edit']);
      expect(responses.length).toBeGreaterThan(10);
      expect(app.pageErrors).toEqual([]);
    } finally {
      await app.close();
    }
  });

  it('Audit screen: the actions, filters, CSV and JSON export', async () => {
    const app = await launchConsole({ router, bus, hash: '#/audit' });
    const { page } = app;
    try {
      const table = page.getByTestId('audit-table');
      await table.locator('tbody tr').first().waitFor();
      const text = (await table.textContent()) ?? '';
      // The actions in words, not codes.
      for (const action of [
        'Sandbox application created',
        'Application added',
        'Connection tested',
        'Application made active',
        'Application edited',
        'Application removed',
      ])
        expect(text).toContain(action);
      expect(text).not.toContain('application.activate');
      // Each entry names the admin who did it.
      expect(text).toContain(`${userInfo().username}@${hostname()}`);
      await app.screenshot('audit-light');

      // Outcome filter: only failures (the invalid add, the wrong-secret test).
      await page.getByLabel('Outcome', { exact: true }).selectOption('error');
      await expect
        .poll(async () => {
          const rows = await table.locator('tbody tr').allTextContents();
          return rows.length > 0 && rows.every((r) => !r.includes('Succeeded'));
        })
        .toBe(true);
      expect(await table.textContent()).toContain('Not authorized');
      // A row's details: the raw codes behind the words.
      await table
        .locator('tbody tr')
        .first()
        .getByRole('button', { name: /^Details:/ })
        .click();
      const details = page.getByTestId('audit-details');
      expect(await details.textContent()).toContain('unauthorized');
      expect(await details.textContent()).toContain('application.test');
      await app.screenshot('audit-details-light');
      // Action filter.
      await page.getByLabel('Outcome', { exact: true }).selectOption('');
      await page.getByLabel('Action', { exact: true }).selectOption('application.remove');
      await expect.poll(() => table.locator('tbody tr').count()).toBe(1);
      await page.getByRole('button', { name: 'Clear filters' }).click();
      // Text search: the target, action, admin or application name.
      await page.getByLabel('Search', { exact: true }).fill('(EDITED)');
      await expect
        .poll(async () =>
          (await table.locator('tbody tr').allTextContents()).every((r) => r.includes('Second app (edited)')),
        )
        .toBe(true);
      await page.getByLabel('Action', { exact: true }).selectOption('application.remove');
      await expect.poll(() => table.locator('tbody tr').count()).toBe(1);
      // Date filter: a range in the past matches nothing.
      await page.getByLabel('From', { exact: true }).fill('2001-01-01');
      await page.getByLabel('To', { exact: true }).fill('2001-01-02');
      await expect.poll(() => table.textContent()).toContain('No entries match');
      await page.getByRole('button', { name: 'Clear filters' }).click();

      await page.getByRole('button', { name: 'Export CSV' }).click();
      await expect.poll(() => page.getByTestId('export-result').textContent()).toMatch(/Exported \d+ entries to/);
      const csvPath = ((await page.getByTestId('export-result').textContent()) ?? '').replace(/^.* to /, '').trim();
      const csv = readFileSync(csvPath, 'utf8').split('\r\n');
      expect(csv[0]).toBe('time,application,admin,action,target,outcome,errorCode');
      expect(csv.some((l) => l.includes('application.remove') && l.includes('Second app (edited)'))).toBe(true);
      expect(csv.some((l) => l.includes('application.test') && l.endsWith('error,unauthorized'))).toBe(true);

      await page.getByRole('button', { name: 'Export JSON' }).click();
      await expect.poll(() => page.getByTestId('export-result').textContent()).toMatch(/\.json$/);
      const jsonPath = ((await page.getByTestId('export-result').textContent()) ?? '').replace(/^.* to /, '').trim();
      const rows = JSON.parse(readFileSync(jsonPath, 'utf8')) as { action: string; outcome: string }[];
      expect(rows.map((r) => r.action)).toEqual(
        expect.arrayContaining(['sandbox.create', 'application.add', 'audit.export']),
      );
      expect(statSync(jsonPath).size).toBeGreaterThan(100);
      for (const secret of [second.secret, WRONG]) {
        expect(readFileSync(csvPath, 'utf8')).not.toContain(secret);
        expect(readFileSync(jsonPath, 'utf8')).not.toContain(secret);
      }
      await app.screenshot('audit-exported');
      expect(existsSync(csvPath)).toBe(true);
      expect(app.pageErrors).toEqual([]);
    } finally {
      await app.close();
    }
  });

  it('Test connection in plain words: clock off by 7 minutes, host unreachable', async () => {
    // A service whose clock is 7 minutes behind this computer's: it refuses the signature (401) with its Date header.
    const skewed = createServer((_req, res) => {
      res
        .writeHead(401, { 'content-type': 'application/json', date: new Date(Date.now() - 7 * 60_000).toUTCString() })
        .end('{"status":false,"reason":"authentication failed"}');
    });
    await new Promise<void>((done) => skewed.listen(0, '127.0.0.1', done));
    // A port nobody listens on.
    const closed = createServer();
    await new Promise<void>((done) => closed.listen(0, '127.0.0.1', done));
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((done) => closed.close(() => done()));
    const apps = t.services.applications;
    const clock = await apps.add({
      name: 'Skewed clock',
      flavour: 'IAMPASS',
      baseUrl: `http://127.0.0.1:${String((skewed.address() as AddressInfo).port)}`,
      applicationId: second.id,
      secret: second.secret,
    });
    const dead = await apps.add({
      name: 'Dead host',
      flavour: 'IAMPASS',
      baseUrl: `http://127.0.0.1:${String(deadPort)}`,
      applicationId: second.id,
      secret: second.secret,
    });
    const app = await launchConsole({ router, bus, hash: '#/applications' });
    try {
      await card(app.page, 'Skewed clock').getByRole('button', { name: 'Test connection' }).click();
      await expect
        .poll(() => card(app.page, 'Skewed clock').getByTestId('test-result').textContent(), { timeout: 15_000 })
        .toContain('Clock off by 7 minutes');
      await card(app.page, 'Dead host').getByRole('button', { name: 'Test connection' }).click();
      await expect
        .poll(() => card(app.page, 'Dead host').getByTestId('test-result').textContent(), { timeout: 15_000 })
        .toContain('Host unreachable');
      await app.screenshot('applications-test-results');
    } finally {
      await app.close();
      await apps.remove(clock.id, { name: clock.name });
      await apps.remove(dead.id, { name: dead.name });
      await new Promise<void>((done) => skewed.close(() => done()));
    }
  });

  it('Send our own user IDs: off by default (opaque IAMPASS IDs), switched on in the edit form, then a user added on the Users screen is sent under its own ID', async () => {
    const apps = t.services.applications;
    const sandbox = (await apps.list()).find((a) => a.name === 'Sandbox')!;
    apps.setActive(sandbox.id);
    const client = new IampassClient({
      flavour: 'Sandbox',
      baseUrl: sandboxUrl,
      applicationId: sandbox.applicationId,
      secret: (await t.keychain.get(sandbox.id))!,
      maxRetries: 0,
    });
    const app = await launchConsole({ router, bus, hash: '#/applications' });
    const { page } = app;
    try {
      expect(await card(page, 'Sandbox').textContent()).toContain('Random, opaque');
      await page.getByRole('button', { name: 'Edit Sandbox' }).click();
      const box = page.getByRole('dialog').getByRole('checkbox', { name: /Send our own user IDs/ });
      expect(await box.isChecked()).toBe(false);
      await box.check();
      await app.screenshot('applications-edit-own-ids');
      await page.getByRole('dialog').getByRole('button', { name: 'Save changes' }).click();
      await expect.poll(() => apps.getActive()?.sendOwnIds).toBe(true);
      await expect.poll(() => card(page, 'Sandbox').textContent()).toContain('Your user IDs');
      // Kept: the form shows it on again.
      await page.getByRole('button', { name: 'Edit Sandbox' }).click();
      expect(
        await page
          .getByRole('dialog')
          .getByRole('checkbox', { name: /Send our own user IDs/ })
          .isChecked(),
      ).toBe(true);
      await page.keyboard.press('Escape');
      await expect.poll(() => page.getByRole('dialog').count()).toBe(0);

      const userId = 'own.id+e2e@example.com';
      await page.evaluate(`window.location.hash = '#/users'`);
      await page.getByRole('button', { name: 'Add users' }).first().click();
      const dialog = page.getByTestId('add-dialog');
      await dialog.getByLabel('User ID').fill(userId);
      await dialog.getByRole('button', { name: 'Add user' }).click();
      await expect
        .poll(() => dialog.getByTestId('job-result-row').getAttribute('data-result'), { timeout: 15_000 })
        .toBe('created');
      expect(getUser(t.services.store, sandbox.id, userId)?.iampassId).toBe(userId);
      // The service knows the user under that very ID (an unknown ID is not_found).
      expect(await client.hasRegisteredDevice(userId)).toBe(false);
      expect(app.pageErrors).toEqual([]);
    } finally {
      await app.close();
      client.close();
      await apps.edit(sandbox.id, { sendOwnIds: false });
    }
  });

  for (const colorScheme of ['light', 'dark'] as const) {
    it(`axe: no serious or critical violations on Applications and Audit (${colorScheme})`, async () => {
      const app = await launchConsole({ router, bus, hash: '#/applications', colorScheme });
      try {
        for (const hash of ['#/applications', '#/audit']) {
          await app.page.evaluate(`window.location.hash = ${JSON.stringify(hash)}`);
          if (hash === '#/applications') await card(app.page, 'Sandbox').waitFor();
          else await app.page.getByTestId('audit-table').locator('tbody tr').first().waitFor();
          const results = await new AxeBuilder({ page: app.page }).analyze();
          const serious = results.violations
            .filter((v) => v.impact === 'serious' || v.impact === 'critical')
            .map((v) => `${hash} ${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
          expect(serious).toEqual([]);
          await app.screenshot(`${hash.slice(2)}-${colorScheme}`);
          // Nothing scrolls sideways; cut text ends in an ellipsis with its full text as a title; both sizes.
          expect(await layoutProblems(app.page), `${hash} 1280`).toEqual([]);
          await app.page.setViewportSize({ width: 1024, height: 768 });
          expect(await layoutProblems(app.page), `${hash} 1024`).toEqual([]);
          const narrow = await new AxeBuilder({ page: app.page }).analyze();
          expect(
            narrow.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id),
            `${hash} 1024`,
          ).toEqual([]);
          await app.screenshot(`${hash.slice(2)}-${colorScheme}-1024`);
          await app.page.setViewportSize({ width: 1280, height: 800 });
        }
        // The add dialog too.
        await app.page.evaluate(`window.location.hash = '#/applications'`);
        await app.page.getByRole('button', { name: 'Add application' }).last().click();
        await app.page.getByRole('dialog').waitFor();
        const dialog = await new AxeBuilder({ page: app.page }).include('dialog').analyze();
        expect(
          dialog.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id),
        ).toEqual([]);
        await app.screenshot(`applications-add-${colorScheme}`);
        await app.page.keyboard.press('Escape');
        await expect.poll(() => app.page.getByRole('dialog').count()).toBe(0);
      } finally {
        await app.close();
      }
    });
  }
});
