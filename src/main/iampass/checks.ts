/**
 * The IAMPASS client's checks: of what it is asked to send (user IDs, numbers
 * in range) and of what a server answers (JSON shapes), and the cleaning of a
 * server's reason before anyone sees it. Pure; used by client.ts.
 */
import { AppError } from '../../shared/errors.ts';
import { DISPLAY_NAME_MAX_UNITS, USER_ID_MAX_UNITS } from '../../shared/limits.ts';
import { clip, hasControlChars, matchWindow, replaceLinks } from '../../shared/text.ts';

export type Json = Record<string, unknown>;

const MAX_USER_ID_LENGTH = USER_ID_MAX_UNITS;
export const MAX_DISPLAY_NAME_LENGTH = DISPLAY_NAME_MAX_UNITS;

export function invalid(message: string, field: string): AppError {
  return new AppError('invalid_input', message, { details: { field } });
}

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

export function nonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

/**
 * A server-supplied reason, made safe to show: control characters dropped,
 * anything URL-shaped removed (a registration link is a bearer credential),
 * known secrets and long opaque tokens redacted, length bounded.
 */
export function cleanReason(reason: unknown, secrets: readonly string[]): string {
  if (typeof reason !== 'string') return 'no reason given';
  // Cut before matching: the server's text may be megabytes; every step below is linear on a bounded window.
  // eslint-disable-next-line no-control-regex
  let text = matchWindow(reason, REASON_WINDOW).replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ');
  text = replaceLinks(text, '[link removed]');
  for (const secret of secrets) if (secret.length >= 4) text = text.split(secret).join('[redacted]');
  // Secrets we do not know (another session's): any long opaque token. An
  // Application ID (32 hex) stays readable; a 192-bit secret (48 hex) does not.
  text = text.replace(OPAQUE_TOKEN_RE, '[redacted]');
  text = text.trim();
  if (text === '') return 'no reason given';
  return text.length > 300 ? clip(text, 300) : text;
}

const REASON_WINDOW = 2048;
/** 40 or more token characters in a row (the look-behind starts a match only at a run's start: linear). */
const OPAQUE_TOKEN_RE = /(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/=_-]{40,}/g;

export function validateUserId(value: unknown, field = 'userId'): string {
  if (typeof value !== 'string' || value.length === 0) throw invalid('A user ID must be a non-empty string.', field);
  if (value.length > MAX_USER_ID_LENGTH)
    throw invalid(`A user ID must be at most ${MAX_USER_ID_LENGTH} characters.`, field);
  if (!value.isWellFormed())
    throw invalid('A user ID must be valid Unicode text (it contains a broken surrogate pair).', field);
  if (hasControlChars(value)) throw invalid('A user ID must not contain control characters.', field);
  return value;
}

/** Validates and de-duplicates (first occurrence wins) a list of user IDs. */
export function validateUserIds(value: unknown): string[] {
  if (!Array.isArray(value)) throw invalid('The user IDs must be a list of strings.', 'ids');
  const seen = new Set<string>();
  const out: string[] = [];
  value.forEach((id, index) => {
    validateUserId(id, `ids[${index}]`);
    const s = id as string;
    if (!seen.has(s)) {
      seen.add(s);
      out.push(s);
    }
  });
  return out;
}

export function intInRange(value: unknown, fallback: number, min: number, max: number, field: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(`${field} must be a whole number from ${min} to ${max}.`, field);
  }
  return value;
}

/** Text sent to the service (a display name, an SMS's message): 1 to `max` units of valid text without control characters. */
export function checkSentText(value: unknown, field: string, what: string, max: number): string {
  if (
    typeof value !== 'string' ||
    value.length === 0 ||
    value.length > max ||
    !value.isWellFormed() ||
    hasControlChars(value)
  ) {
    throw invalid(`The ${what} must be 1 to ${max} characters of text without control characters.`, field);
  }
  return value;
}
