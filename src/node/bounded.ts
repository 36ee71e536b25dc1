/**
 * Bounded concurrency for bulk work: a worker pool that runs a function over
 * items with at most `concurrency` in flight, keeps the input order, collects
 * per-item errors as ErrorInfo instead of throwing, and reports items not
 * started when the signal aborts as `cancelled`. The client runs its batches
 * through it; the services run their jobs through it with the profile's
 * concurrency.
 */
import { AppError, toErrorInfo, type ErrorInfo } from '../shared/errors.ts';

export type BoundedResult<T, R> = { ok: true; item: T; value: R } | { ok: false; item: T; error: ErrorInfo };

export interface BoundedOptions {
  /** Items in flight at most (1..1024). */
  concurrency: number;
  signal?: AbortSignal | undefined;
  /** Called after each item settles, with the number settled so far. */
  onProgress?: (done: number, total: number) => void;
}

export const MAX_POOL_CONCURRENCY = 1024;

export async function mapBounded<T, R>(
  items: readonly T[],
  fn: (item: T, signal: AbortSignal) => Promise<R>,
  opts: BoundedOptions,
): Promise<BoundedResult<T, R>[]> {
  const limit = opts.concurrency;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_POOL_CONCURRENCY) {
    throw new AppError('invalid_input', `concurrency must be a whole number from 1 to ${MAX_POOL_CONCURRENCY}.`, {
      details: { field: 'concurrency' },
    });
  }
  const results = new Array<BoundedResult<T, R>>(items.length);
  const controller = new AbortController();
  const outer = opts.signal;
  const onAbort = (): void => controller.abort();
  if (outer?.aborted) controller.abort();
  else outer?.addEventListener('abort', onAbort, { once: true });
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const index = next++;
      if (index >= items.length) return;
      const item = items[index] as T;
      if (controller.signal.aborted) {
        results[index] = {
          ok: false,
          item,
          error: new AppError('cancelled', 'The operation was cancelled.', { retryable: false }).toInfo(),
        };
      } else {
        try {
          results[index] = { ok: true, item, value: await fn(item, controller.signal) };
        } catch (error) {
          results[index] = { ok: false, item, error: toErrorInfo(error) };
        }
      }
      done++;
      try {
        opts.onProgress?.(done, items.length);
      } catch {
        // A progress callback's failure must not break the run.
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  } finally {
    outer?.removeEventListener('abort', onAbort);
  }
  return results;
}

/** Items in consecutive slices of `size` (the last may be shorter). */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
