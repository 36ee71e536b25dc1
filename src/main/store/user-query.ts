/**
 * Queries over a profile's directory, answered by indexes (schema version 5)
 * so that 1,000,000 users cost a window, not a scan:
 *
 * - search: a term of 3+ characters is a substring of the user ID, display
 *   name or IAMPASS ID, through the FTS5 table `users_fts` (trigram
 *   tokenizer: case- and accent-insensitive); a 1-2 character term is a
 *   prefix of the user ID or display name (natural keys, see `naturalKey`)
 *   or of the IAMPASS ID (trigrams need 3 characters);
 * - filters: device states, "last check failed" (the caller passes the user
 *   IDs it holds errors for), "no authentication in N days";
 * - sort by any column, natural order (`user2` before `user10`), ties by row id;
 * - a total, a window (offset/limit: the row ids come from a covering index,
 *   then the rows), a user's position, and a streaming iteration.
 */
import type { DeviceState, UserSortColumn, UsersQuery } from '../../shared/ipc/users.ts';
import { prefixRanges } from '../../shared/user-order.ts';
import type { Store } from './db.ts';
import type { DirectoryUser } from './directory.ts';

interface Column {
  /** The indexed expression sorted on. */
  sql: string;
  nullable: boolean;
}

const COLUMNS: Record<UserSortColumn, Column> = {
  userId: { sql: 'user_key', nullable: false },
  displayName: { sql: 'name_key', nullable: false },
  iampassId: { sql: 'iampass_id', nullable: false },
  deviceState: { sql: 'device_state', nullable: false },
  deviceCheckedAt: { sql: 'device_checked_at', nullable: true },
  addedAt: { sql: 'added_at', nullable: false },
  lastAuthAt: { sql: 'last_auth_at', nullable: true },
};

const DAY_MS = 86_400_000;

export interface QueryContext {
  /** User IDs whose last status check failed (the `checkFailed` filter). */
  failedUserIds?: readonly string[];
  now?: number;
  /** Overrides PREFIX_PROBE (tests). */
  prefixProbe?: { from: number; rows: number };
}

interface Where {
  sql: string;
  params: (string | number)[];
}

/** An FTS5 phrase: the term in double quotes, inner quotes doubled. */
function phrase(term: string): string {
  return `"${term.replace(/"/g, '""')}"`;
}

/**
 * The WHERE clause. With a search, the plan must start from the search's
 * own index (the planner, without statistics, prefers walking the whole
 * profile through an index on profile_id): a trigram search drives from the
 * FTS matches (`+profile_id` is not indexable) unless `drive` is 'order'
 * (many matches: the sort index is walked instead), a prefix search is an OR
 * of index ranges, each with its profile_id, and no profile_id term outside it.
 */
function whereFor(profileId: string, q: UsersQuery, ctx: QueryContext, drive: 'search' | 'order' = 'search'): Where {
  const where: string[] = [];
  const params: (string | number)[] = [];
  const term = (q.search ?? '').trim();
  if (term === '') {
    where.push('profile_id = ?');
    params.push(profileId);
  } else {
    if ([...term].length >= 3) {
      // 'order': the sort index is walked and each row checked against the matches (read once into a set).
      where.push(
        drive === 'search' ? '+profile_id = ?' : 'profile_id = ?',
        'id IN (SELECT rowid FROM users_fts WHERE users_fts MATCH ?)',
      );
      params.push(profileId, phrase(term));
    } else {
      // profile_id inside every branch: SQLite plans each OR branch on its own, and the indexes start with it.
      const ors: string[] = [];
      for (const col of ['user_key', 'name_key'])
        for (const [lo, hi] of prefixRanges(term)) {
          ors.push(`(profile_id = ? AND ${col} >= ? AND ${col} < ?)`);
          params.push(profileId, lo, hi);
        }
      ors.push('(profile_id = ? AND iampass_id >= ? AND iampass_id < ?)');
      params.push(profileId, term.toLowerCase(), `${term.toLowerCase()}\u{10FFFF}`);
      where.push(`(${ors.join(' OR ')})`);
    }
  }
  if (q.states !== undefined && q.states.length > 0 && q.states.length < 3) {
    where.push(`device_state IN (${q.states.map(() => '?').join(', ')})`);
    params.push(...q.states);
  }
  if (q.checkFailed) {
    where.push('user_id IN (SELECT value FROM json_each(?))');
    params.push(JSON.stringify(ctx.failedUserIds ?? []));
  }
  if (q.atIampass !== undefined) where.push(q.atIampass ? "iampass_id <> ''" : "iampass_id = ''");
  if (q.inactiveDays !== undefined) {
    where.push('(last_auth_at IS NULL OR last_auth_at < ?)');
    params.push((ctx.now ?? Date.now()) - q.inactiveDays * DAY_MS);
  }
  return { sql: where.join(' AND '), params };
}

