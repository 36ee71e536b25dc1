/**
 * The thin Electron layer's start-up: single-instance lock, hardened session
 * and window, IPC through the sender check into the router. Everything is
 * passed in (electron's modules, paths) so tests can drive it with a mock.
 */
import type * as Electron from 'electron';
import { join } from 'node:path';
import { AppError, toErrorInfo } from '../../shared/errors.ts';
import { createHandlers } from '../ipc/handlers/index.ts';
import type { SaveFile } from '../ipc/handlers/audit.ts';
import type { OpenPhone } from '../ipc/handlers/sandbox.ts';
import type { OnboardingPorts } from '../ipc/handlers/users.ts';
import { createEventBus, createRouter, type EventBus } from '../ipc/router.ts';
import type { SandboxLauncher } from '../services/first-run.ts';
import { openServices, type Services } from '../services/index.ts';
import { warmDirectory } from '../services/users.ts';
import { writePrivateFile } from '../../node/files.ts';
import type { StartupState } from '../../shared/ipc/applications.ts';
import { forwardEvents, registerIpc } from './ipc.ts';
import { electronNotifier } from './notifier.ts';
import { APP_INDEX_URL, APP_SCHEME, APP_SCHEME_PRIVILEGES, createAppProtocolHandler } from './protocol.ts';
import {
  createMainWindow,
  createPhoneWindow,
  CSP,
  denyPermissions,
  DEV_CSP,
  hardenSession,
  hardenWebContents,
  PHONE_PARTITION,
} from './security.ts';

export interface StartOptions {
  electron: Pick<typeof Electron, 'app' | 'BrowserWindow' | 'ipcMain' | 'protocol' | 'session'> &
    Partial<Pick<typeof Electron, 'dialog' | 'Notification' | 'clipboard'>>;
  /** Absolute path of the built preload (out/preload/index.cjs). */
  preloadPath: string;
  /** Absolute path of the built renderer folder (out/renderer), served as app://iampass/. */
  rendererDir: string;
  /** electron-vite dev server URL (ELECTRON_RENDERER_URL), when running `npm start`. */
  devServerUrl?: string | undefined;
  /** Starts and stops the embedded sandbox (injected by the composition root, src/electron/main.ts). */
  launcher?: SandboxLauncher;
  /** Opens the services on the data folder (default: the real openServices: OS keychain, the launcher's sandbox). */
  openServices?: (dataDir: string) => Services;
}

export interface Started {
  /** false when another instance already runs (this one quits). */
  primary: boolean;
  bus: EventBus;
  /** The services (null in a secondary instance). */
  services: Services | null;
  /** Resolves when the sandbox step ran and the window started loading. */
  ready: Promise<void>;
}

