/**
 * Fuzzy matching for the command palette: a contiguous match scores highest
 * (more at the start or at a word boundary), then an in-order subsequence
 * ("gtu" finds "Go to Users"), with bonuses for consecutive characters and
 * word starts and a penalty for gaps. Case and accents are ignored
 * ("zoe" finds "Zoë"); spaces in the query are free.
 */

/** Lower case without diacritics: what both sides are compared as. */
export function fold(text: string): string {
  return text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
}

const BOUNDARY = new Set([' ', '-', '_', '.', '/', '@', ':', '(', '+']);

function boundary(t: string, i: number): boolean {
  return i === 0 || BOUNDARY.has(t[i - 1]!);
}

/**
 * Score of `query` against `text`, both already folded (see `fold`); null
 * when it does not match. An empty query matches everything with 0.
 */
export function scoreFolded(query: string, text: string): number | null {
  const q = query.trim();
  if (q.length === 0) return 0;
  const at = text.indexOf(q);
  if (at >= 0) {
    // Contiguous: always above any subsequence match of the same query.
    return 10_000 + (at === 0 ? 2_000 : 0) + (boundary(text, at) ? 1_000 : 0) - at - (text.length - q.length) / 100;
  }
  let score = 0;
  let from = 0;
  let prev = -2;
  for (const c of q) {
    if (c === ' ') continue;
    const j = text.indexOf(c, from);
    if (j < 0) return null;
    score += 10;
    if (j === prev + 1) score += 15;
    if (boundary(text, j)) score += 20;
    score -= Math.min(j - from, 20);
    prev = j;
    from = j + 1;
  }
  return score;
}

/** Score of a raw query against raw text (folds both). */
export function fuzzyScore(query: string, text: string): number | null {
  return scoreFolded(fold(query), fold(text));
}

/**
 * The best `limit` entries of `count` candidates, best first (ties keep the
 * candidates' order). `haystacks(i)` gives the folded texts of candidate i;
 * its score is the best of them.
 */
export function rankIndexes(
  query: string,
  count: number,
  haystacks: (i: number) => readonly string[],
  limit: number,
): number[] {
  const q = fold(query).trim();
  if (q.length === 0) return Array.from({ length: Math.min(count, limit) }, (_, i) => i);
  const hits: { i: number; s: number }[] = [];
  for (let i = 0; i < count; i++) {
    let best: number | null = null;
    for (const h of haystacks(i)) {
      const s = scoreFolded(q, h);
      if (s !== null && (best === null || s > best)) best = s;
    }
    if (best !== null) hits.push({ i, s: best });
  }
  hits.sort((a, b) => b.s - a.s || a.i - b.i);
  return hits.slice(0, limit).map((h) => h.i);
}
