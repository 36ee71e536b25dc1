/**
 * Audit: every administrative action, newest first, in words, with the admin
 * (OS user@machine) who did it. A text search (target, action, admin,
 * application) and filters by action, outcome and date range; in team mode,
 * this console's log or the one every admin's console shares; pages of 50;
 * a row opens its details (the raw codes too); export of the filtered log as
 * CSV or JSON (main writes the file and says where).
 */
import { Fragment, useEffect, useState } from 'react';
import type { ErrorInfo } from '../../../../shared/errors.ts';
import type { AuditFilterInput, AuditPage } from '../../../../shared/ipc/audit.ts';
import { Badge, clockTime, Cut, EmptyState, Field, Notice, dateTime } from '../../components/index.ts';
import { invoke, on } from '../../bridge.ts';
import { errorOf } from '../applications/state.ts';
import { actionLabel, errorHelp, errorLabel } from './labels.ts';
import './audit.css';

const PAGE = 50;

/** 'YYYY-MM-DD' (local) -> epoch ms at local midnight; the end date is inclusive, so `to` is the next midnight. */
function dayStart(value: string, nextDay = false): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return undefined;
  const [y, m, d] = value.split('-').map(Number) as [number, number, number];
  return new Date(y, m - 1, d + (nextDay ? 1 : 0)).getTime();
}

