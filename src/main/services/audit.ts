/**
 * Audit use cases: record (structured fields only), query with filters and
 * paging, export as CSV (the project's one writer, csv.ts) or JSON.
 */
import { AppError, type ErrorCode } from '../../shared/errors.ts';
import {
  auditActions,
  insertAudit,
  iterateAudit,
  queryAudit,
  type AuditEntry,
  type AuditFilter,
  type AuditOutcome,
} from '../store/audit.ts';
import type { Store } from '../store/db.ts';
import { toCsv } from './csv.ts';
import { ADMIN } from './owner.ts';
import { Emitter } from './events.ts';
import { clip, HEX_SECRET_RE, matchWindow, replaceLinks } from '../../shared/text.ts';

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

export const REDACTED = '[redacted]';
/** The longest text an audit field keeps. */
export const MAX_AUDIT_TEXT = 500;
/** Redaction reads at most this much: bounded time whatever the input (a 10 MiB user ID costs the same as a 2 KiB one). */
const REDACT_WINDOW = 2048;

/**
 * Removes anything that looks like a link or a 192-bit hex secret, and bounds
 * the length. The text is cut to a window first (dropping the token the cut
 * splits), then matched with linear patterns, then cut to MAX_AUDIT_TEXT.
 */
export function redact(value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  const text = replaceLinks(matchWindow(value, REDACT_WINDOW), REDACTED).replace(HEX_SECRET_RE, REDACTED);
  return text.length > MAX_AUDIT_TEXT ? clip(text, MAX_AUDIT_TEXT - 1) : text;
}

const ACTION_RE = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/;

export class AuditService {
  readonly #store: Store;
  readonly #now: () => number;
  readonly #recorded = new Emitter<{ type: 'recorded'; payload: { profileId: string | null } }>();

  constructor(store: Store, now: () => number = Date.now) {
    this.#store = store;
    this.#now = now;
  }

  record(input: AuditRecordInput): number {
    if (!ACTION_RE.test(input.action))
      throw new AppError('invalid_input', 'An audit action is a dotted lower-case name.');
    const id = insertAudit(this.#store, {
      at: this.#now(),
      profileId: input.profile?.id ?? null,
      profileName: redact(input.profile?.name),
      action: input.action,
      target: redact(input.target),
      outcome: input.outcome,
      errorCode: input.outcome === 'error' ? (input.errorCode ?? 'internal') : null,
      actor: ADMIN,
    });
    this.#recorded.emit({ type: 'recorded', payload: { profileId: input.profile?.id ?? null } });
    return id;
  }

  /** Calls `listener` with the profile of each entry recorded (team mode shares them); answers the unsubscribe. */
  onRecorded(listener: (profileId: string | null) => void): () => void {
    return this.#recorded.on((e) => listener(e.payload.profileId));
  }

  query(
    filter: AuditFilter = {},
    page: { limit?: number; offset?: number } = {},
  ): { rows: AuditEntry[]; total: number } {
    const limit = Math.min(Math.max(1, Math.trunc(page.limit ?? 100)), 1000);
    const offset = Math.max(0, Math.trunc(page.offset ?? 0));
    return queryAudit(this.#store, filter, limit, offset);
  }

  /** Every action recorded so far, sorted. */
  actions(): string[] {
    return auditActions(this.#store);
  }

  exportJson(filter: AuditFilter = {}): string {
    return auditJson(iterateAudit(this.#store, filter));
  }

  exportCsv(filter: AuditFilter = {}): string {
    return auditCsv(iterateAudit(this.#store, filter));
  }
}

/** Audit entries as the JSON export writes them. */
export function auditJson(entries: Iterable<AuditEntry>): string {
  return JSON.stringify([...entries].map(exportShape), null, 2);
}

/** Audit entries as the CSV export writes them. */
export function auditCsv(entries: Iterable<AuditEntry>): string {
  return toCsv(
    EXPORT_FIELDS,
    [...entries].map(exportShape).map((r) => EXPORT_FIELDS.map((f) => r[f])),
  );
}

const EXPORT_FIELDS = ['time', 'application', 'admin', 'action', 'target', 'outcome', 'errorCode'] as const;

function exportShape(e: AuditEntry): Record<(typeof EXPORT_FIELDS)[number], string | null> {
  return {
    time: new Date(e.at).toISOString(),
    application: e.profileName,
    admin: e.actor,
    action: e.action,
    target: e.target,
    outcome: e.outcome,
    errorCode: e.errorCode,
  };
}
