/**
 * Path and query encoding of the IAMPASS API (spec section 3): Python's
 * `urllib.parse.quote_plus`. Letters, digits and `_ . - ~` stay; a space
 * becomes `+`; every other byte of the UTF-8 form becomes `%XX` (upper-case).
 */
const UNRESERVED = /^[A-Za-z0-9_.\-~]$/;
const utf8 = new TextEncoder();

export function quotePlus(value: string): string {
  let out = '';
  for (const ch of value) {
    if (ch === ' ') out += '+';
    else if (UNRESERVED.test(ch)) out += ch;
    else for (const byte of utf8.encode(ch)) out += '%' + byte.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/**
 * The inverse, as a server decodes path segments and query values: `+` is a
 * space, `%XX` a byte. Returns null for malformed escapes or invalid UTF-8,
 * so a server can answer 400 instead of guessing.
 */
export function unquotePlus(value: string): string | null {
  try {
    // decodeURIComponent rejects a stray `%`, a bad escape and invalid UTF-8.
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return null;
  }
}
