/**
 * The live sessions dashboard (issue 7): counts by status, the sessions of
 * the active application with their status and time in status, filters,
 * each session's timeline, log out one / all of a user's, in-app alerts and
 * the Authenticate dialog. Everything comes through the bridge; no token,
 * secret or URL ever reaches this page.
 */
import { useEffect } from 'react';
import type { SessionStatus } from '../../../../shared/iampass.ts';
import { SESSION_FILTER_STATUSES, type SessionFilter, type SessionView } from '../../../../shared/ipc/sessions.ts';
import { OpenPhoneButton } from '../applications/OpenPhone.tsx';
import { AuthenticateDialog } from './AuthenticateDialog.tsx';
import { Badge, clockTime, EmptyState, Notice, useNow } from '../../components/index.ts';
import { STATUS_LABEL, STATUS_TONE, formatElapsed, methodsText } from './format.ts';
import { subscribeSessionEvents, useSessions } from './store.ts';
import './sessions.css';

/** The status filters, each with how many sessions it holds (one row: the counts are the filters). */
const FILTERS: { id: Exclude<SessionFilter, 'live'>; label: string }[] = [
  { id: 'all', label: 'All' },
  { id: 'waiting', label: 'Waiting' },
  { id: 'active', label: 'Active' },
  { id: 'walkaway', label: 'Walked away' },
  { id: 'ended', label: 'Ended' },
];

const WAITING: ReadonlySet<SessionStatus> = new Set(SESSION_FILTER_STATUSES.waiting);

export function StatusBadge({ session }: { session: Pick<SessionView, 'status' | 'error'> }) {
  return (
    <span className="sx-badges">
      <Badge
        tone={STATUS_TONE[session.status]}
        dot={WAITING.has(session.status) ? 'pulse' : 'steady'}
        data-testid="status-badge"
      >
        {STATUS_LABEL[session.status]}
      </Badge>
      {session.error && (
        <Badge tone="danger" title={session.error.message} data-testid="error-badge">
          Unknown (error)
        </Badge>
      )}
    </span>
  );
}

export function SessionAlerts() {
  const alerts = useSessions((s) => s.alerts);
  const dismiss = useSessions((s) => s.dismissAlert);
  if (alerts.length === 0) return null;
  return (
    <div className="sx-alerts" aria-label="Session alerts">
      {alerts.map((a) => (
        <Notice
          key={`${a.sessionId}:${String(a.at)}`}
          tone={a.kind === 'walkaway' ? 'walk' : 'error'}
          title={a.kind === 'walkaway' ? 'User walked away' : 'Authentication failed'}
          testId="session-alert"
          onDismiss={() => dismiss(a.at, a.sessionId)}
        >
          {a.message}
        </Notice>
      ))}
    </div>
  );
}

/**
 * The same alerts as floating toasts for the other screens (mount in the
 * shell while another screen is shown): "View" opens the session on the
 * Sessions screen through `onView`.
 */
export function SessionAlertToasts({ onView }: { onView: () => void }) {
  const alerts = useSessions((s) => s.alerts);
  const dismiss = useSessions((s) => s.dismissAlert);
  const select = useSessions((s) => s.select);
  useEffect(() => subscribeSessionEvents(), []);
  if (alerts.length === 0) return null;
  return (
    <section className="toasts" aria-label="Session alerts">
      {alerts.slice(0, 3).map((a) => (
        <Notice
          key={`${a.sessionId}:${String(a.at)}`}
          toast
          tone={a.kind === 'walkaway' ? 'walk' : 'error'}
          title={a.kind === 'walkaway' ? 'User walked away' : 'Authentication failed'}
          testId="session-toast"
          onDismiss={() => dismiss(a.at, a.sessionId)}
          actions={
            <button
              type="button"
              className="btn btn--sm"
              onClick={() => {
                onView();
                void select(a.sessionId);
              }}
            >
              View
            </button>
          }
        >
          {a.message}
        </Notice>
      ))}
      {alerts.length > 3 && <p className="toasts__more">{alerts.length - 3} more on the Sessions screen</p>}
    </section>
  );
}

