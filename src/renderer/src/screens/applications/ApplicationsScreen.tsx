/**
 * Applications: the profiles (flavour, base URL, application ID, concurrency,
 * active marker, keychain state), add / edit in a dialog, remove after typing
 * the name, test the connection, make active.
 */
import { useState } from 'react';
import type { ErrorInfo } from '../../../../shared/errors.ts';
import type { ApplicationView, ConnectionTestResult } from '../../../../shared/ipc/applications.ts';
import { Badge, Dialog, Field, Notice } from '../../components/index.ts';
import { invoke } from '../../bridge.ts';
import { ApplicationForm } from './ApplicationForm.tsx';
import { DirectorySettings } from './DirectorySettings.tsx';
import { InvitationSettings } from './InvitationSettings.tsx';
import { describeTest, errorOf, FLAVOUR_TONE, useApplications } from './state.ts';
import './applications.css';

type Tests = Record<string, { running: true } | { running: false; result: ConnectionTestResult }>;

function TestResult({ state }: { state: Tests[string] | undefined }) {
  if (!state) return null;
  if (state.running) {
    return (
      <span className="test-result test-result--running" role="status">
        Testing…
      </span>
    );
  }
  const d = describeTest(state.result);
  return (
    <span className={`test-result test-result--${d.tone}`} role="status" data-testid="test-result" title={d.detail}>
      <span className="test-result__dot" aria-hidden="true" />
      <strong>{d.title}</strong>
      <span className="test-result__detail">{state.result.ok ? `${String(state.result.latencyMs)} ms` : d.detail}</span>
    </span>
  );
}

function RemoveDialog({ target, onClose }: { target: ApplicationView | null; onClose: () => void }) {
  return (
    <Dialog open={target !== null} title="Remove application" onClose={onClose} size="sm">
      {target && <RemoveForm key={target.id} target={target} onClose={onClose} />}
    </Dialog>
  );
}

function RemoveForm({ target, onClose }: { target: ApplicationView; onClose: () => void }) {
  const [typed, setTyped] = useState('');
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        setBusy(true);
        void invoke('applications.remove', { id: target.id, confirmName: typed }).then((r) => {
          setBusy(false);
          if (r.ok) onClose();
          else setError(errorOf(r));
        });
      }}
    >
      <p className="remove__text">
        This deletes <strong>{target.name}</strong>, its secret in the OS keychain, and its user directory and sessions
        in this console. Nothing changes at the IAMPASS service.
      </p>
      <Field label={`Type “${target.name}” to confirm`} error={error?.message}>
        <input
          className="input"
          name="confirmName"
          value={typed}
          onChange={(e) => setTyped(e.target.value)}
          autoComplete="off"
          spellCheck={false}
        />
      </Field>
      <div className="dialog__actions">
        <button type="button" className="btn" onClick={onClose}>
          Cancel
        </button>
        <button type="submit" className="btn btn--danger-solid" disabled={busy || typed !== target.name}>
          Remove application
        </button>
      </div>
    </form>
  );
}

