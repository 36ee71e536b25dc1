/**
 * "Invite…" on a selection: the channel (email through the application's SMTP
 * server, or SMS sent by the service), whether to remind users invited in the
 * last 7 days, an SMS text. Starts the users.invite job in main; its progress
 * shows in the screen's job bar and its per-user results when it ends.
 */
import { useId, useState, type FormEvent } from 'react';
import type { UsersSelection } from '../../../../shared/ipc/users.ts';
import { invoke } from '../../bridge.ts';
import { Dialog } from '../../components/index.ts';

export function InviteDialog(props: {
  selection: UsersSelection;
  count: number;
  onClose: () => void;
  onStarted: (jobId: string) => void;
}) {
  const id = useId();
  const [channel, setChannel] = useState<'email' | 'sms'>('email');
  const [remind, setRemind] = useState(false);
  const [smsMessage, setSmsMessage] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function send(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const r = await invoke('invitations.invite', {
      selection: props.selection,
      channel,
      remind,
      ...(channel === 'sms' && smsMessage.trim() ? { smsMessage: smsMessage.trim() } : {}),
    });
    setBusy(false);
    if (!r.ok) return setError(r.message);
    props.onStarted(r.value.jobId);
  }

  return (
    <Dialog
      open
      title={`Invite ${props.count.toLocaleString('en-US')} ${props.count === 1 ? 'user' : 'users'}`}
      onClose={props.onClose}
      size="sm"
    >
      <form onSubmit={(e) => void send(e)} className="ux-form" data-testid="invite-dialog">
        <fieldset className="ux-invite__channels">
          <legend>Send the registration link by</legend>
          <label>
            <input type="radio" name={`${id}-c`} checked={channel === 'email'} onChange={() => setChannel('email')} />{' '}
            Email
          </label>
          <label>
            <input type="radio" name={`${id}-c`} checked={channel === 'sms'} onChange={() => setChannel('sms')} /> SMS
            (sent by the service)
          </label>
        </fieldset>
        {channel === 'sms' ? (
          <label className="ux-invite__field">
            SMS text before the link (optional)
            <input
              className="input"
              value={smsMessage}
              maxLength={480}
              onChange={(e) => setSmsMessage(e.target.value)}
            />
          </label>
        ) : null}
        <label className="ux-invite__check">
          <input type="checkbox" checked={remind} onChange={(e) => setRemind(e.target.checked)} /> Invite again users
          invited in the last 7 days
        </label>
        <p className="ux-muted ux-small">
          Users already registered, or without {channel === 'email' ? 'an email address' : 'a phone number'}, are
          skipped. Each user gets at most one message per invitation.
        </p>
        {error ? (
          <p className="ux-contact__error" role="alert">
            {error}
          </p>
        ) : null}
        <div className="dialog__actions">
          <button type="button" className="btn" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn--primary" disabled={busy}>
            Send invitations
          </button>
        </div>
      </form>
    </Dialog>
  );
}