export function start(options: StartOptions): Started {
  const { app, BrowserWindow, ipcMain, protocol, session } = options.electron;
  const bus = createEventBus();
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return { primary: false, bus, services: null, ready: Promise.resolve() };
  }

  // Before ready, as Electron requires: the renderer's own origin, app://iampass (see protocol.ts).
  protocol.registerSchemesAsPrivileged([APP_SCHEME_PRIVILEGES]);

  const dev = !app.isPackaged && options.devServerUrl !== undefined && options.devServerUrl !== '';
  const appUrl = dev ? options.devServerUrl! : APP_INDEX_URL;
  let window: Electron.BrowserWindow | null = null;

  app.on('second-instance', () => {
    if (!window) return;
    if (window.isMinimized()) window.restore();
    window.focus();
  });
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents));
  app.on('window-all-closed', () => app.quit());

  const dataDir = app.getPath('userData');
  // Walkaway / failure alerts of the session monitor as desktop notifications.
  const notifier = options.electron.Notification ? electronNotifier(options.electron.Notification) : undefined;
  const services = (
    options.openServices ??
    ((dir: string) =>
      openServices({
        dataDir: dir,
        ...(options.launcher ? { launcher: options.launcher } : {}),
        ...(notifier ? { notifier } : {}),
      }))
  )(dataDir);
  // Filled in by the first-run step below; the renderer reads it through startup.status.
  const startup: StartupState = { phase: 'starting', firstRun: false, sandbox: null, error: null };
  let closed = false;
  app.on('will-quit', (event) => {
    if (closed) return;
    event.preventDefault();
    closed = true;
    void services
      .close()
      .catch((error: unknown) =>
        console.error('closing the services failed:', error instanceof Error ? error.name : typeof error),
      )
      .finally(() => app.quit());
  });

  // Audit exports: the admin picks the file in a native save dialog; main writes it (owner-only).
  const dialog = options.electron.dialog;
  const saveFile: SaveFile = async ({ suggestedName, content, format }) => {
    if (!dialog || !window) return null;
    const chosen = await dialog.showSaveDialog(window, {
      title: 'Export the audit log',
      defaultPath: join(app.getPath('documents'), suggestedName),
      filters: [format === 'csv' ? { name: 'CSV', extensions: ['csv'] } : { name: 'JSON', extensions: ['json'] }],
    });
    if (chosen.canceled || !chosen.filePath) return null;
    await writePrivateFile(chosen.filePath, content);
    return chosen.filePath;
  };

  // The registration-QR dialog: main copies the link (it never reaches the renderer) and saves the PNG/SVG.
  const clipboard = options.electron.clipboard;
  const onboardingPorts: OnboardingPorts = {
    ...(clipboard ? { clipboard: { writeText: (text: string) => clipboard.writeText(text) } } : {}),
    saveFile: {
      async save({ suggestedName, format, data }) {
        if (!dialog || !window) return false;
        const chosen = await dialog.showSaveDialog(window, {
          title: 'Save the registration code',
          defaultPath: join(app.getPath('documents'), suggestedName),
          filters: [
            format === 'png' ? { name: 'PNG image', extensions: ['png'] } : { name: 'SVG image', extensions: ['svg'] },
          ],
        });
        if (chosen.canceled || !chosen.filePath) return false;
        await writePrivateFile(chosen.filePath, data);
        return true;
      },
    },
    // Users exports: the admin picks the file; the users service streams the rows into it (owner-only).
    async exportPath({ suggestedName, format }) {
      if (!dialog || !window) return null;
      const chosen = await dialog.showSaveDialog(window, {
        title: 'Export users',
        defaultPath: join(app.getPath('documents'), suggestedName),
        filters: [format === 'csv' ? { name: 'CSV', extensions: ['csv'] } : { name: 'JSON', extensions: ['json'] }],
      });
      return chosen.canceled || !chosen.filePath ? null : chosen.filePath;
    },
  };

  // "Open virtual phone": the sandbox's phone page in a window of its own, its storage in memory.
  let phoneSession = false;
  const openPhone: OpenPhone = async (url) => {
    if (!phoneSession) {
      denyPermissions(session.fromPartition(PHONE_PARTITION));
      phoneSession = true;
    }
    const phone = createPhoneWindow(BrowserWindow, app.isPackaged, window);
    try {
      await phone.loadURL(url);
    } catch (error) {
      if (!phone.isDestroyed()) phone.close();
      throw new AppError('network', 'The virtual phone did not open: the sandbox did not answer.', { cause: error });
    }
  };

  const router = createRouter(
    createHandlers({
      app: { version: app.getVersion(), dataDir },
      services,
      bus,
      startup: () => startup,
      saveFile,
      onboardingPorts,
      openPhone,
    }),
    {
      onError: (channel, error) =>
        console.error(`ipc ${channel} failed:`, error instanceof Error ? error.name : typeof error),
    },
  );
  registerIpc(
    ipcMain,
    router,
    () => appUrl,
    (channel) => console.warn(`ipc ${channel}: refused a call from a foreign frame`),
  );
  forwardEvents(bus, () => window?.webContents ?? null);

  const ready = app.whenReady().then(async () => {
    // First run / restart of the embedded sandbox before the window loads, so the
    // console opens on a working profile. A failure is shown, not fatal.
    try {
      const first = await services.ensureSandbox();
      startup.firstRun = first.firstRun;
      startup.sandbox = first.sandbox ? { baseUrl: first.sandbox.baseUrl, profileId: first.profile?.id ?? null } : null;
      startup.phase = 'ready';
    } catch (error) {
      startup.phase = 'failed';
      startup.error = toErrorInfo(error);
      console.error('starting the sandbox failed:', startup.error.code);
    }
    // Changes an earlier run left unsettled (a crash, a lost answer) are settled on start, as a job the Users screen shows.
    try {
      if (services.users.recoverable() > 0) services.users.reconcile();
    } catch (error) {
      console.error('recovery on start failed:', toErrorInfo(error).code);
    }
    hardenSession(session.defaultSession, dev ? DEV_CSP : CSP);
    // The built renderer over app:// (only files under rendererDir, the CSP as a header); `npm start` uses the dev server.
    if (!dev) protocol.handle(APP_SCHEME, createAppProtocolHandler({ root: options.rendererDir, csp: CSP }));
    window = createMainWindow(BrowserWindow, options.preloadPath, app.isPackaged);
    // Read the directory while the renderer boots (the users-ui benchmark does the same).
    void warmDirectory(services.users, (code) => console.warn('warming the directory read failed:', code));
    const shown = window;
    shown.once('ready-to-show', () => shown.show());
    shown.webContents.on('did-finish-load', () => bus.emit('app.ready', { at: Date.now() }));
    shown.on('closed', () => {
      window = null;
    });
    await shown.loadURL(appUrl);
  });

  return { primary: true, bus, services, ready };
}