function Detail({ now }: { now: number }) {
  const detail = useSessions((s) => s.detail);
  const selectedId = useSessions((s) => s.selectedId);
  const busy = useSessions((s) => s.busy);
  const logout = useSessions((s) => s.logout);
  const logoutUser = useSessions((s) => s.logoutUser);
  const select = useSessions((s) => s.select);
  if (!selectedId) {
    return (
      <aside className="sx-detail sx-detail--empty" aria-label="Session details">
        <p>Select a session to see its timeline.</p>
      </aside>
    );
  }
  if (!detail) {
    return (
      <aside className="sx-detail" aria-label="Session details">
        <p className="sx-muted">Loading…</p>
      </aside>
    );
  }
  const timeline = [...detail.timeline].reverse();
  return (
    <aside className="sx-detail" aria-label="Session details" data-testid="session-detail">
      <div className="sx-detail__head">
        <div>
          <h2 className="sx-detail__title">{detail.displayName ?? detail.userId}</h2>
          {detail.displayName && <div className="sx-muted sx-mono">{detail.userId}</div>}
        </div>
        <button
          type="button"
          className="btn btn--ghost btn--sm"
          onClick={() => void select(null)}
          aria-label="Close details"
        >
          Close
        </button>
      </div>
      <dl className="facts sx-detail__facts">
        <dt>Status</dt>
        <dd>
          <StatusBadge session={detail} />
        </dd>
        <dt>Started</dt>
        <dd>{clockTime(detail.startedAt, now)}</dd>
        <dt>In status</dt>
        <dd>{formatElapsed(now - detail.statusSince)}</dd>
        <dt>Methods</dt>
        <dd>{methodsText(detail.methods)}</dd>
      </dl>
      {detail.error && (
        <div className="sx-callout sx-callout--error" role="status">
          <strong>Status unknown</strong> — {detail.error.message} Retrying ({String(detail.error.failures)} failed
          checks since {clockTime(detail.error.since, now)}). Last known status: {STATUS_LABEL[detail.status]}.
        </div>
      )}
      <h3 className="sx-section">Timeline</h3>
      <ol className="sx-timeline" data-testid="timeline">
        {timeline.map((t, i) => (
          <li
            key={`${String(t.at)}:${t.status}:${String(i)}`}
            className={`sx-timeline__item sx-timeline__item--${t.status}`}
          >
            <span className="sx-timeline__dot" aria-hidden="true" />
            <span className="sx-timeline__status">{STATUS_LABEL[t.status]}</span>
            <time className="sx-timeline__time" dateTime={new Date(t.at).toISOString()}>
              {clockTime(t.at, now)}
            </time>
          </li>
        ))}
      </ol>
      <div className="sx-detail__actions">
        {!detail.over && <OpenPhoneButton small target={{ userId: detail.userId }} />}
        {!detail.over && (
          <button
            type="button"
            className="btn btn--danger btn--sm"
            disabled={busy[detail.id]}
            onClick={() => void logout(detail.id)}
          >
            {busy[detail.id] ? 'Logging out…' : 'Log out'}
          </button>
        )}
        <button
          type="button"
          className="btn btn--sm"
          disabled={busy[`user:${detail.userId}`]}
          onClick={() => void logoutUser(detail.userId)}
        >
          Log out all of this user’s sessions
        </button>
      </div>
    </aside>
  );
}

