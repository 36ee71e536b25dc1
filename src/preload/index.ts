/** The bridge, nothing more: contract channels only, through ipcRenderer. */
import { contextBridge, ipcRenderer } from 'electron';
import { BRIDGE_GLOBAL, isEventChannel, isRequestChannel, type BridgeApi } from '../shared/ipc/contract.ts';

const api: BridgeApi = {
  invoke: (channel, payload) =>
    isRequestChannel(channel) ? ipcRenderer.invoke(channel, payload) : Promise.reject(new Error('Unknown channel')),
  on: (event, listener) => {
    if (!isEventChannel(event)) throw new Error('Unknown event');
    const wrapped = (_e: unknown, payload: unknown): void => listener(payload as never);
    ipcRenderer.on(event, wrapped);
    return () => void ipcRenderer.removeListener(event, wrapped);
  },
};

contextBridge.exposeInMainWorld(BRIDGE_GLOBAL, api);
