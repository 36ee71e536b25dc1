/** The side panel of one user: facts, device state, the actions on that user, its history and contact details. */
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { invoke } from '../../bridge.ts';
import { openAuthenticateDialog } from '../sessions/index.ts';
import { dateTime } from '../../components/index.ts';
import type { UserRow } from '../../../../shared/ipc/users.ts';
import { useUsers } from './store.ts';
import { UserContact } from './UserContact.tsx';
import { UserHistory } from './UserHistory.tsx';
import { checkOne, deleteOne, DeviceCell } from './UsersTable.tsx';

export function UserPanel(props: { row: UserRow; sendOwnIds: boolean; now: number }) {
  const { row, now } = props;
  const s = useUsers.getState();
  const profileId = useUsers((st) => st.profileId) ?? '';
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
        <dd>
          <DisplayName key={userId} row={row} />
        </dd>
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
      <UserHistory
        profileId={profileId}
        userId={userId}
        changed={`${String(row.lastAuthAt)}|${row.deviceState}|${row.displayName}`}
      />
      <UserContact userId={userId} />
    </aside>
  );
}

/**
 * The display name, editable in the console's own directory (main validates
 * it and audits the change; a linked directory's names are the
 * application's, so it is read-only there).
 */
function DisplayName(props: { row: UserRow }) {
  const { row } = props;
  const linked = useUsers((st) => st.directory.kind !== 'embedded');
  const [draft, setDraft] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const id = useId();
  if (draft === null)
    return (
      <span className="ux-name">
        <span>{row.displayName || '—'}</span>
        {linked ? null : (
          <button
            type="button"
            className="btn btn--ghost btn--sm"
            aria-label={`Edit the display name of ${row.userId}`}
            onClick={() => (setDraft(row.displayName), setError(null))}
          >
            Edit
          </button>
        )}
      </span>
    );
  const save = async (e: FormEvent) => {
    e.preventDefault();
    const r = await invoke('users.setDisplayName', { userId: row.userId, displayName: draft });
    if (r.ok) setDraft(null);
    else setError(r.message);
  };
  return (
    <form className="ux-name-form" onSubmit={(e) => void save(e)}>
      <input
        className="input"
        aria-label="Display name"
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-e` : undefined}
        value={draft}
        maxLength={512}
        autoFocus
        onChange={(e) => setDraft(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Escape') {
            e.stopPropagation();
            setDraft(null);
          }
        }}
      />
      <span className="ux-name-form__actions">
        <button type="submit" className="btn btn--sm btn--primary">
          Save
        </button>
        <button type="button" className="btn btn--sm" onClick={() => setDraft(null)}>
          Cancel
        </button>
      </span>
      {error ? (
        <span id={`${id}-e`} className="field__error" role="alert">
          {error}
        </span>
      ) : null}
    </form>
  );
}
