// Layout checks for E2E tests (issue 16): in the page's main content, no
// element scrolls sideways (a <pre> or an element marked data-scroll-x may),
// and text cut by its box ends in an ellipsis with its full text in a title
// (on the element or an ancestor); text hidden for screen readers only
// (.visually-hidden) is left alone. Evaluated in the page as a string: the
// tests compile without the DOM library.
import type { ConsoleUnderTest } from './harness.ts';

const CHECK = `(() => {
  const out = [];
  const name = (el) => el.tagName.toLowerCase() + (el.dataset.testid ? '[' + el.dataset.testid + ']' : '') +
    (typeof el.className === 'string' && el.className ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
  const root = document.querySelector('main') ?? document.body;
  for (const el of root.querySelectorAll('*')) {
    if (el.closest('pre, [data-scroll-x], svg, canvas, .visually-hidden')) continue;
    const cs = getComputedStyle(el);
    if (cs.display === 'none' || cs.visibility === 'hidden' || el.getClientRects().length === 0) continue;
    const over = el.scrollWidth - el.clientWidth;
    if (over <= 1) continue;
    if (cs.overflowX === 'auto' || cs.overflowX === 'scroll') {
      out.push('scrolls sideways by ' + over + 'px: ' + name(el));
      continue;
    }
    if (cs.overflowX !== 'hidden' && cs.overflowX !== 'clip') continue;
    const text = (el.textContent ?? '').trim();
    if (text === '') continue;
    // A box whose text sits in child elements shows no ellipsis of its own: a child must end in one.
    const ellipsis = (d) => {
      const ds = getComputedStyle(d);
      return ds.textOverflow === 'ellipsis' && (ds.overflowX === 'hidden' || ds.overflowX === 'clip');
    };
    const cutChildEllipsized = [...el.querySelectorAll('*')].some((d) => d.scrollWidth > d.clientWidth && ellipsis(d));
    // (Screen-reader-only children are not shown: they hold no visible text.)
    const shownChildren = [...el.children].filter((c) => !c.classList.contains('visually-hidden'));
    if (cs.textOverflow !== 'ellipsis' || (shownChildren.length > 0 && !cutChildEllipsized)) {
      out.push('cut without an ellipsis: ' + name(el) + ' "' + text.slice(0, 40) + '"');
      continue;
    }
    let titled = false;
    for (let a = el; a && a !== root; a = a.parentElement) {
      const t = a.getAttribute('title');
      if (t && t.includes(text)) { titled = true; break; }
    }
    if (!titled && !el.querySelector('[title]')) out.push('cut without its full text in a title: ' + name(el) + ' "' + text.slice(0, 40) + '"');
  }
  return out;
})()`;

/** What the layout check found in the page's main content (empty: none). */
export function layoutProblems(page: ConsoleUnderTest['page']): Promise<string[]> {
  return page.evaluate<string[]>(CHECK);
}

/** The window sizes every changed view is checked and photographed at. */
export const SIZES = [
  { width: 1280, height: 800 },
  { width: 1024, height: 768 },
] as const;

/** Runs `each` with the page at every size of SIZES, in turn (the page is left at the last one). */
export async function atEachSize(
  page: ConsoleUnderTest['page'],
  each: (width: number) => Promise<unknown>,
): Promise<void> {
  for (const size of SIZES) {
    await page.setViewportSize(size);
    await each(size.width);
  }
}
