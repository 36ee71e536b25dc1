/**
 * Add / edit an application profile. The secret field is write-only: masked,
 * never pre-filled (the bridge never returns a secret); when editing, an empty
 * secret keeps the stored one. Validation errors come from the typed error
 * (details.field / details.fields) and are shown on their field.
 */
import { useState, type FormEvent } from 'react';
import type { ErrorInfo } from '../../../../shared/errors.ts';
import { CREDENTIAL_MAX_CHARS, CREDENTIAL_MIN_CHARS, secretWarning } from '../../../../shared/credentials.ts';
import { CLIENT_DEFAULTS } from '../../../../shared/iampass.ts';
import { FLAVOURS, type ApplicationView, type Flavour } from '../../../../shared/ipc/applications.ts';
import { Field, Notice } from '../../components/index.ts';
import { invoke } from '../../bridge.ts';
import { errorOf } from './state.ts';

const DEFAULT_URLS: Record<Flavour, string> = {
  IAMPASS: 'https://main.iam-api.com',
  Activeconnect: 'https://activeapi.ninja',
  Sandbox: 'http://127.0.0.1:<port>',
};

type FieldName = 'name' | 'flavour' | 'baseUrl' | 'applicationId' | 'secret' | 'concurrency';
const FIELD_NAMES: FieldName[] = ['name', 'flavour', 'baseUrl', 'applicationId', 'secret', 'concurrency'];

/** Which form field a typed error is about (service: details.field; router: details.fields). */
export function fieldOf(error: ErrorInfo): FieldName | null {
  const raw = [error.details?.['field'], error.details?.['fields']]
    .filter((v): v is string => typeof v === 'string')
    .join(',');
  for (const part of raw.split(',')) {
    const name = part.trim().replace(/^patch\./, '');
    if ((FIELD_NAMES as string[]).includes(name)) return name as FieldName;
  }
  return null;
}

