// The Users screen's window model (src/renderer/src/screens/users/model.ts):
// which window to fetch for what is in view, how answers merge (stale
// generations dropped, memory bounded), selections as queries, and the
// scroll scaling past the browser's height limit. Property tests: whatever
// the sequence of scrolls and generations, every row in view ends up loaded
// from the latest generation within a bounded number of requests, and the
// rows shown are the ones main answered at their positions.
import fc from 'fast-check';
import { expect, it } from 'vitest';
import {
  BLOCK,
  firstWindow,
  isSelected,
  MAX_BLOCKS,
  MAX_SCROLL_PX,
  mergeWindow,
  missingWindow,
  NO_SELECTION,
  rowAt,
  scrollRatio,
  selectionSize,
  toggled,
  toQuery,
  toWire,
  type Block,
} from '../../../src/renderer/src/screens/users/model.ts';
import type { UserRow } from '../../../src/shared/ipc/users.ts';

const row = (pos: number, gen: number): UserRow => ({
  rowId: pos,
  userId: `u${pos}@${gen}`,
  displayName: '',
  iampassId: String(pos),
  deviceState: 'unknown',
  deviceCheckedAt: null,
  addedAt: 0,
  lastAuthAt: null,
  statusError: null,
});

/** What main answers: the rows [offset, offset + limit) of a query with `total` rows. */
const answer = (offset: number, limit: number, total: number, gen: number) =>
  Array.from({ length: Math.max(0, Math.min(limit, total - offset)) }, (_, k) => row(offset + k, gen));

it('fetches the rows in view with margins, only what is missing or stale, at most 1000 rows at a time', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 2_000_000 }),
      fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.boolean()), { minLength: 1, maxLength: 12 }),
      (total, steps) => {
        let blocks: Map<number, Block> = new Map();
        let gen = 0;
        for (const [at, bump] of steps) {
          if (bump) gen++;
          const start = Math.floor(at * Math.max(0, total - 1));
          const end = Math.min(total, start + 20);
          let requests = 0;
          let need: { offset: number; limit: number } | null = firstWindow(start, end);
          for (; need; need = missingWindow(blocks, gen, start, end, total)) {
            expect(need.limit).toBeLessThanOrEqual(1000);
            expect(need.offset % BLOCK).toBe(0);
            blocks = mergeWindow(blocks, gen, need.offset, answer(need.offset, need.limit, total, gen), start);
            expect(++requests).toBeLessThanOrEqual(3);
          }
          expect(blocks.size).toBeLessThanOrEqual(MAX_BLOCKS);
          for (let p = start; p < end; p++) expect(rowAt(blocks, p)?.userId).toBe(`u${p}@${gen}`);
          for (const b of blocks.values()) expect(b.gen).toBe(gen);
        }
      },
    ),
    { numRuns: 200 },
  );
});

it('keeps stale rows in view until their replacement arrives, then drops them', () => {
  let blocks = mergeWindow(new Map(), 1, 0, answer(0, 300, 1000, 1), 0);
  expect(missingWindow(blocks, 1, 0, 20, 1000)).toBeNull();
  // A change in main (generation 2): the old rows still show, and the window in view is asked again.
  expect(rowAt(blocks, 5)?.userId).toBe('u5@1');
  expect(missingWindow(blocks, 2, 0, 20, 1000)).toEqual({ offset: 0, limit: 300 });
  blocks = mergeWindow(blocks, 2, 0, answer(0, 300, 1000, 2), 0);
  expect(rowAt(blocks, 5)?.userId).toBe('u5@2');
  // An answer for an older generation never replaces newer rows.
  blocks = mergeWindow(blocks, 1, 0, answer(0, 100, 1000, 1), 0);
  expect(rowAt(blocks, 250)?.userId).toBe('u250@2');
  expect(missingWindow(new Map(), 0, 0, 20, 0)).toBeNull();
});

it('selects as a query minus exceptions, or as a list', () => {
  const query = toQuery('  Ann ', 'registered', { column: 'lastAuthAt', desc: true });
  // A device state is a state of users at IAMPASS; 'absent' is a linked application's users not there yet.
  expect(query).toEqual({
    search: 'Ann',
    states: ['registered'],
    atIampass: true,
    sort: { column: 'lastAuthAt', descending: true },
  });
  expect(toQuery('', 'absent', { column: 'userId', desc: false })).toEqual({
    atIampass: false,
    sort: { column: 'userId', descending: false },
  });
  expect(toQuery('', 'all', { column: 'userId', desc: false })).toEqual({
    sort: { column: 'userId', descending: false },
  });
  let sel = toggled(NO_SELECTION, 'a', true);
  sel = toggled(sel, 'b', true);
  sel = toggled(sel, 'a', false);
  expect(toWire(sel)).toEqual({ userIds: ['b'] });
  expect(selectionSize(sel, 1_000_000)).toBe(1);
  let all = toggled({ kind: 'query', query, except: new Set() }, 'x', false);
  expect(isSelected(all, 'x')).toBe(false);
  expect(isSelected(all, 'y')).toBe(true);
  expect(selectionSize(all, 1_000_000)).toBe(999_999);
  all = toggled(all, 'x', true);
  expect(toWire(all)).toEqual({ query, except: [] });
});

it('scales scrolling only past the height the browser can lay out', () => {
  expect(scrollRatio(100_000 * 44, 600)).toBe(1);
  const r = scrollRatio(1_000_000 * 44 + 38, 600);
  expect(r).toBeGreaterThan(5);
  // The last real scroll offset maps to the last virtual one.
  expect((MAX_SCROLL_PX - 600) * r).toBeCloseTo(1_000_000 * 44 + 38 - 600, 3);
});