export function AuditScreen() {
  const [text, setText] = useState('');
  const [action, setAction] = useState('');
  /** The row whose details are open, for the query and page it was opened on (another one closes them). */
  const [opened, setOpened] = useState<{ on: string; id: number } | null>(null);
  const [outcome, setOutcome] = useState<'' | 'ok' | 'error'>('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [offset, setOffset] = useState(0);
  const [page, setPage] = useState<AuditPage | null>(null);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [exported, setExported] = useState<{ tone: 'ok' | 'error' | 'info'; text: string } | null>(null);
  const [tick, setTick] = useState(0);
  /** Team mode: the active application's log shared by every admin's console, or this console's. */
  const [scope, setScope] = useState<'console' | 'team'>('console');

  const filter: AuditFilterInput = {
    ...(text.trim() ? { text: text.trim() } : {}),
    ...(action ? { action } : {}),
    ...(outcome ? { outcome } : {}),
    ...(dayStart(from) !== undefined ? { from: dayStart(from) } : {}),
    ...(dayStart(to, true) !== undefined ? { to: dayStart(to, true) } : {}),
  };
  const key = JSON.stringify({ filter, scope });
  const openId = opened?.on === `${key}|${String(offset)}` ? opened.id : null;

  useEffect(() => {
    let live = true;
    const asked = JSON.parse(key) as { filter: AuditFilterInput; scope: 'console' | 'team' };
    void invoke('audit.query', { ...asked, offset, limit: PAGE }).then((r) => {
      if (!live) return;
      if (r.ok) {
        setPage(r.value);
        setError(null);
      } else setError(errorOf(r));
    });
    return () => {
      live = false;
    };
  }, [key, offset, tick]);
  useEffect(() => on('applications.changed', () => setTick((t) => t + 1)), []);

  async function exportAs(format: 'csv' | 'json') {
    setExported(null);
    const r = await invoke('audit.export', { format, filter, scope });
    if (!r.ok) setExported({ tone: 'error', text: r.message });
    else if (r.value.path === null) setExported({ tone: 'info', text: 'Export cancelled.' });
    else setExported({ tone: 'ok', text: `Exported ${String(r.value.count)} entries to ${r.value.path}` });
    setTick((t) => t + 1);
  }

  const resetPage = () => setOffset(0);
  const total = page?.total ?? 0;

  return (
    <div className="audit">
      <form className="toolbar audit__filters" aria-label="Audit filters" onSubmit={(e) => e.preventDefault()}>
        {(page?.teamAvailable === true || scope === 'team') && (
          <Field label="Log">
            <select
              className="select"
              value={scope}
              onChange={(e) => (setScope(e.target.value as 'console' | 'team'), setAction(''), resetPage())}
              name="scope"
            >
              <option value="console">This console</option>
              <option value="team">All admins (team)</option>
            </select>
          </Field>
        )}
        <Field label="Search">
          <input
            className="input"
            type="search"
            value={text}
            maxLength={200}
            placeholder="User, admin…"
            onChange={(e) => (setText(e.target.value), resetPage())}
            name="text"
          />
        </Field>
        <Field label="Action">
          <select
            className="select"
            value={action}
            onChange={(e) => (setAction(e.target.value), resetPage())}
            name="action"
          >
            <option value="">All actions</option>
            {(page?.actions ?? []).map((a) => (
              <option key={a} value={a}>
                {actionLabel(a)}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Outcome">
          <select
            className="select"
            value={outcome}
            onChange={(e) => (setOutcome(e.target.value as '' | 'ok' | 'error'), resetPage())}
            name="outcome"
          >
            <option value="">Any outcome</option>
            <option value="ok">Succeeded</option>
            <option value="error">Failed</option>
          </select>
        </Field>
        <Field label="From">
          <input
            className="input"
            type="date"
            value={from}
            onChange={(e) => (setFrom(e.target.value), resetPage())}
            name="from"
          />
        </Field>
        <Field label="To">
          <input
            className="input"
            type="date"
            value={to}
            onChange={(e) => (setTo(e.target.value), resetPage())}
            name="to"
          />
        </Field>
        {(text || action || outcome || from || to) && (
          <button
            type="button"
            className="btn btn--ghost audit__clear"
            onClick={() => {
              setText('');
              setAction('');
              setOutcome('');
              setFrom('');
              setTo('');
              resetPage();
            }}
          >
            Clear filters
          </button>
        )}
        <span className="toolbar__spacer" />
        <div className="audit__export" role="group" aria-label="Export">
          <button type="button" className="btn" onClick={() => void exportAs('csv')}>
            Export CSV
          </button>
          <button type="button" className="btn" onClick={() => void exportAs('json')}>
            Export JSON
          </button>
        </div>
      </form>
      {exported && (
        <div className="audit__notice">
          <Notice tone={exported.tone} testId="export-result">
            {exported.text}
          </Notice>
        </div>
      )}
      {error && (
        <Notice tone="error" title="Could not read the audit log">
          {error.message}
        </Notice>
      )}
      <div className="table-wrap">
        <table className="table" aria-label="Audit log" data-testid="audit-table">
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Application</th>
              <th scope="col">Admin</th>
              <th scope="col">Action</th>
              <th scope="col">Target</th>
              <th scope="col">Outcome</th>
              <th scope="col">
                <span className="visually-hidden">Details</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {page?.rows.map((r) => (
              <Fragment key={r.id}>
                <tr className={openId === r.id ? 'audit__row audit__row--open' : 'audit__row'}>
                  <td className="audit__time" title={dateTime(r.at)}>
                    {clockTime(r.at)}
                  </td>
                  <td>{r.profileName ?? <span className="muted">—</span>}</td>
                  <td className="audit__admin">
                    {r.actor !== null ? <Cut text={r.actor} /> : <span className="muted">—</span>}
                  </td>
                  <td className="audit__action" title={r.action}>
                    {actionLabel(r.action)}
                  </td>
                  <td className="audit__target">{r.target ?? <span className="muted">—</span>}</td>
                  <td>
                    {r.outcome === 'ok' ? (
                      <Badge tone="ok">Succeeded</Badge>
                    ) : (
                      <Badge tone="danger" title={r.errorCode ?? undefined}>
                        {errorLabel(r.errorCode)}
                      </Badge>
                    )}
                  </td>
                  <td className="audit__more">
                    <button
                      type="button"
                      className="icon-button"
                      aria-expanded={openId === r.id}
                      aria-controls={`audit-details-${String(r.id)}`}
                      aria-label={`Details: ${actionLabel(r.action)}, ${dateTime(r.at)}`}
                      onClick={() => setOpened(openId === r.id ? null : { on: `${key}|${String(offset)}`, id: r.id })}
                    >
                      {openId === r.id ? '▾' : '▸'}
                    </button>
                  </td>
                </tr>
                {openId === r.id && (
                  <tr className="audit__details" id={`audit-details-${String(r.id)}`} data-testid="audit-details">
                    <td colSpan={7}>
                      <dl className="facts">
                        <dt>When</dt>
                        <dd>{new Date(r.at).toISOString()}</dd>
                        <dt>Action</dt>
                        <dd>
                          {actionLabel(r.action)} <code>{r.action}</code>
                        </dd>
                        <dt>Target</dt>
                        <dd className="audit__target-full">{r.target ?? '—'}</dd>
                        <dt>Application</dt>
                        <dd>{r.profileName ?? '—'}</dd>
                        <dt>Admin</dt>
                        <dd>{r.actor ?? 'Not recorded (an entry from before admins were named)'}</dd>
                        <dt>Outcome</dt>
                        <dd>
                          {r.outcome === 'ok' ? (
                            'Succeeded'
                          ) : (
                            <>
                              {errorHelp(r.errorCode)} <code>{r.errorCode ?? 'error'}</code>
                            </>
                          )}
                        </dd>
                      </dl>
                    </td>
                  </tr>
                )}
              </Fragment>
            ))}
            {page && page.rows.length === 0 && (
              <tr>
                <td colSpan={7}>
                  <EmptyState title="No entries match these filters">
                    Every action of this console is here; clear a filter or the search to see more.
                  </EmptyState>
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      <nav className="pager" aria-label="Audit pages">
        <span className="muted" data-testid="audit-range">
          {total === 0
            ? 'No entries'
            : `${String(offset + 1)}–${String(Math.min(offset + PAGE, total))} of ${String(total)}`}
        </span>
        <button
          type="button"
          className="btn btn--sm"
          disabled={offset === 0}
          onClick={() => setOffset(Math.max(0, offset - PAGE))}
        >
          Previous
        </button>
        <button
          type="button"
          className="btn btn--sm"
          disabled={offset + PAGE >= total}
          onClick={() => setOffset(offset + PAGE)}
        >
          Next
        </button>
      </nav>
    </div>
  );
}
