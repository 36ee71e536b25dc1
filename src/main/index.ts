/** Electron main entry: wires the real electron module into the thin layer (src/main/electron). */
import { app, BrowserWindow, clipboard, dialog, ipcMain, Notification, protocol, session } from 'electron';
import { join } from 'node:path';
import { start } from './electron/app.ts';

start({
  electron: { app, BrowserWindow, clipboard, dialog, ipcMain, Notification, protocol, session },
  preloadPath: join(import.meta.dirname, '../preload/index.cjs'),
  rendererDir: join(import.meta.dirname, '../renderer'),
  devServerUrl: process.env['ELECTRON_RENDERER_URL'],
});
