/**
 * The project's length limits on users, in one place: the console's
 * validation, the bridge's schemas, the IAMPASS client's guard and the
 * sandbox all read them from here.
 */

/** A user ID the console accepts: at most this many characters (code points; 256 emoji are fine). */
export const USER_ID_MAX_CHARS = 256;
/** A display name the console accepts, in characters. */
export const DISPLAY_NAME_MAX_CHARS = 256;
/** The same limits in UTF-16 units (a character is one or two): what the client sends and the sandbox stores. */
export const USER_ID_MAX_UNITS = 2 * USER_ID_MAX_CHARS;
export const DISPLAY_NAME_MAX_UNITS = 2 * DISPLAY_NAME_MAX_CHARS;
/**
 * Text that arrives for validation (over the bridge, from a CSV cell) is
 * refused on its length alone beyond this many UTF-16 units, before any
 * other look: the per-row checks stay bounded whatever a file holds.
 */
export const INPUT_TEXT_MAX_UNITS = 4096;
