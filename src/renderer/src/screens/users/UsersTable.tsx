/** The Users table's rows and cells: the row view, the device cell, the row menu's actions, the empty state and selection helpers. */
import { memo, type MouseEvent } from 'react';
import { invoke } from '../../bridge.ts';
import { ago, Badge, dateTime, day, EmptyState, type BadgeTone } from '../../components/index.ts';
import { openAuthenticateDialog } from '../sessions/index.ts';
import { DEVICE_LABEL } from './format.ts';
import type { UserRow } from '../../../../shared/ipc/users.ts';
import { type MenuItem } from './RowMenu.tsx';
import { useUsers } from './store.ts';

export function UsersEmpty(props: {
  loading: boolean;
  error: string | null;
  noProfile: boolean;
  total: number;
  onAdd: () => void;
}) {
  if (props.loading) return <p className="ux-empty ux-muted">Loading the directory…</p>;
  if (props.error)
    return (
      <EmptyState title="The directory could not be loaded" alert>
        {props.error}
      </EmptyState>
    );
  if (props.noProfile)
    return (
      <EmptyState title="No application selected" testId="users-empty">
        Add or pick an application profile in Applications; its users are listed here.
      </EmptyState>
    );
  if (props.total === 0)
    return (
      <EmptyState
        title="No users yet"
        testId="users-empty"
        action={
          <button type="button" className="btn btn--primary" onClick={props.onAdd}>
            Add users
          </button>
        }
      >
        Add one user, paste a list, or import a CSV file. Each user then registers a phone by scanning a QR code.
      </EmptyState>
    );
  return (
    <EmptyState title="No users match" testId="users-empty">
      Try another search or device status filter.
    </EmptyState>
  );
}

const DEVICE_TONE: Record<UserRow['deviceState'], BadgeTone> = {
  registered: 'ok',
  not_registered: 'warn',
  unknown: 'neutral',
};

/** The device badge, then when it was checked or, after a failed check, the error (short in a row, whole in the panel). */
export function DeviceCell(props: { row: UserRow; now: number; full?: boolean }) {
  const { row, now } = props;
  const state = row.deviceState;
  const checked = row.deviceCheckedAt;
  const err = row.statusError;
  if (row.iampassId === '')
    return (
      <span className="ux-device">
        <Badge
          tone="outline"
          title="Not at IAMPASS: in the application's users table, without an IAMPASS ID yet"
          data-testid="device-state"
          data-state="absent"
        >
          Not at IAMPASS
        </Badge>
      </span>
    );
  return (
    <span className="ux-device">
      <Badge
        tone={DEVICE_TONE[state]}
        title={`${state === 'registered' ? '✓ ' : ''}${DEVICE_LABEL[state]}: ${checked === null ? 'not checked yet' : `checked ${dateTime(checked)}`}`}
        data-testid="device-state"
        data-state={state}
      >
        {state === 'registered' ? '✓ ' : ''}
        {DEVICE_LABEL[state]}
      </Badge>
      {err ? (
        <span
          className="ux-row-error"
          title={`${props.full ? '⚠ Last check failed' : '⚠ Check failed'}: ${err.message}`}
          data-testid="row-error"
        >
          {props.full ? (
            `⚠ Last check failed: ${err.message}`
          ) : (
            <>
              ⚠ Check failed<span className="visually-hidden">: {err.message}</span>
            </>
          )}
        </span>
      ) : checked !== null ? (
        <span className="ux-muted ux-small" title={`checked ${ago(checked, now)}: ${dateTime(checked)}`}>
          checked {ago(checked, now)}
        </span>
      ) : null}
    </span>
  );
}

