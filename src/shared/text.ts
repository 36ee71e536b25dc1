/**
 * Text helpers that stay linear on hostile input: every function here runs
 * in time proportional to its input (no pattern that retries from every
 * position), and the ones that feed logs, audit or a terminal cut the text to
 * a bounded window before they match anything. Pure: main, the sandbox, the
 * CLI and the renderer share them.
 */

/** C0 controls (tab, line break, escape...), DEL and C1 controls (0x80-0x9F): never part of a user ID or a display name. */
export function hasControlChars(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return true;
  }
  return false;
}

/** Leading and trailing SPACES (U+0020) only, in linear time (a `/ +$/` pattern is quadratic on a long inner run of spaces). */
export function trimSpaces(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && s.charCodeAt(start) === 0x20) start++;
  while (end > start && s.charCodeAt(end - 1) === 0x20) end--;
  return start === 0 && end === s.length ? s : s.slice(start, end);
}

/** Code points, not UTF-16 units. */
export function charCount(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // A high surrogate followed by a low one is one character.
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

/** At most `max` UTF-16 units, never splitting a surrogate pair, with `…` when cut. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max;
  const c = text.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--;
  return `${text.slice(0, end)}…`;
}

/**
 * The first `window` units of a text for matching: when the text is longer, the
 * token cut in two at the end (a link or secret that straddles the cut) is
 * dropped, up to `maxToken` units back, so no fragment of it survives
 * un-redacted.
 */
export function matchWindow(text: string, window: number, maxToken = 256): string {
  if (text.length <= window) return text;
  let end = window;
  const stop = Math.max(0, window - maxToken);
  while (end > stop && !isSpace(text.charCodeAt(end - 1))) end--;
  return `${text.slice(0, end > stop ? end : window)}…`;
}

/** What `\s` matches, as far as links and tokens are concerned. */
function isSpace(c: number): boolean {
  return (
    c === 0x20 ||
    (c >= 0x09 && c <= 0x0d) ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

function isSchemeChar(c: number): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) ||
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x30 && c <= 0x39) ||
    c === 0x2b ||
    c === 0x2e ||
    c === 0x2d
  );
}

function isLetter(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a);
}

/**
 * Replaces every link (`scheme://...` up to the next whitespace; the scheme
 * is a letter then letters, digits, `+ . -`) with `replacement`. Found from
 * each `://` outwards, so every character is looked at a bounded number of
 * times: linear where a `[a-z][a-z0-9+.-]*://` pattern retried from every
 * letter of a long run is quadratic.
 */
export function replaceLinks(text: string, replacement: string): string {
  let out = '';
  let from = 0;
  let at = text.indexOf('://');
  while (at >= 0) {
    let start = at;
    while (start > from && isSchemeChar(text.charCodeAt(start - 1))) start--;
    while (start < at && !isLetter(text.charCodeAt(start))) start++;
    if (start === at) {
      at = text.indexOf('://', at + 1);
      continue;
    }
    let end = at + 3;
    while (end < text.length && !isSpace(text.charCodeAt(end))) end++;
    out += text.slice(from, start) + replacement;
    from = end;
    at = text.indexOf('://', end);
  }
  return from === 0 ? text : out + text.slice(from);
}
/** 48 or more hex characters in a row: the form of a 192-bit secret. */
export const HEX_SECRET_RE = /(?<![0-9A-Fa-f])[0-9A-Fa-f]{48,}/g;
