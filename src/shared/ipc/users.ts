/**
 * Feature: the user directory of the ACTIVE application profile, and the
 * registration-QR onboarding / lost-device flows.
 *
 * main answers queries over the directory (`users.window`: search, filters,
 * natural sort, a total and a window of rows; `users.indexOf`), and the
 * Users screen holds only the rows in view; `users.changed` events (the
 * rows upserted and the user IDs removed, with the new revision; `reset`
 * when too many to name) tell it to fetch the window in view again.
 * Selections are queries minus exceptions (`UsersSelection`), turned into
 * jobs by main. A directory of at most LOCAL_DIRECTORY_MAX users is also
 * held whole by the screen (`users.snapshot`, kept current by the same
 * events), which then answers a keystroke or a sort itself and has main
 * confirm it.
 *
 * Registration links are bearer credentials: they never cross the bridge.
 * main keeps a link in memory under an opaque `handle` and gives the renderer
 * only the QR module matrix to draw, plus copy/export actions done by main.
 */
import { INPUT_TEXT_MAX_UNITS } from '../limits.ts';
import { z } from 'zod';
import type { DirectoryInfo } from '../directory-source.ts';
import type { ErrorCode } from '../errors.ts';
import { event, request } from './define.ts';

export const DEVICE_STATES = ['registered', 'not_registered', 'unknown'] as const;
export type DeviceState = (typeof DEVICE_STATES)[number];

/** The last status check of a user failed (kept in memory by main, cleared by the next good check). */
export interface StatusError {
  code: ErrorCode;
  message: string;
  at: number;
}

/** One user as carried by `users.changed` and `users.checkStatus`. */
export interface UserRow {
  rowId: number;
  userId: string;
  displayName: string;
  /** The ID IAMPASS knows: random opaque (default) or the user ID itself (profile sends own IDs). Not personal data. */
  iampassId: string;
  deviceState: DeviceState;
  deviceCheckedAt: number | null;
  addedAt: number;
  lastAuthAt: number | null;
  statusError: StatusError | null;
}

/**
 * The whole directory, column-oriented: every array has `count` entries,
 * sorted by user ID (natural order). The Users screen holds it for a
 * directory of at most LOCAL_DIRECTORY_MAX users and answers its queries
 * from it within the keystroke (see `users.snapshot`).
 */
export interface UsersSnapshot {
  /** The profile this is for; null when no application is active (all arrays empty). */
  profileId: string | null;
  profileName: string | null;
  /** True when the profile sends the admin's own IDs (then iampassIds[i] === userIds[i]). */
  sendOwnIds: boolean;
  /** Increases with every change; `users.changed` events with revision <= this are already included. */
  revision: number;
  count: number;
  rowIds: number[];
  userIds: string[];
  displayNames: string[];
  iampassIds: string[];
  deviceStates: DeviceState[];
  deviceCheckedAt: (number | null)[];
  addedAt: number[];
  lastAuthAt: (number | null)[];
  /** The natural sort keys of the user IDs and display names (shared/user-order.ts `naturalKey`), as main sorts by. */
  userKeys: string[];
  nameKeys: string[];
  /**
   * Per sort column, the positions (indexes into the arrays) in main's
   * ascending order, ties by row id; descending is the exact reverse.
   */
  orders: Record<UserSortColumn, number[]>;
  /** Sparse: user ID -> last status error. */
  statusErrors: Record<string, StatusError>;
}

export interface UsersChanged {
  profileId: string | null;
  revision: number;
  /** Added or updated users (match on userId). */
  upserts: UserRow[];
  /** Removed user IDs. */
  removed: string[];
  /** Too much changed (or the active profile changed): re-fetch `users.snapshot`. */
  reset: boolean;
}

/** CSV column mapping: column indexes (0-based) in the parsed header. */
export interface CsvMapping {
  userId: number;
  displayName?: number | null;
  /** Contact columns (for invitations), kept only when the profile keeps contacts. */
  email?: number | null;
  phone?: number | null;
}

export interface CsvPreviewRow {
  /** 1-based data row (header excluded). */
  row: number;
  userId: string;
  displayName: string;
  /** null: valid; otherwise why the row will be refused (blank, too long, control characters, duplicate of row N). */
  problem: string | null;
}

export interface CsvPreview {
  /** Header names (or "Column 1".. when `hasHeader` is false). */
  columns: string[];
  hasHeader: boolean;
  /** The mapping used (the given one, or a guess from the header: user/login/id/email, name/display). */
  mapping: CsvMapping;
  /** Data rows in the file (header excluded). */
  totalRows: number;
  validRows: number;
  invalidRows: number;
  /** Rows that repeat an earlier user ID (counted in invalidRows too). */
  duplicateRows: number;
  /** The first rows, validated. */
  preview: CsvPreviewRow[];
  /** Parse warnings (bad quoting...), bounded. */
  warnings: string[];
}

