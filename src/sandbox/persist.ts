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

export class Persister {
  readonly #path: string;
  readonly #snapshot: () => unknown;
  readonly #delayMs: number;
  readonly #onError: (error: unknown) => void;
  #timer: NodeJS.Timeout | null = null;

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
    try {
      writeDataFileSync(this.#path, this.#snapshot());
    } catch (error) {
      this.#onError(error);
    }
  }
}
