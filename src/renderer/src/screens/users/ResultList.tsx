/** Per-row results of a finished job: a summary, then the rows (problems first), virtualized-free but bounded. */
import type { JobFinished } from '../../../../shared/ipc/jobs.ts';
import { Cut } from '../../components/index.ts';
import { ROW_RESULT_LABEL } from './store.ts';

const SHOWN = 500;
const PROBLEM = new Set(['invalid', 'failed', 'cancelled']);

export function ResultList(props: { finished: JobFinished }) {
  const { finished } = props;
  const rows = [...finished.rows].sort(
    (a, b) => Number(PROBLEM.has(b.result)) - Number(PROBLEM.has(a.result)) || a.row - b.row,
  );
  return (
    <div className="ux-results" data-testid="job-results">
      <p className="ux-results__summary" role="status">
        {finished.outcome === 'cancelled'
          ? 'Cancelled. '
          : finished.outcome === 'failed'
            ? `The job failed: ${finished.error?.message ?? 'unknown error'}. `
            : 'Done. '}
        {Object.entries(finished.counts)
          .filter(([, n]) => n)
          .map(([k, n]) => `${ROW_RESULT_LABEL[k] ?? k}: ${n}`)
          .join(' · ')}
      </p>
      <ul className="ux-results__list" tabIndex={0} aria-label="Result per row">
        {rows.slice(0, SHOWN).map((r) => (
          <li
            key={r.row}
            className={`ux-result ux-result--${r.result}`}
            data-testid="job-result-row"
            data-result={r.result}
          >
            <span className="ux-result__n">#{r.row}</span>
            {r.userId === '' ? (
              <em className="ux-result__id">(blank)</em>
            ) : (
              <Cut className="ux-result__id" text={r.userId} />
            )}
            <span className="ux-result__badge">{ROW_RESULT_LABEL[r.result] ?? r.result}</span>
            {r.reason ? <span className="ux-result__reason">{r.reason}</span> : null}
          </li>
        ))}
      </ul>
      {rows.length > SHOWN ? (
        <p className="ux-muted">…and {(rows.length - SHOWN).toLocaleString('en-US')} more rows.</p>
      ) : null}
    </div>
  );
}
