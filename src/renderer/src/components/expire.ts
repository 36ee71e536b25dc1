/** How long a success notice shows. */
export const OK_NOTICE_MS = 6000;

/**
 * After a notice is shown: a success (tone `ok`) is cleared after
 * OK_NOTICE_MS unless another notice replaced it; anything else stays until
 * dismissed or replaced.
 */
export function expireNotice<N extends { tone: string }>(
  notice: N | null,
  current: () => N | null,
  clear: () => void,
): void {
  if (notice?.tone !== 'ok') return;
  setTimeout(() => {
    if (current() === notice) clear();
  }, OK_NOTICE_MS);
}
