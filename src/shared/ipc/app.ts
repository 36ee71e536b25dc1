/** Feature: the application itself (version, platform, data folder). */
import { z } from 'zod';
import { event, request } from './define.ts';

export interface AppInfo {
  /** The console's version (package.json / app.getVersion()). */
  version: string;
  /** process.platform of the main process: 'linux', 'darwin', 'win32', ... */
  platform: string;
  /** Absolute path of the folder holding the store and logs. */
  dataDir: string;
}

export const appRequests = {
  'app.info': request(z.object({}).strict()).returns<AppInfo>(),
};

export const appEvents = {
  /** Sent when the window has loaded (and again after a reload); the shell re-reads app.info. */
  'app.ready': event<{ at: number }>(),
};
