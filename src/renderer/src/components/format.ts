/** Display helpers shared by the screens. */
const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

export function formatTime(epochMs: number): string {
  return dateTime.format(new Date(epochMs));
}

export function formatRelative(epochMs: number, now = Date.now()): string {
  const s = Math.round((now - epochMs) / 1000);
  if (s < 45) return 'just now';
  if (s < 3600) return `${String(Math.round(s / 60))} min ago`;
  if (s < 86_400) return `${String(Math.round(s / 3600))} h ago`;
  return `${String(Math.round(s / 86_400))} d ago`;
}