/** The query's order; `flip`: the exact reverse (NULLs first ascending, last descending, ties by row id). */
function orderFor(q: UsersQuery, flip = false): { col: Column; dir: 'ASC' | 'DESC'; sql: string } {
  const col = COLUMNS[q.sort?.column ?? 'userId'];
  const dir = (q.sort?.descending ?? false) !== flip ? 'DESC' : 'ASC';
  return { col, dir, sql: `${col.sql} ${dir}, id ${dir}` };
}

/**
 * How many users of the profile match the query. A trigram search with no
 * other condition is counted in the search index itself (its matches in
 * every profile, less those of the other profiles' users): a few ms for
 * 200,000 matches, where checking each match's profile costs ~100 ms.
 */
export function countQuery(store: Store, profileId: string, q: UsersQuery, ctx: QueryContext = {}): number {
  if (isTrigramSearch(q) && onlySearch(q)) {
    const match = phrase((q.search ?? '').trim());
    const all = (
      store.db.prepare('SELECT count(*) AS n FROM users_fts WHERE users_fts MATCH ?').get(match) as {
        n: number;
      }
    ).n;
    if (all === 0) return 0;
    // `+id`: the other profiles' users (usually few) are walked and looked up in the matches, not the reverse.
    const others = (
      store.db
        .prepare(
          `SELECT count(*) AS n FROM users WHERE profile_id IN (SELECT id FROM profiles WHERE id <> ?)
              AND +id IN (SELECT rowid FROM users_fts WHERE users_fts MATCH ?)`,
        )
        .get(profileId, match) as { n: number }
    ).n;
    return all - others;
  }
  const w = whereFor(profileId, q, ctx);
  return (store.db.prepare(`SELECT count(*) AS n FROM users WHERE ${w.sql}`).get(...w.params) as { n: number }).n;
}

export const MAX_WINDOW = 1000;

/** A users row as SQLite returns it (directory.ts reads the same rows). */
export interface UserRow {
  id: number;
  profile_id: string;
  user_id: string;
  display_name: string;
  notes: string;
  iampass_id: string;
  added_at: number;
  updated_at: number;
  device_state: DeviceState;
  device_checked_at: number | null;
  last_auth_at: number | null;
}

export function fromRow(r: UserRow): DirectoryUser {
  return {
    rowId: r.id,
    profileId: r.profile_id,
    userId: r.user_id,
    displayName: r.display_name,
    notes: r.notes,
    iampassId: r.iampass_id,
    addedAt: r.added_at,
    updatedAt: r.updated_at,
    deviceState: r.device_state,
    deviceCheckedAt: r.device_checked_at,
    lastAuthAt: r.last_auth_at,
  };
}

const COLUMNS_SQL =
  'id, profile_id, user_id, display_name, notes, iampass_id, added_at, updated_at, device_state, device_checked_at, last_auth_at';

/**
 * The rows [offset, offset + limit) of the query's order (limit at most
 * MAX_WINDOW). The row ids are read first (the sort index covers them, so a
 * deep offset steps through index entries only), then their rows.
 */
/**
 * Matching rows up to this many are read through the search's own index
 * (trigrams, prefix ranges) and sorted (a top-N sort); more are read in the
 * sort index's order, checking each row against the search. A search
 * correlates with the order (a prefix of the user ID sorted by user ID: its
 * rows all sit together, possibly past half of the index), so walking the
 * sort index for a selective search can visit most of the directory first.
 */
export const SORT_MATCHES_UP_TO = 250_000;

/**
 * A search matching more than `from` users (and few enough to be sorted)
 * first tries the first `rows` users in the sort's order: when the window's
 * matches are all among them (a 1-2 character prefix of random IAMPASS IDs
 * matches one user in 16 everywhere in the order; a surname one in ten),
 * the window is read there instead of looking up and sorting every match.
 * Otherwise the matches are sorted as usual.
 */
