/** The side panel of one user: facts, device state and the actions on that user. */
import { useEffect, useRef } from 'react';
import { openAuthenticateDialog } from '../sessions/index.ts';
import { dateTime } from '../../components/index.ts';
import type { UserRow } from '../../../../shared/ipc/users.ts';
import { useUsers } from './store.ts';
import { UserContact } from './UserContact.tsx';
import { checkOne, deleteOne, DeviceCell } from './UsersTable.tsx';

export function UserPanel(props: { row: UserRow; sendOwnIds: boolean; now: number }) {
  const { row, now } = props;
  const s = useUsers.getState();
  const userId = row.userId;
  const lastAuth = row.lastAuthAt;
  const ref = useRef<HTMLElement>(null);
  useEffect(() => ref.current?.focus(), [userId]);
  return (
    <aside className="ux-panel" aria-labelledby="ux-panel-title" tabIndex={-1} ref={ref} data-testid="user-panel">
      <header className="ux-panel__head">
        <h2 id="ux-panel-title" title={userId}>
          {userId}
        </h2>
        <button
          type="button"
          className="icon-button"
          aria-label="Close the user panel"
          onClick={() => s.openPanel(null)}
        >
          <span aria-hidden="true">×</span>
        </button>
      </header>
      <dl className="facts">
        <dt>Display name</dt>
        <dd>{row.displayName || '—'}</dd>
        <dt>IAMPASS ID</dt>
        <dd>
          <code>{row.iampassId}</code>
          {props.sendOwnIds ? null : <span className="ux-muted ux-small"> random, opaque</span>}
        </dd>
        <dt>Device</dt>
        <dd>
          <DeviceCell row={row} now={now} full />
        </dd>
        <dt>Added</dt>
        <dd>{dateTime(row.addedAt)}</dd>
        <dt>Last authentication</dt>
        <dd>{lastAuth === null ? 'Never' : dateTime(lastAuth)}</dd>
      </dl>
      <div className="ux-panel__actions">
        {row.deviceState === 'registered' ? null : (
          <button
            type="button"
            className="btn btn--primary"
            onClick={() => s.openDialog({ kind: 'qr', userId, mode: 'show' })}
          >
            Show registration QR
          </button>
        )}
        <button type="button" className="btn" onClick={() => void checkOne(userId)}>
          Check device status
        </button>
        {/* Authenticate: the Sessions feature's dialog (openAuthenticateDialog), rendered by this screen. */}
        <button type="button" className="btn" onClick={() => openAuthenticateDialog(userId)}>
          Authenticate…
        </button>
        <button type="button" className="btn" onClick={() => s.openDialog({ kind: 'qr', userId, mode: 'lost' })}>
          Lost device…
        </button>
        <button type="button" className="btn btn--danger" onClick={() => deleteOne(userId)}>
          Delete…
        </button>
      </div>
      <UserContact userId={userId} />
    </aside>
  );
}
