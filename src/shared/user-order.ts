/**
 * The directory's text order and matching, shared by main (the store's sort
 * keys and search ranges) and the Users screen (its local copy of a small
 * directory answers with the same keys): accent- and case-folded text, the
 * natural sort key (`user2` before `user10`), prefix ranges over keys, and
 * the binary (code point) comparison SQLite applies to them.
 */

/** Digit runs longer than this compare as this long (their marker must stay below ' '). */
const MAX_RUN = 31;

/** Lower case, accents removed (NFKD, combining marks dropped). */
export function normalizeText(s: string): string {
  return s.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
}

/**
 * The natural sort key: the normalized text with each digit run prefixed by a
 * control character giving its length (1..31), so `user2` ("user\x012")
 * sorts before `user10` ("user\x0210") under plain binary comparison, and
 * numbers before letters. A prefix of a value (up to a digit run it ends in)
 * maps to a prefix of its key, which `prefixRanges` uses.
 */
export function naturalKey(s: string): string {
  return normalizeText(s).replace(/\d+/g, (run) => String.fromCharCode(Math.min(run.length, MAX_RUN)) + run);
}

/**
 * Key ranges [lo, hi) holding the keys of every value starting with `term`.
 * A term ending in digits ("user1") may end in the middle of a run: one range
 * per possible run length (user1, user10-user19, user100-...).
 */
export function prefixRanges(term: string): [string, string][] {
  const norm = normalizeText(term);
  const m = /(\d+)$/.exec(norm);
  const upper = (lo: string): [string, string] => [lo, `${lo}\u{10FFFF}`];
  if (!m) return [upper(naturalKey(norm))];
  const head = naturalKey(norm.slice(0, m.index));
  const digits = m[1]!;
  const out: [string, string][] = [];
  for (let len = digits.length; len <= MAX_RUN; len++) out.push(upper(head + String.fromCharCode(len) + digits));
  return out;
}

/**
 * Compares two strings by code point, as SQLite's BINARY collation compares
 * their UTF-8 bytes (JavaScript's `<` compares UTF-16 units: a character
 * above U+FFFF would sort before U+E000-U+FFFF).
 */
export function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

/** A UTF-16 unit's rank in code point order: surrogates (characters above U+FFFF) after U+E000-U+FFFF. */
function codePointRank(unit: number): number {
  if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000;
  return unit >= 0xe000 ? unit - 0x800 : unit;
}