export const PREFIX_PROBE = { from: 2_000, rows: 8_000 };

/**
 * A trigram search matching more users than this walks the sort index,
 * checking each row against its matches (read once into a set): with 2 %
 * or more of a directory matching, a window is found within a few thousand
 * index entries, where sorting every match costs a lookup per match.
 */
export const TRIGRAM_WALK_FROM = 20_000;

export function windowQuery(
  store: Store,
  profileId: string,
  q: UsersQuery,
  offset: number,
  limit: number,
  ctx: QueryContext & { total?: number } = {},
): DirectoryUser[] {
  const w = whereFor(profileId, q, ctx);
  const order = orderFor(q);
  const n = Math.min(Math.max(0, Math.trunc(limit)), MAX_WINDOW);
  if (n === 0) return [];
  const searching = (q.search ?? '').trim() !== '' || q.checkFailed === true;
  const total = ctx.total ?? (searching ? countQuery(store, profileId, q, ctx) : Infinity);
  const start = Math.max(0, Math.trunc(offset));
  const probe = ctx.prefixProbe ?? PREFIX_PROBE;
  const merged = total > probe.from ? prefixMerge(store, profileId, q, start, n) : null;
  if (merged) return rowsById(store, merged);
  const probeUpTo = isTrigramSearch(q) ? TRIGRAM_WALK_FROM : SORT_MATCHES_UP_TO;
  if (searching && total > probe.from && total <= probeUpTo && start + n <= probe.rows) {
    // The first `rows` users in order, filtered: a full window there is the window (its matches come first).
    const ids = store.db
      .prepare(
        `SELECT id FROM (SELECT * FROM users WHERE profile_id = ? ORDER BY ${order.sql} LIMIT ?)
          WHERE ${w.sql} ORDER BY ${order.sql} LIMIT ? OFFSET ?`,
      )
      .all(profileId, probe.rows, ...w.params, n, start) as { id: number }[];
    if (ids.length === n)
      return rowsById(
        store,
        ids.map((r) => r.id),
      );
  }
  // A window past the middle is read from the other end (reverse order, then reversed): an offset walks
  // index entries one by one, so row 900,000 of 1,000,000 costs 100,000 steps instead of 900,000.
  const fromEnd = Number.isFinite(total) && start > total / 2 && start < total;
  const count = fromEnd ? Math.min(n, total - start) : n;
  const skip = fromEnd ? total - start - count : start;
  const ord = orderFor(q, fromEnd);
  const trigram = isTrigramSearch(q);
  const sortMatches = searching && total <= (trigram ? TRIGRAM_WALK_FROM : SORT_MATCHES_UP_TO);
  // `+column` is not the indexed column: SQLite then drives from the search and sorts the matches.
  const orderSql = sortMatches ? `+${ord.col.sql} ${ord.dir}, id ${ord.dir}` : ord.sql;
  const where = trigram && !sortMatches ? whereFor(profileId, q, ctx, 'order') : w;
  const ids = (
    store.db
      .prepare(`SELECT id FROM users WHERE ${where.sql} ORDER BY ${orderSql} LIMIT ? OFFSET ?`)
      .all(...where.params, count, skip) as { id: number }[]
  ).map((r) => r.id);
  return rowsById(store, fromEnd ? ids.reverse() : ids);
}

/**
 * A 1-2 letter prefix search sorted by user ID or display name: that
 * column's own matches are one range of its index, already in the order.
 * When the other branches (the other name column, the IAMPASS ID) match at
 * most this many users, a window is the first rows of that range merged
 * with those few, instead of every match sorted ("em": 100,000 `EMP-` IDs,
 * none of them among the first users of the order).
 */
export const PREFIX_MERGE_UP_TO = 20_000;

