/** Times, counts and the clock as every screen shows them (the user's locale). */
import { useEffect, useState } from 'react';

const dateTimeFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const dayFmt = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
const clockFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const shortDayFmt = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });

/** A moment to the second, with its date: "5 Dec 2026, 14:03:07". */
export const dateTime = (at: number): string => dateTimeFmt.format(at);

/** A day: "5 Dec 2026". */
export const day = (at: number): string => dayFmt.format(at);

/** A time of day ("14:03:07"); not today, the day goes before it ("4 Dec 14:03:07"). */
export function clockTime(at: number, now = Date.now()): string {
  const d = new Date(at);
  return new Date(now).toDateString() === d.toDateString()
    ? clockFmt.format(d)
    : `${shortDayFmt.format(d)} ${clockFmt.format(d)}`;
}

/** "just now", "3 min ago", "2 h ago", "5 d ago". */
export function ago(at: number, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - at) / 1000));
  if (s < 45) return 'just now';
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.round(m / 60);
  if (h < 48) return `${h} h ago`;
  return `${Math.round(h / 24)} d ago`;
}

/** "1 user", "1,204 users". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

/** The current time, renewed every `ms` (re-renders the component that reads it). */
export function useNow(ms = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}
