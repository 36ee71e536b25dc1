/**
 * Owner-only files and folders. The store, the sandbox's data, exports and
 * saved registration codes hold the directory, session tokens, status URLs or
 * bearer links: they are created 0600 in 0700 folders, and a file or folder
 * the project reuses (it existed already, with looser modes) is tightened
 * before anything is written to it. On Windows the modes are not POSIX and
 * these calls only create.
 */
import {
  chmodSync,
  closeSync,
  createWriteStream,
  fchmodSync,
  fstatSync,
  mkdirSync,
  openSync,
  statSync,
  writeSync,
  type WriteStream,
} from 'node:fs';
import { open } from 'node:fs/promises';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

const posix = process.platform !== 'win32';

/** Ours to tighten: owned by this process's user (never chmod someone else's folder, e.g. a shared /tmp). */
function ownedByUs(uid: number): boolean {
  return typeof process.getuid !== 'function' || process.getuid() === uid;
}

/** Creates the folder 0700 (and its missing parents), or tightens an existing one of ours to 0700. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  if (!posix) return;
  const st = statSync(dir);
  if ((st.mode & 0o077) !== 0 && ownedByUs(st.uid)) chmodSync(dir, PRIVATE_DIR_MODE);
}

/** Tightens an existing file of ours to 0600 (a no-op when it does not exist). */
export function tightenFile(path: string): void {
  if (!posix) return;
  try {
    const st = statSync(path);
    if ((st.mode & 0o077) !== 0 && ownedByUs(st.uid)) chmodSync(path, PRIVATE_FILE_MODE);
  } catch (error) {
    // Gone in between (another process closed the database and SQLite removed its -wal/-shm): nothing to tighten.
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/**
 * Writes a whole file owner-only: created 0600, and an existing file is set
 * to 0600 before its new content is written (a plain write keeps the old mode).
 */
export function writePrivateFileSync(path: string, data: string | Uint8Array): void {
  const fd = openSync(path, 'w', PRIVATE_FILE_MODE);
  try {
    if (posix && (fstatSync(fd).mode & 0o077) !== 0) fchmodSync(fd, PRIVATE_FILE_MODE);
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
  } finally {
    closeSync(fd);
  }
}

/** The same, without blocking the event loop (the Electron layer's saves). */
export async function writePrivateFile(path: string, data: string | Uint8Array): Promise<void> {
  const handle = await open(path, 'w', PRIVATE_FILE_MODE);
  try {
    if (posix && ((await handle.stat()).mode & 0o077) !== 0) await handle.chmod(PRIVATE_FILE_MODE);
    await handle.writeFile(data);
  } finally {
    await handle.close();
  }
}

/**
 * A write stream to a file owner-only (created 0600; an existing file is set
 * to 0600 before anything is written): for exports written row by row.
 */
export function createPrivateWriteStream(path: string): WriteStream {
  const fd = openSync(path, 'w', PRIVATE_FILE_MODE);
  try {
    if (posix && (fstatSync(fd).mode & 0o077) !== 0) fchmodSync(fd, PRIVATE_FILE_MODE);
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  return createWriteStream('', { fd, autoClose: true });
}
