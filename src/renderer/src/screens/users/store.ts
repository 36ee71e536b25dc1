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
 *
 * A directory of at most LOCAL_DIRECTORY_MAX users is also held whole
 * (local.ts, loaded after the first rows, kept current by `users.changed`
 * whether the screen is shown or not):
 * a new query is then answered in the keystroke's or the click's own task,
 * so its rows paint in that input's frame, and scrolling needs no request.
 * main still answers the query's first window once the query has stayed
 * unchanged for CHECK_QUIET_MS: if its rows or total differ from the
 * copy's, the copy is dropped, main answers again, and a new copy is loaded
 * once changes stop.
 */
import type { DirectoryInfo } from '../../../../shared/directory-source.ts';
import { create } from 'zustand';
import type { JobFinished, JobKind, JobProgress } from '../../../../shared/ipc/jobs.ts';
import {
  LOCAL_DIRECTORY_MAX,
  type UserRow,
  type UsersChanged,
  type UsersSelection,
} from '../../../../shared/ipc/users.ts';
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
import { LocalDirectory } from './local.ts';

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
  /** The same query again (a change in main): a new generation, in place. */
  refresh: () => void;
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
/** The whole directory when it is small enough (see the top), or null. */
let local: LocalDirectory | null = null;
let localLoading = false;
/** main would not give this profile's directory (larger than it lets the screen hold): not asked again while shown. */
let localRefusedFor: string | null = null;
/** The copy's answer for a generation: its matches in order (positions in `local`). */
let localAnswer: { gen: number; matches: Int32Array } | null = null;
/** The last generation whose local answer main has checked. */
let checkedGen = -1;
/**
 * Queries (toQuery, as JSON) the copy answered otherwise than main (text
 * main's trigram index folds otherwise, e.g. Greek accents): main answers
 * them while this copy lasts.
 */
const mainOnly = new Set<string>();
/** How long a query must stay unchanged before main checks the copy's answer to it. */
const CHECK_QUIET_MS = 200;
/** The check waiting for its quiet period (`gen`), and the generation whose period has passed (`due`). */
const checkTimer: { gen: number; due: number; id: ReturnType<typeof setTimeout> | null } = {
  gen: -1,
  due: -1,
  id: null,
};

function dropLocal(): void {
  local = null;
  localAnswer = null;
  mainOnly.clear();
}

/** Loads the copy; the screen's current query is then answered from it. */
function loadLocal(): void {
  localLoading = true;
  void invoke('users.snapshot', {}).then((r) => {
    localLoading = false;
    const cur = useUsers.getState();
    if (r.ok && r.value === null) localRefusedFor = cur.profileId;
    if (!r.ok || r.value === null || r.value.profileId === null || r.value.profileId !== cur.profileId) return;
    // Changes it could not follow arrived meanwhile: a later load.
    if (loadTimer !== null) return;
    // Every change up to its revision is in it (events after it arrive after it).
    if (r.value.revision < cur.revision) return;
    local = new LocalDirectory({ ...r.value, profileId: r.value.profileId });
    mainOnly.clear();
    followCopy();
    useUsers.setState({ revision: r.value.revision, count: local.size });
    if (subscribed > 0) cur.refresh();
  });
}

let following = false;

/**
 * The copy follows every change from main, the screen shown or not (leaving
 * the Users screen and coming back must not load it again): one listener,
 * for the life of the page.
 */
function followCopy(): void {
  if (following) return;
  following = true;
  on('users.changed', (e) => {
    if (!local) {
      // Changes are still coming: the load waits until they stop.
      if (loadTimer !== null) loadLocalLater();
      return;
    }
    const revision = local.revision;
    if (!local.apply(e)) {
      dropLocal();
      if (subscribed > 0) loadLocalLater();
    } else if (local.revision !== revision) {
      // The answer shown predates the change: neither served nor checked any more (the screen answers again).
      localAnswer = null;
    }
  });
}

