/**
 * Validation of users as an admin types, pastes or imports them: one row at a
 * time, in linear time whatever the row holds, with a reason a person can act
 * on. A row that repeats the profile's secret is refused and never echoed.
 */
import { DISPLAY_NAME_MAX_CHARS, INPUT_TEXT_MAX_UNITS, USER_ID_MAX_CHARS } from '../../shared/limits.ts';
import { charCount, clip, hasControlChars, trimSpaces } from '../../shared/text.ts';

export const MAX_USER_ID_CHARS = USER_ID_MAX_CHARS;
export const MAX_DISPLAY_NAME_CHARS = DISPLAY_NAME_MAX_CHARS;
/** Beyond this many UTF-16 units a value is refused on its length alone, before any other look. */
const HARD_LIMIT_UNITS = INPUT_TEXT_MAX_UNITS;
/** What a result row keeps of an invalid value: enough to find it, never megabytes. */
export const MAX_ECHO_CHARS = 120;
export const REDACTED_VALUE = '[redacted]';

export interface UserInput {
  userId: string;
  displayName?: string | undefined;
  /** A problem found before validation (the CSV parser's): the row is invalid with this reason. */
  problem?: string | undefined;
  /** Contact details from a CSV's mapped columns (validated when they are saved). */
  email?: string | undefined;
  phone?: string | undefined;
}

export interface InputRules {
  /** Values that must never become a user ID or display name (the profile's secret). */
  forbidden?: readonly string[];
}

type Checked = { ok: true; userId: string; displayName: string } | { ok: false; problem: string; secret?: true };

function containsForbidden(value: string, forbidden: readonly string[]): boolean {
  for (const f of forbidden) if (f.length >= 8 && value.includes(f)) return true;
  return false;
}

const SECRET_PROBLEM =
  "This is the application's secret, not a user: a secret never goes in a user ID or display name.";

/**
 * One row's validation. Leading/trailing SPACES are trimmed (paste/CSV
 * artefacts); anything else is kept as given (inner spaces, `/`, `%`, `+`,
 * accents, emoji are fine).
 */
export function checkUserInput(input: UserInput, rules: InputRules = {}): Checked {
  if (input.problem !== undefined) return { ok: false, problem: input.problem };
  const forbidden = rules.forbidden ?? [];
  if (
    containsForbidden(input.userId, forbidden) ||
    (input.displayName !== undefined && containsForbidden(input.displayName, forbidden))
  ) {
    return { ok: false, problem: SECRET_PROBLEM, secret: true };
  }
  if (input.userId.length > HARD_LIMIT_UNITS)
    return { ok: false, problem: `The user ID is longer than ${MAX_USER_ID_CHARS} characters.` };
  const userId = trimSpaces(input.userId);
  if (userId === '') return { ok: false, problem: 'The user ID is empty.' };
  if (!userId.isWellFormed()) return { ok: false, problem: 'The user ID is not valid Unicode text.' };
  if (hasControlChars(userId))
    return { ok: false, problem: 'The user ID contains control characters (tab, line break...).' };
  if (charCount(userId) > MAX_USER_ID_CHARS)
    return { ok: false, problem: `The user ID is longer than ${MAX_USER_ID_CHARS} characters.` };
  const rawName = input.displayName ?? '';
  if (rawName.length > HARD_LIMIT_UNITS)
    return { ok: false, problem: `The display name is longer than ${MAX_DISPLAY_NAME_CHARS} characters.` };
  const displayName = trimSpaces(rawName);
  if (!displayName.isWellFormed()) return { ok: false, problem: 'The display name is not valid Unicode text.' };
  if (hasControlChars(displayName)) return { ok: false, problem: 'The display name contains control characters.' };
  if (charCount(displayName) > MAX_DISPLAY_NAME_CHARS)
    return { ok: false, problem: `The display name is longer than ${MAX_DISPLAY_NAME_CHARS} characters.` };
  return { ok: true, userId, displayName };
}

export interface ValidatedRow {
  row: number;
  userId: string;
  displayName: string;
  problem: string | null;
  duplicate: boolean;
}

/**
 * Validates rows in order; a repeated user ID is invalid ("duplicate of row
 * N"). An invalid row keeps a clipped copy of what was given (a secret is
 * replaced by REDACTED_VALUE), so results never carry megabytes or a secret.
 */
export function validateRows(inputs: readonly UserInput[], rules: InputRules = {}): ValidatedRow[] {
  const seen = new Map<string, number>();
  return inputs.map((input, i) => {
    const row = i + 1;
    const c = checkUserInput(input, rules);
    if (!c.ok) {
      const secret = c.secret === true;
      return {
        row,
        userId: secret ? REDACTED_VALUE : clip(input.userId, MAX_ECHO_CHARS),
        displayName: secret ? REDACTED_VALUE : clip(input.displayName ?? '', MAX_ECHO_CHARS),
        problem: c.problem,
        duplicate: false,
      };
    }
    const first = seen.get(c.userId);
    if (first !== undefined)
      return {
        row,
        userId: c.userId,
        displayName: c.displayName,
        problem: `Duplicate of row ${first}.`,
        duplicate: true,
      };
    seen.set(c.userId, row);
    return { row, userId: c.userId, displayName: c.displayName, problem: null, duplicate: false };
  });
}
