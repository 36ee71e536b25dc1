/**
 * Add users: one, a pasted list (one per line, optional `id,display name`),
 * or a CSV file (column mapping, preview, duplicates flagged). The work is a
 * job in main; the dialog shows its progress, Cancel, and per-row results.
 */
import { useId, useState, type FormEvent, type KeyboardEvent } from 'react';
import { decodeCsvBytes } from '../../../../shared/csv-text.ts';
import type { CsvMapping, CsvPreview } from '../../../../shared/ipc/users.ts';
import { invoke } from '../../bridge.ts';
import { JobBar } from './JobBar.tsx';
import { Dialog, plural } from '../../components/index.ts';
import { ResultList } from './ResultList.tsx';
import { useUsers } from './store.ts';

type Tab = 'one' | 'paste' | 'csv';
const TABS: { id: Tab; label: string }[] = [
  { id: 'one', label: 'One user' },
  { id: 'paste', label: 'Paste a list' },
  { id: 'csv', label: 'CSV file' },
];

/** A pasted list: one user per line, `id,display name` split at the first comma. */
export interface Pasted {
  users: { userId: string; displayName?: string }[];
  /** Non-empty lines read. */
  lines: number;
  /** Lines holding only spaces: left out. */
  blank: number;
  /** Lines repeating an earlier line's user ID: left out (the first one, with its display name, is added). */
  duplicates: number;
}

export function parsePasted(text: string): Pasted {
  const out: Pasted = { users: [], lines: 0, blank: 0, duplicates: 0 };
  const seen = new Set<string>();
  for (const line of text.split(/\r?\n/)) {
    if (line === '') continue;
    out.lines++;
    if (line.trim() === '') {
      out.blank++;
      continue;
    }
    const comma = line.indexOf(',');
    const userId = (comma < 0 ? line : line.slice(0, comma)).trim();
    const name = comma < 0 ? '' : line.slice(comma + 1).trim();
    if (seen.has(userId)) {
      out.duplicates++;
      continue;
    }
    seen.add(userId);
    out.users.push({ userId, ...(name ? { displayName: name } : {}) });
  }
  return out;
}

/** How many pasted users the preview lists. */
const PASTE_PREVIEW = 5;

export function AddUsersDialog(props: { onClose: () => void }) {
  const [tab, setTab] = useState<Tab>('one');
  const [jobId, setJobId] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const job = useUsers((s) => (jobId ? s.jobs[jobId] : undefined));
  const trackJob = useUsers((s) => s.trackJob);
  const base = useId();

  async function start(
    run: Promise<{ ok: true; value: { jobId: string } } | { ok: false; message: string }>,
    kind: 'users.add' | 'users.import',
  ) {
    setError(null);
    const r = await run;
    if (!r.ok) setError(r.message);
    else {
      trackJob(r.value.jobId, kind);
      setJobId(r.value.jobId);
    }
  }

  const onTabKey = (e: KeyboardEvent) => {
    const i = TABS.findIndex((t) => t.id === tab);
    const next =
      e.key === 'ArrowRight' ? (i + 1) % TABS.length : e.key === 'ArrowLeft' ? (i + TABS.length - 1) % TABS.length : -1;
    if (next < 0) return;
    e.preventDefault();
    setTab(TABS[next]!.id);
    document.getElementById(`${base}-tab-${TABS[next]!.id}`)?.focus();
  };

  return (
    <Dialog title="Add users" onClose={props.onClose} size="lg" testId="add-dialog">
      {job ? (
        <div className="ux-stack">
          <JobBar job={job} label={job.finished ? 'Finished' : 'Adding users'} />
          {job.finished ? <ResultList finished={job.finished} /> : null}
          <div className="ux-actions">
            {job.finished ? (
              <>
                <button type="button" className="btn" onClick={() => setJobId(null)}>
                  Add more
                </button>
                <button type="button" className="btn btn--primary" onClick={props.onClose}>
                  Done
                </button>
              </>
            ) : null}
          </div>
        </div>
      ) : (
        <>
          <div role="tablist" aria-label="How to add" className="ux-tabs" onKeyDown={onTabKey}>
            {TABS.map((t) => (
              <button
                key={t.id}
                id={`${base}-tab-${t.id}`}
                type="button"
                role="tab"
                aria-selected={tab === t.id}
                aria-controls={`${base}-panel`}
                tabIndex={tab === t.id ? 0 : -1}
                className="ux-tab"
                onClick={() => setTab(t.id)}
              >
                {t.label}
              </button>
            ))}
          </div>
          <div role="tabpanel" id={`${base}-panel`} aria-labelledby={`${base}-tab-${tab}`} className="ux-tabpanel">
            {tab === 'one' ? (
              <OneForm onSubmit={(u) => void start(invoke('users.add', { users: [u] }), 'users.add')} />
            ) : null}
            {tab === 'paste' ? (
              <PasteForm onSubmit={(users) => void start(invoke('users.add', { users }), 'users.add')} />
            ) : null}
            {tab === 'csv' ? (
              <CsvForm
                onImport={(text, mapping, hasHeader) =>
                  void start(invoke('users.importCsv', { text, mapping, hasHeader }), 'users.import')
                }
              />
            ) : null}
          </div>
          {error ? (
            <p className="ux-error" role="alert">
              {error}
            </p>
          ) : null}
        </>
      )}
    </Dialog>
  );
}

