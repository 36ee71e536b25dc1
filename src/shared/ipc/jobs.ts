/**
 * Feature: long operations run by main as jobs (add / import / delete /
 * status refresh). A request starts a job and answers `{ jobId }` at once;
 * main then emits `job.progress` and finally exactly one `job.finished`
 * carrying a result per input row. One row's error never stops a job.
 */
import { z } from 'zod';
import type { ErrorCode, ErrorInfo } from '../errors.ts';
import { event, request } from './define.ts';

export const JOB_KINDS = [
  'users.add',
  'users.import',
  'users.delete',
  'users.refreshStatus',
  'users.reconcile',
  'users.invite',
  'users.export',
  'users.sync',
] as const;
export type JobKind = (typeof JOB_KINDS)[number];

/**
 * What happened to one input row:
 * - created / existing: add or import, confirmed by IAMPASS (now in the directory)
 * - invalid: refused before any call (`reason` says why: blank, too long, control characters, duplicate...)
 * - failed: the call for this row failed (`code` + `reason`); nothing written for it
 * - deleted / missing: delete (missing = was not in the directory)
 * - registered / not_registered: status refresh
 * - cancelled: not processed because the job was cancelled
 * - sent: an invitation went out (email accepted by the SMTP server, SMS accepted by the service)
 * - unknown: the call was sent and its answer was lost: it may have taken effect at IAMPASS; recovery checks it (reconcile)
 */
export const ROW_RESULTS = [
  'created',
  'existing',
  'invalid',
  'failed',
  'deleted',
  'missing',
  'registered',
  'not_registered',
  'cancelled',
  'unknown',
  'sent',
] as const;
export type RowResult = (typeof ROW_RESULTS)[number];

export interface JobRow {
  /** 1-based position in the input (the CSV data row / pasted line / selection order). */
  row: number;
  /** The user ID as given (may be blank or invalid for `invalid`). */
  userId: string;
  result: RowResult;
  /** Human-readable reason for invalid / failed. */
  reason?: string;
  /** Typed error code for failed rows. */
  code?: ErrorCode;
}

export type JobOutcome = 'completed' | 'cancelled' | 'failed';

export interface JobProgress {
  jobId: string;
  kind: JobKind;
  /** Rows settled so far. */
  done: number;
  total: number;
}

export interface JobFinished {
  jobId: string;
  kind: JobKind;
  /** completed: ran to the end (rows may still have failed); cancelled: stopped by jobs.cancel; failed: the job itself could not run (error set). */
  outcome: JobOutcome;
  /** Counts per row result. */
  counts: Partial<Record<RowResult, number>>;
  /** One entry per input row, in input order. */
  rows: JobRow[];
  error?: ErrorInfo;
  startedAt: number;
  finishedAt: number;
}

export interface JobView {
  jobId: string;
  kind: JobKind;
  done: number;
  total: number;
  startedAt: number;
}

export const jobsRequests = {
  /** Asks a running job to stop; rows not yet sent are reported `cancelled`. False when no such running job. */
  'jobs.cancel': request(z.object({ jobId: z.string().min(1).max(64) }).strict()).returns<{ cancelled: boolean }>(),
  /** The jobs still running (e.g. after a renderer reload). */
  'jobs.list': request(z.object({}).strict()).returns<JobView[]>(),
};

export const jobsEvents = {
  /** At most ~10 per second per job, plus one at the end. */
  'job.progress': event<JobProgress>(),
  'job.finished': event<JobFinished>(),
};
