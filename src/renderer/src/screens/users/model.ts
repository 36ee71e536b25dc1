/**
 * The Users screen's view of the directory: main answers queries
 * (`users.window`), the renderer holds only the rows around what is visible,
 * in blocks of BLOCK rows, tagged with the generation they were fetched for
 * (a new query or a change in main starts a new generation; older blocks are
 * shown until their replacement arrives, then dropped). A selection is a
 * query minus exceptions, or a list of user IDs: never a million-element set.
 */
import type { DeviceState, UserRow, UserSortColumn, UsersQuery, UsersSelection } from '../../../../shared/ipc/users.ts';

export type SortColumn = UserSortColumn;
export interface SortSpec {
  column: SortColumn;
  desc: boolean;
}
/** 'absent': a linked application's users not at IAMPASS yet. */
export type DeviceFilter = 'all' | DeviceState | 'absent';

/** Rows per block: the unit of fetching and eviction. */
export const BLOCK = 100;
/** Rows fetched beyond the visible ones, each side. */
export const MARGIN = 2 * BLOCK;
/** Blocks kept at most (the rest, farthest from the view first, are dropped). */
export const MAX_BLOCKS = 24;

export interface Block {
  gen: number;
  rows: UserRow[];
}

export function toQuery(search: string, filter: DeviceFilter, sort: SortSpec): UsersQuery {
  const term = search.trim();
  return {
    ...(term === '' ? {} : { search: term.slice(0, 200) }),
    ...(filter === 'all' ? {} : filter === 'absent' ? { atIampass: false } : { states: [filter], atIampass: true }),
    sort: { column: sort.column, descending: sort.desc },
  };
}

/** The row at a position, if its block is loaded. */
export function rowAt(blocks: ReadonlyMap<number, Block>, pos: number): UserRow | undefined {
  return blocks.get(Math.floor(pos / BLOCK))?.rows[pos % BLOCK];
}

/** A loaded row by user ID (the panel, dialogs and menus look rows up by ID). */
export function findRow(blocks: ReadonlyMap<number, Block>, userId: string): UserRow | undefined {
  for (const b of blocks.values()) for (const r of b.rows) if (r.userId === userId) return r;
  return undefined;
}

/**
 * The window to fetch for the visible rows [start, end) of `total`: from the
 * first to the last block (with margins) that is missing or older than `gen`,
 * at most `maxRows` rows (1000, what `users.window` answers) starting at the
 * first one. Null when everything needed is loaded.
 */
export function missingWindow(
  blocks: ReadonlyMap<number, Block>,
  gen: number,
  start: number,
  end: number,
  total: number,
  maxRows = 1000,
): { offset: number; limit: number } | null {
  if (total === 0) return null;
  const first = Math.floor(Math.max(0, start - MARGIN) / BLOCK);
  const last = Math.floor(Math.min(total - 1, end + MARGIN - 1) / BLOCK);
  let lo = -1;
  let hi = -1;
  for (let b = first; b <= last; b++) {
    const have = blocks.get(b);
    if (!have || have.gen < gen) {
      if (lo < 0) lo = b;
      hi = b;
    }
  }
  if (lo < 0) return null;
  const offset = lo * BLOCK;
  return { offset, limit: Math.min(maxRows, (hi + 1) * BLOCK - offset) };
}

/**
 * Blocks after a window arrived for generation `gen`: its rows cut into
 * blocks; blocks of an older generation dropped (they are stale; the ones in
 * view were just replaced); the farthest from `center` dropped past MAX_BLOCKS.
 */
export function mergeWindow(
  blocks: ReadonlyMap<number, Block>,
  gen: number,
  offset: number,
  rows: readonly UserRow[],
  center: number,
): Map<number, Block> {
  const next = new Map<number, Block>();
  for (const [k, b] of blocks) if (b.gen >= gen) next.set(k, b);
  for (let k = 0; k * BLOCK < rows.length; k++)
    next.set(Math.floor(offset / BLOCK) + k, { gen, rows: rows.slice(k * BLOCK, (k + 1) * BLOCK) });
  if (next.size > MAX_BLOCKS) {
    const c = Math.floor(center / BLOCK);
    const far = [...next.keys()].sort((a, b) => Math.abs(b - c) - Math.abs(a - c));
    for (const k of far.slice(0, next.size - MAX_BLOCKS)) next.delete(k);
  }
  return next;
}

/** The window around the visible rows [start, end) when nothing is known of the query yet (not even its total). */
export function firstWindow(start: number, end: number, maxRows = 1000): { offset: number; limit: number } {
  const offset = Math.floor(Math.max(0, start - MARGIN) / BLOCK) * BLOCK;
  return { offset, limit: Math.min(maxRows, Math.ceil((end + MARGIN - offset) / BLOCK) * BLOCK) };
}

/** Everyone matching `query` except some, or a list of user IDs. */
export type Selection =
  { kind: 'ids'; ids: ReadonlySet<string> } | { kind: 'query'; query: UsersQuery; except: ReadonlySet<string> };

export const NO_SELECTION: Selection = { kind: 'ids', ids: new Set() };

export function isSelected(sel: Selection, userId: string): boolean {
  return sel.kind === 'ids' ? sel.ids.has(userId) : !sel.except.has(userId);
}

/** How many users are selected; `total` is how many match the selection's query now. */
export function selectionSize(sel: Selection, total: number): number {
  return sel.kind === 'ids' ? sel.ids.size : Math.max(0, total - sel.except.size);
}

/** The selection with one user toggled. */
export function toggled(sel: Selection, userId: string, on: boolean): Selection {
  const set = new Set(sel.kind === 'ids' ? sel.ids : sel.except);
  // In a query selection the set holds the exceptions: "on" removes one.
  if (on === (sel.kind === 'ids')) set.add(userId);
  else set.delete(userId);
  return sel.kind === 'ids' ? { kind: 'ids', ids: set } : { ...sel, except: set };
}

/** The selection as the bridge takes it. */
export function toWire(sel: Selection): UsersSelection {
  return sel.kind === 'ids' ? { userIds: [...sel.ids] } : { query: sel.query, except: [...sel.except] };
}

/**
 * Scroll coordinates for a list taller than the browser can lay out (about
 * 33 million px in Chromium; 1,000,000 rows of 44 px is 44 million): the
 * scroller's content is at most MAX_SCROLL_PX and a scroll offset maps to a
 * virtual offset by `ratio` (1 below the cap: nothing changes).
 */
export const MAX_SCROLL_PX = 8_000_000;

export function scrollRatio(virtualHeight: number, viewport: number): number {
  if (virtualHeight <= MAX_SCROLL_PX) return 1;
  return Math.max(1, (virtualHeight - viewport) / Math.max(1, MAX_SCROLL_PX - viewport));
}
