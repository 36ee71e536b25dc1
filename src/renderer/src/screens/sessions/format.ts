import type { SessionStatus } from '../../../../shared/iampass.ts';
import type { BadgeTone } from '../../components/index.ts';

export const STATUS_LABEL: Record<SessionStatus, string> = {
  pending: 'Pending',
  identifying: 'Identifying',
  active: 'Active',
  walkaway: 'Walked away',
  timeout: 'Timed out',
  // The spec's `cancelled`: the user refused on the phone.
  cancelled: 'Denied',
  failed: 'Failed',
  closed: 'Closed',
};

/** The kit's badge tone for each status: waiting, signed in, walked away, refused or failed, over. */
export const STATUS_TONE: Record<SessionStatus, BadgeTone> = {
  pending: 'warn',
  identifying: 'warn',
  active: 'ok',
  walkaway: 'walk',
  timeout: 'neutral',
  cancelled: 'danger',
  failed: 'danger',
  closed: 'neutral',
};

export const METHOD_LABEL: Record<string, string> = { acceptance: 'Acceptance', device: 'Device', facial: 'Facial' };
/** The methods a session asked for; none: "Any" (the service chooses), the same words in the table and the detail. */
export function methodsText(methods: readonly string[]): string {
  return methods.length ? methods.map((m) => METHOD_LABEL[m] ?? m).join(', ') : 'Any';
}

/** 4s, 3m 05s, 2h 10m, 3d 4h */
export function formatElapsed(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${String(s)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${String(m)}m ${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${String(h)}h ${String(m % 60).padStart(2, '0')}m`;
  return `${String(Math.floor(h / 24))}d ${String(h % 24)}h`;
}
