/**
 * Reading a CSV file's bytes as text, before any parsing: UTF-8 (with or
 * without a byte-order mark) and UTF-16 (with a BOM, or recognised by its
 * zero bytes) are decoded; anything else — a binary file, invalid UTF-8 — is
 * refused with one clear error, so no garbage ever becomes a user. Pure
 * (TextDecoder only): the CLI and main read files with it, the renderer reads
 * the picked file with it before sending the text to main, and main checks
 * the text it receives with `checkCsvText`.
 */
import { AppError } from './errors.ts';

export type CsvEncoding = 'utf-8' | 'utf-16le' | 'utf-16be';

function refuse(message: string): AppError {
  return new AppError('invalid_input', message, { details: { field: 'file' } });
}

/** UTF-16 without a BOM: ASCII text has a zero byte in every other position. */
function sniffUtf16(bytes: Uint8Array): CsvEncoding | null {
  const n = Math.min(bytes.length - (bytes.length % 2), 4096);
  if (n < 4) return null;
  let evenZeros = 0;
  let oddZeros = 0;
  for (let i = 0; i < n; i += 2) {
    if (bytes[i] === 0) evenZeros++;
    if (bytes[i + 1] === 0) oddZeros++;
  }
  const pairs = n / 2;
  if (oddZeros > pairs * 0.4 && evenZeros < pairs * 0.05) return 'utf-16le';
  if (evenZeros > pairs * 0.4 && oddZeros < pairs * 0.05) return 'utf-16be';
  return null;
}

/** The line (1-based) of a byte offset: for an error message that says where to look. */
function lineOf(bytes: Uint8Array, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < bytes.length; i++) if (bytes[i] === 0x0a) line++;
  return line;
}

/** The offset of the first byte that makes the UTF-8 invalid (only called once decoding failed). */
function firstBadUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    const need =
      b < 0x80 ? 0 : b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    if (need < 0) return i;
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
    }
    i += need + 1;
  }
  return bytes.length;
}

/** Decodes a CSV file's bytes, or throws `invalid_input` saying why the file is not text the console can read. */
export function decodeCsvBytes(bytes: Uint8Array): { text: string; encoding: CsvEncoding } {
  let encoding: CsvEncoding = 'utf-8';
  let start = 0;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) start = 3;
  else if (bytes[0] === 0xff && bytes[1] === 0xfe) [encoding, start] = ['utf-16le', 2];
  else if (bytes[0] === 0xfe && bytes[1] === 0xff) [encoding, start] = ['utf-16be', 2];
  else encoding = sniffUtf16(bytes) ?? 'utf-8';
  const body = bytes.subarray(start);
  let text: string;
  try {
    text = new TextDecoder(encoding, { fatal: true, ignoreBOM: true }).decode(body);
  } catch {
    if (encoding !== 'utf-8')
      throw refuse(
        `The file looks like ${encoding.toUpperCase()} text but is not valid ${encoding.toUpperCase()}: it may be damaged.`,
      );
    if (body.includes(0)) throw refuse('This is not a CSV file: it contains binary data.');
    const at = firstBadUtf8(body);
    throw refuse(
      `The file is not UTF-8 text (byte 0x${body[at]?.toString(16).toUpperCase().padStart(2, '0') ?? '??'} on line ${lineOf(body, at)}). Save it as "CSV UTF-8" and import it again.`,
    );
  }
  checkCsvText(text);
  return { text, encoding };
}

/**
 * Text that claims to be a CSV: refused when it holds NUL characters (binary
 * content) or U+FFFD replacement characters (bytes that were not valid text,
 * already replaced by a lenient decoder). Runs in linear time.
 */
export function checkCsvText(text: string): void {
  if (text.includes('\u0000')) throw refuse('This is not a CSV file: it contains binary data (NUL characters).');
  if (text.includes('\uFFFD')) {
    throw refuse(
      'The file contains bytes that are not valid text (shown as \uFFFD). Save it as "CSV UTF-8" and import it again.',
    );
  }
}
