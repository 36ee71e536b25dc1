/**
 * The user panel's contact details (for invitations) and invitation history:
 * email and phone edited here are validated in main (the phone number is
 * stored as E.164); the history lists each invitation's channel and outcome,
 * never its link.
 */
import { useEffect, useId, useState, type FormEvent } from 'react';
import type { InvitationView } from '../../../../shared/ipc/invitations.ts';
import { invoke } from '../../bridge.ts';
import { dateTime } from '../../components/index.ts';

const STATE_LABEL: Record<InvitationView['state'], string> = {
  sending: 'Sending',
  sent: 'Sent',
  failed: 'Failed',
  unknown: 'Maybe sent',
};

export function UserContact(props: { userId: string }) {
  const id = useId();
  const [email, setEmail] = useState('');
  const [phone, setPhone] = useState('');
  const [history, setHistory] = useState<InvitationView[]>([]);
  const [message, setMessage] = useState<{ tone: 'ok' | 'error'; text: string } | null>(null);

  useEffect(() => {
    let live = true;
    void invoke('invitations.contact', { userId: props.userId }).then((r) => {
      if (!live || !r.ok) return;
      setEmail(r.value.email ?? '');
      setPhone(r.value.phone ?? '');
      setMessage(null);
    });
    void invoke('invitations.history', { userId: props.userId }).then((r) => {
      if (live && r.ok) setHistory(r.value);
    });
    return () => {
      live = false;
    };
  }, [props.userId]);

  async function save(e: FormEvent) {
    e.preventDefault();
    const r = await invoke('invitations.setContact', {
      userId: props.userId,
      email: email.trim() || null,
      phone: phone.trim() || null,
    });
    if (!r.ok) return setMessage({ tone: 'error', text: r.message });
    setEmail(r.value.email ?? '');
    setPhone(r.value.phone ?? '');
    setMessage({ tone: 'ok', text: 'Contact saved.' });
  }

  return (
    <section className="ux-contact" aria-labelledby={`${id}-h`} data-testid="user-contact">
      <h3 id={`${id}-h`}>Contact for invitations</h3>
      <form onSubmit={(e) => void save(e)} className="ux-contact__form">
        <label htmlFor={`${id}-e`}>Email</label>
        <input
          id={`${id}-e`}
          className="input"
          type="email"
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          autoComplete="off"
        />
        <label htmlFor={`${id}-p`}>Phone</label>
        <input
          id={`${id}-p`}
          className="input"
          type="tel"
          value={phone}
          onChange={(e) => setPhone(e.target.value)}
          placeholder="+1 415 555 2671"
          autoComplete="off"
        />
        <button type="submit" className="btn btn--sm">
          Save contact
        </button>
      </form>
      {message ? (
        <p
          className={message.tone === 'error' ? 'ux-contact__error' : 'ux-muted ux-small'}
          role={message.tone === 'error' ? 'alert' : 'status'}
        >
          {message.text}
        </p>
      ) : null}
      {history.length > 0 ? (
        <ul className="ux-contact__history" aria-label="Invitations">
          {history.slice(0, 5).map((h) => (
            <li key={`${String(h.at)}-${h.channel}`}>
              {dateTime(h.at)} · {h.channel === 'email' ? 'Email' : 'SMS'} · {STATE_LABEL[h.state]}
              {h.errorCode ? ` (${h.errorCode})` : ''}
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}