export function SessionsScreen() {
  const list = useSessions((s) => s.list);
  const loadError = useSessions((s) => s.loadError);
  const filter = useSessions((s) => s.filter);
  const setFilter = useSessions((s) => s.setFilter);
  const load = useSessions((s) => s.load);
  const select = useSessions((s) => s.select);
  const selectedId = useSessions((s) => s.selectedId);
  const logout = useSessions((s) => s.logout);
  const busy = useSessions((s) => s.busy);
  const openDialog = useSessions((s) => s.openDialog);
  const notice = useSessions((s) => s.notice);
  const setNotice = useSessions((s) => s.setNotice);
  const now = useNow();

  useEffect(() => {
    const off = subscribeSessionEvents();
    void load();
    return off;
  }, [load]);

  const counts = list?.counts ?? {};
  const sessions = list?.sessions ?? [];

  return (
    <div className="sx">
      <div className="sx-top">
        <div className="sx-filters" role="group" aria-label="Filter sessions by status">
          {FILTERS.map((f) => {
            const statuses = f.id === 'all' ? null : SESSION_FILTER_STATUSES[f.id];
            const n =
              statuses === null
                ? Object.values(counts).reduce((sum, x) => sum + (x ?? 0), 0)
                : statuses.reduce((sum, st) => sum + (counts[st] ?? 0), 0);
            return (
              <button
                key={f.id}
                type="button"
                className={`sx-filter sx-filter--${f.id}${f.id === filter ? ' sx-filter--on' : ''}`}
                aria-pressed={f.id === filter}
                onClick={() => setFilter(f.id)}
              >
                {/* The label first in the DOM (the button reads "Ended 3"); the count shows first. */}
                <span className="sx-filter__label">{f.label}</span>
                <span className="sx-filter__n" data-testid={`count-${f.id}`}>
                  {n}
                </span>
              </button>
            );
          })}
          {list && list.errors > 0 && (
            <span className="sx-filter sx-filter--error" data-testid="count-error">
              <span className="sx-filter__label">Status unknown</span>
              <span className="sx-filter__n">{list.errors}</span>
            </span>
          )}
        </div>
        <button type="button" className="btn btn--primary" onClick={() => openDialog()}>
          Authenticate…
        </button>
      </div>

      <SessionAlerts />
      {notice && (
        <Notice tone={notice.tone} testId="sessions-notice" onDismiss={() => setNotice(null)}>
          {notice.text}
        </Notice>
      )}
      {loadError && <Notice tone="error">{loadError.message}</Notice>}

      <div className="sx-body">
        <div className="sx-tablewrap">
          <table className="sx-table" aria-label="Sessions">
            <thead>
              <tr>
                <th scope="col">User</th>
                <th scope="col">Started</th>
                <th scope="col">Status</th>
                <th scope="col">In status</th>
                <th scope="col">Methods</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {sessions.map((s) => (
                <tr
                  key={s.id}
                  className={s.id === selectedId ? 'sx-row sx-row--selected' : 'sx-row'}
                  data-testid="session-row"
                  data-status={s.status}
                >
                  <td>
                    <button
                      type="button"
                      className="sx-link"
                      onClick={() => void select(s.id)}
                      aria-pressed={s.id === selectedId}
                    >
                      <span className="sx-user">{s.displayName ?? s.userId}</span>
                      {s.displayName && <span className="sx-muted sx-mono sx-small">{s.userId}</span>}
                    </button>
                  </td>
                  <td className="sx-nowrap">{clockTime(s.startedAt, now)}</td>
                  <td>
                    <StatusBadge session={s} />
                  </td>
                  <td className="sx-nowrap sx-num">{formatElapsed(now - s.statusSince)}</td>
                  <td className="sx-muted">{methodsText(s.methods)}</td>
                  <td className="sx-actions">
                    {!s.over && (
                      <button
                        type="button"
                        className="btn btn--sm"
                        disabled={busy[s.id]}
                        onClick={() => void logout(s.id)}
                        aria-label={`Log out the session of ${s.userId}`}
                      >
                        Log out
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {list && sessions.length === 0 && (
            <EmptyState title={filter === 'all' ? 'No sessions yet' : 'No sessions match this filter'}>
              Start an authentication to push a request to a user’s phone.
            </EmptyState>
          )}
        </div>
        <Detail now={now} />
      </div>
      <AuthenticateDialog />
    </div>
  );
}
