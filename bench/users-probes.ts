/**
 * The Users screen's in-page probes and the two measurements every users
 * benchmark takes with them (users-ui: the embedded directory; directory-pg:
 * an application's PostgreSQL table). Install PROBES as the page's init
 * script (openBenchConsole's initScript).
 *
 * - "painted" = a MutationObserver sees the expected DOM, then the end of the
 *   next frame (requestAnimationFrame, then a MessageChannel message). It
 *   watches text, elements and the attributes the checks read, as the bench
 *   before issue 14 did (every attribute would add the observer's own cost
 *   to each row React updates).
 * - first paint: a fresh document opened on the Users screen, from navigation
 *   start until the first user row is painted; three loads after a warm-up.
 * - keystroke: from the keydown's timeStamp until the search box holds the
 *   text, the count shown equals main's count for that query and the first
 *   row is main's first row, painted. 1-2 characters are prefix searches,
 *   3+ substring (trigram) searches. `readyMs`: until that DOM was there (the
 *   rest is waiting for and drawing the next frame).
 */
import type { Page } from 'playwright-core';

export const PROBES = `(() => {
  const B = (window.__bench = {});
  B.afterPaint = () => new Promise((res) => requestAnimationFrame(() => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => res(performance.now());
    ch.port2.postMessage(0);
  }));
  const firstRow = () => document.querySelector('[data-testid="user-row"]');
  B.firstRows = new Promise((res) => {
    const go = () => B.afterPaint().then(res);
    if (firstRow()) return void go();
    const mo = new MutationObserver(() => { if (firstRow()) { mo.disconnect(); go(); } });
    mo.observe(document, { childList: true, subtree: true });
  });
  const countShown = () => {
    const m = (document.querySelector('[data-testid="users-count"]')?.textContent ?? '').match(/[0-9][0-9,]*/);
    return m ? Number(m[0].replace(/,/g, '')) : -1;
  };
  const watch = (label, ready) => new Promise((res, rej) => {
    let t0 = null;
    let done = false;
    const check = () => {
      if (done || t0 === null || !ready()) return;
      done = true;
      mo.disconnect();
      clearTimeout(timer);
      const tReady = performance.now();
      B.afterPaint().then((t1) => res({ ms: t1 - t0, readyMs: tReady - t0 }));
    };
    const mo = new MutationObserver(check);
    mo.observe(document.querySelector('[data-testid="users-screen"]'), { childList: true, subtree: true, characterData: true, attributes: true, attributeFilter: ['data-user-id', 'aria-sort', 'aria-rowindex'] });
    const timer = setTimeout(() => { mo.disconnect(); rej(new Error(label + ': never showed (count ' + countShown() + ', first ' + (firstRow()?.getAttribute('data-user-id') ?? null) + ')')); }, 20000);
    B.start = (t) => { t0 = t; check(); };
  });
  B.armKey = (value, exp) => {
    const input = document.querySelector('[data-testid="users-search"]');
    B.pending = watch('search ' + JSON.stringify(value), () => {
      if (input.value !== value || countShown() !== exp.count) return false;
      const row = firstRow();
      return exp.first === null ? row === null : row?.getAttribute('data-user-id') === exp.first;
    });
    document.addEventListener('keydown', (e) => { const t = e.timeStamp; input.addEventListener('input', () => B.start(t), { once: true }); }, { capture: true, once: true });
  };
  B.armSort = (label, aria, first) => {
    const header = [...document.querySelectorAll('[role="columnheader"]')].find((h) => (h.textContent ?? '').startsWith(label));
    if (!header) throw new Error('no column header ' + label);
    B.pending = watch('sort ' + label, () => header.getAttribute('aria-sort') === aria && firstRow()?.getAttribute('data-user-id') === first);
    document.addEventListener('click', (e) => B.start(e.timeStamp), { capture: true, once: true });
  };
  B.jump = (fraction, total) => {
    const sc = document.querySelector('[data-testid="users-scroll"]');
    const minIndex = Math.floor(total * fraction) - 50;
    const ready = () => {
      const rows = [...document.querySelectorAll('[data-testid="user-row"]')];
      if (document.querySelector('[data-testid="user-row-pending"]')) return false;
      return rows.length > 5 && rows.every((r) => Number(r.getAttribute('aria-rowindex')) >= minIndex);
    };
    B.pending = watch('jump', ready);
    const t0 = performance.now();
    sc.scrollTop = (sc.scrollHeight - sc.clientHeight) * fraction;
    B.start(t0);
  };
})();`;

/** Three first paints of `url` (after a warm-up load), in ms. */
export async function firstPaints(page: Page, url: string): Promise<number[]> {
  await page.goto(url);
  await page.evaluate<number>('window.__bench.firstRows');
  const loads: number[] = [];
  for (let k = 0; k < 3; k++) {
    await page.goto('about:blank');
    await page.goto(url);
    loads.push(await page.evaluate<number>('window.__bench.firstRows'));
  }
  return loads;
}

type Expected = (typed: string) => { count: number; first: string | null };

/** One key (a character, or Backspace) that leaves `next` in the search box: until its rows are painted. */
async function measureKey(
  page: Page,
  key: string,
  next: string,
  expected: Expected,
): Promise<{ ms: number; readyMs: number }> {
  await page.evaluate(`window.__bench.armKey(${JSON.stringify(next)}, ${JSON.stringify(expected(next))})`);
  if (key === 'Backspace') await page.keyboard.press('Backspace');
  else await page.keyboard.type(key);
  return page.evaluate<{ ms: number; readyMs: number }>('window.__bench.pending');
}

/** Types each word a character at a time; each keystroke until main's answer is painted, split by search kind. */
export async function keystrokes(
  page: Page,
  words: readonly string[],
  expected: Expected,
): Promise<{ prefixMs: number[]; substringMs: number[]; readyMs: number[] }> {
  const prefixMs: number[] = [];
  const substringMs: number[] = [];
  const readyMs: number[] = [];
  await page.getByTestId('users-search').click();
  for (const word of words) {
    await page.getByTestId('users-search').fill('');
    await page.waitForTimeout(50);
    let typed = '';
    for (const ch of word) {
      typed += ch;
      const r = await measureKey(page, ch, typed, expected);
      ([...typed].length >= 3 ? substringMs : prefixMs).push(r.ms);
      readyMs.push(r.readyMs);
    }
  }
  return { prefixMs, substringMs, readyMs };
}

/**
 * The keys the Users bench typed before issue 14 (the whole directory in the
 * page): each query typed a key at a time, then deleted with Backspace a key
 * at a time (broadening: every match set grows back). Each key until the
 * rows for its text are painted; in ms, in order.
 */
export async function typeAndDelete(page: Page, queries: readonly string[], expected: Expected): Promise<number[]> {
  const ms: number[] = [];
  const search = page.getByTestId('users-search');
  await search.fill('');
  await search.click();
  await page.waitForTimeout(300);
  let value = '';
  const key = async (k: string) => {
    const next = k === 'Backspace' ? value.slice(0, -1) : value + k;
    ms.push((await measureKey(page, k, next, expected)).ms);
    value = next;
  };
  for (const q of queries) {
    for (const ch of q) await key(ch);
    while (value.length > 0) await key('Backspace');
  }
  return ms;
}
