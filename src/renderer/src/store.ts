/** UI state of the shell: the current screen and the app.info status. */
import { create } from 'zustand';
import type { ErrorInfo } from '../../shared/errors.ts';
import type { AppInfo } from '../../shared/ipc/app.ts';
import { invoke } from './bridge.ts';

export const SCREENS = [
  { id: 'users', label: 'Users', blurb: 'Add users, send registration QR codes, handle lost devices.' },
  { id: 'sessions', label: 'Sessions', blurb: 'Watch authentication sessions live and end them.' },
  {
    id: 'applications',
    label: 'Applications',
    blurb: 'Application profiles, credentials in the OS keychain, connection tests.',
  },
  { id: 'audit', label: 'Audit', blurb: 'Every administrative action, searchable and exportable.' },
] as const;

export type ScreenId = (typeof SCREENS)[number]['id'];

type InfoState = { status: 'loading' } | { status: 'ready'; info: AppInfo } | { status: 'error'; error: ErrorInfo };

interface ShellState {
  screen: ScreenId;
  info: InfoState;
  setScreen: (screen: ScreenId) => void;
  loadInfo: () => Promise<void>;
}

/** Hash routes: `#/users`, `#/applications`, ... (unknown or empty: Users). */
export function screenFromHash(hash: string): ScreenId {
  const id = hash.replace(/^#\/?/, '').split(/[/?]/)[0] ?? '';
  return SCREENS.find((s) => s.id === id)?.id ?? 'users';
}

export const useShell = create<ShellState>((set) => ({
  screen: screenFromHash(window.location.hash),
  info: { status: 'loading' },
  setScreen: (screen) => {
    if (window.location.hash !== `#/${screen}`) window.location.hash = `#/${screen}`;
    set({ screen });
  },
  loadInfo: async () => {
    set({ info: { status: 'loading' } });
    const result = await invoke('app.info', {});
    if (result.ok) set({ info: { status: 'ready', info: result.value } });
    else
      set({
        info: { status: 'error', error: { code: result.code, message: result.message, retryable: result.retryable } },
      });
  },
}));

/** Keeps the screen in step with the hash (back/forward, links). Returns the unsubscribe. */
export function followHash(): () => void {
  const onHash = () => useShell.setState({ screen: screenFromHash(window.location.hash) });
  window.addEventListener('hashchange', onHash);
  return () => window.removeEventListener('hashchange', onHash);
}
