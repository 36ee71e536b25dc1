/**
 * The Users screen: main answers the query (search, device filter, sort) and
 * sends the rows around the visible ones (store.ts, model.ts); TanStack
 * Virtual draws them over the query's known total, with placeholders for
 * rows still on their way. TanStack Table owns the column model (headers,
 * sorting state with manualSorting). Past MAX_SCROLL_PX of rows the scroll
 * offset is scaled (model.ts scrollRatio) so 1,000,000 rows stay reachable.
 */
import { getCoreRowModel, useReactTable, type ColumnDef, type SortingState } from '@tanstack/react-table';
import { elementScroll, observeElementOffset, useVirtualizer } from '@tanstack/react-virtual';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { DEVICE_STATES, type UsersSelection } from '../../../../shared/ipc/users.ts';
import { invoke } from '../../bridge.ts';
import { AuthenticateDialog, useSessions } from '../sessions/index.ts';
import { AddUsersDialog } from './AddUsersDialog.tsx';
import { DeleteDialog } from './DeleteDialog.tsx';
import { Cut, Notice, plural, useNow } from '../../components/index.ts';
import { DEVICE_LABEL } from './format.ts';
import { JobBar } from './JobBar.tsx';
import {
  findRow,
  isSelected,
  MAX_SCROLL_PX,
  NO_SELECTION,
  rowAt,
  scrollRatio,
  selectionSize,
  toggled,
  toQuery,
  toWire,
  type DeviceFilter,
  type Selection,
  type SortColumn,
} from './model.ts';
import { ExportDialog } from './ExportDialog.tsx';
import { QrDialog } from './QrDialog.tsx';
import { RowMenu } from './RowMenu.tsx';
import { subscribeUsers, useUsers, type JobState } from './store.ts';
import type { JobKind } from '../../../../shared/ipc/jobs.ts';
import './users.css';
import { InvitationFunnel } from './InvitationFunnel.tsx';
import { InviteDialog } from './InviteDialog.tsx';
import { PendingChanges } from './PendingChanges.tsx';
import { SourceBanner } from './SourceBanner.tsx';
import { UserPanel } from './UserPanel.tsx';
import { PendingRowView, rowActions, UserRowView, UsersEmpty } from './UsersTable.tsx';

const ROW_HEIGHT = 44;
/** The sticky header's height, inside the scroller above the rows (the virtualizer's scrollMargin). */
const HEAD_HEIGHT = 38;
const EMPTY: never[] = [];
const NO_JOBS: JobState[] = [];
const BACKGROUND_LABEL: Record<JobKind, string> = {
  'users.add': 'Adding users',
  'users.import': 'Importing users',
  'users.delete': 'Deleting users',
  'users.refreshStatus': 'Refreshing device status',
  'users.reconcile': 'Checking interrupted changes',
  'users.invite': 'Sending invitations',
  'users.export': 'Exporting users',
  'users.sync': "Reading the application's users",
};

type Col = { id: SortColumn | 'select' | 'actions'; header: string; sortable: boolean };
const COLUMNS: ColumnDef<never>[] = (
  [
    { id: 'select', header: '', sortable: false },
    { id: 'userId', header: 'User ID', sortable: true },
    { id: 'displayName', header: 'Display name', sortable: true },
    { id: 'deviceState', header: 'Device', sortable: true },
    { id: 'addedAt', header: 'Added', sortable: true },
    { id: 'lastAuthAt', header: 'Last authentication', sortable: true },
    { id: 'actions', header: 'Actions', sortable: false },
  ] satisfies Col[]
).map((c) => ({ id: c.id, header: c.header, enableSorting: c.sortable, sortDescFirst: false, accessorFn: () => null }));

const FILTERS: { id: DeviceFilter; label: string }[] = [
  { id: 'all', label: 'All devices' },
  ...DEVICE_STATES.map((s) => ({ id: s, label: DEVICE_LABEL[s] })),
];

const ABSENT_FILTER: { id: DeviceFilter; label: string } = { id: 'absent', label: 'Not at IAMPASS' };

