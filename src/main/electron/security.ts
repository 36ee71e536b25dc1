/**
 * The Electron security checklist, in one place: the Content-Security-Policy,
 * window options, navigation / window.open / webview / permission denial and
 * the sender-frame check every IPC handler goes through.
 */
import type * as Electron from 'electron';
import type { Session, WebContents, WebFrameMain } from 'electron';

/** The built app's policy: scripts and styles only from the app itself, nothing inline, no eval. */
export const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

/** electron-vite dev only (React Fast Refresh injects an inline preamble and uses a websocket). Never used by a built app. */
export const DEV_CSP = CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'").replace(
  "connect-src 'self'",
  "connect-src 'self' ws://localhost:* ws://127.0.0.1:*",
);

/**
 * The console window. The options are one literal at the `new BrowserWindow`
 * call on purpose: Electronegativity (run on the built main bundle) only sees
 * webPreferences written there.
 */
export function createMainWindow(
  BrowserWindow: typeof Electron.BrowserWindow,
  preloadPath: string,
  packaged: boolean,
): Electron.BrowserWindow {
  return new BrowserWindow({
    width: 1280,
    height: 820,
    minWidth: 900,
    minHeight: 600,
    show: false,
    title: 'IAMPASS Admin',
    backgroundColor: '#0f1522',
    autoHideMenuBar: true,
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      // Middle-click would otherwise open links in a new window.
      disableBlinkFeatures: 'Auxclick',
      devTools: !packaged,
    },
  });
}

/**
 * The partition of the virtual phone's windows: without a "persist:" prefix
 * its storage lives in memory, so a registration link the phone opens never
 * reaches the disk.
 */
export const PHONE_PARTITION = 'sandbox-phone';

/**
 * A window for the sandbox's phone page (the console's "Open virtual phone"):
 * no preload, sandboxed, its own in-memory session. Options written at the
 * `new BrowserWindow` call, as for the console window.
 */
export function createPhoneWindow(
  BrowserWindow: typeof Electron.BrowserWindow,
  packaged: boolean,
  /** The console's window: the phone closes with it (and never keeps the app running alone). */
  parent: Electron.BrowserWindow | null,
): Electron.BrowserWindow {
  return new BrowserWindow({
    width: 420,
    height: 760,
    title: 'Virtual phone',
    autoHideMenuBar: true,
    ...(parent ? { parent } : {}),
    webPreferences: {
      partition: PHONE_PARTITION,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      disableBlinkFeatures: 'Auxclick',
      devTools: !packaged,
    },
  });
}

/** Deny every permission request and check (camera, notifications, geolocation, WebHID/USB/Serial devices). */
export function denyPermissions(session: Session): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.setDevicePermissionHandler(() => false);
}

/** Deny every permission (denyPermissions), and add the CSP header to every response. */
export function hardenSession(session: Session, csp: string): void {
  denyPermissions(session);
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [csp] },
    });
  });
}

/** No navigation away from the app, no new windows, no webviews. Applied to every webContents created. */
export function hardenWebContents(contents: WebContents): void {
  contents.on('will-navigate', (event) => event.preventDefault());
  contents.on('will-frame-navigate', (event) => event.preventDefault());
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}

/**
 * The app's own page: in dev the electron-vite server's origin; in a build
 * the exact page `app://iampass/index.html` (scheme, host and path, no
 * credentials or port). Query and hash are ignored (the renderer routes with
 * the hash). Non-http schemes are never compared by `URL.origin`: Node gives
 * every custom-scheme URL the opaque origin "null", which would match any
 * other custom scheme.
 */
export function isAppUrl(candidate: string, appUrl: string): boolean {
  let url: URL;
  let app: URL;
  try {
    url = new URL(candidate);
    app = new URL(appUrl);
  } catch {
    return false;
  }
  if (app.protocol === 'http:' || app.protocol === 'https:') return url.origin === app.origin;
  return (
    url.protocol === app.protocol &&
    url.host === app.host &&
    url.username === '' &&
    url.password === '' &&
    url.pathname === app.pathname
  );
}

/** Only the app's own top-level frame may call the bridge. */
export function isTrustedFrame(frame: WebFrameMain | null | undefined, appUrl: string): boolean {
  if (!frame) return false;
  if (frame.parent !== null) return false;
  return isAppUrl(frame.url, appUrl);
}
