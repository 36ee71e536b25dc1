/**
 * The Users screen's own copy of a small directory (at most
 * LOCAL_DIRECTORY_MAX users, from `users.snapshot`): it answers a query
 * (search, filters, sort) within the keystroke or the click that asked,
 * where an answer from main would paint a frame later. It matches and
 * sorts as main does: main's natural keys and its sort orders as read from
 * its indexes, the same prefix ranges, and the same text folding
 * (shared/user-order.ts); `users.changed` events are applied to it. main
 * still answers the same query and its answer wins (store.ts).
 */
import type {
  DeviceState,
  StatusError,
  UserRow,
  UserSortColumn,
  UsersChanged,
  UsersQuery,
  UsersSnapshot,
} from '../../../../shared/ipc/users.ts';
import { LOCAL_DIRECTORY_MAX, USER_SORT_COLUMNS } from '../../../../shared/ipc/users.ts';
import { compareCodePoints, naturalKey, normalizeText, prefixRanges } from '../../../../shared/user-order.ts';

const DAY_MS = 86_400_000;
/** Answers kept for queries asked again (typing back with Backspace): at most 400 KB each at 100,000 users. */
const RECENT_ANSWERS = 16;

/**
 * The text a substring search looks in: lower case, accents removed
 * (`normalizeText`), read off the natural key (which is that text with a
 * length marker before each digit run) when the value holds no control
 * character. main's trigram index folds the same way, except compatibility
 * forms (a ligature, a full-width letter), which it keeps: there main's
 * answer replaces the copy's.
 */
function searchText(value: string, key: string): string {
  // Control characters (\p{Cc}): the markers are among them, and a value holding one is folded from scratch.
  if (/\p{Cc}/u.test(value)) return normalizeText(value);
  return /\p{Cc}/u.test(key) ? key.replace(/\p{Cc}/gu, '') : key;
}

/** An IAMPASS ID folded for a substring search (usually hex: lower case is all there is to do). */
function idText(value: string): string {
  return /^[\x20-\x7e]*$/.test(value) ? value.toLowerCase() : normalizeText(value);
}

/** A user's three search texts in one string, NUL between them (no text holds one). */
function joinedText(userId: string, userKey: string, displayName: string, nameKey: string, iampassId: string): string {
  return `${searchText(userId, userKey)}\0${searchText(displayName, nameKey)}\0${idText(iampassId)}`;
}

export class LocalDirectory {
  readonly profileId: string;
  revision: number;
  /** Users held (slots of removed users stay in the columns, in no order). */
  size: number;
  // Columns by slot.
  private readonly rowIds: number[];
  private readonly userIds: string[];
  private readonly displayNames: string[];
  private readonly iampassIds: string[];
  private readonly userKeys: string[];
  private readonly nameKeys: string[];
  /** The user ID's, display name's and IAMPASS ID's search text, joined by NUL (one `includes` per user). */
  private readonly text: string[];
  private readonly deviceStates: DeviceState[];
  private readonly deviceCheckedAt: (number | null)[];
  private readonly addedAt: number[];
  private readonly lastAuthAt: (number | null)[];
  private readonly statusErrors: Map<string, StatusError>;
  private readonly slotOf = new Map<string, number>();
  /** The last search answered (see `query`); forgotten by a change. */
  private last: {
    base: string;
    kind: 'prefix' | 'substring';
    folded: string;
    idTerm: string;
    matches: Int32Array;
  } | null = null;
  private scratch = new Int32Array(0);
  /** The last RECENT_ANSWERS answers by query (oldest first); forgotten by a change. */
  private readonly recent = new Map<string, Int32Array>();
  /** Per column, the live slots in main's ascending order. */
  private readonly orders: Record<UserSortColumn, Int32Array>;

  constructor(s: UsersSnapshot & { profileId: string }) {
    this.profileId = s.profileId;
    this.revision = s.revision;
    this.size = s.count;
    this.rowIds = s.rowIds;
    this.userIds = s.userIds;
    this.displayNames = s.displayNames;
    this.iampassIds = s.iampassIds;
    this.userKeys = s.userKeys;
    this.nameKeys = s.nameKeys;
    this.deviceStates = s.deviceStates;
    this.deviceCheckedAt = s.deviceCheckedAt;
    this.addedAt = s.addedAt;
    this.lastAuthAt = s.lastAuthAt;
    this.statusErrors = new Map(Object.entries(s.statusErrors));
    this.text = new Array<string>(s.count);
    for (let i = 0; i < s.count; i++) {
      this.slotOf.set(s.userIds[i]!, i);
      this.text[i] = joinedText(s.userIds[i]!, s.userKeys[i]!, s.displayNames[i]!, s.nameKeys[i]!, s.iampassIds[i]!);
    }
    this.orders = {} as Record<UserSortColumn, Int32Array>;
    for (const c of USER_SORT_COLUMNS) this.orders[c] = Int32Array.from(s.orders[c]);
    // One search of each kind now (a few ms), so that the admin's first keystroke runs compiled code.
    for (const search of ['\u{10FFFF}', '\u{10FFFF}\u{10FFFF}\u{10FFFF}']) this.query({ search }, 0);
    this.last = null;
    this.recent.clear();
  }

