/**
 * Changes of the active application that a crash or a lost answer left
 * unsettled: how many, and "Check now", which runs recovery in main (the
 * users.reconcile job: its progress shows in the job bar, its results in the
 * directory). Re-read after every job and application switch.
 */
import { useEffect, useState } from 'react';
import { invoke, on } from '../../bridge.ts';
import { Notice } from '../../components/index.ts';

export function PendingChanges() {
  const [count, setCount] = useState(0);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const load = () =>
      void invoke('users.pending', {}).then((r) => {
        if (r.ok) setCount(r.value.recoverable);
      });
    load();
    const offJob = on('job.finished', () => {
      setBusy(false);
      load();
    });
    const offApp = on('applications.changed', load);
    return () => {
      offJob();
      offApp();
    };
  }, []);
  if (count === 0 && !error) return null;
  return (
    <Notice tone={error ? 'error' : 'warn'} testId="pending-changes">
      {error ?? (
        <>
          {count === 1 ? '1 change' : `${count.toLocaleString('en-US')} changes`} to IAMPASS did not finish (the console
          stopped, or the answer was lost). They are recorded and can be checked now.{' '}
          <button
            type="button"
            className="btn btn--sm"
            disabled={busy}
            onClick={() => {
              setBusy(true);
              setError(null);
              void invoke('users.reconcile', {}).then((r) => {
                if (!r.ok) {
                  setBusy(false);
                  setError(r.message);
                }
              });
            }}
          >
            {busy ? 'Checking…' : 'Check now'}
          </button>
        </>
      )}
    </Notice>
  );
}
