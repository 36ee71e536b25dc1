/** Delete users, confirmed; more than MAX_CONFIRM_FREE_DELETE needs the count typed. Runs as a job. */
import { useId, useState } from 'react';
import { MAX_CONFIRM_FREE_DELETE, type UsersSelection } from '../../../../shared/ipc/users.ts';
import { invoke } from '../../bridge.ts';
import { plural } from '../../components/index.ts';
import { JobBar } from './JobBar.tsx';
import { Dialog } from '../../components/index.ts';
import { ResultList } from './ResultList.tsx';
import { useUsers } from './store.ts';

/** `count`: the selection's size when the dialog opened; `userIds`: its users when they are listed (else empty). */
export function DeleteDialog(props: {
  selection: UsersSelection;
  count: number;
  userIds: string[];
  onClose: () => void;
}) {
  const { selection, userIds } = props;
  const n = props.count;
  const needCount = n > MAX_CONFIRM_FREE_DELETE;
  const [typed, setTyped] = useState('');
  const [jobId, setJobId] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const job = useUsers((s) => (jobId ? s.jobs[jobId] : undefined));
  const trackJob = useUsers((s) => s.trackJob);
  const id = useId();
  const ok = !needCount || typed.trim() === String(n);

  async function run() {
    const r = await invoke(
      'users.deleteSelection',
      needCount ? { selection, confirmCount: Number(typed.trim()) } : { selection },
    );
    if (!r.ok) setError(r.message);
    else {
      trackJob(r.value.jobId, 'users.delete');
      setJobId(r.value.jobId);
    }
  }

  return (
    <Dialog title={`Delete ${plural(n, 'user')}`} onClose={props.onClose} testId="delete-dialog">
      {job ? (
        <div className="ux-stack">
          <JobBar job={job} label={job.finished ? 'Finished' : 'Deleting'} />
          {job.finished ? <ResultList finished={job.finished} /> : null}
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
            if (ok) void run();
          }}
        >
          <p>
            {n === 1 && userIds.length === 1 ? (
              <>
                <strong>{userIds[0]}</strong> is removed from IAMPASS and from this console.
              </>
            ) : (
              <>{plural(n, 'user')} are removed from IAMPASS and from this console.</>
            )}{' '}
            Their phones stop working for this application. This cannot be undone.
          </p>
          {n > 1 && n <= 20 && userIds.length === n ? (
            <p className="ux-muted ux-idlist" tabIndex={0} role="region" aria-label="Users to delete">
              {userIds.join(', ')}
            </p>
          ) : null}
          {needCount ? (
            <>
              <label htmlFor={`${id}-c`}>
                Type <strong>{n}</strong> to confirm
              </label>
              <input
                id={`${id}-c`}
                inputMode="numeric"
                autoComplete="off"
                value={typed}
                onChange={(e) => setTyped(e.target.value)}
                autoFocus
              />
            </>
          ) : null}
          {error ? (
            <p className="ux-error" role="alert">
              {error}
            </p>
          ) : null}
          <div className="ux-actions">
            <button type="button" className="btn" onClick={props.onClose} autoFocus={!needCount}>
              Cancel
            </button>
            <button type="submit" className="btn btn--danger-solid" disabled={!ok}>
              Delete {plural(n, 'user')}
            </button>
          </div>
        </form>
      )}
    </Dialog>
  );
}
