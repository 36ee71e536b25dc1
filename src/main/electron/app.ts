/**
 * The thin Electron layer's start-up: single-instance lock, hardened session
 * and window, IPC through the sender check into the router. Everything is
 * passed in (electron's modules, paths) so tests can drive it with a mock.
 */
import type * as Electron from 'electron';
import { createHandlers } from '../ipc/handlers/index.ts';
import { createEventBus, createRouter, type EventBus } from '../ipc/router.ts';
import { forwardEvents, registerIpc } from './ipc.ts';
import { createMainWindow, CSP, DEV_CSP, hardenSession, hardenWebContents } from './security.ts';

export interface StartOptions {
  electron: Pick<typeof Electron, 'app' | 'BrowserWindow' | 'ipcMain' | 'session'>;
  /** Absolute path of the built preload (out/preload/index.cjs). */
  preloadPath: string;
  /** Absolute path of the built renderer's index.html. */
  indexHtml: string;
  /** electron-vite dev server URL (ELECTRON_RENDERER_URL), when running `npm start`. */
  devServerUrl?: string | undefined;
}

export interface Started {
  /** false when another instance already runs (this one quits). */
  primary: boolean;
  bus: EventBus;
}

export function start(options: StartOptions): Started {
  const { app, BrowserWindow, ipcMain, session } = options.electron;
  const bus = createEventBus();
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return { primary: false, bus };
  }

  const dev = !app.isPackaged && options.devServerUrl !== undefined && options.devServerUrl !== '';
  const appUrl = dev ? options.devServerUrl! : new URL(`file://${options.indexHtml}`).href;
  let window: Electron.BrowserWindow | null = null;

  app.on('second-instance', () => {
    if (!window) return;
    if (window.isMinimized()) window.restore();
    window.focus();
  });
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents));
  app.on('window-all-closed', () => app.quit());

  const router = createRouter(
    createHandlers({ app: { version: app.getVersion(), dataDir: app.getPath('userData') } }),
    { onError: (channel, error) => console.error(`ipc ${channel} failed:`, error instanceof Error ? error.name : typeof error) },
  );
  registerIpc(ipcMain, router, () => appUrl, (channel) => console.warn(`ipc ${channel}: refused a call from a foreign frame`));
  forwardEvents(bus, () => window?.webContents ?? null);

  void app.whenReady().then(async () => {
    hardenSession(session.defaultSession, dev ? DEV_CSP : CSP);
    window = createMainWindow(BrowserWindow, options.preloadPath, app.isPackaged);
    const shown = window;
    shown.once('ready-to-show', () => shown.show());
    shown.webContents.on('did-finish-load', () => bus.emit('app.ready', { at: Date.now() }));
    shown.on('closed', () => {
      window = null;
    });
    if (dev) await shown.loadURL(appUrl);
    else await shown.loadFile(options.indexHtml);
  });

  return { primary: true, bus };
}