/** A QR code to draw: `size` x `size` modules, row-major, '1' = dark. Draw with a quiet zone of 4 modules. */
export interface QrMatrix {
  size: number;
  modules: string;
}

export interface OnboardingView {
  /** Opaque; names the link held in main. */
  handle: string;
  userId: string;
  /** The display name sent to IAMPASS (shown on the phone). */
  displayName: string;
  qr: QrMatrix;
  /** When main forgets the link (ms since epoch); the renderer hides the code by then at the latest. */
  expiresAt: number;
  /** The device state when shown (not_registered after a lost device). */
  deviceState: DeviceState;
}

const userId = z.string().max(INPUT_TEXT_MAX_UNITS); // shape only: the service validates per row and says why
const userIds = z.array(userId).min(1).max(200_000);
const handle = z.string().min(1).max(64);
const csvText = z.string().max(64 * 1024 * 1024);
const mapping = z
  .object({
    userId: z.number().int().min(0).max(1000),
    displayName: z.number().int().min(0).max(1000).nullable().optional(),
    email: z.number().int().min(0).max(1000).nullable().optional(),
    phone: z.number().int().min(0).max(1000).nullable().optional(),
  })
  .strict();

export const MAX_CONFIRM_FREE_DELETE = 10;

/** Columns the directory sorts on (natural order for text: `user2` before `user10`). */
export const USER_SORT_COLUMNS = [
  'userId',
  'displayName',
  'iampassId',
  'deviceState',
  'deviceCheckedAt',
  'addedAt',
  'lastAuthAt',
] as const;
export type UserSortColumn = (typeof USER_SORT_COLUMNS)[number];

/**
 * The most users the Users screen holds a copy of (`users.snapshot`): up to
 * here it answers a keystroke or a sort itself, within the input's own frame
 * (a scan of this many rows takes a few ms); a larger directory is queried in
 * main window by window.
 */
export const LOCAL_DIRECTORY_MAX = 150_000;

/** The longest search term (characters). */
export const MAX_SEARCH_CHARS = 200;
/** Most rows one `users.window` answers. */
export const MAX_WINDOW_ROWS = 1000;

/**
 * A query over the active profile's directory, answered by main. `search`: 3+
 * characters match a substring of user ID, display name or IAMPASS ID; 1-2
 * characters a prefix of one of them (case- and accent-insensitive).
 */
export const usersQuery = z
  .object({
    search: z.string().max(MAX_SEARCH_CHARS).optional(),
    /** Keep users in these device states (empty or all three: no filter). */
    states: z.array(z.enum(DEVICE_STATES)).max(3).optional(),
    /** Only users whose last status check failed. */
    checkFailed: z.boolean().optional(),
    /** Linked directories: only users at IAMPASS (true) or only the application's users not yet there (false). */
    atIampass: z.boolean().optional(),
    /** Only users with no authentication in this many days (never counts as none). */
    inactiveDays: z.number().int().min(1).max(36_500).optional(),
    sort: z
      .object({ column: z.enum(USER_SORT_COLUMNS), descending: z.boolean().optional() })
      .strict()
      .optional(),
  })
  .strict();
export type UsersQuery = z.infer<typeof usersQuery>;

/** Everyone matching a query except some users, or an explicit list. */
export const usersSelection = z.union([
  z.object({ query: usersQuery, except: z.array(userId).max(200_000) }).strict(),
  z.object({ userIds }).strict(),
]);
export type UsersSelection = z.infer<typeof usersSelection>;

export interface UsersWindow {
  /** The profile this is for; null when no application is active (no rows). */
  profileId: string | null;
  profileName: string | null;
  sendOwnIds: boolean;
  /** `users.changed` events with revision <= this are already included. */
  revision: number;
  /** Where the profile's users live (the console's store, or the application's database). */
  directory: DirectoryInfo;
  /** Users matching the query (all windows). */
  total: number;
  offset: number;
  rows: UserRow[];
}