function OneForm(props: { onSubmit: (u: { userId: string; displayName?: string }) => void }) {
  const [userId, setUserId] = useState('');
  const [name, setName] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const id = useId();
  function submit(e: FormEvent) {
    e.preventDefault();
    if (userId.trim() === '') {
      setProblem('Enter a user ID.');
      return;
    }
    props.onSubmit({ userId: userId.trim(), ...(name.trim() ? { displayName: name.trim() } : {}) });
  }
  return (
    <form className="ux-form" onSubmit={submit} noValidate>
      <label htmlFor={`${id}-u`}>User ID</label>
      <input
        id={`${id}-u`}
        value={userId}
        onChange={(e) => setUserId(e.target.value)}
        autoFocus
        aria-invalid={problem ? true : undefined}
        aria-describedby={problem ? `${id}-p` : undefined}
      />
      {problem ? (
        <p id={`${id}-p`} className="ux-error">
          {problem}
        </p>
      ) : null}
      <label htmlFor={`${id}-n`}>
        Display name <span className="ux-muted">(optional — shown on the phone)</span>
      </label>
      <input id={`${id}-n`} value={name} onChange={(e) => setName(e.target.value)} />
      <div className="ux-actions">
        <button type="submit" className="btn btn--primary">
          Add user
        </button>
      </div>
    </form>
  );
}

function PasteForm(props: { onSubmit: (users: { userId: string; displayName?: string }[]) => void }) {
  const [text, setText] = useState('');
  const id = useId();
  const pasted = parsePasted(text);
  const { users } = pasted;
  const leftOut = [
    pasted.duplicates > 0 ? `${plural(pasted.duplicates, 'repeated line')} left out` : null,
    pasted.blank > 0 ? `${plural(pasted.blank, 'blank line')} left out` : null,
  ].filter((x) => x !== null);
  return (
    <form
      className="ux-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (users.length > 0) props.onSubmit(users);
      }}
    >
      <label htmlFor={`${id}-t`}>User IDs, one per line</label>
      <textarea
        id={`${id}-t`}
        rows={7}
        value={text}
        onChange={(e) => setText(e.target.value)}
        placeholder={'alice\nbob, Bob Martin\nchloé'}
        spellCheck={false}
        aria-describedby={`${id}-h ${id}-c`}
      />
      <p id={`${id}-h`} className="ux-muted">
        Optional display name after a comma. A repeated user ID is added once; invalid IDs are reported per row.
      </p>
      {pasted.lines > 0 ? (
        <div className="ux-paste-preview">
          <p id={`${id}-c`} data-testid="paste-counts" aria-live="polite">
            {plural(pasted.lines, 'line')} · <strong>{plural(users.length, 'user')} to add</strong>
            {leftOut.length > 0 ? ` · ${leftOut.join(' · ')}` : ''}
          </p>
          <ul aria-label="Users to add">
            {users.slice(0, PASTE_PREVIEW).map((u) => (
              <li key={u.userId} title={u.userId}>
                <span className="ux-paste-preview__id">{u.userId}</span>
                {u.displayName ? <span className="ux-muted"> {u.displayName}</span> : null}
              </li>
            ))}
            {users.length > PASTE_PREVIEW ? (
              <li className="ux-muted">…and {plural(users.length - PASTE_PREVIEW, 'more user')}</li>
            ) : null}
          </ul>
        </div>
      ) : null}
      <div className="ux-actions">
        <button type="submit" className="btn btn--primary" disabled={users.length === 0}>
          {users.length === 0 ? 'Add users' : `Add ${plural(users.length, 'user')}`}
        </button>
      </div>
    </form>
  );
}