export function ApplicationForm({
  editing,
  onDone,
  onCancel,
}: {
  editing: ApplicationView | null;
  onDone: (view: ApplicationView) => void;
  onCancel: () => void;
}) {
  const [name, setName] = useState(editing?.name ?? '');
  const [flavour, setFlavour] = useState<Flavour>(editing?.flavour ?? 'IAMPASS');
  const [baseUrl, setBaseUrl] = useState(editing?.baseUrl ?? '');
  const [applicationId, setApplicationId] = useState(editing?.applicationId ?? '');
  const [secret, setSecret] = useState('');
  // The spec accepts any 16-128 printable characters; an unusual (but valid) shape gets a warning, never a refusal.
  const typedSecret = secret.trim();
  const unusualSecret =
    typedSecret.length >= CREDENTIAL_MIN_CHARS && typedSecret.length <= CREDENTIAL_MAX_CHARS
      ? secretWarning(typedSecret)
      : null;
  const [concurrency, setConcurrency] = useState(String(editing?.concurrency ?? CLIENT_DEFAULTS.concurrency));
  const [sendOwnIds, setSendOwnIds] = useState(editing?.sendOwnIds ?? false);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [busy, setBusy] = useState(false);
  const bad = error ? fieldOf(error) : null;
  const errorFor = (f: FieldName) => (bad === f ? error?.message : null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const conc = concurrency.trim() === '' ? undefined : Number(concurrency);
    const r = editing
      ? await invoke('applications.edit', {
          id: editing.id,
          patch: {
            name,
            flavour,
            baseUrl,
            applicationId,
            sendOwnIds,
            ...(conc !== undefined ? { concurrency: conc } : {}),
            ...(secret !== '' ? { secret } : {}),
          },
        })
      : await invoke('applications.add', {
          name,
          flavour,
          baseUrl,
          applicationId,
          secret,
          sendOwnIds,
          ...(conc !== undefined ? { concurrency: conc } : {}),
        });
    setBusy(false);
    if (r.ok) {
      setSecret('');
      onDone(r.value);
    } else setError(errorOf(r));
  }

  return (
    <form className="app-form" onSubmit={(e) => void submit(e)} noValidate>
      <div className="form-grid">
        <div className="form-grid__wide">
          <Field label="Name" error={errorFor('name')} hint="How this application appears in the console.">
            <input
              className="input"
              name="name"
              value={name}
              onChange={(e) => setName(e.target.value)}
              autoComplete="off"
              required
            />
          </Field>
        </div>
        <Field
          label="Service"
          error={errorFor('flavour')}
          hint="IAMPASS, its sibling Activeconnect (the same API), or a sandbox."
        >
          <select
            className="select"
            name="flavour"
            value={flavour}
            onChange={(e) => setFlavour(e.target.value as Flavour)}
          >
            {FLAVOURS.map((f) => (
              <option key={f} value={f}>
                {f}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Bulk concurrency" error={errorFor('concurrency')} hint="Parallel requests for bulk jobs (1–64).">
          <input
            className="input"
            name="concurrency"
            type="number"
            min={1}
            max={64}
            value={concurrency}
            onChange={(e) => setConcurrency(e.target.value)}
          />
        </Field>
        <div className="form-grid__wide">
          <Field
            label="Base URL"
            error={errorFor('baseUrl')}
            hint={
              flavour === 'Sandbox' ? 'The sandbox’s loopback address.' : `Leave empty for ${DEFAULT_URLS[flavour]}.`
            }
          >
            <input
              className="input input--mono"
              name="baseUrl"
              value={baseUrl}
              onChange={(e) => setBaseUrl(e.target.value)}
              placeholder={DEFAULT_URLS[flavour]}
              autoComplete="off"
              spellCheck={false}
            />
          </Field>
        </div>
        <div className="form-grid__wide">
          <Field
            label="Application ID"
            error={errorFor('applicationId')}
            hint="From the developer portal (usually 32 hexadecimal characters). Kept exactly as entered."
          >
            <input
              className="input input--mono"
              name="applicationId"
              value={applicationId}
              onChange={(e) => setApplicationId(e.target.value)}
              autoComplete="off"
              spellCheck={false}
            />
          </Field>
        </div>
        <div className="form-grid__wide">
          <Field
            label={editing ? 'Replace application secret' : 'Application secret'}
            error={errorFor('secret')}
            hint={
              unusualSecret ??
              (editing
                ? 'Leave empty to keep the secret stored in the keychain. It is never shown.'
                : 'Usually 48 hexadecimal characters. Stored in the OS keychain; it cannot be viewed again.')
            }
          >
            <input
              className="input input--mono"
              name="secret"
              type="password"
              value={secret}
              onChange={(e) => setSecret(e.target.value)}
              autoComplete="new-password"
              spellCheck={false}
              placeholder={editing ? '•••••••• (unchanged)' : ''}
            />
          </Field>
        </div>
        <div className="form-grid__wide">
          <label className="app-form__check">
            <input
              type="checkbox"
              name="sendOwnIds"
              checked={sendOwnIds}
              onChange={(e) => setSendOwnIds(e.target.checked)}
              aria-describedby="send-own-ids-hint"
            />
            <span>
              <span className="app-form__check-label">Send our own user IDs to IAMPASS</span>
              <span id="send-own-ids-hint" className="field__hint">
                Off (recommended): each new user gets a random, opaque IAMPASS ID and the console maps your user ID to
                it, so IAMPASS holds no personal data. On: your user IDs are sent as they are. Applies to users added
                from now on.
              </span>
            </span>
          </label>
        </div>
      </div>
      {error && !bad && (
        <div className="app-form__error">
          <Notice tone="error" title={error.code === 'conflict' ? 'Name already in use' : 'Could not save'}>
            {error.message}
          </Notice>
        </div>
      )}
      <div className="dialog__actions">
        <button type="button" className="btn" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="btn btn--primary" disabled={busy}>
          {busy ? 'Saving…' : editing ? 'Save changes' : 'Add application'}
        </button>
      </div>
    </form>
  );
}
