/**
 * "Authenticate": push an authentication request to a user's phone. Opened
 * from this screen or, for another screen, with openAuthenticateDialog(userId)
 * (render <AuthenticateDialog/> there). A refusal (e.g. no registered device)
 * shows the service's reason.
 */
import { useEffect, useId, useMemo, useState, type FormEvent } from 'react';
import { Dialog } from '../../components/index.ts';
import { AUTH_METHODS, type AuthMethod } from '../../../../shared/iampass.ts';
import { OpenPhoneButton } from '../applications/OpenPhone.tsx';
import { invoke } from '../../bridge.ts';
import type { UserRow } from '../../../../shared/ipc/users.ts';
import { searchDirectory } from '../../palette/sources.ts';
import { METHOD_LABEL } from './format.ts';
import { useSessions } from './store.ts';

const DEVICE_TEXT = {
  registered: 'Registered device',
  not_registered: 'No registered device: the service will refuse',
  unknown: 'Device status not checked',
} as const;

/** Users matching what is typed (main's query), for suggestions and the chosen user's name and device. */
function useMatches(open: boolean, text: string): UserRow[] {
  const [rows, setRows] = useState<UserRow[]>([]);
  useEffect(() => {
    if (!open || !text.trim()) return;
    let live = true;
    void searchDirectory(text, 8).then((r) => {
      if (live && r.ok) setRows(r.value);
    });
    return () => {
      live = false;
    };
  }, [open, text]);
  return open && text.trim() ? rows : [];
}

const DURATIONS = [
  { seconds: 300, label: '5 minutes' },
  { seconds: 900, label: '15 minutes' },
  { seconds: 3600, label: '1 hour' },
  { seconds: 28_800, label: '8 hours' },
  { seconds: 86_400, label: '24 hours' },
];

export function AuthenticateDialog() {
  const dialog = useSessions((s) => s.dialog);
  const close = useSessions((s) => s.closeDialog);
  return (
    <Dialog
      open={dialog.open}
      title="Authenticate a user"
      description="Sends a request to the user’s registered phone. The session is then followed live."
      onClose={close}
      size="sm"
      testId="authenticate-dialog"
    >
      <AuthenticateForm initialUserId={dialog.userId} onCancel={close} />
    </Dialog>
  );
}

/** The dialog's form: mounted each time the dialog opens, so it starts from the user it was opened for. */
function AuthenticateForm(props: { initialUserId: string; onCancel: () => void }) {
  const id = useId();
  const [userId, setUserId] = useState(props.initialUserId);
  const [methods, setMethods] = useState<AuthMethod[]>([]);
  const [duration, setDuration] = useState(900);
  const [error, setError] = useState<string | null>(null);
  const [sending, setSending] = useState(false);
  const suggestions = useMatches(true, userId);
  const chosen = useMemo(() => {
    const row = suggestions.find((r) => r.userId === userId.trim());
    return row ? { name: row.displayName, device: row.deviceState } : null;
  }, [suggestions, userId]);

  const toggle = (m: AuthMethod) => setMethods((cur) => (cur.includes(m) ? cur.filter((x) => x !== m) : [...cur, m]));

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!userId.trim()) {
      setError('Enter the user ID.');
      return;
    }
    setSending(true);
    setError(null);
    const r = await invoke('sessions.start', { userId: userId.trim(), methods, durationSeconds: duration });
    setSending(false);
    if (!r.ok) {
      setError(r.message);
      return;
    }
    if (!r.value.started) {
      setError(`The service did not start the authentication: ${r.value.reason}`);
      return;
    }
    const st = useSessions.getState();
    st.closeDialog();
    st.setNotice({ tone: 'ok', text: `Authentication request sent to ${userId.trim()}’s phone.` });
    await st.load();
    await st.select(r.value.session.id);
  }

  return (
    <form onSubmit={(e) => void submit(e)} className="sx-dialog__form">
      <div className="sx-field">
        <label className="sx-field__label" htmlFor={`${id}-user`}>
          User ID
        </label>
        <input
          id={`${id}-user`}
          className="sx-input"
          value={userId}
          onChange={(e) => setUserId(e.target.value)}
          list={`${id}-users`}
          aria-describedby={`${id}-user-hint`}
          autoComplete="off"
          spellCheck={false}
          required
          maxLength={512}
        />
        <datalist id={`${id}-users`}>
          {suggestions.map((r) => (
            <option key={r.userId} value={r.userId}>
              {r.displayName || undefined}
            </option>
          ))}
        </datalist>
        <span id={`${id}-user-hint`} className="sx-hint" data-testid="authenticate-user-hint">
          {!userId.trim()
            ? 'Type to search the directory by user ID or name.'
            : chosen
              ? `${chosen.name || userId.trim()} · ${DEVICE_TEXT[chosen.device]}`
              : 'Not in this application’s directory.'}
        </span>
      </div>
      <fieldset className="sx-field sx-fieldset">
        <legend className="sx-field__label">Methods</legend>
        <div className="sx-checks">
          {AUTH_METHODS.map((m) => (
            <label key={m} className="sx-check">
              <input type="checkbox" checked={methods.includes(m)} onChange={() => toggle(m)} />
              {METHOD_LABEL[m]}
            </label>
          ))}
        </div>
        <span className="sx-hint">
          {methods.length === 0
            ? 'None selected: the service chooses.'
            : `The phone asks for: ${methods.map((m) => METHOD_LABEL[m]).join(', ')}.`}
        </span>
      </fieldset>
      <label className="sx-field">
        <span className="sx-field__label">Maximum duration</span>
        <select className="sx-input" value={duration} onChange={(e) => setDuration(Number(e.target.value))}>
          {DURATIONS.map((d) => (
            <option key={d.seconds} value={d.seconds}>
              {d.label}
            </option>
          ))}
        </select>
      </label>
      {error && (
        <div className="sx-callout sx-callout--error" role="alert" data-testid="authenticate-error">
          {error}
        </div>
      )}
      <div className="dialog__actions">
        {/* On the sandbox: the user's own phone, to approve what is sent (before or after sending). */}
        <span className="dialog__aside">
          <OpenPhoneButton
            target={() => ({ userId: userId.trim() })}
            disabled={userId.trim() === ''}
            onError={setError}
          />
        </span>
        <button type="button" className="btn" onClick={props.onCancel}>
          Cancel
        </button>
        <button type="submit" className="btn btn--primary" disabled={sending}>
          {sending ? 'Sending…' : 'Send request'}
        </button>
      </div>
    </form>
  );
}
