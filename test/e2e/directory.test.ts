// The users-directory wizard and a linked Users screen in Chromium on the
// built renderer, with the real router and services (SQLite, the OS keychain)
// against a throwaway PostgreSQL cluster and the real sandbox: connect, the
// guessed mapping, the dry run, link; the application's users listed as not
// at IAMPASS, one added from its row; a read-only login's banner. The database
// password never reaches the page. Screenshots at 1280x800 light and
// 1024x768 dark; axe on the wizard.
import { AxeBuilder } from '@axe-core/playwright';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createHandlers } from '../../src/main/ipc/handlers/index.ts';
import { createEventBus, createRouter } from '../../src/main/ipc/router.ts';
import { VirtualPhone } from '../../src/sandbox/phone.ts';
import { startSandbox, type Sandbox } from '../../src/sandbox/server.ts';
import { startPostgres, type PgCluster } from '../support/postgres.ts';
import { openTestServices, type TestServices } from '../support/services.ts';
import { closeBrowser, launchConsole, type ConsoleUnderTest } from './harness.ts';
import { layoutProblems } from './layout.ts';

type Page = ConsoleUnderTest['page'];

const PASSWORD = 'e2e-db-password-7731';
let t: TestServices;
let sandbox: Sandbox;
let cluster: PgCluster;

beforeAll(async () => {
  t = await openTestServices();
  sandbox = await startSandbox({});
  cluster = await startPostgres();
  cluster.createDatabase('shop');
  cluster.sql(`CREATE ROLE console LOGIN PASSWORD '${PASSWORD}'; CREATE ROLE viewer LOGIN PASSWORD 'pw-viewer'`);
  cluster.sql(
    `CREATE TABLE customers (id serial PRIMARY KEY, email text NOT NULL UNIQUE, full_name text, phone text, iampass_id text UNIQUE);
     INSERT INTO customers (email, full_name, phone)
       SELECT 'customer' || g || '@shop.example', 'Customer ' || g, '+4479460' || lpad(g::text, 5, '0') FROM generate_series(1, 40) g;
     CREATE TABLE orders (id serial PRIMARY KEY, customer_id int REFERENCES customers, total numeric);
     GRANT SELECT, UPDATE ON customers TO console; GRANT SELECT ON customers, orders TO viewer;`,
    'shop',
  );
}, 60_000);
afterAll(async () => {
  await closeBrowser();
  await t?.cleanup();
  await sandbox?.close();
  await cluster?.stop();
});

async function profile(name: string): Promise<void> {
  const app = await new VirtualPhone(sandbox.baseUrl).createApplication();
  const p = await t.services.applications.add({
    name,
    flavour: 'Sandbox',
    baseUrl: sandbox.baseUrl,
    applicationId: app.id,
    secret: app.secret,
  });
  t.services.applications.setActive(p.id);
}

async function idsInTable(): Promise<number> {
  const client = new pg.Client({ connectionString: cluster.url('shop') });
  await client.connect();
  try {
    return Number((await client.query<{ n: string }>('SELECT count(iampass_id) AS n FROM customers')).rows[0]!.n);
  } finally {
    await client.end();
  }
}

/** The console on the test services, in a scheme and size. */
function launch(colorScheme: 'light' | 'dark', width: number, height: number) {
  const bus = createEventBus();
  return launchConsole({
    bus,
    router: createRouter(createHandlers({ app: { version: 'e2e', dataDir: t.dataDir }, services: t.services, bus })),
    colorScheme,
    viewport: { width, height },
  });
}

/** Applications → Users directory…, connected to the shop database as `login`, once the users table is guessed. */
async function connectWizard(page: Page, login: string, password: string) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Applications' }).click();
  await page.getByRole('button', { name: 'Users directory…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Users directory' });
  const form = dialog.getByTestId('directory-settings');
  await form.waitFor();
  await form.getByLabel('Port', { exact: true }).fill(String(cluster.port));
  await form.getByLabel('Database', { exact: true }).fill('shop');
  await form.getByLabel('User', { exact: true }).fill(login);
  await form.getByLabel('Password', { exact: true }).fill(password);
  await form.getByRole('button', { name: 'Connect' }).click();
  // The mapping is guessed from the column names.
  await expect.poll(() => form.getByLabel('Users table').inputValue()).toBe('customers');
  return { dialog, form };
}