export const UserRowView = memo(function UserRowView(props: {
  row: UserRow;
  position: number;
  top: number;
  selected: boolean;
  active: boolean;
  now: number;
  onToggle: (userId: string, position: number, shift: boolean) => void;
  menuOpen: boolean;
  onMenu: (userId: string, anchor: HTMLElement) => void;
}) {
  const { row, position } = props;
  const userId = row.userId;
  const name = row.displayName;
  const lastAuth = row.lastAuthAt;
  const st = useUsers.getState;
  return (
    <div
      role="row"
      aria-rowindex={position + 2}
      aria-selected={props.selected}
      className={`ux-row${props.selected ? ' ux-row--selected' : ''}${props.active ? ' ux-row--active' : ''}`}
      style={{ transform: `translateY(${props.top}px)` }}
      data-testid="user-row"
      data-user-id={userId}
    >
      <div role="cell" className="ux-cell ux-cell--select">
        <input
          type="checkbox"
          aria-label={`Select ${userId}`}
          checked={props.selected}
          onChange={() => undefined}
          onClick={(e: MouseEvent<HTMLInputElement>) => props.onToggle(userId, position, e.shiftKey)}
        />
      </div>
      <div role="cell" className="ux-cell ux-cell--userId">
        <button type="button" className="ux-userlink" onClick={() => st().openPanel(userId)} title={userId}>
          {userId}
        </button>
      </div>
      <div role="cell" className="ux-cell ux-cell--displayName" title={name}>
        {name || <span className="ux-muted">—</span>}
      </div>
      <div role="cell" className="ux-cell ux-cell--deviceState">
        <DeviceCell row={row} now={props.now} />
      </div>
      <div role="cell" className="ux-cell ux-cell--addedAt" title={dateTime(row.addedAt)}>
        {day(row.addedAt)}
      </div>
      <div role="cell" className="ux-cell ux-cell--lastAuthAt">
        {lastAuth === null ? (
          <span className="ux-muted">Never</span>
        ) : (
          <span title={dateTime(lastAuth)}>{ago(lastAuth, props.now)}</span>
        )}
      </div>
      <div role="cell" className="ux-cell ux-cell--actions">
        {/* A registered user gets no new code (the service refuses it): "Lost device…" is in the menu. */}
        {row.iampassId === '' ? (
          <button
            type="button"
            className="btn btn--sm btn--ghost"
            aria-label={`Add ${userId} to IAMPASS`}
            onClick={() => void addOne(userId)}
            disabled={st().directory.readOnly}
          >
            Add
          </button>
        ) : row.deviceState === 'registered' ? null : (
          <button
            type="button"
            className="btn btn--sm btn--ghost"
            aria-label={`Show registration QR for ${userId}`}
            onClick={() => st().openDialog({ kind: 'qr', userId, mode: 'show' })}
          >
            QR
          </button>
        )}
        <button
          type="button"
          className="icon-button ux-more"
          aria-label={`More actions for ${userId}`}
          aria-haspopup="menu"
          aria-expanded={props.menuOpen}
          onClick={(e) => props.onMenu(userId, e.currentTarget)}
          data-testid="row-more"
        >
          <svg aria-hidden="true" viewBox="0 0 16 16" width="14" height="14">
            <circle cx="3" cy="8" r="1.5" fill="currentColor" />
            <circle cx="8" cy="8" r="1.5" fill="currentColor" />
            <circle cx="13" cy="8" r="1.5" fill="currentColor" />
          </svg>
        </button>
      </div>
    </div>
  );
});

/** A row whose data is on its way from main (fast scrolling): same size, no controls. */
export function PendingRowView(props: { position: number; top: number }) {
  return (
    <div
      role="row"
      aria-rowindex={props.position + 2}
      aria-busy="true"
      className="ux-row ux-row--pending"
      style={{ transform: `translateY(${props.top}px)` }}
      data-testid="user-row-pending"
    >
      <div role="cell" className="ux-cell ux-cell--select" />
      <div role="cell" className="ux-cell ux-cell--userId">
        <span className="ux-skeleton" />
      </div>
    </div>
  );
}

/** The row menu's actions (also the panel's, in the same order). */
export function rowActions(row: UserRow): MenuItem[] {
  const st = useUsers.getState();
  const userId = row.userId;
  const registered = row.deviceState === 'registered';
  if (row.iampassId === '')
    return [
      { label: 'Details', run: () => st.openPanel(userId) },
      { label: 'Add to IAMPASS', run: () => void addOne(userId) },
    ];
  return [
    { label: 'Details', run: () => st.openPanel(userId) },
    registered
      ? { label: 'Lost device…', run: () => st.openDialog({ kind: 'qr', userId, mode: 'lost' }) }
      : { label: 'Show registration QR', run: () => st.openDialog({ kind: 'qr', userId, mode: 'show' }) },
    { label: 'Check device status', run: () => void checkOne(userId) },
    { label: 'Authenticate…', run: () => openAuthenticateDialog(userId) },
    ...(registered ? [] : [{ label: 'Lost device…', run: () => st.openDialog({ kind: 'qr', userId, mode: 'lost' }) }]),
    { label: 'Delete…', danger: true, run: () => deleteOne(userId) },
  ];
}

/** Adds one of a linked application's users to IAMPASS (a job: the row updates when it is done). */
export async function addOne(userId: string) {
  const r = await invoke('users.add', { users: [{ userId }] });
  if (!r.ok) useUsers.getState().setNotice({ tone: 'error', text: `${userId}: ${r.message}` });
}

export async function checkOne(userId: string) {
  const r = await invoke('users.checkStatus', { userId });
  if (!r.ok) useUsers.getState().setNotice({ tone: 'error', text: `${userId}: ${r.message}` });
}

/** Opens the delete confirmation for one user. */
export function deleteOne(userId: string) {
  useUsers.getState().openDialog({ kind: 'delete', selection: { userIds: [userId] }, count: 1, userIds: [userId] });
}
