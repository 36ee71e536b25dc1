/** Progress of a job run by main, with Cancel. */
import { invoke } from '../../bridge.ts';
import type { JobState } from './store.ts';

export function JobBar(props: { job: JobState; label: string }) {
  const { job } = props;
  const pct = job.total > 0 ? Math.round((job.done / job.total) * 100) : 0;
  return (
    <div className="ux-job" data-testid="job-progress">
      <div className="ux-job__text">
        <span>{props.label}</span>
        <span className="ux-muted">
          {job.done.toLocaleString('en-US')} / {job.total > 0 ? job.total.toLocaleString('en-US') : '…'}
        </span>
      </div>
      <progress max={100} value={pct} aria-label={props.label} />
      {!job.finished ? (
        <button type="button" className="btn btn--sm" onClick={() => void invoke('jobs.cancel', { jobId: job.jobId })}>
          Cancel
        </button>
      ) : null}
    </div>
  );
}