export function UsersScreen() {
  useEffect(() => subscribeUsers(), []);
  const [inviting, setInviting] = useState<{ selection: UsersSelection; count: number } | null>(null);
  // Only what this screen draws: a job's progress (the add dialog's, say) does not re-render the table.
  const s = useUsers(
    useShallow((st) => ({
      profileId: st.profileId,
      sendOwnIds: st.sendOwnIds,
      count: st.count,
      directory: st.directory,
      total: st.total,
      blocks: st.blocks,
      sort: st.sort,
      filter: st.filter,
      selection: st.selection,
      query: st.query,
      panelRow: st.panelRow,
      loading: st.loading,
      loadError: st.loadError,
      notice: st.notice,
      panelUserId: st.panelUserId,
      dialog: st.dialog,
      refreshJob: st.refreshJobId ? st.jobs[st.refreshJobId] : undefined,
      setQuery: st.setQuery,
      setSort: st.setSort,
      setFilter: st.setFilter,
      setSelection: st.setSelection,
      setVisible: st.setVisible,
      setNotice: st.setNotice,
      openDialog: st.openDialog,
      openPanel: st.openPanel,
      trackJob: st.trackJob,
    })),
  );
  const { total, blocks, sort, filter, selection, query } = s;
  // Add / import / delete jobs whose dialog was closed while they ran: main goes on, their bar shows here.
  const background = useUsers(
    useShallow((st) =>
      st.dialog.kind === 'none'
        ? Object.values(st.jobs).filter((j) => !j.finished && j.kind !== 'users.refreshStatus')
        : NO_JOBS,
    ),
  );
  const searchRef = useRef<HTMLInputElement>(null);
  const scrollRef = useRef<HTMLDivElement>(null);
  const now = useNow(30_000);
  const [menu, setMenu] = useState<{ userId: string; anchor: HTMLElement } | null>(null);
  const openMenu = useCallback(
    (userId: string, anchor: HTMLElement) => setMenu((m) => (m?.userId === userId ? null : { userId, anchor })),
    [],
  );
  const closeMenu = useCallback(() => setMenu(null), []);

  const sorting: SortingState = useMemo(() => [{ id: sort.column, desc: sort.desc }], [sort]);
  // The table instance is only read for the header model during this render; nothing memoizes its functions.
  // eslint-disable-next-line react-hooks/incompatible-library
  const table = useReactTable<never>({
    data: EMPTY,
    columns: COLUMNS,
    state: { sorting },
    manualSorting: true,
    enableSortingRemoval: false,
    onSortingChange: (up) => {
      const next = typeof up === 'function' ? up(sorting) : up;
      const first = next[0];
      if (first) s.setSort({ column: first.id as SortColumn, desc: first.desc });
    },
    getCoreRowModel: getCoreRowModel(),
  });

  // Scroll offsets scaled past MAX_SCROLL_PX (ratio 1 below it: plain scrolling).
  const ratioRef = useRef(1);
  const virtual = useVirtualizer({
    count: total,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 5,
    scrollMargin: HEAD_HEIGHT,
    observeElementOffset: (instance, cb) =>
      observeElementOffset(instance, (offset, scrolling) => cb(offset * ratioRef.current, scrolling)),
    scrollToFn: (offset, options, instance) => elementScroll(offset / ratioRef.current, options, instance),
  });
  const viewport = virtual.scrollRect?.height ?? 600;
  const ratio = scrollRatio(HEAD_HEIGHT + virtual.getTotalSize(), viewport);
  ratioRef.current = ratio;
  const contentHeight = ratio === 1 ? virtual.getTotalSize() : MAX_SCROLL_PX - HEAD_HEIGHT;
  /** Where a row drawn at virtual offset `start` goes in the (shorter) real content. */
  const shift = ratio === 1 ? 0 : (virtual.scrollOffset ?? 0) * (1 - 1 / ratio);
  const items = virtual.getVirtualItems();
  const firstShown = items[0]?.index ?? 0;
  const lastShown = items[items.length - 1]?.index ?? 0;
  const setVisible = s.setVisible;
  useEffect(() => setVisible(firstShown, lastShown + 1), [firstShown, lastShown, setVisible]);
  // A new query starts at its top. Only when not there already: setting scrollTop lays the table out at once,
  // in the keystroke's task (the virtualizer knows the offset from scroll events, without a layout).
  const scrolledTo = virtual.scrollOffset ?? 0;
  const scrolledRef = useRef(scrolledTo);
  scrolledRef.current = scrolledTo;
  useEffect(() => {
    if (scrollRef.current && scrolledRef.current !== 0) scrollRef.current.scrollTop = 0;
  }, [query, filter, sort]);

  // "/" focuses the search (not while typing elsewhere or in a dialog).
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== '/' || e.ctrlKey || e.metaKey || e.altKey) return;
      const t = e.target as HTMLElement | null;
      if (t && (t.closest('input, textarea, select, [contenteditable="true"]') || t.closest('dialog'))) return;
      e.preventDefault();
      searchRef.current?.focus();
      searchRef.current?.select();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);

  // Escape closes the user panel (dialogs and the menu handle their own Escape first).
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape' || e.defaultPrevented) return;
      const st = useUsers.getState();
      if (st.panelUserId === null || st.dialog.kind !== 'none' || document.querySelector('dialog[open]')) return;
      const userId = st.panelUserId;
      st.openPanel(null);
      document
        .querySelector<HTMLElement>(`[data-testid="user-row"][data-user-id="${CSS.escape(userId)}"] .ux-userlink`)
        ?.focus();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);

  const toggle = useCallback((userId: string, position: number, withShift: boolean) => {
    const st = useUsers.getState();
    const on = !isSelected(st.selection, userId);
    const anchor = st.anchor;
    if (!withShift || anchor === null) {
      st.setSelection(toggled(st.selection, userId, on), { userId, pos: position });
      return;
    }
    const [a, b] = anchor.pos < position ? [anchor.pos, position] : [position, anchor.pos];
    void rangeIds(a, b).then((ids) => {
      let sel: Selection = useUsers.getState().selection;
      for (const u of ids) sel = toggled(sel, u, on);
      useUsers.getState().setSelection(sel, { userId, pos: position });
    });
  }, []);
  // Up / Down (Page Up / Down, Ctrl+Home / End) move focus to the same control of another row, scrolling it into view.
  const onRowsKey = (e: React.KeyboardEvent<HTMLDivElement>) => {
    const keys: Record<string, number> = { ArrowDown: 1, ArrowUp: -1, PageDown: 10, PageUp: -10 };
    let step = keys[e.key];
    if (e.ctrlKey && (e.key === 'Home' || e.key === 'End')) step = e.key === 'Home' ? -total : total;
    if (step === undefined || e.altKey || e.metaKey) return;
    const t = e.target as HTMLElement;
    const row = t.closest<HTMLElement>('[role="row"][aria-rowindex]');
    if (!row || t.tagName === 'SELECT') return;
    const control = t.classList.contains('ux-userlink')
      ? '.ux-userlink'
      : t.classList.contains('ux-more')
        ? '.ux-more'
        : 'input[type="checkbox"]';
    const from = Number(row.getAttribute('aria-rowindex')) - 2;
    const to = Math.max(0, Math.min(total - 1, from + step));
    e.preventDefault();
    if (to === from) return;
    virtual.scrollToIndex(to, { align: 'auto' });
    const focus = (tries: number) => {
      const el = scrollRef.current?.querySelector<HTMLElement>(`[role="row"][aria-rowindex="${to + 2}"] ${control}`);
      if (el) el.focus();
      else if (tries > 0) requestAnimationFrame(() => focus(tries - 1));
    };
    // The row may still be on its way from main: wait up to a second of frames.
    focus(60);
  };

  const selectedCount = selectionSize(selection, total);
  const allVisibleSelected = total > 0 && selection.kind === 'query' && selection.except.size === 0;
  /** Some but not all matching users selected: the header checkbox shows it (indeterminate). */
  const someSelected = selectedCount > 0 && !allVisibleSelected;
  const selectAllMatching = () =>
    s.setSelection({ kind: 'query', query: toQuery(query, filter, sort), except: new Set() }, null);

  async function addSelection(selection: UsersSelection) {
    const r = await invoke('users.addSelection', { selection });
    if (!r.ok) s.setNotice({ tone: 'error', text: r.message });
    else {
      s.trackJob(r.value.jobId, 'users.add');
      s.setSelection(NO_SELECTION, null);
    }
  }

  async function refresh(target: Selection | null) {
    const r = target
      ? await invoke('users.refreshSelection', { selection: toWire(target) })
      : await invoke('users.refreshStatus', { all: true });
    if (!r.ok) s.setNotice({ tone: 'error', text: r.message });
    else {
      s.trackJob(r.value.jobId, 'users.refreshStatus');
      useUsers.setState({ refreshJobId: r.value.jobId, notice: null });
    }
  }

  const refreshJob = s.refreshJob;

  // The Authenticate dialog (Sessions feature) reports a sent request in the Sessions store: echo it here with a link.
  const sessionsNotice = useSessions((st) => st.notice);
  const seenSessionsNotice = useRef(sessionsNotice);
  useEffect(() => {
    if (sessionsNotice === seenSessionsNotice.current) return;
    seenSessionsNotice.current = sessionsNotice;
    if (sessionsNotice?.tone === 'ok')
      useUsers.getState().setNotice({ tone: 'ok', text: sessionsNotice.text, sessions: true });
  }, [sessionsNotice]);
  useEffect(() => {
    if (!refreshJob?.finished) return;
    const c = refreshJob.finished.counts;
    const failed = c.failed ?? 0;
    useUsers.setState({ refreshJobId: null });
    useUsers.getState().setNotice({
      tone: failed ? 'error' : 'ok',
      text: `Status refreshed${refreshJob.finished.outcome === 'cancelled' ? ' (cancelled)' : ''}: ${c.registered ?? 0} registered, ${c.not_registered ?? 0} not registered${failed ? `, ${failed} failed (shown on their rows)` : ''}.`,
    });
  }, [refreshJob]);

  const panelRow = s.panelUserId !== null ? s.panelRow : null;
  const dialog = s.dialog;
  const closeDialog = () => s.openDialog({ kind: 'none' });
  const noProfile = !s.loading && s.profileId === null;
  const menuRow = menu
    ? (findRow(blocks, menu.userId) ?? (panelRow?.userId === menu.userId ? panelRow : undefined))
    : undefined;

  return (
    <section className="ux-screen" aria-label="Users" data-testid="users-screen">
      <div className="ux-toolbar">
        <div className="ux-search">
          <svg aria-hidden="true" viewBox="0 0 16 16" width="14" height="14">
            <path
              d="M7 2a5 5 0 1 0 3.1 8.9l3 3 1-1-3-3A5 5 0 0 0 7 2Zm0 1.5a3.5 3.5 0 1 1 0 7 3.5 3.5 0 0 1 0-7Z"
              fill="currentColor"
            />
          </svg>
          <input
            ref={searchRef}
            type="search"
            aria-label="Search users by user ID, display name or IAMPASS ID"
            placeholder="Search users"
            value={query}
            onChange={(e) => s.setQuery(e.target.value)}
            data-testid="users-search"
          />
          <kbd className="ux-kbd" aria-hidden="true">
            /
          </kbd>
        </div>
        <label className="ux-inline-field">
          <span className="visually-hidden">Device status</span>
          <select
            value={filter}
            onChange={(e) => s.setFilter(e.target.value as DeviceFilter)}
            aria-label="Filter by device status"
            data-testid="users-filter"
          >
            {(s.directory.kind === 'embedded' ? FILTERS : [...FILTERS, ABSENT_FILTER]).map((f) => (
              <option key={f.id} value={f.id}>
                {f.label}
              </option>
            ))}
          </select>
        </label>
        <span className="ux-count" aria-live="polite" data-testid="users-count">
          {total === s.count && query.trim() === '' && filter === 'all'
            ? plural(s.count, 'user')
            : `${total.toLocaleString('en-US')} of ${plural(s.count, 'user')}`}
        </span>
        <span className="ux-spacer" />
        <button
          type="button"
          className="btn"
          disabled={s.count === 0 || refreshJob !== undefined}
          onClick={() => void refresh(null)}
        >
          Refresh all statuses
        </button>
        <button
          type="button"
          className="btn"
          disabled={noProfile || total === 0}
          onClick={() => s.openDialog({ kind: 'export' })}
          data-testid="users-export"
        >
          Export…
        </button>
        <button
          type="button"
          className="btn btn--primary"
          disabled={noProfile || s.directory.readOnly}
          onClick={() => s.openDialog({ kind: 'add' })}
        >
          Add users
        </button>
      </div>
      <SourceBanner directory={s.directory} now={now} />

      {selectedCount > 0 ? (
        <div className="ux-bulk" role="region" aria-label="Selection" data-testid="bulk-bar">
          <strong data-testid="selection-count">{selectedCount.toLocaleString('en-US')} selected</strong>
          {!allVisibleSelected && total > 0 ? (
            <button type="button" className="ux-link" onClick={selectAllMatching}>
              Select all {total.toLocaleString('en-US')} matching
            </button>
          ) : null}
          <span className="ux-spacer" />
          <button
            type="button"
            className="btn btn--sm"
            disabled={refreshJob !== undefined}
            onClick={() => void refresh(selection)}
          >
            Refresh status
          </button>
          {s.directory.kind !== 'embedded' ? (
            <button
              type="button"
              className="btn btn--sm"
              disabled={s.directory.readOnly}
              onClick={() => void addSelection(toWire(selection))}
            >
              Add to IAMPASS
            </button>
          ) : null}
          <button
            type="button"
            className="btn btn--sm"
            onClick={() => setInviting({ selection: toWire(selection), count: selectedCount })}
          >
            Invite…
          </button>
          <button
            type="button"
            className="btn btn--sm btn--danger"
            disabled={s.directory.readOnly}
            onClick={() =>
              s.openDialog({
                kind: 'delete',
                selection: toWire(selection),
                count: selectedCount,
                userIds: selection.kind === 'ids' ? [...selection.ids] : [],
              })
            }
          >
            Delete
          </button>
          <button type="button" className="btn btn--sm btn--ghost" onClick={() => s.setSelection(NO_SELECTION, null)}>
            Clear
          </button>
        </div>
      ) : null}

      <PendingChanges />
      <InvitationFunnel />
      {inviting ? (
        <InviteDialog
          selection={inviting.selection}
          count={inviting.count}
          onClose={() => setInviting(null)}
          onStarted={() => setInviting(null)}
        />
      ) : null}
      {refreshJob ? <JobBar job={refreshJob} label="Refreshing device status" /> : null}
      {background.map((j) => (
        <JobBar key={j.jobId} job={j} label={`${BACKGROUND_LABEL[j.kind]} (continues with the dialog closed)`} />
      ))}
      {s.notice ? (
        <Notice tone={s.notice.tone} testId="users-notice" onDismiss={() => s.setNotice(null)}>
          {s.notice.text}
          {s.notice.sessions ? (
            <>
              {' '}
              <a className="ux-link" href="#/sessions">
                Follow it in Sessions
              </a>
            </>
          ) : null}
        </Notice>
      ) : null}

      <div className={panelRow ? 'ux-body ux-body--panel' : 'ux-body'}>
        <div className="ux-table" role="table" aria-label="Users" aria-rowcount={total + 1} data-testid="users-table">
          {/* One scroller for both axes: the sticky header scrolls sideways with the rows when the window is narrow. */}
          <div className="ux-scroll" ref={scrollRef} data-testid="users-scroll">
            <div role="rowgroup" className="ux-thead">
              {table.getHeaderGroups().map((g) => (
                <div role="row" aria-rowindex={1} className="ux-row ux-row--head" key={g.id}>
                  {g.headers.map((h) => {
                    const col = h.column;
                    if (col.id === 'select') {
                      return (
                        <div role="columnheader" className="ux-cell ux-cell--select" key={h.id}>
                          <input
                            type="checkbox"
                            aria-label={
                              allVisibleSelected
                                ? 'Clear the selection'
                                : `Select all ${total.toLocaleString('en-US')} matching users`
                            }
                            checked={allVisibleSelected}
                            ref={(el) => {
                              if (el) el.indeterminate = someSelected;
                            }}
                            data-testid="select-all"
                            disabled={total === 0}
                            onChange={() =>
                              allVisibleSelected ? s.setSelection(NO_SELECTION, null) : selectAllMatching()
                            }
                          />
                        </div>
                      );
                    }
                    const label = String(col.columnDef.header);
                    if (!col.getCanSort()) {
                      return (
                        <div role="columnheader" className={`ux-cell ux-cell--${col.id}`} key={h.id}>
                          <span className="visually-hidden">{label}</span>
                        </div>
                      );
                    }
                    const dirn = col.getIsSorted();
                    return (
                      <div
                        role="columnheader"
                        className={`ux-cell ux-cell--${col.id}`}
                        key={h.id}
                        aria-sort={dirn === 'asc' ? 'ascending' : dirn === 'desc' ? 'descending' : 'none'}
                      >
                        <button type="button" className="ux-sort" title={label} onClick={col.getToggleSortingHandler()}>
                          <Cut text={label} />
                          <span className="ux-sort__icon" aria-hidden="true">
                            {dirn === 'asc' ? '↑' : dirn === 'desc' ? '↓' : '↕'}
                          </span>
                        </button>
                      </div>
                    );
                  })}
                </div>
              ))}
            </div>
            <div role="rowgroup" className="ux-tbody" onKeyDown={onRowsKey}>
              {total === 0 ? (
                <div role="row" className="ux-row--empty">
                  <div role="cell">
                    <UsersEmpty
                      loading={s.loading}
                      error={s.loadError}
                      noProfile={noProfile}
                      total={s.count}
                      onAdd={() => s.openDialog({ kind: 'add' })}
                    />
                  </div>
                </div>
              ) : (
                <div style={{ height: contentHeight, position: 'relative' }}>
                  {items.map((v) => {
                    const row = rowAt(blocks, v.index);
                    const top = v.start - HEAD_HEIGHT - shift;
                    if (!row) return <PendingRowView key={v.index} position={v.index} top={top} />;
                    return (
                      <UserRowView
                        key={v.index}
                        row={row}
                        position={v.index}
                        top={top}
                        selected={isSelected(selection, row.userId)}
                        active={s.panelUserId === row.userId}
                        now={now}
                        onToggle={toggle}
                        menuOpen={menu?.userId === row.userId}
                        onMenu={openMenu}
                      />
                    );
                  })}
                </div>
              )}
            </div>
          </div>
        </div>
        {panelRow ? <UserPanel row={panelRow} sendOwnIds={s.sendOwnIds} now={now} /> : null}
      </div>

      {dialog.kind === 'add' ? <AddUsersDialog onClose={closeDialog} /> : null}
      {dialog.kind === 'delete' ? (
        <DeleteDialog
          selection={dialog.selection}
          count={dialog.count}
          userIds={dialog.userIds}
          onClose={closeDialog}
        />
      ) : null}
      {dialog.kind === 'export' ? (
        <ExportDialog query={toQuery(query, filter, sort)} total={total} onClose={closeDialog} />
      ) : null}
      {dialog.kind === 'qr' ? (
        <QrDialog
          key={`${dialog.mode}:${dialog.userId}`}
          userId={dialog.userId}
          mode={dialog.mode}
          displayName={(() => {
            const row = findRow(blocks, dialog.userId) ?? (panelRow?.userId === dialog.userId ? panelRow : undefined);
            return row?.displayName || dialog.userId;
          })()}
          onClose={closeDialog}
          onLostDevice={() => s.openDialog({ kind: 'qr', userId: dialog.userId, mode: 'lost' })}
        />
      ) : null}
      {menu && menuRow ? (
        <RowMenu
          anchor={menu.anchor}
          label={`Actions for ${menu.userId}`}
          items={rowActions(menuRow)}
          onClose={closeMenu}
        />
      ) : null}
      <AuthenticateDialog />
    </section>
  );
}

/** Most rows a shift-click range takes (fetched from main where not loaded). */
const MAX_RANGE = 10_000;

/** The user IDs at positions [a, b] of the current query: loaded rows, the rest fetched from main. */
async function rangeIds(a: number, b: number): Promise<string[]> {
  const st = useUsers.getState();
  const end = Math.min(b, a + MAX_RANGE - 1);
  const ids: string[] = [];
  const query = toQuery(st.query, st.filter, st.sort);
  for (let k = a; k <= end;) {
    const row = rowAt(st.blocks, k);
    if (row) {
      ids.push(row.userId);
      k++;
      continue;
    }
    const r = await invoke('users.window', { query, offset: k, limit: Math.min(1000, end - k + 1) });
    if (!r.ok || r.value.rows.length === 0) break;
    for (const x of r.value.rows) ids.push(x.userId);
    k += r.value.rows.length;
  }
  return ids;
}
