// The screens' notices (Sessions, Users): a success goes by itself after
// OK_NOTICE_MS, an error stays, and an older notice's timer never clears a
// newer one. The clock is vitest's.
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { expireNotice, OK_NOTICE_MS } from '../../../src/renderer/src/components/expire.ts';

type Notice = { tone: 'ok' | 'error'; text: string };
let shown: Notice | null = null;
const show = (n: Notice) => {
  shown = n;
  expireNotice(
    n,
    () => shown,
    () => (shown = null),
  );
};

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

it('clears a success after its time, keeps an error, and never clears a newer notice', () => {
  show({ tone: 'ok', text: 'Authentication request sent.' });
  vi.advanceTimersByTime(OK_NOTICE_MS - 1);
  expect(shown?.text).toBe('Authentication request sent.');
  vi.advanceTimersByTime(1);
  expect(shown).toBeNull();

  show({ tone: 'error', text: 'The service refused.' });
  vi.advanceTimersByTime(OK_NOTICE_MS * 10);
  expect(shown?.text).toBe('The service refused.');

  show({ tone: 'ok', text: 'first' });
  vi.advanceTimersByTime(OK_NOTICE_MS / 2);
  show({ tone: 'ok', text: 'second' });
  vi.advanceTimersByTime(OK_NOTICE_MS / 2);
  expect(shown?.text).toBe('second');
  vi.advanceTimersByTime(OK_NOTICE_MS / 2);
  expect(shown).toBeNull();
});