export const EXPORT_FORMATS = ['csv', 'json'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const usersRequests = {
  /** The whole directory for the Users screen's own answers; null when it holds more than LOCAL_DIRECTORY_MAX users. */
  'users.snapshot': request(z.object({}).strict()).returns<UsersSnapshot | null>(),
  /** A window of the query's rows in its order, with the total. */
  'users.window': request(
    z
      .object({
        query: usersQuery,
        offset: z.number().int().min(0).max(100_000_000),
        limit: z.number().int().min(0).max(MAX_WINDOW_ROWS),
      })
      .strict(),
  ).returns<UsersWindow>(),
  /** A user's 0-based position in the query's order (null: not matching), with the total. */
  'users.indexOf': request(z.object({ query: usersQuery, userId }).strict()).returns<{
    index: number | null;
    total: number;
  }>(),
  /** Deletes a selection as a job (users.delete); more than MAX_CONFIRM_FREE_DELETE users: `confirmCount` must equal its size. */
  'users.deleteSelection': request(
    z.object({ selection: usersSelection, confirmCount: z.number().int().optional() }).strict(),
  ).returns<{ jobId: string }>(),
  /** How many users a selection holds now (what the delete confirmation asks to type). */
  'users.selectionCount': request(z.object({ selection: usersSelection }).strict()).returns<{ count: number }>(),
  /** Checks the device state of a selection as a job (users.refreshStatus). */
  'users.refreshSelection': request(z.object({ selection: usersSelection }).strict()).returns<{ jobId: string }>(),
  /** Linked directories: adds the application's users of a selection (e.g. everyone not at IAMPASS) as a job. */
  'users.addSelection': request(z.object({ selection: usersSelection }).strict()).returns<{ jobId: string }>(),
  /** Writes the query's rows (CSV or JSON) to a file the admin picks, as a job (users.export); jobId null when cancelled. */
  'users.export': request(z.object({ query: usersQuery, format: z.enum(EXPORT_FORMATS) }).strict()).returns<{
    jobId: string | null;
  }>(),
  /** Changes of the active profile recorded and not settled (a crash, a lost answer): how many recovery may settle now, and all of them by kind. */
  'users.pending': request(z.object({}).strict()).returns<{ recoverable: number; byKind: Record<string, number> }>(),
  /** Settles them as a job (users.reconcile); per-row results in job.finished. */
  'users.reconcile': request(z.object({}).strict()).returns<{ jobId: string }>(),
  /** One or many users (single add, pasted list). Starts a job; per-row results in job.finished. */
  'users.add': request(
    z
      .object({
        users: z
          .array(z.object({ userId, displayName: z.string().max(INPUT_TEXT_MAX_UNITS).optional() }).strict())
          .min(1)
          .max(200_000),
      })
      .strict(),
  ).returns<{ jobId: string }>(),
  /** Parses and validates a CSV (text read by the renderer from a file input / drop); nothing is written. */
  'users.csvPreview': request(
    z
      .object({
        text: csvText,
        mapping: mapping.optional(),
        hasHeader: z.boolean().optional(),
        previewRows: z.number().int().min(0).max(500).optional(),
      })
      .strict(),
  ).returns<CsvPreview>(),
  /** Imports a CSV with a mapping (as previewed). Starts a job. */
  'users.importCsv': request(z.object({ text: csvText, mapping, hasHeader: z.boolean().optional() }).strict()).returns<{
    jobId: string;
  }>(),
  /** More than MAX_CONFIRM_FREE_DELETE users: `confirmCount` must equal userIds.length. Starts a job. */
  'users.delete': request(z.object({ userIds, confirmCount: z.number().int().optional() }).strict()).returns<{
    jobId: string;
  }>(),
  /** Checks has_registered_mobile_device for a selection or everyone, bounded by the profile's concurrency. Starts a job. */
  'users.refreshStatus': request(
    z.union([z.object({ userIds }).strict(), z.object({ all: z.literal(true) }).strict()]),
  ).returns<{ jobId: string }>(),
  /** Checks one user now; a failed check is a typed error (and is kept on the row). */
  'users.checkStatus': request(z.object({ userId }).strict()).returns<UserRow>(),
  /** Reports the user's phone lost (lost_user_mobile_device): marks not registered, audits, answers a fresh QR and watches it. */
  'users.lostDevice': request(z.object({ userId }).strict()).returns<OnboardingView>(),
  /** A user's display name in the console's directory (a linked directory's are the application's: refused). */
  'users.setDisplayName': request(
    z.object({ userId, displayName: z.string().max(INPUT_TEXT_MAX_UNITS) }).strict(),
  ).returns<UserRow>(),

  /** Gets a registration link for the user and answers its QR; watches has_registered_mobile_device while open. */
  'onboarding.show': request(
    z
      .object({
        userId,
        displayName: z.string().max(INPUT_TEXT_MAX_UNITS).optional(),
        ttlSeconds: z.number().int().min(10).max(3600).optional(),
      })
      .strict(),
  ).returns<OnboardingView>(),
  /** main writes the link to the clipboard. */
  'onboarding.copyLink': request(z.object({ handle }).strict()).returns<{ copied: true }>(),
  /** main renders the QR (PNG or SVG) and asks where to save it; saved=false when the admin cancelled. */
  'onboarding.export': request(z.object({ handle, format: z.enum(['png', 'svg']) }).strict()).returns<{
    saved: boolean;
  }>(),
  /** Forgets the link and stops watching. Closing an unknown / expired handle is fine. */
  'onboarding.close': request(z.object({ handle }).strict()).returns<{ closed: boolean }>(),
};

export const usersEvents = {
  'users.changed': event<UsersChanged>(),
  /** The phone finished registering while the QR was open (the row also arrives via users.changed). */
  'onboarding.registered': event<{ handle: string; userId: string }>(),
  /** The handle expired (TTL) and the link was forgotten: hide the code. */
  'onboarding.expired': event<{ handle: string }>(),
};