/** Whether the copy should be loaded (once things are quiet). */
function wantLocal(size: number): boolean {
  const s = useUsers.getState();
  return (
    !local &&
    !localLoading &&
    loadTimer === null &&
    subscribed > 0 &&
    localRefusedFor !== s.profileId &&
    size <= LOCAL_DIRECTORY_MAX
  );
}

/**
 * The copy is loaded once the admin and main have been quiet this long (no
 * new query, no change it could not follow): reading it costs main 0.1-0.5 s
 * at 100,000 users, which must not hold up the first keystrokes or a
 * running import.
 */
const LOAD_QUIET_MS = 1000;
let loadTimer: ReturnType<typeof setTimeout> | null = null;

function loadLocalLater(): void {
  if (loadTimer !== null) clearTimeout(loadTimer);
  loadTimer = setTimeout(() => {
    loadTimer = null;
    const s = useUsers.getState();
    if (wantLocal(s.count)) loadLocal();
  }, LOAD_QUIET_MS);
}

/** Per field of a row, whether two values are the same (every field: a new one must say how it compares). */
const SAME_FIELD: { [K in keyof UserRow]-?: (a: UserRow[K], b: UserRow[K]) => boolean } = {
  rowId: Object.is,
  userId: Object.is,
  displayName: Object.is,
  iampassId: Object.is,
  deviceState: Object.is,
  deviceCheckedAt: Object.is,
  addedAt: Object.is,
  lastAuthAt: Object.is,
  // The copy's error and main's are different objects: the same failure has the same code.
  statusError: (a, b) => (a?.code ?? null) === (b?.code ?? null),
};
const ROW_FIELDS = Object.keys(SAME_FIELD) as (keyof UserRow)[];

/** The same rows, field by field. */
function sameRows(a: readonly UserRow[], b: readonly UserRow[]): boolean {
  return (
    a.length === b.length &&
    a.every((r, i) => ROW_FIELDS.every((k) => (SAME_FIELD[k] as (x: unknown, y: unknown) => boolean)(r[k], b[i]![k])))
  );
}

