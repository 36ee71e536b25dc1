/**
 * The Electron app's composition root (the bundle's out/main/index.js): wires
 * the real electron module and the sandbox launcher into the thin layer
 * (src/main/electron), which imports neither.
 */
import { app, BrowserWindow, clipboard, dialog, ipcMain, Notification, protocol, session } from 'electron';
import { join } from 'node:path';
import { start } from '../main/electron/app.ts';
import { sandboxLauncher } from '../sandbox/launcher.ts';

start({
  electron: { app, BrowserWindow, clipboard, dialog, ipcMain, Notification, protocol, session },
  preloadPath: join(import.meta.dirname, '../preload/index.cjs'),
  rendererDir: join(import.meta.dirname, '../renderer'),
  devServerUrl: process.env['ELECTRON_RENDERER_URL'],
  launcher: sandboxLauncher,
});
