/**
 * Sessions screen state (zustand), fed by the bridge: the list and counts of
 * the active application, the selected session's timeline, the in-app alerts
 * and the Authenticate dialog. `sessions.changed` refreshes in place.
 */
import { expireNotice } from '../../components/expire.ts';
import { create } from 'zustand';
import type { ErrorInfo } from '../../../../shared/errors.ts';
import type { SessionAlert, SessionDetail, SessionFilter, SessionList } from '../../../../shared/ipc/sessions.ts';
import { invoke, on } from '../../bridge.ts';

export interface DialogState {
  open: boolean;
  userId: string;
}

interface SessionsState {
  filter: SessionFilter;
  list: SessionList | null;
  loadError: ErrorInfo | null;
  selectedId: string | null;
  detail: SessionDetail | null;
  alerts: SessionAlert[];
  dialog: DialogState;
  busy: Record<string, boolean>;
  notice: { tone: 'ok' | 'error'; text: string } | null;
  setFilter: (filter: SessionFilter) => void;
  load: () => Promise<void>;
  select: (id: string | null) => Promise<void>;
  logout: (id: string) => Promise<void>;
  logoutUser: (userId: string) => Promise<void>;
  dismissAlert: (at: number, sessionId: string) => void;
  openDialog: (userId?: string) => void;
  closeDialog: () => void;
  setNotice: (notice: SessionsState['notice']) => void;
}

const plain = (r: { code: ErrorInfo['code']; message: string; retryable: boolean }): ErrorInfo => ({
  code: r.code,
  message: r.message,
  retryable: r.retryable,
});

export const useSessions = create<SessionsState>((set, get) => ({
  filter: 'all',
  list: null,
  loadError: null,
  selectedId: null,
  detail: null,
  alerts: [],
  dialog: { open: false, userId: '' },
  busy: {},
  notice: null,
  setFilter(filter) {
    set({ filter });
    void get().load();
  },
  async load() {
    const r = await invoke('sessions.list', { filter: get().filter });
    if (r.ok) set({ list: r.value, loadError: null });
    else set({ loadError: plain(r) });
  },
  async select(id) {
    set({ selectedId: id, detail: id === null ? null : get().detail?.id === id ? get().detail : null });
    if (id === null) return;
    const r = await invoke('sessions.get', { sessionId: id });
    if (r.ok && get().selectedId === id) set({ detail: r.value });
  },
  async logout(id) {
    set({ busy: { ...get().busy, [id]: true } });
    const r = await invoke('sessions.logout', { sessionId: id });
    set({ busy: { ...get().busy, [id]: false } });
    get().setNotice(r.ok ? { tone: 'ok', text: 'Session logged out.' } : { tone: 'error', text: r.message });
    await get().load();
    if (get().selectedId === id) await get().select(id);
  },
  async logoutUser(userId) {
    const key = `user:${userId}`;
    set({ busy: { ...get().busy, [key]: true } });
    const r = await invoke('sessions.logoutUser', { userId });
    set({ busy: { ...get().busy, [key]: false } });
    get().setNotice(
      r.ok
        ? {
            tone: r.value.failed ? 'error' : 'ok',
            text: `Logged out ${String(r.value.loggedOut)} session(s) of ${userId}${r.value.failed ? `; ${String(r.value.failed)} failed` : ''}.`,
          }
        : { tone: 'error', text: r.message },
    );
    await get().load();
    const sel = get().selectedId;
    if (sel) await get().select(sel);
  },
  dismissAlert(at, sessionId) {
    set({ alerts: get().alerts.filter((a) => !(a.at === at && a.sessionId === sessionId)) });
  },
  openDialog(userId = '') {
    set({ dialog: { open: true, userId } });
  },
  closeDialog() {
    set({ dialog: { open: false, userId: '' } });
  },
  setNotice(notice) {
    set({ notice });
    expireNotice(
      notice,
      () => get().notice,
      () => set({ notice: null }),
    );
  },
}));

/** For the Users screen: opens the Authenticate dialog for a user (switch to the Sessions screen or render <AuthenticateDialog/> where you are). */
export function openAuthenticateDialog(userId?: string): void {
  useSessions.getState().openDialog(userId);
}

let subscribed = 0;
let offs: (() => void)[] = [];
let reloadTimer: ReturnType<typeof setTimeout> | null = null;

/**
 * Follows the sessions events while anyone holds the subscription (the shell
 * holds one for the app's life: alerts arrive on any screen); returns the
 * unsubscribe function, like every subscribe* of the renderer.
 */
export function subscribeSessionEvents(): () => void {
  if (subscribed++ === 0) offs = followSessionEvents();
  return () => {
    if (--subscribed === 0) {
      for (const off of offs) off();
      offs = [];
    }
  };
}

function followSessionEvents(): (() => void)[] {
  const changed = on('sessions.changed', (e) => {
    const s = useSessions.getState();
    if (s.selectedId === e.session.id) void s.select(e.session.id);
    // A walk-away alert is stale once the user is back (or the session moved on).
    if (
      e.session.status !== 'walkaway' &&
      s.alerts.some((a) => a.sessionId === e.session.id && a.kind === 'walkaway')
    ) {
      useSessions.setState((st) => ({
        alerts: st.alerts.filter((a) => !(a.sessionId === e.session.id && a.kind === 'walkaway')),
      }));
    }
    // Coalesce bursts (many sessions changing together) into one reload.
    if (reloadTimer === null) {
      reloadTimer = setTimeout(() => {
        reloadTimer = null;
        void useSessions.getState().load();
      }, 100);
    }
  });
  // Another active application: its sessions, not the previous one's.
  const application = on('applications.changed', () => {
    const s = useSessions.getState();
    void s.load();
    if (s.selectedId) void s.select(null);
  });
  // One alert per session and kind: a newer one replaces the older.
  const alert = on('sessions.alert', (a) => {
    useSessions.setState((s) => ({
      alerts: [a, ...s.alerts.filter((x) => !(x.sessionId === a.sessionId && x.kind === a.kind))].slice(0, 5),
    }));
  });
  return [changed, application, alert];
}
