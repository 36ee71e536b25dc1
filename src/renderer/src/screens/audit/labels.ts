/** The audit log in words: what each recorded action means and what each error code says. */
import type { ErrorCode } from '../../../../shared/errors.ts';

export { actionLabel } from '../../../../shared/audit-labels.ts';

/** Why an action failed, in a word or two (the badge), and in a sentence (the details). */
const ERROR_TEXT: Record<ErrorCode, [short: string, long: string]> = {
  invalid_input: ['Input rejected', 'The input was rejected before anything changed.'],
  unauthorized: [
    'Not authorized',
    "The service refused the application ID or secret, or this computer's clock is off.",
  ],
  not_found: ['Not found', 'The service does not know the application or the user.'],
  refused: ['Refused', 'The service answered that it would not do it.'],
  protocol: ['Bad answer', 'The service answered something the protocol does not allow; it was not taken as success.'],
  uncertain: ['Answer lost', 'The request was sent but its answer was lost; it was recorded and checked later.'],
  network: ['Network error', 'The service could not be reached.'],
  timeout: ['Timed out', 'The service did not answer in time.'],
  rate_limited: ['Rate limited', 'The service asked to slow down (too many requests).'],
  server: ['Service error', 'The service failed (a 5xx answer).'],
  cancelled: ['Cancelled', 'The admin cancelled it.'],
  insecure_url: ['Insecure URL', 'A plain http:// address that is not this computer, or a foreign origin.'],
  keychain: ['Keychain error', 'The OS keychain was missing, locked or refused.'],
  missing: ['Not found here', 'The profile, user, session or job does not exist in this console.'],
  conflict: ['Conflict', 'It conflicted with the current state (a duplicate name, a profile in use).'],
  forbidden: ['Not allowed', 'The request did not come from the console window.'],
  internal: ['Internal error', 'Something that should not happen; the details are in the console log.'],
};

/** The outcome badge's words for a failure. */
export function errorLabel(code: ErrorCode | null): string {
  return code === null ? 'Failed' : ERROR_TEXT[code][0];
}

/** What a failure means, in a sentence. */
export function errorHelp(code: ErrorCode | null): string {
  return code === null ? 'It failed.' : ERROR_TEXT[code][1];
}
