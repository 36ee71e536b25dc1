/**
 * Users screen state (zustand): the query (search, device filter, sort), the
 * rows main sent for the part of it in view (model.ts), the running jobs and
 * their results, the selection (a query or a list), and which dialog is open.
 *
 * Fetching: one `users.window` request at a time. While it runs, newer needs
 * (the next keystroke, a scroll) only update what is wanted; when it answers,
 * an answer for an older generation is dropped and the latest need is sent.
 * So typing never queues a request per keystroke in main, and a stale answer
 * never replaces newer rows.
 */
import type { DirectoryInfo } from '../../../../shared/directory-source.ts';
import { create } from 'zustand';
import type { JobFinished, JobKind, JobProgress } from '../../../../shared/ipc/jobs.ts';
import type { UserRow, UsersChanged, UsersSelection } from '../../../../shared/ipc/users.ts';
import { invoke, on } from '../../bridge.ts';
import { expireNotice } from '../../components/expire.ts';
import {
  findRow,
  firstWindow,
  mergeWindow,
  missingWindow,
  NO_SELECTION,
  toQuery,
  type Block,
  type DeviceFilter,
  type Selection,
  type SortSpec,
} from './model.ts';

const EMBEDDED: DirectoryInfo = { kind: 'embedded', label: null, readOnly: false, syncedAt: null, team: null };

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
  | { kind: 'delete'; selection: UsersSelection; count: number; userIds: string[] }
  | { kind: 'qr'; userId: string; mode: 'show' | 'lost' }
  | { kind: 'export' };

interface UsersState {
  loading: boolean;
  loadError: string | null;
  profileId: string | null;
  profileName: string | null;
  sendOwnIds: boolean;
  /** Where the profile's users live (the console, or the application's database; read-only or not). */
  directory: DirectoryInfo;
  revision: number;
  /** Users in the profile. */
  count: number;
  /** Users matching the query. */
  total: number;
  query: string;
  filter: DeviceFilter;
  sort: SortSpec;
  /** Bumped by a new query or a change in main: blocks of an older generation are stale. */
  gen: number;
  blocks: ReadonlyMap<number, Block>;
  selection: Selection;
  /** The last row clicked (shift-click ranges start there). */
  anchor: { userId: string; pos: number } | null;
  panelUserId: string | null;
  /** The panel's user as last fetched (it may scroll out of the loaded rows). */
  panelRow: UserRow | null;
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
  /** The rows in view changed (scroll, resize): fetch what is missing around them. */
  setVisible: (start: number, end: number) => void;
  setSelection: (s: Selection, anchor?: { userId: string; pos: number } | null) => void;
  openPanel: (userId: string | null) => void;
  openDialog: (d: UsersDialog) => void;
  trackJob: (jobId: string, kind: JobKind) => void;
  setNotice: (n: UsersState['notice']) => void;
}

/** The visible rows (not state: a scroll does not re-render through the store). */
const view = { start: 0, end: 50 };
let inFlight = false;
/** The generation the last answer was for (its total is known). */
let answeredGen = -1;

