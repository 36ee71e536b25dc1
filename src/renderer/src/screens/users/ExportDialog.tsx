/** Export the users matching the current query as CSV or JSON: main asks where, then writes the file as a job. */
import { useState } from 'react';
import type { ExportFormat, UsersQuery } from '../../../../shared/ipc/users.ts';
import { invoke } from '../../bridge.ts';
import { plural } from '../../components/index.ts';
import { JobBar } from './JobBar.tsx';
import { Dialog } from '../../components/index.ts';
import { useUsers } from './store.ts';

export function ExportDialog(props: { query: UsersQuery; total: number; onClose: () => void }) {
  const [format, setFormat] = useState<ExportFormat>('csv');
  const [jobId, setJobId] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const job = useUsers((s) => (jobId ? s.jobs[jobId] : undefined));
  const trackJob = useUsers((s) => s.trackJob);

  async function run() {
    setBusy(true);
    const r = await invoke('users.export', { query: props.query, format });
    setBusy(false);
    if (!r.ok) setError(r.message);
    else if (r.value.jobId === null) props.onClose();
    else {
      trackJob(r.value.jobId, 'users.export');
      setJobId(r.value.jobId);
    }
  }

  return (
    <Dialog title={`Export ${plural(props.total, 'user')}`} onClose={props.onClose} testId="export-dialog">
      {job ? (
        <div className="ux-stack">
          <JobBar job={job} label={job.finished ? 'Finished' : 'Exporting'} />
          {job.finished ? (
            <p role="status" data-testid="export-result">
              {job.finished.outcome === 'completed'
                ? `Exported ${plural(job.total, 'user')}.`
                : job.finished.outcome === 'cancelled'
                  ? 'Export cancelled: the file is incomplete.'
                  : `Export failed: ${job.finished.error?.message ?? 'unknown error'}`}
            </p>
          ) : null}
          {job.finished ? (
            <div className="ux-actions">
              <button type="button" className="btn btn--primary" onClick={props.onClose}>
                Done
              </button>
            </div>
          ) : null}
        </div>
      ) : (
        <form
          className="ux-form"
          onSubmit={(e) => {
            e.preventDefault();
            void run();
          }}
        >
          <p>
            The users matching the current search and filter, in the table&apos;s order. The file is written by the
            console and readable only by you.
          </p>
          <fieldset className="ux-fieldset">
            <legend>Format</legend>
            {(['csv', 'json'] as const).map((f) => (
              <label key={f} className="ux-check">
                <input type="radio" name="format" value={f} checked={format === f} onChange={() => setFormat(f)} />
                {f === 'csv' ? 'CSV (spreadsheets)' : 'JSON'}
              </label>
            ))}
          </fieldset>
          {error ? (
            <p className="ux-error" role="alert">
              {error}
            </p>
          ) : null}
          <div className="ux-actions">
            <button type="button" className="btn" onClick={props.onClose}>
              Cancel
            </button>
            <button type="submit" className="btn btn--primary" disabled={busy}>
              Export…
            </button>
          </div>
        </form>
      )}
    </Dialog>
  );
}
