/**
 * The Notifier port (src/main/services/notifier.ts) on Electron's
 * `Notification`: walkaway and failure alerts of the session monitor as
 * desktop notifications. Silent where the platform has none. Electron is
 * passed in, as in app.ts, so the unit test drives it with a stand-in.
 */
import type * as Electron from 'electron';
import type { DesktopNotification, Notifier } from '../services/notifier.ts';

export interface NotificationClass {
  new (options: Electron.NotificationConstructorOptions): { show(): void };
  isSupported(): boolean;
}

export function electronNotifier(Notification: NotificationClass): Notifier {
  return {
    notify(n: DesktopNotification) {
      if (!Notification.isSupported()) return;
      // Plain text only: no HTML, no actions, no reply field.
      new Notification({ title: n.title.slice(0, 120), body: n.body.slice(0, 300), silent: false }).show();
    },
  };
}
