import type { DeviceState } from '../../../../shared/ipc/users.ts';

export const DEVICE_LABEL: Record<DeviceState, string> = {
  registered: 'Registered',
  not_registered: 'Not registered',
  unknown: 'Unknown',
};

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

const dateFmt = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
const dateTimeFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
export const day = (at: number) => dateFmt.format(at);
export const dateTime = (at: number) => dateTimeFmt.format(at);

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}
