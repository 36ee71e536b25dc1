/**
 * ipcMain.handle for every contract channel: sender-frame check, then the
 * router. Events from the bus go to the window's webContents.
 */
import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import type { Result } from '../../shared/errors.ts';
import { REQUEST_CHANNELS } from '../../shared/ipc/contract.ts';
import type { EventBus, Router } from '../ipc/router.ts';
import { isTrustedFrame } from './security.ts';

export const FOREIGN_SENDER: Result<never> = {
  ok: false,
  code: 'forbidden',
  message: 'Request refused: it did not come from the console window.',
  retryable: false,
};

export function registerIpc(
  ipcMain: IpcMain,
  router: Router,
  appUrl: () => string,
  onRefused?: (channel: string) => void,
): () => void {
  for (const channel of REQUEST_CHANNELS) {
    ipcMain.handle(channel, (event: IpcMainInvokeEvent, payload: unknown) => {
      if (!isTrustedFrame(event.senderFrame, appUrl())) {
        onRefused?.(channel);
        return FOREIGN_SENDER;
      }
      return router.handle(channel, payload, { id: event.sender.id, url: event.senderFrame?.url ?? '' });
    });
  }
  return () => {
    for (const channel of REQUEST_CHANNELS) ipcMain.removeHandler(channel);
  };
}

/** Forwards every bus event to `contents` while it is alive. */
export function forwardEvents(bus: EventBus, contents: () => WebContents | null): () => void {
  return bus.subscribe((event, payload) => {
    const target = contents();
    if (target && !target.isDestroyed()) target.send(event, payload);
  });
}