function CsvForm(props: { onImport: (text: string, mapping: CsvMapping, hasHeader: boolean) => void }) {
  const [text, setText] = useState<string | null>(null);
  const [fileName, setFileName] = useState('');
  const [preview, setPreview] = useState<CsvPreview | null>(null);
  const [error, setError] = useState<string | null>(null);
  const id = useId();

  async function refresh(t: string, mapping?: CsvMapping, hasHeader?: boolean) {
    const r = await invoke('users.csvPreview', {
      text: t,
      previewRows: 20,
      ...(mapping ? { mapping } : {}),
      ...(hasHeader === undefined ? {} : { hasHeader }),
    });
    if (!r.ok) {
      setError(r.message);
      setPreview(null);
    } else {
      setError(null);
      setPreview(r.value);
    }
  }

  const [dragging, setDragging] = useState(false);

  async function pick(files: FileList | null) {
    const file = files?.[0];
    if (!file) return;
    setFileName(file.name);
    // Decoded here with the same rules as main and the CLI: UTF-8 or UTF-16 text only, a binary file is refused.
    let t: string;
    try {
      t = decodeCsvBytes(new Uint8Array(await file.arrayBuffer())).text;
    } catch (e) {
      setText(null);
      setPreview(null);
      setError(e instanceof Error ? e.message : 'This file could not be read.');
      return;
    }
    setText(t);
    await refresh(t);
  }

  const mapping = preview?.mapping;
  return (
    <div className="ux-form">
      {/* The whole zone is the file input's label: click, Enter/Space on the focused input, or drop a file. */}
      <label
        htmlFor={`${id}-f`}
        className={dragging ? 'ux-drop ux-drop--over' : 'ux-drop'}
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={(e) => {
          e.preventDefault();
          setDragging(false);
          void pick(e.dataTransfer.files);
        }}
      >
        <svg aria-hidden="true" viewBox="0 0 24 24" width="22" height="22">
          <path d="M12 3l5 5h-3.5v6h-3V8H7l5-5Zm-7 13h2v3h10v-3h2v5H5v-5Z" fill="currentColor" />
        </svg>
        <span className="ux-drop__title">{fileName ? fileName : 'Choose a CSV file or drop it here'}</span>
        <span className="ux-muted ux-small">
          {fileName
            ? 'Choose another file to replace it.'
            : 'A header row is detected; you pick the columns next. Nothing is added before Import.'}
        </span>
        <input
          id={`${id}-f`}
          className="ux-drop__input"
          type="file"
          accept=".csv,text/csv,text/plain"
          onChange={(e) => void pick(e.target.files)}
          data-testid="csv-input"
        />
      </label>
      {error ? (
        <p className="ux-error" role="alert">
          {error}
        </p>
      ) : null}
      {preview && text !== null && mapping ? (
        <>
          <div className="ux-mapping">
            <label>
              User ID column
              <select
                value={mapping.userId}
                onChange={(e) => void refresh(text, { ...mapping, userId: Number(e.target.value) }, preview.hasHeader)}
              >
                {preview.columns.map((c, i) => (
                  <option key={i} value={i}>
                    {c}
                  </option>
                ))}
              </select>
            </label>
            {(
              [
                ['displayName', 'Display name column'],
                ['email', 'Email column'],
                ['phone', 'Phone column'],
              ] as const
            ).map(([key, label]) => (
              <label key={key}>
                {label}
                <select
                  value={mapping[key] ?? ''}
                  onChange={(e) =>
                    void refresh(
                      text,
                      { ...mapping, [key]: e.target.value === '' ? null : Number(e.target.value) },
                      preview.hasHeader,
                    )
                  }
                >
                  <option value="">(none)</option>
                  {preview.columns.map((c, i) => (
                    <option key={i} value={i}>
                      {c}
                    </option>
                  ))}
                </select>
              </label>
            ))}
            <label className="ux-check">
              <input
                type="checkbox"
                checked={preview.hasHeader}
                onChange={(e) => void refresh(text, mapping, e.target.checked)}
              />
              First row is a header
            </label>
          </div>
          <p className="ux-muted" data-testid="csv-counts">
            {fileName}: {preview.totalRows.toLocaleString('en-US')} rows · {preview.validRows.toLocaleString('en-US')}{' '}
            valid · {preview.invalidRows.toLocaleString('en-US')} invalid
            {preview.duplicateRows
              ? ` (${preview.duplicateRows.toLocaleString('en-US')} ${preview.duplicateRows === 1 ? 'duplicate' : 'duplicates'} removed)`
              : ''}
          </p>
          <div className="ux-preview" tabIndex={0} role="region" aria-label="Preview of the first rows">
            <table>
              <caption className="visually-hidden">Preview of the first rows</caption>
              <thead>
                <tr>
                  <th scope="col">Row</th>
                  <th scope="col">User ID</th>
                  <th scope="col">Display name</th>
                  <th scope="col">Check</th>
                </tr>
              </thead>
              <tbody>
                {preview.preview.map((r) => (
                  <tr key={r.row} className={r.problem ? 'ux-preview__bad' : undefined}>
                    <td>{r.row}</td>
                    <td>{r.userId}</td>
                    <td>{r.displayName}</td>
                    <td>{r.problem ?? <span className="ux-ok">OK</span>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {preview.warnings.length ? <p className="ux-muted">{preview.warnings.join(' ')}</p> : null}
          <div className="ux-actions">
            <button
              type="button"
              className="btn btn--primary"
              disabled={preview.validRows === 0}
              onClick={() => props.onImport(text, mapping, preview.hasHeader)}
            >
              Import {preview.validRows.toLocaleString('en-US')} {preview.validRows === 1 ? 'user' : 'users'}
            </button>
          </div>
        </>
      ) : null}
    </div>
  );
}