export const useUsers = create<UsersState>((set, get) => {
  /** Sends the window the latest state needs, if none is in flight. */
  const pump = (): void => {
    const s = get();
    if (local && localAnswer?.gen === s.gen) {
      pumpLocal(local, localAnswer.matches);
      return;
    }
    if (inFlight) return;
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
      if (w.profileId !== null && wantLocal(cur.query.trim() === '' && cur.filter === 'all' ? w.total : cur.count))
        loadLocalLater();
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

  /**
   * The copy answers: the rows in view (and margins) from its matches, at
   * once; then main is asked for the same query's first window, once per
   * generation, and its answer replaces the copy's if they differ.
   */
  const pumpLocal = (dir: LocalDirectory, matches: Int32Array): void => {
    const s = get();
    const gen = s.gen;
    const need = missingWindow(s.blocks, gen, view.start, view.end, matches.length);
    if (need)
      set({
        blocks: mergeWindow(
          s.blocks,
          gen,
          need.offset,
          dir.rows(matches, need.offset, need.limit),
          (view.start + view.end) / 2,
        ),
      });
    if (checkedGen >= gen || inFlight) return;
    // main checks the query the admin settles on: not one request (and one query in main) per keystroke.
    if (checkTimer.gen !== gen) {
      if (checkTimer.id !== null) clearTimeout(checkTimer.id);
      checkTimer.gen = gen;
      checkTimer.id = setTimeout(() => {
        checkTimer.id = null;
        checkTimer.due = gen;
        pump();
      }, CHECK_QUIET_MS);
    }
    if (checkTimer.due !== gen) return;
    inFlight = true;
    const first = firstWindow(0, view.end - view.start);
    const query = toQuery(s.query, s.filter, s.sort);
    const revision = dir.revision;
    void invoke('users.window', { query, ...first }).then((r) => {
      inFlight = false;
      const cur = get();
      // A new query, or a change reached the copy meanwhile (main's answer may hold it, the matches do not).
      if (cur.gen !== gen || local !== dir || dir.revision !== revision || localAnswer?.gen !== gen) {
        pump();
        return;
      }
      checkedGen = gen;
      if (!r.ok) {
        set({ loadError: r.message });
        return;
      }
      const w = r.value;
      if (w.profileId !== cur.profileId) {
        // Another application became active in main (its event is on the way): start over on it.
        void cur.load();
        return;
      }
      const meta = { profileName: w.profileName, sendOwnIds: w.sendOwnIds, directory: w.directory, loadError: null };
      if (w.total === matches.length && sameRows(w.rows, dir.rows(matches, w.offset, w.rows.length))) {
        // The copy was right: nothing to render unless what main says of the profile changed.
        if (
          cur.loadError !== null ||
          cur.profileName !== w.profileName ||
          cur.sendOwnIds !== w.sendOwnIds ||
          JSON.stringify(cur.directory) !== JSON.stringify(w.directory)
        )
          set(meta);
        return;
      }
      // main differs on the same data: the copy folds this text otherwise. main's rows win, and main answers
      // this query from now on. (A change made without an event, e.g. by the CLI, comes as a reset from main.)
      mainOnly.add(JSON.stringify(query));
      localAnswer = null;
      set({
        ...meta,
        total: w.total,
        blocks: mergeWindow(new Map(), gen, w.offset, w.rows, (view.start + view.end) / 2),
      });
      pump();
    });
  };

  /**
   * The copy answers the current generation, if it holds the profile shown. It is current: every event for
   * its profile is applied to it as it arrives (and main sends an event before any answer that reflects it).
   */
  const answerLocally = (): void => {
    const s = get();
    const query = toQuery(s.query, s.filter, s.sort);
    if (!local || local.profileId !== s.profileId || mainOnly.has(JSON.stringify(query))) {
      localAnswer = null;
      return;
    }
    const matches = local.query(query, Date.now());
    localAnswer = { gen: s.gen, matches };
    answeredGen = s.gen;
    const first = firstWindow(view.start, view.end);
    set({
      loading: false,
      total: matches.length,
      count: local.size,
      blocks: mergeWindow(
        s.blocks,
        s.gen,
        first.offset,
        local.rows(matches, first.offset, first.limit),
        (view.start + view.end) / 2,
      ),
      panelRow: s.panelUserId === null ? null : (local.find(s.panelUserId) ?? s.panelRow),
    });
  };

  /** A new generation of the same or a new query: the copy answers it now if it can, then main. */
  const nextGeneration = (patch: Partial<UsersState>): void => {
    set({ ...patch, gen: get().gen + 1 });
    // The admin is busy: a pending load of the copy waits.
    if (loadTimer !== null) loadLocalLater();
    answerLocally();
    pump();
  };

  /** A new query: a new generation, from the top. */
  const requery = (patch: Partial<UsersState>): void => {
    const s = get();
    view.end = view.end - view.start;
    view.start = 0;
    nextGeneration({
      ...patch,
      // A query selection belongs to the query it was made on.
      ...(s.selection.kind === 'query' ? { selection: NO_SELECTION, anchor: null } : {}),
    });
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
      // A copy kept while the screen was away: of another profile, or missing changes made without an event.
      if (local && (local.profileId !== all.value.profileId || local.size !== all.value.total)) dropLocal();
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
      // A new generation: what was answered while this load waited (perhaps by a copy just dropped) is replaced.
      nextGeneration({});
    },
    refresh: () => nextGeneration({}),
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
  // (The copy, if any, follows the change itself: followCopy.)
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
    // The copy followed the change (its count too); otherwise main counts, and the copy is loaded again if wanted.
    if (!local)
      void invoke('users.window', { query: {}, offset: 0, limit: 0 }).then((r) => {
        if (r.ok && r.value.profileId === useUsers.getState().profileId) useUsers.setState({ count: r.value.total });
      });
    cur.refresh();
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
      localRefusedFor = null;
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