function prefixMerge(store: Store, profileId: string, q: UsersQuery, start: number, n: number): number[] | null {
  const column = q.sort?.column ?? 'userId';
  if (!isPrefixSearch(q) || !onlySearch(q) || (column !== 'userId' && column !== 'displayName')) return null;
  const term = (q.search ?? '').trim();
  const ranges = prefixRanges(term);
  // A term ending in digits is several ranges (one per run length): not one walk in order.
  if (ranges.length !== 1 || start + n > 50_000) return null;
  const [lo, hi] = ranges[0]!;
  const own = COLUMNS[column].sql;
  const other = column === 'userId' ? 'name_key' : 'user_key';
  const id = term.toLowerCase();
  const others = `(profile_id = ? AND ${other} >= ? AND ${other} < ?) OR (profile_id = ? AND iampass_id >= ? AND iampass_id < ?)`;
  const othersParams = [profileId, lo, hi, profileId, id, `${id}\u{10FFFF}`];
  const few = store.db
    .prepare(`SELECT count(*) AS n FROM (SELECT 1 FROM users WHERE ${others} LIMIT ?)`)
    .get(...othersParams, PREFIX_MERGE_UP_TO + 1) as { n: number };
  if (few.n > PREFIX_MERGE_UP_TO) return null;
  const { dir } = orderFor(q);
  return (
    store.db
      .prepare(
        `SELECT id FROM (
           SELECT id, k FROM (SELECT id, ${own} AS k FROM users WHERE profile_id = ? AND ${own} >= ? AND ${own} < ?
                                ORDER BY ${own} ${dir}, id ${dir} LIMIT ?)
           UNION
           SELECT id, ${own} FROM users WHERE ${others}
         ) ORDER BY k ${dir}, id ${dir} LIMIT ? OFFSET ?`,
      )
      .all(profileId, lo, hi, start + n, ...othersParams, n, start) as { id: number }[]
  ).map((r) => r.id);
}

/** The rows of these ids, in this order. */
function rowsById(store: Store, ids: readonly number[]): DirectoryUser[] {
  if (ids.length === 0) return [];
  const rows = store.db
    .prepare(
      `SELECT u.id, u.profile_id, u.user_id, u.display_name, u.notes, u.iampass_id, u.added_at, u.updated_at,
              u.device_state, u.device_checked_at, u.last_auth_at
       FROM json_each(?) AS j CROSS JOIN users AS u ON u.id = j.value ORDER BY j.key`,
    )
    .all(JSON.stringify(ids)) as unknown as UserRow[];
  return rows.map(fromRow);
}

/** A 1-2 character search: prefixes of the user ID, display name and IAMPASS ID (index ranges). */
function isPrefixSearch(q: UsersQuery): boolean {
  const chars = [...(q.search ?? '').trim()].length;
  return chars > 0 && chars < 3;
}

/** A trigram (3+ character) search: its matches come from the FTS index. */
function isTrigramSearch(q: UsersQuery): boolean {
  return [...(q.search ?? '').trim()].length >= 3;
}

/** The query has no condition but its search (no filter narrows it). */
function onlySearch(q: UsersQuery): boolean {
  const states = q.states?.length ?? 0;
  return (states === 0 || states >= 3) && !q.checkFailed && q.atIampass === undefined && q.inactiveDays === undefined;
}

/** A window and the query's total (counted first: the window's plan and a deep offset's direction depend on it). */
export function windowAndCount(
  store: Store,
  profileId: string,
  q: UsersQuery,
  offset: number,
  limit: number,
  ctx: QueryContext = {},
): { rows: DirectoryUser[]; total: number } {
  const total = countQuery(store, profileId, q, ctx);
  return { rows: windowQuery(store, profileId, q, offset, limit, { ...ctx, total }), total };
}

/**
 * The 0-based position of a user in the query's order, or null when the user
 * does not match it (or does not exist). Counts the matching rows before it
 * through the sort index (NULLs sort first ascending, last descending).
 */
export function indexOfQuery(
  store: Store,
  profileId: string,
  q: UsersQuery,
  userId: string,
  ctx: QueryContext = {},
): number | null {
  const w = whereFor(profileId, q, ctx);
  const { col, dir } = orderFor(q);
  const hit = store.db
    .prepare(`SELECT id, ${col.sql} AS v FROM users WHERE ${w.sql} AND user_id = ?`)
    .get(...w.params, userId) as { id: number; v: string | number | null } | undefined;
  if (!hit) return null;
  const cmp = dir === 'ASC' ? '<' : '>';
  let before: Where;
  if (!col.nullable || hit.v !== null) {
    const rowValue = { sql: `(${col.sql}, id) ${cmp} (?, ?)`, params: [hit.v!, hit.id] };
    before = col.nullable
      ? dir === 'ASC'
        ? { sql: `(${col.sql} IS NULL OR ${rowValue.sql})`, params: rowValue.params }
        : { sql: `(${col.sql} IS NOT NULL AND ${rowValue.sql})`, params: rowValue.params }
      : rowValue;
  } else {
    before =
      dir === 'ASC'
        ? { sql: `(${col.sql} IS NULL AND id < ?)`, params: [hit.id] }
        : { sql: `(${col.sql} IS NOT NULL OR id > ?)`, params: [hit.id] };
  }
  return (
    store.db
      .prepare(`SELECT count(*) AS n FROM users WHERE ${w.sql} AND ${before.sql}`)
      .get(...w.params, ...before.params) as { n: number }
  ).n;
}

