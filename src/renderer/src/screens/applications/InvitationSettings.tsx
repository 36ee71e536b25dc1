/**
 * The active application's invitation settings: the SMTP server (the password
 * is write-only: it goes to the keychain and is never shown), the message
 * template with its placeholders and a preview, the rate, whether contact
 * details are kept, and "send a test to me". Registration links never reach
 * this page: the preview shows a mark where the link goes.
 */
import { useEffect, useState, type FormEvent } from 'react';
import type { ErrorInfo } from '../../../../shared/errors.ts';
import type { InvitationSettingsView } from '../../../../shared/ipc/invitations.ts';
import { invoke } from '../../bridge.ts';
import { Field, Notice } from '../../components/index.ts';

type Security = 'tls' | 'starttls' | 'none';

export function InvitationSettings(props: { onDone: () => void }) {
  const [loaded, setLoaded] = useState<InvitationSettingsView | null>(null);
  const [host, setHost] = useState('');
  const [port, setPort] = useState('587');
  const [security, setSecurity] = useState<Security>('starttls');
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const [from, setFrom] = useState('');
  const [subject, setSubject] = useState('');
  const [body, setBody] = useState('');
  const [perMinute, setPerMinute] = useState('60');
  const [storeContacts, setStoreContacts] = useState(true);
  const [testTo, setTestTo] = useState('');
  const [preview, setPreview] = useState<{ subject: string; body: string } | null>(null);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    void invoke('invitations.settings', {}).then((r) => {
      if (!r.ok) return setError(r);
      const v = r.value;
      setLoaded(v);
      if (v.smtp) {
        setHost(v.smtp.host);
        setPort(String(v.smtp.port));
        setSecurity(v.smtp.security);
        setUser(v.smtp.user ?? '');
        setFrom(v.smtp.from);
      }
      setSubject(v.template.subject);
      setBody(v.template.body);
      setPerMinute(String(v.perMinute));
      setStoreContacts(v.storeContacts);
    });
    void invoke('invitations.preview', {}).then((r) => r.ok && setPreview(r.value));
  }, []);

  const field = (name: string): string | null => (error && error.details?.['field'] === name ? error.message : null);

  async function save(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setNotice(null);
    const r = await invoke('invitations.saveSettings', {
      smtp:
        host.trim() === ''
          ? null
          : {
              host: host.trim(),
              port: Number(port),
              security,
              user: user.trim() || null,
              from: from.trim(),
              caPem: loaded?.smtp?.caPem ?? null,
            },
      ...(password !== '' ? { password } : {}),
      template: { subject, body },
      perMinute: Number(perMinute),
      storeContacts,
    });
    setBusy(false);
    if (!r.ok) return setError(r);
    setPassword('');
    setLoaded(r.value);
    setNotice('Invitation settings saved.');
    const p = await invoke('invitations.preview', {});
    if (p.ok) setPreview(p.value);
  }

  async function sendTest() {
    setBusy(true);
    setError(null);
    setNotice(null);
    const r = await invoke('invitations.sendTest', { to: testTo });
    setBusy(false);
    if (!r.ok) return setError(r);
    setNotice(`A test message went to ${testTo}.`);
  }

  if (!loaded && !error) return <p className="muted">Loading…</p>;
  return (
    <form
      className="form-grid"
      onSubmit={(e) => void save(e)}
      aria-label="Invitation settings"
      data-testid="invitation-settings"
    >
      <div className="form-grid__wide">
        <Field
          label="SMTP server"
          error={field('host')}
          hint="Leave empty to send no email (SMS and QR codes still work)."
        >
          <input
            className="input input--mono"
            name="host"
            value={host}
            onChange={(e) => setHost(e.target.value)}
            autoComplete="off"
            spellCheck={false}
          />
        </Field>
      </div>
      <Field label="Port" error={field('port')}>
        <input
          className="input"
          name="port"
          inputMode="numeric"
          value={port}
          onChange={(e) => setPort(e.target.value)}
        />
      </Field>
      <Field
        label="Security"
        error={field('security')}
        hint="STARTTLS on 587, TLS on 465. None: only to this computer."
      >
        <select
          className="input"
          name="security"
          value={security}
          onChange={(e) => setSecurity(e.target.value as Security)}
        >
          <option value="starttls">STARTTLS</option>
          <option value="tls">TLS</option>
          <option value="none">None (loopback only)</option>
        </select>
      </Field>
      <Field label="User" error={field('user')}>
        <input
          className="input"
          name="user"
          value={user}
          onChange={(e) => setUser(e.target.value)}
          autoComplete="off"
          spellCheck={false}
        />
      </Field>
      <Field
        label="Password"
        error={field('smtp')}
        hint={
          loaded?.smtp?.hasPassword
            ? 'Stored in the OS keychain. Leave empty to keep it.'
            : 'Stored in the OS keychain; never shown again.'
        }
      >
        <input
          className="input"
          name="password"
          type="password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          autoComplete="new-password"
        />
      </Field>
      <div className="form-grid__wide">
        <Field
          label="Sender"
          error={field('from')}
          hint="An address, or a name and an address: Help desk <it@example.com>"
        >
          <input
            className="input"
            name="from"
            value={from}
            onChange={(e) => setFrom(e.target.value)}
            autoComplete="off"
            spellCheck={false}
          />
        </Field>
      </div>
      <div className="form-grid__wide">
        <Field label="Subject" error={field('subject')}>
          <input className="input" name="subject" value={subject} onChange={(e) => setSubject(e.target.value)} />
        </Field>
      </div>
      <div className="form-grid__wide">
        <Field
          label="Message"
          error={field('body')}
          hint="Placeholders: {displayName}, {link} (required), {expires}, {application}."
        >
          <textarea
            className="input invitation-body"
            name="body"
            rows={6}
            value={body}
            onChange={(e) => setBody(e.target.value)}
          />
        </Field>
      </div>
      <Field label="Messages per minute" error={field('perMinute')}>
        <input
          className="input"
          name="perMinute"
          inputMode="numeric"
          value={perMinute}
          onChange={(e) => setPerMinute(e.target.value)}
        />
      </Field>
      <label className="app-form__check">
        <input
          type="checkbox"
          name="storeContacts"
          checked={storeContacts}
          onChange={(e) => setStoreContacts(e.target.checked)}
        />
        <span>
          <span className="app-form__check-label">Keep users' email addresses and phone numbers</span>
          <span className="field__hint">Off: none are kept (and those kept are deleted).</span>
        </span>
      </label>
      {preview ? (
        <div className="form-grid__wide">
          <p className="field__label">Preview</p>
          <pre
            className="invitation-preview"
            data-testid="invitation-preview"
            tabIndex={0}
          >{`Subject: ${preview.subject}\n\n${preview.body}`}</pre>
        </div>
      ) : null}
      <div className="form-grid__wide invitation-test">
        <Field label="Send a test to" error={field('email')}>
          <input
            className="input"
            name="testTo"
            type="email"
            value={testTo}
            onChange={(e) => setTestTo(e.target.value)}
          />
        </Field>
        <button
          type="button"
          className="btn"
          disabled={busy || testTo.trim() === '' || !loaded?.smtp}
          onClick={() => void sendTest()}
        >
          Send test
        </button>
      </div>
      {error && !error.details?.['field'] ? (
        <div className="form-grid__wide">
          <Notice tone="error">{error.message}</Notice>
        </div>
      ) : null}
      {notice ? (
        <div className="form-grid__wide">
          <Notice tone="ok">{notice}</Notice>
        </div>
      ) : null}
      <div className="form-grid__wide dialog__actions">
        <button type="button" className="btn" onClick={props.onDone}>
          Close
        </button>
        <button type="submit" className="btn btn--primary" disabled={busy}>
          Save
        </button>
      </div>
    </form>
  );
}
