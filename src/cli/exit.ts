/**
 * Exit codes, mapped from the typed ErrorCodes in this one place:
 * 0 success, 1 the operation failed, 2 usage, 3 authentication, 4 network.
 */
import type { ErrorCode } from '../shared/errors.ts';

export const EXIT = { ok: 0, failed: 1, usage: 2, auth: 3, network: 4 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export function exitCodeFor(code: ErrorCode): ExitCode {
  switch (code) {
    case 'unauthorized':
      return EXIT.auth; // bad Application ID/secret, or the clock is off (details.clockSkewSeconds)
    case 'network':
    case 'timeout':
      return EXIT.network;
    case 'invalid_input':
      return EXIT.usage; // the command line's values were refused before anything changed
    default:
      return EXIT.failed;
  }
}

/** Per-row failures of a bulk command: one class for all of them keeps its code, a mix is "failed". */
export function exitCodeForRows(codes: readonly (ErrorCode | undefined)[], anyInvalid: boolean): ExitCode {
  if (codes.length === 0) return anyInvalid ? EXIT.failed : EXIT.ok;
  const classes = new Set(
    codes.map((c) => (c === undefined ? EXIT.failed : c === 'invalid_input' ? EXIT.failed : exitCodeFor(c))),
  );
  if (classes.size === 1 && !anyInvalid) return [...classes][0] ?? EXIT.failed;
  return EXIT.failed;
}

/** A usage error: exit 2, the command's usage line follows the message. */
export class UsageError extends Error {
  readonly command: string | null;
  constructor(message: string, command: string | null = null) {
    super(message);
    this.name = 'UsageError';
    this.command = command;
  }
}
