// The Electron notifier with a stand-in for electron's Notification class.
import { expect, it } from 'vitest';
import { electronNotifier, type NotificationClass } from '../../../src/main/electron/notifier.ts';

function fakeNotification(supported: boolean): NotificationClass & { shown: unknown[] } {
  const shown: unknown[] = [];
  class Fake {
    readonly options: unknown;
    constructor(options: unknown) {
      this.options = options;
    }
    show(): void {
      shown.push(this.options);
    }
    static isSupported(): boolean {
      return supported;
    }
    static shown = shown;
  }
  return Fake;
}

it('shows the alert as a plain desktop notification, bounded in length', () => {
  const N = fakeNotification(true);
  electronNotifier(N).notify({ title: 'User walked away', body: `Alice (alice) walked away.${'x'.repeat(1000)}` });
  expect(N.shown).toHaveLength(1);
  const [opts] = N.shown as { title: string; body: string }[];
  expect(opts!.title).toBe('User walked away');
  expect(opts!.body.startsWith('Alice (alice) walked away.')).toBe(true);
  expect(opts!.body.length).toBe(300);
});

it('does nothing where the platform has no notifications', () => {
  const N = fakeNotification(false);
  electronNotifier(N).notify({ title: 't', body: 'b' });
  expect(N.shown).toEqual([]);
});
