/** The side panel of one user: facts, device state and the actions on that user. */
import { useEffect, useRef } from 'react';
import { openAuthenticateDialog } from '../sessions/index.ts';
import { dateTime } from './format.ts';
import { type Directory } from './model.ts';
import { useUsers } from './store.ts';
import { checkOne, DeviceCell } from './UsersTable.tsx';

export function UserPanel(props: { dir: Directory; i: number; now: number }) {
  const { dir, i, now } = props;
  const s = useUsers.getState();
  const userId = dir.userIds[i]!;
  const lastAuth = dir.lastAuthAt[i] ?? null;
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
      <dl className="ux-facts">
        <dt>Display name</dt>
        <dd>{dir.displayNames[i] || '—'}</dd>
        <dt>IAMPASS ID</dt>
        <dd>
          <code>{dir.iampassIds[i]}</code>
          {dir.sendOwnIds ? null : <span className="ux-muted ux-small"> random, opaque</span>}
        </dd>
        <dt>Device</dt>
        <dd>
          <DeviceCell dir={dir} i={i} now={now} full />
        </dd>
        <dt>Added</dt>
        <dd>{dateTime(dir.addedAt[i]!)}</dd>
        <dt>Last authentication</dt>
        <dd>{lastAuth === null ? 'Never' : dateTime(lastAuth)}</dd>
      </dl>
      <div className="ux-panel__actions">
        {dir.deviceStates[i] === 'registered' ? null : (
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
        <button
          type="button"
          className="btn btn--danger"
          onClick={() => s.openDialog({ kind: 'delete', userIds: [userId] })}
        >
          Delete…
        </button>
      </div>
    </aside>
  );
}
