/** Input checks for application profiles: each failure is a typed error that names the field, never echoing a secret. */
import { normalizeCredential } from '../../shared/credentials.ts';
import { AppError } from '../../shared/errors.ts';
import { CLIENT_DEFAULTS, isLoopbackHost } from '../../shared/iampass.ts';
import { FLAVOURS, type ProfileFlavour } from '../store/profiles.ts';

export const DEFAULT_BASE_URLS: Record<Exclude<ProfileFlavour, 'Sandbox'>, string> = {
  IAMPASS: 'https://main.iam-api.com',
  Activeconnect: 'https://activeapi.ninja',
};
/** Bulk concurrency of a new profile: the client's default (issue: 16, configurable per profile). */
export const DEFAULT_CONCURRENCY: number = CLIENT_DEFAULTS.concurrency;
export const MAX_CONCURRENCY = 64;
export const MAX_NAME_LENGTH = 64;

function invalid(field: string, message: string): AppError {
  return new AppError('invalid_input', message, { details: { field } });
}

export function validateName(value: unknown): string {
  if (typeof value !== 'string') throw invalid('name', 'The application name is required.');
  const name = value.trim();
  if (name.length === 0) throw invalid('name', 'The application name is required.');
  if (name.length > MAX_NAME_LENGTH)
    throw invalid('name', `The application name is at most ${String(MAX_NAME_LENGTH)} characters.`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name))
    throw invalid('name', 'The application name cannot contain control characters.');
  // Names are shown and logged everywhere: refuse one that looks like a pasted secret or a link.
  if (/[0-9A-Fa-f]{48}/.test(name))
    throw invalid('name', 'The application name looks like a secret; the secret goes in its own field.');
  if (/:\/\//.test(name)) throw invalid('name', 'The application name cannot contain a link.');
  return name;
}

export function validateFlavour(value: unknown): ProfileFlavour {
  if (typeof value === 'string' && (FLAVOURS as readonly string[]).includes(value)) return value as ProfileFlavour;
  throw invalid('flavour', `The flavour must be one of ${FLAVOURS.join(', ')}.`);
}

/**
 * A base URL: https, or http only for loopback (spec section 1). No user
 * info, query or fragment; the trailing slash is dropped.
 */
export function validateBaseUrl(value: unknown, flavour: ProfileFlavour): string {
  if (value === undefined || value === null || value === '') {
    if (flavour === 'Sandbox')
      throw invalid('baseUrl', 'A Sandbox profile needs the sandbox base URL (http://127.0.0.1:<port>).');
    return DEFAULT_BASE_URLS[flavour];
  }
  if (typeof value !== 'string') throw invalid('baseUrl', 'The base URL must be text.');
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw invalid('baseUrl', 'The base URL is not a valid URL (expected e.g. https://main.iam-api.com).');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw invalid('baseUrl', 'The base URL must start with https://.');
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    throw new AppError(
      'insecure_url',
      'Plain http:// is only allowed for a loopback host (127.0.0.1, localhost); use https://.',
      {
        details: { field: 'baseUrl' },
      },
    );
  }
  if (url.username || url.password) throw invalid('baseUrl', 'The base URL cannot contain a user name or password.');
  if (url.search || url.hash) throw invalid('baseUrl', 'The base URL cannot contain a query or fragment.');
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** An Application ID as given (spec, "Credential shapes"): 16-128 printable ASCII, case kept, since it is signed as text. */
export function validateApplicationId(value: unknown): string {
  return normalizeCredential('applicationId', value);
}

export function validateConcurrency(value: unknown): number {
  if (value === undefined || value === null) return DEFAULT_CONCURRENCY;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_CONCURRENCY) {
    throw invalid('concurrency', `Bulk concurrency must be a whole number from 1 to ${String(MAX_CONCURRENCY)}.`);
  }
  return value;
}

export function validateBoolean(value: unknown, field: string): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw invalid(field, `${field} must be true or false.`);
  return value;
}
