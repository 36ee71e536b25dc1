/**
 * Writing a directory query's rows as CSV or JSON to a stream, row by row
 * with backpressure (memory stays one chunk at 1,000,000 users): used by the
 * console's "Export…" job and the CLI's `users export` / `users list`.
 * CSV goes through the project's one CSV writer (csv.ts).
 */
import { once } from 'node:events';
import type { ExportFormat } from '../../shared/ipc/users.ts';
import type { DirectoryUser } from '../store/directory.ts';
import { csvChunks } from './csv.ts';

export const EXPORT_FIELDS = [
  'user_id',
  'display_name',
  'iampass_id',
  'device_state',
  'device_checked_at',
  'added_at',
  'last_auth_at',
] as const;

export function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/** One exported user as JSON (times ISO 8601 UTC or null; the `users list --json` row shape). */
export function userJson(u: DirectoryUser) {
  return {
    userId: u.userId,
    displayName: u.displayName,
    iampassId: u.iampassId,
    deviceState: u.deviceState,
    deviceCheckedAt: isoOrNull(u.deviceCheckedAt),
    addedAt: isoOrNull(u.addedAt),
    lastAuthAt: isoOrNull(u.lastAuthAt),
  };
}

function* csvRows(users: Iterable<DirectoryUser>, onRow: () => void): Generator<(string | null)[]> {
  for (const u of users) {
    onRow();
    yield [
      u.userId,
      u.displayName,
      u.iampassId,
      u.deviceState,
      isoOrNull(u.deviceCheckedAt),
      isoOrNull(u.addedAt),
      isoOrNull(u.lastAuthAt),
    ];
  }
}

/** JSON text chunks: `[`, then rows (one per line, ~1000 per chunk), then `]`. */
function* jsonChunks(users: Iterable<DirectoryUser>, onRow: () => void, chunkRows = 1000): Generator<string> {
  let buf = '[';
  let n = 0;
  for (const u of users) {
    onRow();
    buf += `${n === 0 ? '\n' : ',\n'}${JSON.stringify(userJson(u))}`;
    if (++n % chunkRows === 0) {
      yield buf;
      buf = '';
    }
  }
  yield `${buf}${n === 0 ? ']' : '\n]'}\n`;
}

/** The export's text, lazily, in chunks. */
export function exportChunks(
  users: Iterable<DirectoryUser>,
  format: ExportFormat,
  onRow: () => void,
): Iterable<string> {
  return format === 'csv' ? csvChunks(EXPORT_FIELDS, csvRows(users, onRow)) : jsonChunks(users, onRow);
}

/**
 * Writes chunks to a stream, waiting for `drain` whenever it asks to (a slow
 * pipe or disk never makes the process buffer the whole export). Rejects when
 * the stream errors (a closed pipe) or the signal aborts.
 */
export async function writeChunks(
  out: NodeJS.WritableStream,
  chunks: Iterable<string>,
  signal?: AbortSignal,
): Promise<void> {
  for (const chunk of chunks) {
    signal?.throwIfAborted();
    if (!out.write(chunk)) await once(out as NodeJS.EventEmitter, 'drain', signal ? { signal } : {});
  }
}