  /**
   * The slots matching `q`, in its order (what main's window query returns,
   * as positions here). One loop over the sort's order; typing on (a longer
   * term of the same kind, the rest of the query unchanged) loops over the
   * last answer's matches instead, which hold every match of the longer term.
   */
  query(q: UsersQuery, now: number): Int32Array {
    const order = this.orders[q.sort?.column ?? 'userId'];
    const desc = q.sort?.descending ?? false;
    const term = (q.search ?? '').trim();
    const kind = term === '' ? null : [...term].length >= 3 ? 'substring' : 'prefix';
    const folded = normalizeText(term);
    const idTerm = term.toLowerCase();
    const states = q.states !== undefined && q.states.length > 0 && q.states.length < 3 ? q.states : null;
    const failed = q.checkFailed === true;
    const atIampass = q.atIampass;
    const before = q.inactiveDays === undefined ? null : now - q.inactiveDays * DAY_MS;
    if (kind === null && !states && !failed && atIampass === undefined && before === null && !desc) return order;
    const base = JSON.stringify({ ...q, search: '' });
    const key = before === null ? JSON.stringify(q) : null;
    const known = key === null ? undefined : this.recent.get(key);
    if (known) {
      // Back to a query answered a moment ago (Backspace): its answer, most recent again, and the one to narrow.
      this.recent.delete(key!);
      this.recent.set(key!, known);
      this.last = kind === null ? null : { base, kind, folded, idTerm, matches: known };
      return known;
    }

    const last = this.last;
    const narrow =
      last !== null &&
      kind === last.kind &&
      base === last.base &&
      before === null &&
      (kind === 'substring'
        ? folded.includes(last.folded)
        : folded.startsWith(last.folded) && idTerm.startsWith(last.idTerm));
    const from = narrow ? last.matches : order;
    const backwards = desc && !narrow;
    // What main's prefix index ranges hold: keys starting with a range's low end (see prefixRanges).
    const starts = kind === 'prefix' ? prefixRanges(term).map(([lo]) => lo) : [];
    // A term holding the separator would match across two texts: main matches within one only.
    const impossible = kind === 'substring' && folded.includes('\0');
    const { text, userKeys, nameKeys, iampassIds, deviceStates, statusErrors, userIds, lastAuthAt } = this;
    const n = impossible ? 0 : from.length;
    // One scan buffer, reused: only the matches are copied out (less memory for the collector to chase per key).
    if (this.scratch.length < n) this.scratch = new Int32Array(this.orders.userId.length + 1024);
    const out = this.scratch;
    let k = 0;
    for (let i = 0; i < n; i++) {
      const slot = from[backwards ? n - 1 - i : i]!;
      if (kind === 'substring') {
        if (!text[slot]!.includes(folded)) continue;
      } else if (kind === 'prefix' && !iampassIds[slot]!.startsWith(idTerm)) {
        const u = userKeys[slot]!;
        const d = nameKeys[slot]!;
        let hit = false;
        for (let r = 0; r < starts.length && !hit; r++) hit = u.startsWith(starts[r]!) || d.startsWith(starts[r]!);
        if (!hit) continue;
      }
      if (states !== null && !states.includes(deviceStates[slot]!)) continue;
      if (failed && !statusErrors.has(userIds[slot]!)) continue;
      if (atIampass !== undefined && (iampassIds[slot] !== '') !== atIampass) continue;
      if (before !== null) {
        const t = lastAuthAt[slot] ?? null;
        if (t !== null && t >= before) continue;
      }
      out[k++] = slot;
    }
    const matches = out.slice(0, k);
    this.last = kind === null ? null : { base, kind, folded, idTerm, matches };
    if (key !== null) {
      this.recent.set(key, matches);
      if (this.recent.size > RECENT_ANSWERS) this.recent.delete(this.recent.keys().next().value!);
    }
    return matches;
  }

  /** The rows of `matches[offset, offset + limit)`. */
  rows(matches: Int32Array, offset: number, limit: number): UserRow[] {
    const out: UserRow[] = [];
    for (let i = offset; i < Math.min(matches.length, offset + limit); i++) out.push(this.row(matches[i]!));
    return out;
  }

