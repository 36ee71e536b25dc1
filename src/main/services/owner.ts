/**
 * Who holds an intent: this process, as `<host>:<pid>:<tag>`. Another process
 * on this machine is alive while its pid is (signal 0); an owner on another
 * machine (a shared database) is taken as alive. A dead owner's intents are
 * recovered; a live one's are left alone.
 */
import { randomUUID } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import type { ErrorInfo } from '../../shared/errors.ts';

export const PROCESS_OWNER = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;

/** The owner of intents taken over from another console (team mode): no process holds them, recovery settles them. */
export const ADOPTED_OWNER = `${hostname()}:0:adopted`;

/** Which admin this process acts for, as the audit records it: "OS user@machine". */
export const ADMIN = `${osUser()}@${hostname()}`;

function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    // No passwd entry for this uid (some containers).
    return process.env['USER'] ?? process.env['USERNAME'] ?? `uid ${process.getuid?.() ?? '?'}`;
  }
}

export function ownerAlive(owner: string): boolean {
  if (owner === PROCESS_OWNER) return true;
  const [host, pidText] = owner.split(':');
  if (host !== hostname()) return true;
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  // A pid that is ours but with another tag: an earlier process whose pid was reused by this one.
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Connection failures that happen before a request leaves this machine: the service never saw it. */
const NOT_SENT_ERRNO = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * Whether a failed call may still have taken effect at IAMPASS: its answer
 * was lost after it was sent (timeout, reset, cancelled in flight), unreadable
 * (truncated, not JSON), or a 5xx. Such an outcome is "unknown, will be
 * checked", never "failed, try again".
 */
export function mayHaveTakenEffect(info: ErrorInfo): boolean {
  switch (info.code) {
    case 'timeout':
    case 'protocol':
    case 'server':
    case 'cancelled':
      return true;
    case 'network':
      return !NOT_SENT_ERRNO.has(String(info.details?.errno ?? ''));
    default:
      return false;
  }
}
