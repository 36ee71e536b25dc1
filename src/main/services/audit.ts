/**
 * Audit use cases: record (structured fields only), query with filters and
 * paging, export as CSV (papaparse) or JSON.
 */
import Papa from 'papaparse';
import { AppError, type ErrorCode } from '../../shared/errors.ts';
import { insertAudit, iterateAudit, queryAudit, type AuditEntry, type AuditFilter, type AuditOutcome } from '../store/audit.ts';
import type { Store } from '../store/db.ts';

/** Every action the services record. */
export const AUDIT_ACTIONS = [
  'application.add',
  'application.edit',
  'application.remove',
  'application.activate',
  'application.test',
  'application.secret.replace',
  'sandbox.create',
  'sandbox.start',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number] | `${string}.${string}`;

export interface AuditRecordInput {
  action: AuditAction;
  profile?: { id: string; name: string } | null;
  /** What was acted on (profile name, user ID). Anything shaped like a link or a secret is redacted. */
  target?: string | null;
  outcome: AuditOutcome;
  errorCode?: ErrorCode | null;
}

const LINK_RE = /[A-Za-z][A-Za-z0-9+.-]*:\/\/\S*/g;
const HEX_SECRET_RE = /[0-9A-Fa-f]{48,}/g;
export const REDACTED = '[redacted]';

/** Removes anything that looks like a link or a 192-bit hex secret, and bounds the length. */
export function redact(value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  return value.replace(LINK_RE, REDACTED).replace(HEX_SECRET_RE, REDACTED).slice(0, 500);
}

const ACTION_RE = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/;

export class AuditService {
  readonly #store: Store;
  readonly #now: () => number;

  constructor(store: Store, now: () => number = Date.now) {
    this.#store = store;
    this.#now = now;
  }

  record(input: AuditRecordInput): number {
    if (!ACTION_RE.test(input.action)) throw new AppError('invalid_input', 'An audit action is a dotted lower-case name.');
    return insertAudit(this.#store, {
      at: this.#now(),
      profileId: input.profile?.id ?? null,
      profileName: redact(input.profile?.name),
      action: input.action,
      target: redact(input.target),
      outcome: input.outcome,
      errorCode: input.outcome === 'error' ? (input.errorCode ?? 'internal') : null,
    });
  }

  query(filter: AuditFilter = {}, page: { limit?: number; offset?: number } = {}): { rows: AuditEntry[]; total: number } {
    const limit = Math.min(Math.max(1, Math.trunc(page.limit ?? 100)), 1000);
    const offset = Math.max(0, Math.trunc(page.offset ?? 0));
    return queryAudit(this.#store, filter, limit, offset);
  }

  exportJson(filter: AuditFilter = {}): string {
    return JSON.stringify([...iterateAudit(this.#store, filter)].map(exportShape), null, 2);
  }

  exportCsv(filter: AuditFilter = {}): string {
    const rows = [...iterateAudit(this.#store, filter)].map(exportShape);
    return Papa.unparse(
      { fields: [...EXPORT_FIELDS], data: rows.map((r) => EXPORT_FIELDS.map((f) => r[f] ?? '')) },
      { quotes: false, newline: '\r\n', escapeFormulae: true },
    );
  }
}

const EXPORT_FIELDS = ['time', 'application', 'action', 'target', 'outcome', 'errorCode'] as const;

function exportShape(e: AuditEntry): Record<(typeof EXPORT_FIELDS)[number], string | null> {
  return {
    time: new Date(e.at).toISOString(),
    application: e.profileName,
    action: e.action,
    target: e.target,
    outcome: e.outcome,
    errorCode: e.errorCode,
  };
}
