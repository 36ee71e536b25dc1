/**
 * Users screen state (zustand): the directory (see model.ts), the running
 * jobs and their results, the selection, and which dialog is open.
 */
import { create } from 'zustand';
import type { JobFinished, JobKind, JobProgress } from '../../../../shared/ipc/jobs.ts';
import { invoke, on } from '../../bridge.ts';
import {
  applyChange,
  emptyDirectory,
  fromSnapshot,
  type DeviceFilter,
  type Directory,
  type SortSpec,
} from './model.ts';

export interface JobState {
  jobId: string;
  kind: JobKind;
  done: number;
  total: number;
  finished: JobFinished | null;
}

export type UsersDialog =
  | { kind: 'none' }
  | { kind: 'add' }
  | { kind: 'delete'; userIds: string[] }
  | { kind: 'qr'; userId: string; mode: 'show' | 'lost' };

interface UsersState {
  loading: boolean;
  loadError: string | null;
  dir: Directory;
  query: string;
  filter: DeviceFilter;
  sort: SortSpec;
  selected: Set<string>;
  anchor: string | null;
  panelUserId: string | null;
  jobs: Record<string, JobState>;
  /** The status-refresh job shown in the screen's banner. */
  refreshJobId: string | null;
  dialog: UsersDialog;
  /** A one-line result; `sessions` adds a "Follow it in Sessions" link. */
  notice: { tone: 'ok' | 'error'; text: string; sessions?: boolean } | null;
  load: () => Promise<void>;
  setQuery: (q: string) => void;
  setFilter: (f: DeviceFilter) => void;
  setSort: (s: SortSpec) => void;
  setSelected: (s: Set<string>, anchor?: string | null) => void;
  openPanel: (userId: string | null) => void;
  openDialog: (d: UsersDialog) => void;
  trackJob: (jobId: string, kind: JobKind) => void;
  setNotice: (n: UsersState['notice']) => void;
}

export const useUsers = create<UsersState>((set, get) => ({
  loading: true,
  loadError: null,
  dir: emptyDirectory(),
  query: '',
  filter: 'all',
  sort: { column: 'userId', desc: false },
  selected: new Set(),
  anchor: null,
  panelUserId: null,
  jobs: {},
  refreshJobId: null,
  dialog: { kind: 'none' },
  notice: null,
  load: async () => {
    const r = await invoke('users.snapshot', {});
    if (!r.ok) {
      set({ loading: false, loadError: r.message });
      return;
    }
    const prev = get();
    const dir = fromSnapshot(r.value, prev.dir.version);
    const selected = new Set([...prev.selected].filter((u) => dir.index.has(u)));
    set({ loading: false, loadError: null, dir, selected });
  },
  setQuery: (query) => set({ query }),
  setFilter: (filter) => set({ filter }),
  setSort: (sort) => set({ sort }),
  setSelected: (selected, anchor) => set(anchor === undefined ? { selected } : { selected, anchor }),
  openPanel: (panelUserId) => set({ panelUserId }),
  openDialog: (dialog) => set({ dialog }),
  trackJob: (jobId, kind) =>
    set((s) =>
      s.jobs[jobId] ? {} : { jobs: { ...s.jobs, [jobId]: { jobId, kind, done: 0, total: 0, finished: null } } },
    ),
  setNotice: (notice) => set({ notice }),
}));

function onProgress(p: JobProgress) {
  useUsers.setState((s) => {
    const cur = s.jobs[p.jobId];
    if (cur?.finished) return {};
    return {
      jobs: { ...s.jobs, [p.jobId]: { jobId: p.jobId, kind: p.kind, done: p.done, total: p.total, finished: null } },
    };
  });
}

function onFinished(f: JobFinished) {
  useUsers.setState((s) => ({
    jobs: {
      ...s.jobs,
      [f.jobId]: { jobId: f.jobId, kind: f.kind, done: f.rows.length, total: f.rows.length, finished: f },
    },
  }));
}

let subscribed = 0;
let offs: (() => void)[] = [];

/** Loads the snapshot and follows events while the screen is mounted. */
export function subscribeUsers(): () => void {
  if (subscribed++ === 0) {
    offs = [
      on('users.changed', (e) => {
        const s = useUsers.getState();
        if (e.reset || e.profileId !== s.dir.profileId) {
          void s.load();
          return;
        }
        const dir = applyChange(s.dir, e);
        if (dir === s.dir) return;
        const removed = e.removed.filter((u) => s.selected.has(u));
        if (removed.length > 0) {
          const selected = new Set(s.selected);
          for (const u of removed) selected.delete(u);
          useUsers.setState({ dir, selected });
        } else useUsers.setState({ dir });
      }),
      // Another application became active: its directory replaces this one (main sends no reset for that).
      on('applications.changed', (e) => {
        const s = useUsers.getState();
        if (e.activeId !== s.dir.profileId) useUsers.setState({ selected: new Set(), anchor: null, panelUserId: null });
        void s.load();
      }),
      on('job.progress', onProgress),
      on('job.finished', onFinished),
    ];
    void useUsers.getState().load();
  }
  return () => {
    if (--subscribed === 0) {
      for (const off of offs) off();
      offs = [];
    }
  };
}

export const ROW_RESULT_LABEL: Record<string, string> = {
  created: 'Created',
  existing: 'Already existed',
  invalid: 'Invalid',
  failed: 'Failed',
  deleted: 'Deleted',
  missing: 'Not in the directory',
  registered: 'Registered',
  not_registered: 'Not registered',
  cancelled: 'Cancelled',
  unknown: 'Unknown: will be checked',
  sent: 'Sent',
};
