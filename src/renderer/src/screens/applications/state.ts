/**
 * Application profiles in the renderer: the list (with the active marker) and
 * the first-run status. Re-read on `applications.changed`, so the header
 * switcher and every screen stay in step.
 */
import { create } from 'zustand';
import type { ErrorInfo } from '../../../../shared/errors.ts';
import type { ApplicationView, ConnectionTestResult, FirstRunStatus } from '../../../../shared/ipc/applications.ts';
import { invoke, on } from '../../bridge.ts';

interface ApplicationsState {
  list: ApplicationView[];
  loaded: boolean;
  error: ErrorInfo | null;
  firstRun: FirstRunStatus | null;
  load: () => Promise<void>;
  loadFirstRun: () => Promise<void>;
  dismissFirstRun: () => Promise<void>;
  setActive: (id: string) => Promise<ErrorInfo | null>;
  /** Set to ask the Applications screen to open its Add dialog (from the first-run screen). */
  addRequested: boolean;
  requestAdd: () => void;
  clearAddRequest: () => void;
}

export function errorOf(r: { ok: false } & ErrorInfo): ErrorInfo {
  return { code: r.code, message: r.message, retryable: r.retryable, ...(r.details ? { details: r.details } : {}) };
}

export const useApplications = create<ApplicationsState>((set) => ({
  list: [],
  loaded: false,
  error: null,
  firstRun: null,
  addRequested: false,
  requestAdd: () => set({ addRequested: true }),
  clearAddRequest: () => set({ addRequested: false }),
  load: async () => {
    const r = await invoke('applications.list', {});
    if (r.ok) set({ list: r.value, loaded: true, error: null });
    else set({ loaded: true, error: errorOf(r) });
  },
  loadFirstRun: async () => {
    const r = await invoke('firstRun.status', {});
    if (r.ok) set({ firstRun: r.value });
  },
  dismissFirstRun: async () => {
    const r = await invoke('firstRun.dismiss', {});
    if (r.ok) set({ firstRun: r.value });
  },
  setActive: async (id) => {
    const r = await invoke('applications.setActive', { id });
    if (!r.ok) return errorOf(r);
    set((s) => ({ list: s.list.map((a) => ({ ...a, active: a.id === id })) }));
    return null;
  },
}));

/** The active profile, or null. */
export function useActiveApplication(): ApplicationView | null {
  return useApplications((s) => s.list.find((a) => a.active) ?? null);
}

/** Loads once and follows `applications.changed`; call from the shell. */
export function subscribeApplications(): () => void {
  const { load, loadFirstRun } = useApplications.getState();
  void load();
  void loadFirstRun();
  const offChanged = on('applications.changed', () => void useApplications.getState().load());
  const offReady = on('app.ready', () => {
    void useApplications.getState().load();
    void useApplications.getState().loadFirstRun();
  });
  return () => {
    offChanged();
    offReady();
  };
}

/** A connection test result in the admin's words. */
export function describeTest(r: ConnectionTestResult): { tone: 'ok' | 'error'; title: string; detail: string } {
  if (r.ok) return { tone: 'ok', title: 'Connected', detail: `Signed request accepted in ${String(r.latencyMs)} ms.` };
  const e = r.error;
  const skew = typeof e.details?.['clockSkewSeconds'] === 'number' ? e.details['clockSkewSeconds'] : null;
  switch (e.code) {
    case 'unauthorized':
      if (skew !== null && Math.abs(skew) > 60) {
        const minutes = Math.round(Math.abs(skew) / 60);
        return {
          tone: 'error',
          title: `Clock off by ${String(minutes)} minute${minutes === 1 ? '' : 's'}`,
          detail: `This computer's clock is ${skew > 0 ? 'ahead of' : 'behind'} the service. Correct the system clock and test again.`,
        };
      }
      return {
        tone: 'error',
        title: 'Wrong application secret',
        detail: 'The service rejected the signature. Check the Application ID and secret.',
      };
    case 'not_found':
      return {
        tone: 'error',
        title: 'Unknown application',
        detail:
          e.details?.['what'] === 'endpoint'
            ? 'The base URL does not point at an IAMPASS API.'
            : 'The service does not know this Application ID.',
      };
    case 'network':
      return {
        tone: 'error',
        title: 'Host unreachable',
        detail: 'The service could not be reached. Check the base URL and the network.',
      };
    case 'timeout':
      return {
        tone: 'error',
        title: 'No answer',
        detail: `The service did not answer in time (${String(r.latencyMs)} ms).`,
      };
    case 'keychain':
      return { tone: 'error', title: 'Keychain unavailable', detail: e.message };
    case 'insecure_url':
      return { tone: 'error', title: 'Insecure URL', detail: e.message };
    default:
      return { tone: 'error', title: `Failed (${e.code})`, detail: e.message };
  }
}

export const FLAVOUR_TONE = { IAMPASS: 'accent', Activeconnect: 'violet', Sandbox: 'warn' } as const;
