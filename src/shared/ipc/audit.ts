/**
 * Feature: the audit log (read-only): filtered, paged query and export as CSV
 * or JSON. The export is written by main (a save dialog in Electron) and only
 * the chosen path comes back, so a large log never crosses the bridge.
 */
import { z } from 'zod';
import type { ErrorCode } from '../errors.ts';
import { request } from './define.ts';

export interface AuditEntryView {
  id: number;
  /** Epoch ms. */
  at: number;
  profileId: string | null;
  profileName: string | null;
  action: string;
  target: string | null;
  outcome: 'ok' | 'error';
  errorCode: ErrorCode | null;
  /** Which admin: "OS user@machine" (null for entries recorded before the console kept it). */
  actor: string | null;
}

export const auditFilterSchema = z
  .object({
    action: z.string().min(1).max(100).optional(),
    outcome: z.enum(['ok', 'error']).optional(),
    profileId: z.string().min(1).max(64).optional(),
    /** Inclusive, epoch ms. */
    from: z.number().int().nonnegative().optional(),
    /** Exclusive, epoch ms. */
    to: z.number().int().nonnegative().optional(),
    /** Found anywhere in the target, the action, the admin or the application's name (case-insensitive). */
    text: z.string().max(200).optional(),
    /** Exactly this target (a user ID: the entries about that user). */
    target: z.string().max(4096).optional(),
  })
  .strict();
export type AuditFilterInput = z.input<typeof auditFilterSchema>;

export interface AuditPage {
  rows: AuditEntryView[];
  total: number;
  offset: number;
  limit: number;
  /** Every action name present in the log (for the filter menu), sorted. */
  actions: string[];
  /** The active application is in team mode (docs/directory.md#team-mode): its shared log can be shown. */
  teamAvailable: boolean;
}

/** `console`: this console's log (every application); `team`: the active application's log shared by every admin's console. */
export const auditScope = z.enum(['console', 'team']).default('console');

export interface AuditExportResult {
  /** Where the file was written; null when the admin cancelled the save dialog. */
  path: string | null;
  /** Entries written. */
  count: number;
}

export const auditRequests = {
  'audit.query': request(
    z
      .object({
        filter: auditFilterSchema.default({}),
        scope: auditScope,
        offset: z.number().int().min(0).default(0),
        limit: z.number().int().min(1).max(500).default(100),
      })
      .strict(),
  ).returns<AuditPage>(),
  'audit.export': request(
    z.object({ format: z.enum(['csv', 'json']), filter: auditFilterSchema.default({}), scope: auditScope }).strict(),
  ).returns<AuditExportResult>(),
};

export const auditEvents = {};
