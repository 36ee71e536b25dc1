/**
 * The --json shapes, in one place (docs/cli.md documents them): times are
 * ISO 8601 strings (UTC) or null, never epoch numbers; no secret, session
 * token or status URL ever appears.
 */
import type { ApplicationView } from '../shared/ipc/applications.ts';
import type { SessionView } from '../shared/ipc/sessions.ts';

export function iso(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : new Date(ms).toISOString();
}

export function appJson(a: ApplicationView) {
  return {
    id: a.id,
    name: a.name,
    flavour: a.flavour,
    baseUrl: a.baseUrl,
    applicationId: a.applicationId,
    concurrency: a.concurrency,
    sendOwnIds: a.sendOwnIds,
    active: a.active,
    hasSecret: a.hasSecret,
    createdAt: iso(a.createdAt),
    updatedAt: iso(a.updatedAt),
  };
}

export function sessionJson(v: SessionView) {
  return {
    id: v.id,
    userId: v.userId,
    displayName: v.displayName,
    methods: v.methods,
    status: v.status,
    over: v.over,
    startedAt: iso(v.startedAt),
    statusSince: iso(v.statusSince),
    error: v.error
      ? {
          code: v.error.code,
          message: v.error.message,
          retryable: v.error.retryable,
          since: iso(v.error.since),
          failures: v.error.failures,
        }
      : null,
  };
}
