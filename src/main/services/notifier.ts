/**
 * The desktop-notification port. Services raise notifications through it; the
 * thin Electron layer implements it with Electron's `Notification`
 * (src/main/electron/notifier.ts), the CLI and tests with something else.
 * Title and body must never carry a secret, a token or a link.
 */
export interface DesktopNotification {
  title: string;
  body: string;
}

export interface Notifier {
  notify(notification: DesktopNotification): void;
}

/** Does nothing (CLI, tests that do not look). */
export const silentNotifier: Notifier = { notify() {} };
