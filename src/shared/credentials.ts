/**
 * Credential shapes (spec, "Credential shapes" decision): an Application ID
 * and an Application Secret are opaque text, 16 to 128 printable ASCII
 * characters without whitespace, kept exactly as given (case included, the
 * signature uses them as text). The vendor usually issues a 32-character hex
 * ID and a 48-character hex secret; other shapes are accepted, an unusual
 * secret with a warning. Pure: used by main, the sandbox, the CLI and the
 * renderer's form. No message ever echoes the value.
 */
import { AppError } from './errors.ts';

export const CREDENTIAL_MIN_CHARS = 16;
export const CREDENTIAL_MAX_CHARS = 128;

/** 16-128 characters from `!` (0x21) to `~` (0x7e): printable ASCII, no space. */
const CREDENTIAL_RE = /^[\x21-\x7e]{16,128}$/;
const USUAL_SECRET_RE = /^[0-9A-Fa-f]{48}$/;

export type CredentialField = 'applicationId' | 'secret';

const LABEL: Record<CredentialField, string> = { applicationId: 'application ID', secret: 'application secret' };

function describe(field: CredentialField, value: string): string {
  const label = LABEL[field];
  if (value.length === 0) return `The ${label} is required.`;
  if (value.length < CREDENTIAL_MIN_CHARS || value.length > CREDENTIAL_MAX_CHARS) {
    return `The ${label} must be ${CREDENTIAL_MIN_CHARS} to ${CREDENTIAL_MAX_CHARS} characters; the value given has ${value.length}.`;
  }
  if (/\s/.test(value)) return `The ${label} cannot contain spaces or line breaks.`;
  return `The ${label} must be printable ASCII characters only (letters, digits and punctuation).`;
}

/**
 * The credential as it will be stored and signed with: surrounding whitespace
 * (a paste) trimmed, nothing else changed. Throws `invalid_input` naming the
 * field, never the value.
 */
export function normalizeCredential(field: CredentialField, value: unknown): string {
  if (typeof value !== 'string')
    throw new AppError('invalid_input', `The ${LABEL[field]} is required.`, { details: { field } });
  // Bound the work before looking closer: a pasted megabyte is refused on its length.
  const trimmed = value.length > CREDENTIAL_MAX_CHARS * 4 ? value : value.trim();
  if (!CREDENTIAL_RE.test(trimmed)) {
    throw new AppError('invalid_input', describe(field, trimmed), { details: { field, length: trimmed.length } });
  }
  return trimmed;
}

/** A warning (never a refusal) for a valid secret that is not the usual 48 hex characters; null when usual. */
export function secretWarning(secret: string): string | null {
  if (USUAL_SECRET_RE.test(secret)) return null;
  return `This secret is not the usual 48 hexadecimal characters (it has ${secret.length}). It is accepted as given; if calls fail with a bad signature, check that it was copied completely.`;
}
