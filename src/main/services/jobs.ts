/**
 * A small runner for long operations (plain Node). A job gets an id, an
 * AbortSignal and a progress callback; it returns one result per input row.
 * Progress events are throttled (~10/s per job) plus a final one; exactly one
 * `finished` event follows. A job that throws is reported `failed` with its
 * typed error; a cancelled job is reported `cancelled` with the rows it did.
 */
import { randomUUID } from 'node:crypto';
import { toErrorInfo } from '../../shared/errors.ts';
import { Emitter } from './events.ts';
import type { JobFinished, JobKind, JobProgress, JobRow, JobView, RowResult } from '../../shared/ipc/jobs.ts';

export type JobEvent = { type: 'progress'; payload: JobProgress } | { type: 'finished'; payload: JobFinished };

export interface JobContext {
  readonly jobId: string;
  readonly signal: AbortSignal;
  /** Rows settled so far (throttled into job.progress events). */
  progress(done: number, total?: number): void;
}

interface RunningJob {
  view: JobView;
  controller: AbortController;
  done: Promise<JobFinished>;
}

export interface JobRunnerOptions {
  now?: () => number;
  /** Minimum time between two progress events of one job (default 100 ms). */
  progressIntervalMs?: number;
  /** How many finished jobs to keep for `result` (default 20). */
  keepFinished?: number;
}

export function countRows(rows: readonly JobRow[]): Partial<Record<RowResult, number>> {
  const counts: Partial<Record<RowResult, number>> = {};
  for (const r of rows) counts[r.result] = (counts[r.result] ?? 0) + 1;
  return counts;
}

export class JobRunner {
  readonly #events = new Emitter<JobEvent>();
  readonly #running = new Map<string, RunningJob>();
  readonly #finished = new Map<string, JobFinished>();
  readonly #now: () => number;
  readonly #interval: number;
  readonly #keep: number;

  constructor(options: JobRunnerOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#interval = options.progressIntervalMs ?? 100;
    this.#keep = options.keepFinished ?? 20;
  }

  /** `progress` / `finished` events; returns the unsubscribe function. */
  on(listener: (event: JobEvent) => void): () => void {
    return this.#events.on(listener);
  }

  /** Starts `run` on the next tick and answers its id at once. */
  start(kind: JobKind, total: number, run: (ctx: JobContext) => Promise<JobRow[]>): string {
    const jobId = randomUUID();
    const controller = new AbortController();
    const view: JobView = { jobId, kind, done: 0, total, startedAt: this.#now() };
    let lastEmit = 0;
    const emitProgress = (force: boolean): void => {
      const t = Date.now();
      if (!force && t - lastEmit < this.#interval) return;
      lastEmit = t;
      this.#events.emit({ type: 'progress', payload: { jobId, kind, done: view.done, total: view.total } });
    };
    const ctx: JobContext = {
      jobId,
      signal: controller.signal,
      progress: (done, newTotal) => {
        if (newTotal !== undefined) view.total = newTotal;
        view.done = Math.min(done, view.total);
        emitProgress(false);
      },
    };
    const done = (async (): Promise<JobFinished> => {
      await Promise.resolve();
      let finished: JobFinished;
      try {
        const rows = await run(ctx);
        finished = {
          jobId,
          kind,
          outcome: controller.signal.aborted ? 'cancelled' : 'completed',
          counts: countRows(rows),
          rows,
          startedAt: view.startedAt,
          finishedAt: this.#now(),
        };
      } catch (error) {
        const info = toErrorInfo(error);
        finished = {
          jobId,
          kind,
          outcome: controller.signal.aborted || info.code === 'cancelled' ? 'cancelled' : 'failed',
          counts: {},
          rows: [],
          error: info,
          startedAt: view.startedAt,
          finishedAt: this.#now(),
        };
      }
      view.done = view.total;
      emitProgress(true);
      this.#running.delete(jobId);
      this.#finished.set(jobId, finished);
      while (this.#finished.size > this.#keep) {
        const oldest = this.#finished.keys().next().value;
        if (oldest === undefined) break;
        this.#finished.delete(oldest);
      }
      this.#events.emit({ type: 'finished', payload: finished });
      return finished;
    })();
    this.#running.set(jobId, { view, controller, done });
    emitProgress(true);
    return jobId;
  }

  cancel(jobId: string): boolean {
    const job = this.#running.get(jobId);
    if (!job || job.controller.signal.aborted) return false;
    job.controller.abort();
    return true;
  }

  list(): JobView[] {
    return [...this.#running.values()].map((j) => ({ ...j.view }));
  }

  /** Resolves when the job finishes (or at once with a recent result); null for an unknown id. */
  async wait(jobId: string): Promise<JobFinished | null> {
    const running = this.#running.get(jobId);
    if (running) return running.done;
    return this.#finished.get(jobId) ?? null;
  }

  /** Cancels every running job and waits for them. */
  async close(): Promise<void> {
    const jobs = [...this.#running.values()];
    for (const j of jobs) j.controller.abort();
    await Promise.allSettled(jobs.map((j) => j.done));
  }
}
