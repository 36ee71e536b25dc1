/**
 * The user panel's history: the latest authentications this console started
 * for the user with their outcome, and the latest audit entries about the
 * user (this application's entries whose target is the user ID), newest
 * first. Read again when the row changes (a sign-in, a check, a rename) and
 * when one of the user's sessions changes.
 */
import { useEffect, useState } from 'react';
import type { AuditEntryView } from '../../../../shared/ipc/audit.ts';
import type { SessionView } from '../../../../shared/ipc/sessions.ts';
import { invoke, on } from '../../bridge.ts';
import { Badge, clockTime, dateTime } from '../../components/index.ts';
import { actionLabel, errorLabel } from '../audit/labels.ts';
import { STATUS_LABEL, STATUS_TONE } from '../sessions/format.ts';

const SHOWN = 5;

export function UserHistory(props: { profileId: string; userId: string; changed: string }) {
  const { profileId, userId, changed } = props;
  const [tick, setTick] = useState(0);
  useEffect(
    () =>
      on('sessions.changed', (e) => {
        if (e.session.userId === userId) setTick((t) => t + 1);
      }),
    [userId],
  );
  const [sessions, setSessions] = useState<SessionView[] | null>(null);
  const [entries, setEntries] = useState<AuditEntryView[] | null>(null);
  useEffect(() => {
    let live = true;
    void invoke('sessions.list', { userId, limit: SHOWN }).then((r) => {
      if (live) setSessions(r.ok ? r.value.sessions : []);
    });
    void invoke('audit.query', { filter: { target: userId, profileId }, limit: SHOWN }).then((r) => {
      if (live) setEntries(r.ok ? r.value.rows : []);
    });
    return () => {
      live = false;
    };
  }, [profileId, userId, changed, tick]);
  return (
    <section className="ux-contact ux-history" aria-labelledby="ux-history-title" data-testid="user-history">
      <h3 id="ux-history-title">History</h3>
      <h4>Authentications</h4>
      {sessions === null ? null : sessions.length === 0 ? (
        <p className="ux-muted ux-small">None started from this console.</p>
      ) : (
        <ul aria-label="Authentications">
          {sessions.map((s) => (
            <li key={s.id} title={dateTime(s.startedAt)}>
              <Badge tone={STATUS_TONE[s.status]}>{STATUS_LABEL[s.status]}</Badge>
              <span className="ux-muted">{clockTime(s.startedAt)}</span>
            </li>
          ))}
        </ul>
      )}
      <h4>Actions</h4>
      {entries === null ? null : entries.length === 0 ? (
        <p className="ux-muted ux-small">None recorded.</p>
      ) : (
        <ul aria-label="Actions about this user">
          {entries.map((e) => (
            <li key={e.id} title={`${dateTime(e.at)}${e.actor ? ` · ${e.actor}` : ''}`}>
              <span>{actionLabel(e.action)}</span>
              {e.outcome === 'error' ? <Badge tone="danger">{errorLabel(e.errorCode)}</Badge> : null}
              <span className="ux-muted">{clockTime(e.at)}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
