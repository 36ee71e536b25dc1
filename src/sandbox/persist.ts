/**
 * Crash-safe persistence of the sandbox state: the whole snapshot is written
 * to a temporary file beside the target (mode 0600), fsynced, renamed over the
 * target, and the directory fsynced. Writes are debounced; `flush()` writes
 * now. A crash leaves either the old or the new file, never a torn one.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync, chmodSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';

export function readDataFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  return JSON.parse(text) as unknown;
}

export function writeDataFileSync(path: string, data: unknown): void {
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, JSON.stringify(data));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    chmodSync(tmp, 0o600);
    renameSync(tmp, path);
  } catch (error) {
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
    throw error;
  }
  try {
    const dir = openSync(dirname(path), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  } catch {
    // Some filesystems refuse fsync on a directory; the rename is still atomic.
  }
}

/**
 * Writes the state after a change, batched: changes within `delayMs` share
 * one atomic write (group commit). A change is acknowledged only once it is
 * on disk: the server awaits `durable()` before it answers a request that
 * changed something, so a SIGKILL can lose only changes it never
 * acknowledged.
 */
export class Persister {
  readonly #path: string;
  readonly #snapshot: () => unknown;
  readonly #delayMs: number;
  readonly #onError: (error: unknown) => void;
  #timer: NodeJS.Timeout | null = null;
  /** Waiters of the write that is due: resolved (or rejected) by it. */
  #waiters: { resolve: () => void; reject: (error: unknown) => void }[] = [];

  constructor(path: string, snapshot: () => unknown, onError: (error: unknown) => void, delayMs = 50) {
    this.#path = path;
    this.#snapshot = snapshot;
    this.#delayMs = delayMs;
    this.#onError = onError;
  }

  /** Something changed: write soon. */
  touch(): void {
    if (this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#write();
    }, this.#delayMs);
  }

  /** Resolves once every change made so far is on disk (at once when none is waiting); rejects when that write fails. */
  durable(): Promise<void> {
    if (!this.#timer) return Promise.resolve();
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /** Writes now if a write is due. */
  flush(): void {
    if (!this.#timer) return;
    clearTimeout(this.#timer);
    this.#timer = null;
    this.#write();
  }

  /** Writes now unconditionally. */
  writeNow(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#write();
  }

  #write(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    try {
      writeDataFileSync(this.#path, this.#snapshot());
    } catch (error) {
      this.#onError(error);
      for (const w of waiters) w.reject(error);
      return;
    }
    for (const w of waiters) w.resolve();
  }
}