/**
 * Every matching user in the query's order, one row at a time from SQLite's
 * cursor (constant memory: nothing is collected). The statement stays open
 * while the caller iterates: finish or `return()` the iterator.
 */
export function* iterateQuery(
  store: Store,
  profileId: string,
  q: UsersQuery,
  ctx: QueryContext = {},
): Generator<DirectoryUser> {
  const w = whereFor(profileId, q, ctx);
  const stmt = store.db.prepare(`SELECT ${COLUMNS_SQL} FROM users WHERE ${w.sql} ORDER BY ${orderFor(q).sql}`);
  for (const r of stmt.iterate(...w.params)) yield fromRow(r as unknown as UserRow);
}

/** The user IDs matching the query (in its order) minus `except`: a selection made into a list for a job. */
export function selectionIds(
  store: Store,
  profileId: string,
  q: UsersQuery,
  except: readonly string[],
  ctx: QueryContext = {},
): string[] {
  const w = whereFor(profileId, q, ctx);
  const skip = new Set(except);
  const out: string[] = [];
  const stmt = store.db.prepare(`SELECT user_id FROM users WHERE ${w.sql} ORDER BY ${orderFor(q).sql}`);
  stmt.setReturnArrays(true);
  for (const r of stmt.iterate(...w.params)) {
    const id = (r as unknown as [string])[0];
    if (!skip.has(id)) out.push(id);
  }
  return out;
}

/**
 * For each sort column, its ascending order (ties by row id; descending is
 * the exact reverse) as positions in `rowIds` (every row of the profile in
 * the user-ID order, as `directoryColumns` reads them), read from the
 * column's index: what a copy of the directory held elsewhere (the Users
 * screen's) sorts by, exactly as main would. Read inside the caller's
 * transaction, with the rows `rowIds` came from.
 */
export function sortOrders(
  store: Store,
  profileId: string,
  rowIds: readonly number[],
): Record<UserSortColumn, number[]> {
  let maxId = 0;
  for (const id of rowIds) if (id > maxId) maxId = id;
  // Row id -> position + 1 (0: not among the rows).
  const at = new Int32Array(maxId + 1);
  for (let i = 0; i < rowIds.length; i++) at[rowIds[i]!] = i + 1;
  const orders = {} as Record<UserSortColumn, number[]>;
  for (const column of Object.keys(COLUMNS) as UserSortColumn[]) {
    if (column === 'userId') {
      orders.userId = Array.from(rowIds, (_, i) => i);
      continue;
    }
    const stmt = store.db.prepare(
      `SELECT id FROM users WHERE profile_id = ? ORDER BY ${orderFor({ sort: { column } }).sql}`,
    );
    stmt.setReturnArrays(true);
    const ids = stmt.all(profileId) as unknown as [number][];
    const order = new Array<number>(ids.length);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]![0];
      const pos = id <= maxId ? at[id]! : 0;
      if (pos === 0) throw new Error('sortOrders: a row outside the rows given (read outside their transaction?)');
      order[i] = pos - 1;
    }
    orders[column] = order;
  }
  return orders;
}

/** The query plans of a window's id read and of its count (query-plan tests: every sort served by an index). */
export function windowPlan(store: Store, profileId: string, q: UsersQuery, ctx: QueryContext = {}): string[] {
  const w = whereFor(profileId, q, ctx);
  const plan = (sql: string, params: (string | number)[]) =>
    (store.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[])
      .map((r) => r.detail)
      .join(' | ');
  return [
    plan(`SELECT id FROM users WHERE ${w.sql} ORDER BY ${orderFor(q).sql} LIMIT ? OFFSET ?`, [...w.params, 10, 0]),
    plan(`SELECT count(*) AS n FROM users WHERE ${w.sql}`, w.params),
  ];
}