export const useUsers = create<UsersState>((set, get) => {
  /** Sends the window the latest state needs, if none is in flight. */
  const pump = (): void => {
    if (inFlight) return;
    const s = get();
    if (s.profileId === null && !s.loading) return;
    const need =
      answeredGen < s.gen
        ? firstWindow(view.start, view.end)
        : missingWindow(s.blocks, s.gen, view.start, view.end, s.total);
    if (!need) return;
    inFlight = true;
    const gen = s.gen;
    const query = toQuery(s.query, s.filter, s.sort);
    void invoke('users.window', { query, offset: need.offset, limit: need.limit }).then((r) => {
      inFlight = false;
      const cur = get();
      if (cur.gen !== gen) {
        pump();
        return;
      }
      if (!r.ok) {
        set({ loading: false, loadError: r.message });
        return;
      }
      const w = r.value;
      if (w.profileId !== cur.profileId && !cur.loading) {
        void cur.load();
        return;
      }
      answeredGen = gen;
      const blocks = mergeWindow(cur.blocks, gen, w.offset, w.rows, (view.start + view.end) / 2);
      const panelRow =
        cur.panelUserId === null ? null : (w.rows.find((x) => x.userId === cur.panelUserId) ?? cur.panelRow);
      set({
        loading: false,
        loadError: null,
        profileId: w.profileId,
        profileName: w.profileName,
        sendOwnIds: w.sendOwnIds,
        directory: w.directory,
        revision: Math.max(cur.revision, w.revision),
        total: w.total,
        ...(cur.query.trim() === '' && cur.filter === 'all' ? { count: w.total } : {}),
        blocks,
        panelRow,
      });
      pump();
    });
  };

  /** A new query: a new generation, from the top. */
  const requery = (patch: Partial<UsersState>): void => {
    const s = get();
    set({
      ...patch,
      gen: s.gen + 1,
      // A query selection belongs to the query it was made on.
      ...(s.selection.kind === 'query' ? { selection: NO_SELECTION, anchor: null } : {}),
    });
    view.end = view.end - view.start;
    view.start = 0;
    pump();
  };

  return {
    loading: true,
    loadError: null,
    profileId: null,
    profileName: null,
    sendOwnIds: false,
    directory: EMBEDDED,
    revision: 0,
    count: 0,
    total: 0,
    query: '',
    filter: 'all',
    sort: { column: 'userId', desc: false },
    gen: 0,
    blocks: new Map(),
    selection: NO_SELECTION,
    anchor: null,
    panelUserId: null,
    panelRow: null,
    jobs: {},
    refreshJobId: null,
    dialog: { kind: 'none' },
    notice: null,
    load: async () => {
      const s = get();
      set({ loading: true, gen: s.gen + 1 });
      const all = await invoke('users.window', { query: {}, offset: 0, limit: 0 });
      if (!all.ok) {
        set({ loading: false, loadError: all.message });
        return;
      }
      const profileChanged = all.value.profileId !== get().profileId;
      set({
        profileId: all.value.profileId,
        profileName: all.value.profileName,
        sendOwnIds: all.value.sendOwnIds,
        directory: all.value.directory,
        count: all.value.total,
        ...(profileChanged ? { selection: NO_SELECTION, anchor: null, panelUserId: null, panelRow: null } : {}),
      });
      if (all.value.profileId === null) {
        set({ loading: false, loadError: null, total: 0, blocks: new Map() });
        return;
      }
      pump();
    },
    setQuery: (query) => requery({ query }),
    setFilter: (filter) => requery({ filter }),
    setSort: (sort) => requery({ sort }),
    setVisible: (start, end) => {
      view.start = start;
      view.end = end;
      pump();
    },
    setSelection: (selection, anchor) => set(anchor === undefined ? { selection } : { selection, anchor }),
    openPanel: (panelUserId) =>
      set({ panelUserId, panelRow: panelUserId === null ? null : (findRow(get().blocks, panelUserId) ?? null) }),
    openDialog: (dialog) => set({ dialog }),
    trackJob: (jobId, kind) =>
      set((s) =>
        s.jobs[jobId] ? {} : { jobs: { ...s.jobs, [jobId]: { jobId, kind, done: 0, total: 0, finished: null } } },
      ),
    setNotice: (notice) => {
      set({ notice });
      expireNotice(
        notice,
        () => get().notice,
        () => set({ notice: null }),
      );
    },
  };
});

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
      [f.jobId]: {
        jobId: f.jobId,
        kind: f.kind,
        done: f.rows.length || (s.jobs[f.jobId]?.total ?? 0),
        total: f.rows.length || (s.jobs[f.jobId]?.total ?? 0),
        finished: f,
      },
    },
  }));
}

/** How long changes are gathered before the visible rows are fetched again. */
const CHANGE_COALESCE_MS = 120;
let changeTimer: ReturnType<typeof setTimeout> | null = null;

/**
 * A change in main: the rows it names are patched at once where loaded (a
 * status flips without waiting), removed users leave the selection and the
 * panel; then (coalesced) a new generation refetches the rows in view and the
 * counts. No full reload, whatever the size of the change.
 */
function onChanged(e: UsersChanged) {
  const s = useUsers.getState();
  if (e.profileId !== s.profileId) {
    void s.load();
    return;
  }
  if (e.revision <= s.revision) return;
  const patch: Partial<UsersState> = { revision: e.revision };
  if (e.upserts.length > 0) {
    const byId = new Map(e.upserts.map((r) => [r.userId, r]));
    const blocks = new Map<number, Block>();
    for (const [k, b] of s.blocks) blocks.set(k, { gen: b.gen, rows: b.rows.map((r) => byId.get(r.userId) ?? r) });
    patch.blocks = blocks;
    const panel = s.panelUserId === null ? undefined : byId.get(s.panelUserId);
    if (panel) patch.panelRow = panel;
  }
  if (e.removed.length > 0) {
    const removed = new Set(e.removed);
    const sel = s.selection;
    if (sel.kind === 'ids' && e.removed.some((u) => sel.ids.has(u)))
      patch.selection = { kind: 'ids', ids: new Set([...sel.ids].filter((u) => !removed.has(u))) };
    if (s.panelUserId !== null && removed.has(s.panelUserId)) {
      patch.panelUserId = null;
      patch.panelRow = null;
    }
  }
  useUsers.setState(patch);
  if (changeTimer !== null) return;
  changeTimer = setTimeout(() => {
    changeTimer = null;
    const cur = useUsers.getState();
    useUsers.setState({ gen: cur.gen + 1 });
    void invoke('users.window', { query: {}, offset: 0, limit: 0 }).then((r) => {
      if (r.ok && r.value.profileId === useUsers.getState().profileId) useUsers.setState({ count: r.value.total });
    });
    cur.setVisible(view.start, view.end);
  }, CHANGE_COALESCE_MS);
}

let subscribed = 0;
let offs: (() => void)[] = [];

/** Loads the first rows and follows events while the screen is mounted. */
export function subscribeUsers(): () => void {
  if (subscribed++ === 0) {
    offs = [
      on('users.changed', onChanged),
      // Another application became active: its directory replaces this one.
      on('applications.changed', (e) => {
        const s = useUsers.getState();
        if (e.activeId !== s.profileId)
          useUsers.setState({ selection: NO_SELECTION, anchor: null, panelUserId: null, panelRow: null });
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
