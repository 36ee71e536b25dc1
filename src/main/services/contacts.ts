/**
 * Contact details as the directory keeps them: one email address, and a
 * phone number validated for its country by libphonenumber-js and stored as
 * E.164. Used by the invitations service, the user panel and CSV imports.
 */
import { parsePhoneNumberWithError } from 'libphonenumber-js';
import { AppError } from '../../shared/errors.ts';
import type { JobRow } from '../../shared/ipc/jobs.ts';
import { hasControlChars } from '../../shared/text.ts';
import type { Store } from '../store/db.ts';
import { getContacts, getInvitationSettings, setContact } from '../store/invitations.ts';
import type { UserInput } from './user-input.ts';

function invalid(message: string, field: string): AppError {
  return new AppError('invalid_input', message, { details: { field } });
}

const EMAIL_RE =
  /^[^\s@<>()[\],;:"\\]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

/** An email address as stored: trimmed, one address, no display name, at most 254 characters. */
export function normalizeEmail(value: string): string {
  const v = value.trim();
  if (v.length > 254 || hasControlChars(v) || !EMAIL_RE.test(v))
    throw invalid('The email address is not valid (name@example.com).', 'email');
  return v;
}

/** A phone number as stored and sent: E.164, valid for its country (libphonenumber-js); international form required. */
export function normalizePhone(value: string): string {
  const v = value.trim();
  if (!v.startsWith('+'))
    throw invalid('Give the phone number in international form, starting with + and the country code.', 'phone');
  let parsed;
  try {
    parsed = parsePhoneNumberWithError(v);
  } catch {
    throw invalid('The phone number is not a phone number (international form: +, country code, number).', 'phone');
  }
  if (!parsed.isValid())
    throw invalid(`The phone number ${parsed.number} is not a valid number for its country.`, 'phone');
  return parsed.number;
}

/**
 * After a CSV import: the mapped email and phone of every row that is now in
 * the directory (created, or already there) are kept, each validated; an
 * invalid one is named in the row's reason and not kept. Nothing is kept
 * when the profile keeps no contacts.
 */
export function saveImportedContacts(
  store: Store,
  profileId: string,
  inputs: readonly UserInput[],
  rows: JobRow[],
  now: number,
): void {
  if (!inputs.some((i) => i.email !== undefined || i.phone !== undefined)) return;
  const keep = getInvitationSettings(store, profileId).storeContacts;
  store.transaction(() => {
    inputs.forEach((input, i) => {
      const row = rows[i];
      if (
        !row ||
        (row.result !== 'created' && row.result !== 'existing') ||
        (input.email === undefined && input.phone === undefined)
      )
        return;
      if (!keep) {
        row.reason = [row.reason, 'Contact not kept: this application keeps no contact details.']
          .filter(Boolean)
          .join(' ');
        return;
      }
      const problems: string[] = [];
      const pick = (value: string | undefined, normalize: (v: string) => string): string | null => {
        if (value === undefined) return null;
        try {
          return normalize(value);
        } catch (error) {
          problems.push(error instanceof Error ? error.message : String(error));
          return null;
        }
      };
      const email = pick(input.email, normalizeEmail);
      const phone = pick(input.phone, normalizePhone);
      if (email !== null || phone !== null) {
        // A column the file does not have (or leaves empty) keeps what was there.
        const before = getContacts(store, profileId, [row.userId]).get(row.userId);
        setContact(
          store,
          profileId,
          { userId: row.userId, email: email ?? before?.email ?? null, phone: phone ?? before?.phone ?? null },
          now,
        );
      }
      if (problems.length > 0)
        row.reason = [row.reason, `Contact not kept: ${problems.join(' ')}`].filter(Boolean).join(' ');
    });
  });
}