it('links the active application to its PostgreSQL users table through the wizard, then adds a user from the Users screen', async () => {
  for (const [scheme, width, height, login, password] of [
    ['light', 1280, 800, 'console', PASSWORD],
    ['dark', 1024, 768, 'viewer', 'pw-viewer'],
  ] as const) {
    await profile(`Shop ${scheme}`);
    const app = await launch(scheme, width, height);
    try {
      const page = app.page;
      const { dialog, form } = await connectWizard(page, login, password);
      expect(await form.getByLabel('User ID').inputValue()).toBe('email');
      expect(await form.getByLabel('Display name').inputValue()).toBe('full_name');
      expect(await form.getByLabel('Phone').inputValue()).toBe('phone');
      expect(await form.getByLabel('IAMPASS ID column').inputValue()).toBe('iampass_id');
      expect(await layoutProblems(page), `directory-connect ${scheme} ${width}`).toEqual([]);
      await app.screenshot(`directory-connect-${scheme}-${width}`);
      await form.getByRole('button', { name: 'Check (writes nothing)' }).click();
      const check = form.getByTestId('directory-check');
      await check.waitFor();
      // The first pass adds one user; the second (read-only) sees its ID.
      expect(await check.textContent()).toContain(`40 users, ${login === 'console' ? 0 : 1} with an IAMPASS ID`);
      expect(await check.textContent()).toContain('customer1@shop.example');
      expect(await layoutProblems(page), `directory-wizard ${scheme} ${width}`).toEqual([]);
      await app.screenshot(`directory-wizard-${scheme}-${width}`);
      if (scheme === 'light') {
        const axe = await new AxeBuilder({ page }).include('[data-testid="directory-settings"]').analyze();
        expect(axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);
      }
      await form.getByRole('button', { name: 'Link' }).click();
      await dialog.waitFor({ state: 'hidden' });

      await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Users' }).click();
      await expect.poll(() => page.getByTestId('users-count').textContent()).toContain('40 users');
      expect(await page.getByTestId('users-source').textContent()).toContain('postgresql://');
      const target = login === 'console' ? 'customer2@shop.example' : 'customer3@shop.example';
      const first = page.locator(`[data-testid="user-row"][data-user-id="${target}"]`);
      expect(await first.getByTestId('device-state').getAttribute('data-state')).toBe('absent');
      if (login === 'viewer') {
        await page.getByTestId('users-read-only').waitFor();
        expect(await page.getByRole('button', { name: 'Add users' }).isDisabled()).toBe(true);
        expect(await first.getByRole('button', { name: `Add ${target} to IAMPASS` }).isDisabled()).toBe(true);
      } else {
        await first.getByRole('button', { name: `Add ${target} to IAMPASS` }).click();
        await expect
          .poll(() => first.getByTestId('device-state').getAttribute('data-state'), { timeout: 10_000 })
          .toBe('unknown');
        expect(await idsInTable()).toBe(1);
      }
      expect(await layoutProblems(page), `directory-users ${scheme} ${width}`).toEqual([]);
      await app.screenshot(`directory-users-${scheme}-${width}`);
      // The password went in once and never came back.
      expect(await page.content()).not.toContain(password);
      expect(JSON.stringify(app.calls.filter((c) => c.channel === 'directory.view'))).not.toContain(password);
    } finally {
      await app.close();
    }
  }
}, 120_000);

it('team mode: the wizard shows the team schema DDL and links with it; the Audit screen shows the log every admin shares, naming the admin', async () => {
  cluster.sql('GRANT CREATE ON DATABASE shop TO console');
  for (const [scheme, width, height] of [
    ['light', 1280, 800],
    ['dark', 1280, 800],
    ['light', 1024, 768],
    ['dark', 1024, 768],
  ] as const) {
    const schema = `team_${scheme}_${width}`;
    await profile(`Team ${scheme} ${width}`);
    const app = await launch(scheme, width, height);
    try {
      const page = app.page;
      const nav = page.getByRole('navigation', { name: 'Main' });
      const { dialog, form } = await connectWizard(page, 'console', PASSWORD);
      await form.getByLabel(/Team mode/).check();
      await form.getByLabel('Team schema').fill(schema);
      await form.locator('.dir-team').scrollIntoViewIfNeeded();
      await app.screenshot(`directory-team-option-${scheme}-${width}`);
      await form.getByRole('button', { name: 'Check (writes nothing)' }).click();
      await form.getByTestId('directory-check').waitFor();
      expect(await form.getByTestId('directory-check').textContent()).toContain('team tables exist');
      expect(await form.locator('.dir-ddl__sql').textContent()).toContain(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
      // The check wrote nothing: no team schema yet.
      expect(cluster.sql(`SELECT count(*) FROM pg_namespace WHERE nspname = '${schema}'`, 'shop').trim()).toBe('0');
      expect(await form.getByRole('button', { name: 'Link' }).isDisabled()).toBe(true);
      await form.getByLabel(/Run this before linking/).check();
      await form.locator('.dir-ddl').scrollIntoViewIfNeeded();
      expect(await layoutProblems(page), `directory-team-ddl ${scheme} ${width}`).toEqual([]);
      await app.screenshot(`directory-team-ddl-${scheme}-${width}`);
      await form.getByRole('button', { name: 'Link' }).click();
      await dialog.waitFor({ state: 'hidden' });

      await nav.getByRole('button', { name: 'Audit' }).click();
      const welcome = page.getByRole('button', { name: 'Got it' });
      if (await welcome.isVisible()) await welcome.click();
      const scope = page.getByLabel('Log', { exact: true });
      await scope.selectOption('team');
      const table = page.getByTestId('audit-table');
      // The action in words (its code is in the row's details).
      await expect.poll(() => table.textContent()).toContain("Linked to the application's users table");
      const row = table.locator('tr', { hasText: "Linked to the application's users table" }).first();
      expect(await row.textContent()).toContain(`Team ${scheme} ${width}`);
      expect(await row.textContent()).toMatch(/\S+@\S+/);
      // Only this application's entries: no other profile's link.
      expect(await table.textContent()).not.toContain('Shop light');
      await app.screenshot(`audit-team-${scheme}-${width}`);
      if (scheme === 'light' && width === 1280) {
        const axe = await new AxeBuilder({ page }).include('main').analyze();
        expect(axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);
      }
      expect(await page.content()).not.toContain(PASSWORD);
    } finally {
      await app.close();
    }
  }
}, 180_000);
