import { existsSync, statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHandlers, type HandlerDeps } from '../../src/main/ipc/handlers/index.ts';
import { createEventBus, createRouter, type Handlers } from '../../src/main/ipc/router.ts';
import { openTestServices, type TestServices } from '../support/services.ts';
import { closeBrowser, launchConsole } from './harness.ts';

let t: TestServices;
beforeAll(async () => (t = await openTestServices()));
afterAll(async () => {
  await closeBrowser();
  await t.cleanup();
});

const handlersWith = (app: HandlerDeps['app'], override: Partial<Handlers> = {}): Handlers => ({
  ...createHandlers({ app, services: t.services, bus: createEventBus() }),
  ...override,
});

describe('console shell (built renderer, real router, Chromium)', () => {
  it('renders the shell and shows app.info fetched through the bridge', async () => {
    const dataDir = '/tmp/iampass-e2e/data folder';
    const app = await launchConsole({
      handlers: handlersWith({ version: '9.8.7-e2e', dataDir, platform: 'linux' }),
    });
    try {
      await expect.poll(() => app.page.getByTestId('app-version').textContent()).toBe('9.8.7-e2e');
      expect(await app.page.getByTestId('app-platform').textContent()).toBe('linux');
      expect(await app.page.getByTestId('app-datadir').textContent()).toBe(dataDir);
      expect(await app.page.getByRole('banner').textContent()).toContain('IAMPASS Admin');
      const nav = app.page.getByRole('navigation', { name: 'Main' });
      for (const label of ['Users', 'Sessions', 'Applications', 'Audit']) {
        expect(await nav.getByRole('button', { name: label }).count()).toBe(1);
      }
      // It came through the bridge, with the contract's payload.
      expect(app.calls.filter((c) => c.channel === 'app.info')).toEqual([{ channel: 'app.info', payload: {} }]);

      await nav.getByRole('button', { name: 'Sessions' }).click();
      expect(await app.page.getByRole('heading', { level: 1 }).textContent()).toBe('Sessions');
      expect(await nav.getByRole('button', { name: 'Sessions' }).getAttribute('aria-current')).toBe('page');

      await nav.getByRole('button', { name: 'Users' }).click();
      const shot = await app.screenshot('shell-light');
      expect(existsSync(shot) && statSync(shot).size > 5_000).toBe(true);
      expect(app.pageErrors).toEqual([]);
    } finally {
      await app.close();
    }
  });

  it('re-fetches app.info when main pushes app.ready', async () => {
    let version = 'first';
    const bus = createEventBus();
    const app = await launchConsole({
      bus,
      router: {
        handle: (channel, payload, sender) => createHandlersRouter(version).handle(channel, payload, sender),
      },
    });
    try {
      await expect.poll(() => app.page.getByTestId('app-version').textContent()).toBe('first');
      version = 'second';
      bus.emit('app.ready', { at: Date.now() });
      await expect.poll(() => app.page.getByTestId('app-version').textContent()).toBe('second');
    } finally {
      await app.close();
    }
  });

  it('shows a typed error from main instead of crashing', async () => {
    const app = await launchConsole({
      handlers: handlersWith(
        { version: 'v', dataDir: '/d' },
        {
          'app.info': () => {
            throw new Error('secret-looking detail s3cr3t');
          },
        },
      ),
    });
    try {
      const error = app.page.getByTestId('status-error');
      await expect.poll(() => error.textContent()).toContain('(internal)');
      expect(await error.textContent()).not.toContain('s3cr3t');
    } finally {
      await app.close();
    }
  });

  it('follows the OS dark theme, and the CSP blocks inline script', async () => {
    const app = await launchConsole({ colorScheme: 'dark' });
    try {
      await app.page.getByTestId('app-version').waitFor();
      const bg = await app.page.evaluate('getComputedStyle(document.body).backgroundColor');
      expect(bg).toBe('rgb(15, 21, 34)');
      await app.screenshot('shell-dark');
      const outcome = await app.page.evaluate(`new Promise((done) => {
        document.addEventListener('securitypolicyviolation', (e) => done({ ran: window.__inline === true, violated: e.effectiveDirective }), { once: true });
        const s = document.createElement('script');
        s.textContent = 'window.__inline = true';
        document.body.append(s);
      })`);
      expect(outcome).toEqual({ ran: false, violated: 'script-src-elem' });
    } finally {
      await app.close();
    }
  });
});

function createHandlersRouter(version: string) {
  return createRouter(handlersWith({ version, dataDir: '/d', platform: 'linux' }));
}
