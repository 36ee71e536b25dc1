// The console's one Dialog (components/Dialog.tsx) wherever it is used on the
// Users screen (Add users, Delete, Export, the registration QR) and the
// Sessions screen (Authenticate), at 1024x768 and 1280x800 in light and dark, in Chromium on
// the built renderer with the real services and the sandbox. Each opens from
// its button, shows its title, fits the window without horizontal overflow,
// (and the Users screen under it passes the layout check of layout.ts),
// passes axe (no serious or critical finding), closes on Escape and gives
// the focus back to the button that opened it. Screenshots of each.
import { AxeBuilder } from '@axe-core/playwright';
import { afterAll, expect, it } from 'vitest';
import { FIRST_RUN_DISMISSED_KEY } from '../../src/main/services/applications.ts';
import { setSetting } from '../../src/main/store/profiles.ts';
import { usersFixture } from '../unit/users/fixture.ts';
import { closeBrowser, launchOnServices } from './harness.ts';
import { layoutProblems } from './layout.ts';

afterAll(closeBrowser);

// Evaluated in the page on an element (typed here: the tests compile without the DOM library).
interface Box {
  scrollWidth: number;
  clientWidth: number;
  getBoundingClientRect(): { right: number; bottom: number };
  ownerDocument: { activeElement: unknown };
}
const fit = (el: Box) => ({
  overflow: el.scrollWidth - el.clientWidth,
  right: el.getBoundingClientRect().right,
  bottom: el.getBoundingClientRect().bottom,
});
const focused = (el: Box) => el === el.ownerDocument.activeElement;
const mixed = (el: { checked: boolean; indeterminate: boolean }) => [el.checked, el.indeterminate];

const USER = 'chloé.dubois+long-address-for-the-title@corp.example';