export function ApplicationsScreen() {
  const list = useApplications((s) => s.list);
  const loaded = useApplications((s) => s.loaded);
  const loadError = useApplications((s) => s.error);
  const setActive = useApplications((s) => s.setActive);
  const addRequested = useApplications((s) => s.addRequested);
  const clearAddRequest = useApplications((s) => s.clearAddRequest);
  const [ownForm, setOwnForm] = useState<{ editing: ApplicationView | null } | null>(null);
  const form = ownForm ?? (addRequested ? { editing: null } : null);
  const setForm = (next: { editing: ApplicationView | null } | null) => {
    setOwnForm(next);
    if (next === null) clearAddRequest();
  };
  const [removing, setRemoving] = useState<ApplicationView | null>(null);
  const [invitations, setInvitations] = useState(false);
  const [directory, setDirectory] = useState(false);
  const [tests, setTests] = useState<Tests>({});
  const [notice, setNotice] = useState<{ tone: 'ok' | 'error'; text: string } | null>(null);

  async function test(id: string) {
    setTests((t) => ({ ...t, [id]: { running: true } }));
    const r = await invoke('applications.test', { id });
    const result: ConnectionTestResult = r.ok ? r.value : { ok: false, latencyMs: 0, error: errorOf(r) };
    setTests((t) => ({ ...t, [id]: { running: false, result } }));
  }

  return (
    <div className="applications">
      <div className="toolbar">
        <p className="muted toolbar__text">
          {list.length} application{list.length === 1 ? '' : 's'} · secrets are kept in the OS keychain and never
          displayed
        </p>
        <span className="toolbar__spacer" />
        <button type="button" className="btn btn--primary" onClick={() => setForm({ editing: null })}>
          <span aria-hidden="true">+</span> Add application
        </button>
      </div>
      {notice && (
        <div className="applications__notice">
          <Notice tone={notice.tone}>{notice.text}</Notice>
        </div>
      )}
      {loadError && (
        <Notice tone="error" title="Could not load the applications">
          {loadError.message}
        </Notice>
      )}
      {loaded && list.length === 0 && !loadError && (
        <section className="empty">
          <h2>No applications</h2>
          <p>Add an IAMPASS or Activeconnect application to manage its users.</p>
        </section>
      )}
      <ul className="app-list" aria-label="Applications">
        {list.map((a) => (
          <li
            key={a.id}
            className={a.active ? 'app-card card app-card--active' : 'app-card card'}
            data-testid="app-card"
            aria-label={a.name}
          >
            <div className="app-card__main">
              <div className="app-card__title">
                <h2>{a.name}</h2>
                <Badge tone={FLAVOUR_TONE[a.flavour]}>{a.flavour}</Badge>
                {a.active && (
                  <Badge tone="ok" title="The console works on this application">
                    ● Active
                  </Badge>
                )}
                {a.hasSecret === false && <Badge tone="danger">Secret missing</Badge>}
                {a.hasSecret === null && <Badge tone="warn">Keychain unavailable</Badge>}
              </div>
              <dl className="app-card__facts">
                <div>
                  <dt>Base URL</dt>
                  <dd className="mono">{a.baseUrl}</dd>
                </div>
                <div>
                  <dt>Application ID</dt>
                  <dd className="mono">{a.applicationId}</dd>
                </div>
                <div>
                  <dt>Concurrency</dt>
                  <dd>{a.concurrency}</dd>
                </div>
                <div>
                  <dt>IAMPASS IDs</dt>
                  <dd>{a.sendOwnIds ? 'Your user IDs' : 'Random, opaque'}</dd>
                </div>
                <div>
                  <dt>Secret</dt>
                  <dd>{a.hasSecret ? 'In keychain' : a.hasSecret === false ? 'Missing' : 'Unknown'}</dd>
                </div>
              </dl>
              <TestResult state={tests[a.id]} />
            </div>
            <div className="app-card__actions">
              <button
                type="button"
                className="btn btn--sm"
                onClick={() => void test(a.id)}
                disabled={tests[a.id]?.running === true}
              >
                Test connection
              </button>
              {!a.active && (
                <button
                  type="button"
                  className="btn btn--sm"
                  onClick={() =>
                    void setActive(a.id).then((err) =>
                      setNotice(
                        err
                          ? { tone: 'error', text: err.message }
                          : { tone: 'ok', text: `${a.name} is now the active application.` },
                      ),
                    )
                  }
                >
                  Make active
                </button>
              )}
              <button
                type="button"
                className="btn btn--sm"
                onClick={() => setForm({ editing: a })}
                aria-label={`Edit ${a.name}`}
              >
                Edit
              </button>
              {a.active && (
                <button type="button" className="btn btn--sm" onClick={() => setDirectory(true)}>
                  Users directory…
                </button>
              )}
              {a.active && (
                <button type="button" className="btn btn--sm" onClick={() => setInvitations(true)}>
                  Invitations…
                </button>
              )}
              <button
                type="button"
                className="btn btn--sm btn--danger"
                onClick={() => setRemoving(a)}
                aria-label={`Remove ${a.name}`}
              >
                Remove
              </button>
            </div>
          </li>
        ))}
      </ul>

      <Dialog
        open={form !== null}
        title={form?.editing ? `Edit ${form.editing.name}` : 'Add application'}
        description={form?.editing ? undefined : 'Connect the console to an IAMPASS or Activeconnect application.'}
        onClose={() => setForm(null)}
      >
        {form && (
          <ApplicationForm
            editing={form.editing}
            onCancel={() => setForm(null)}
            onDone={(view) => {
              setForm(null);
              setNotice({
                tone: 'ok',
                text: form.editing
                  ? `Saved ${view.name}.`
                  : `Added ${view.name}. Test its connection, then make it active.`,
              });
            }}
          />
        )}
      </Dialog>
      <Dialog
        open={invitations}
        title="Invitation settings"
        description="How registration links are sent by email for the active application."
        onClose={() => setInvitations(false)}
      >
        {invitations && <InvitationSettings onDone={() => setInvitations(false)} />}
      </Dialog>
      <Dialog
        open={directory}
        title="Users directory"
        description="Where this application keeps its users: the console, or the application's own database."
        onClose={() => setDirectory(false)}
        size="lg"
      >
        {directory && (
          <DirectorySettings
            onDone={(text) => {
              setDirectory(false);
              if (text) setNotice({ tone: 'ok', text });
            }}
          />
        )}
      </Dialog>
      <RemoveDialog
        target={removing}
        onClose={() => {
          setRemoving(null);
        }}
      />
    </div>
  );
}