  /** The user's row, if held. */
  find(userId: string): UserRow | undefined {
    const slot = this.slotOf.get(userId);
    return slot === undefined ? undefined : this.row(slot);
  }

  /**
   * Applies a change from main. False when the copy cannot follow it (a
   * reset, another profile, more users than LOCAL_DIRECTORY_MAX, too many
   * dead slots): drop it, and load a new one if still wanted.
   */
  apply(e: UsersChanged): boolean {
    if (e.reset || e.profileId !== this.profileId) return false;
    if (e.revision <= this.revision) return true;
    this.revision = e.revision;
    this.last = null;
    this.recent.clear();
    const out = new Set<number>();
    for (const userId of e.removed) {
      const slot = this.slotOf.get(userId);
      if (slot === undefined) continue;
      out.add(slot);
      this.slotOf.delete(userId);
      this.statusErrors.delete(userId);
      this.size--;
    }
    const placed = new Set<number>();
    for (const r of e.upserts) {
      let slot = this.slotOf.get(r.userId);
      if (slot === undefined) {
        slot = this.rowIds.length;
        this.slotOf.set(r.userId, slot);
        this.size++;
      } else out.add(slot);
      placed.add(slot);
      this.rowIds[slot] = r.rowId;
      this.userIds[slot] = r.userId;
      this.displayNames[slot] = r.displayName;
      this.iampassIds[slot] = r.iampassId;
      const userKey = naturalKey(r.userId);
      const nameKey = naturalKey(r.displayName);
      this.userKeys[slot] = userKey;
      this.nameKeys[slot] = nameKey;
      this.text[slot] = joinedText(r.userId, userKey, r.displayName, nameKey, r.iampassId);
      this.deviceStates[slot] = r.deviceState;
      this.deviceCheckedAt[slot] = r.deviceCheckedAt;
      this.addedAt[slot] = r.addedAt;
      this.lastAuthAt[slot] = r.lastAuthAt;
      if (r.statusError) this.statusErrors.set(r.userId, r.statusError);
      else this.statusErrors.delete(r.userId);
    }
    if (this.size > LOCAL_DIRECTORY_MAX || this.rowIds.length > 2 * this.size + 10_000) return false;
    for (const c of USER_SORT_COLUMNS) this.orders[c] = this.reorder(c, out, [...placed]);
    return true;
  }

  private row(slot: number): UserRow {
    const userId = this.userIds[slot]!;
    return {
      rowId: this.rowIds[slot]!,
      userId,
      displayName: this.displayNames[slot]!,
      iampassId: this.iampassIds[slot]!,
      deviceState: this.deviceStates[slot]!,
      deviceCheckedAt: this.deviceCheckedAt[slot]!,
      addedAt: this.addedAt[slot]!,
      lastAuthAt: this.lastAuthAt[slot]!,
      statusError: this.statusErrors.get(userId) ?? null,
    };
  }

  /** A column's order without the slots `out`, with the slots `placed` merged in where main's order puts them. */
  private reorder(column: UserSortColumn, out: ReadonlySet<number>, placed: number[]): Int32Array {
    const cmp = this.compare(column);
    placed.sort(cmp);
    const old = this.orders[column];
    const next = new Int32Array(old.length + placed.length);
    let k = 0;
    let j = 0;
    for (let i = 0; i < old.length; i++) {
      const slot = old[i]!;
      if (out.has(slot)) continue;
      while (j < placed.length && cmp(placed[j]!, slot) < 0) next[k++] = placed[j++]!;
      next[k++] = slot;
    }
    while (j < placed.length) next[k++] = placed[j++]!;
    return next.subarray(0, k);
  }

  /** main's ascending order on a column: its value (SQLite: NULL first, text by code point), then the row id. */
  private compare(column: UserSortColumn): (a: number, b: number) => number {
    const text = (values: string[]) => (a: number, b: number) => compareCodePoints(values[a]!, values[b]!);
    const num = (values: (number | null)[]) => (a: number, b: number) => {
      const x = values[a] ?? null;
      const y = values[b] ?? null;
      return x === y ? 0 : x === null ? -1 : y === null ? 1 : x - y;
    };
    const byValue = {
      userId: text(this.userKeys),
      displayName: text(this.nameKeys),
      iampassId: text(this.iampassIds),
      deviceState: text(this.deviceStates),
      deviceCheckedAt: num(this.deviceCheckedAt),
      addedAt: num(this.addedAt),
      lastAuthAt: num(this.lastAuthAt),
    }[column];
    return (a, b) => byValue(a, b) || this.rowIds[a]! - this.rowIds[b]!;
  }
}