it('every dialog: opens, fits, passes axe, closes on Escape with the focus back; 1024x768 and 1280x800, light and dark', async () => {
  const f = await usersFixture({ pollMs: 40 });
  try {
    await f.finished(f.services.users.add([{ userId: USER, displayName: 'Chloé Dubois' }, { userId: 'bob' }]));
    for (const [colorScheme, width, height] of [
      ['light', 1280, 800],
      ['dark', 1280, 800],
      ['light', 1024, 768],
      ['dark', 1024, 768],
    ] as const) {
      // The welcome card again for each size and scheme (dismissing it is remembered).
      setSetting(f.services.store, FIRST_RUN_DISMISSED_KEY, null);
      const app = await launchOnServices(f, {
        colorScheme,
        viewport: { width, height },
        ports: {
          onboardingPorts: {
            clipboard: { writeText: () => undefined },
            saveFile: { save: () => Promise.resolve(false) },
          },
        },
      });
      try {
        const page = app.page;
        await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Users' }).click();
        // The welcome card says what is active (here the Sandbox profile); the footer speaks of the console, not IAMPASS.
        await expect
          .poll(() => page.getByTestId('first-run-lead').textContent())
          .toContain('"Sandbox" is the built-in sandbox');
        expect(await page.getByTestId('status').textContent()).toContain('Console ready');
        await app.screenshot(`first-run-${colorScheme}-${width}`);
        await page.getByRole('button', { name: 'Got it' }).click();
        const row = page.locator(`[data-testid="user-row"][data-user-id="${USER}"]`);
        await row.waitFor();
        // The Users screen itself: nothing scrolls sideways, cut text ends in an ellipsis with a full-text title.
        expect(await layoutProblems(page), `${colorScheme} ${width}`).toEqual([]);
        const screenAxe = await new AxeBuilder({ page }).include('main').analyze();
        expect(
          screenAxe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id),
          `users screen ${colorScheme} ${width}`,
        ).toEqual([]);
        const dialogs: {
          name: string;
          title: RegExp;
          open: () => Promise<void>;
          opener: () => ReturnType<typeof page.locator>;
        }[] = [
          {
            name: 'add',
            title: /^Add users$/,
            opener: () => page.getByRole('button', { name: 'Add users' }).first(),
            open: () => page.getByRole('button', { name: 'Add users' }).first().click(),
          },
          {
            name: 'export',
            title: /^Export 2 users$/,
            opener: () => page.getByTestId('users-export'),
            open: () => page.getByTestId('users-export').click(),
          },
          {
            name: 'qr',
            title: new RegExp(USER.replace(/[.+]/g, '\\$&')),
            opener: () => row.getByRole('button', { name: `Show registration QR for ${USER}` }),
            open: () => row.getByRole('button', { name: `Show registration QR for ${USER}` }).click(),
          },
          {
            name: 'invite',
            title: /^Invite 1 user$/,
            opener: () => page.getByTestId('bulk-bar').getByRole('button', { name: 'Invite…' }),
            open: async () => {
              await page.getByLabel(`Select ${USER}`).click();
              await page.getByTestId('bulk-bar').getByRole('button', { name: 'Invite…' }).click();
            },
          },
          {
            name: 'delete',
            title: /^Delete 1 user$/,
            opener: () => page.getByTestId('bulk-bar').getByRole('button', { name: 'Delete' }),
            open: async () => {
              await page.getByLabel(`Select ${USER}`).click();
              // One of two selected: the header checkbox is indeterminate; the selected row keeps its badge outlined.
              expect(await page.getByTestId('select-all').evaluate(mixed)).toEqual([false, true]);
              await app.screenshot(`users-selected-${colorScheme}-${width}`);
              await page.getByTestId('bulk-bar').getByRole('button', { name: 'Delete' }).click();
            },
          },
        ];
        /** Opens a dialog from its button: title, fits, layout check, axe, Escape closes, the focus is back. */
        const check = async (d: (typeof dialogs)[number]) => {
          await d.open();
          const dialog = page.getByRole('dialog');
          await dialog.waitFor();
          expect(await dialog.getByRole('heading').first().textContent(), d.name).toMatch(d.title);
          // Fits: nothing in the dialog scrolls sideways, and the dialog is inside the window.
          const box = await dialog.evaluate(fit);
          expect(box.overflow, `${d.name} ${colorScheme} ${width}`).toBeLessThanOrEqual(0);
          expect(box.right).toBeLessThanOrEqual(width);
          expect(box.bottom).toBeLessThanOrEqual(height);
          // Its content too: cut text ends in an ellipsis with a full-text title (the dialog is inside <main>).
          expect(await layoutProblems(page), `${d.name} ${colorScheme} ${width}`).toEqual([]);
          await app.screenshot(`dialog-${d.name}-${colorScheme}-${width}`);
          // axe at every size and scheme (contrast differs between the schemes).
          const axe = await new AxeBuilder({ page }).include('dialog').analyze();
          expect(
            axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id),
            `${d.name} ${colorScheme} ${width}`,
          ).toEqual([]);
          await page.keyboard.press('Escape');
          await expect.poll(() => page.getByRole('dialog').count(), { message: d.name }).toBe(0);
          // The focus is back on what opened it.
          expect(await d.opener().evaluate(focused), d.name).toBe(true);
          if (d.name === 'delete' || d.name === 'invite') await page.getByLabel(`Select ${USER}`).click();
        };
        for (const d of dialogs) await check(d);
        // Authenticate, from the Sessions screen: the user typed, then Escape and the focus back on the button.
        await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Sessions' }).click();
        const opener = page.getByRole('button', { name: 'Authenticate…' });
        await opener.click();
        const auth = page.getByRole('dialog', { name: 'Authenticate a user' });
        await auth.getByLabel('User ID').fill(USER);
        await expect.poll(() => auth.getByLabel('User ID').inputValue()).toBe(USER);
        expect((await auth.evaluate(fit)).overflow).toBeLessThanOrEqual(0);
        expect(await layoutProblems(page), `authenticate ${colorScheme} ${width}`).toEqual([]);
        const authAxe = await new AxeBuilder({ page }).include('dialog').analyze();
        expect(
          authAxe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id),
          `authenticate ${colorScheme} ${width}`,
        ).toEqual([]);
        // On the sandbox the dialog opens the user's own phone (to approve what it sends).
        const before = app.phones.length;
        await auth.getByRole('button', { name: 'Open virtual phone' }).click();
        await expect.poll(() => app.phones.length).toBe(before + 1);
        expect(app.phones.at(-1)).toContain(`/sandbox/phone/user/`);
        await app.screenshot(`dialog-authenticate-${colorScheme}-${width}`);
        await page.keyboard.press('Escape');
        await expect.poll(() => page.getByRole('dialog').count()).toBe(0);
        expect(await opener.evaluate(focused)).toBe(true);
        // The Applications screen's dialogs: add (the form) and remove (the confirmation).
        await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Applications' }).click();
        for (const d of [
          {
            name: 'add-application',
            title: /^Add application$/,
            opener: () => page.getByRole('button', { name: 'Add application' }).last(),
            open: () => page.getByRole('button', { name: 'Add application' }).last().click(),
          },
          {
            name: 'remove-application',
            title: /^Remove application$/,
            opener: () => page.getByRole('button', { name: 'Remove Sandbox' }),
            open: () => page.getByRole('button', { name: 'Remove Sandbox' }).click(),
          },
        ])
          await check(d);
      } finally {
        await app.close();
      }
    }
  } finally {
    await f.close();
  }
}, 120_000);
