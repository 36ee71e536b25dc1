/**
 * Database failures as typed, actionable errors: unreachable server, failed
 * login, missing table or column (or a schema that changed under the
 * console), permission denied, a read-only file. Messages name the server or
 * file and the mapped names, never a password.
 */
import { AppError } from '../../../shared/errors.ts';

/** `details.reason` of a database error, for the UI and tests. */
export type DbReason = 'unreachable' | 'login' | 'schema' | 'permission' | 'read_only' | 'busy' | 'tls' | 'conflict';

function fail(
  code: ConstructorParameters<typeof AppError>[0],
  reason: DbReason,
  message: string,
  cause: unknown,
): AppError {
  return new AppError(code, message, { details: { reason }, cause });
}

/** Maps a pg or node:sqlite error (anything else passes through as internal). `where`: "PostgreSQL at host:5432" or the file. */
export function dbError(error: unknown, where: string): AppError {
  if (error instanceof AppError) return error;
  const e = error as { code?: unknown; message?: unknown; errcode?: unknown; errstr?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  const text = typeof e.message === 'string' ? e.message : '';
  // node:sqlite: code ERR_SQLITE_ERROR and the SQLite message.
  if (code === 'ERR_SQLITE_ERROR') {
    if (/no such (table|column)/i.test(text))
      return fail('missing', 'schema', `${where}: ${text} (the mapping does not match the file's schema).`, error);
    if (/readonly|read-only|attempt to write/i.test(text))
      return fail('forbidden', 'read_only', `${where} is read-only for this console.`, error);
    if (/locked|busy/i.test(text))
      return fail('conflict', 'busy', `${where} is busy (the application holds a write lock). Try again.`, error);
    if (/UNIQUE constraint/i.test(text)) return fail('conflict', 'conflict', `${where}: ${text}.`, error);
    if (/unable to open|not a database|disk I\/O/i.test(text))
      return fail('network', 'unreachable', `${where} cannot be opened (${text}).`, error);
    return new AppError('internal', `${where}: ${text}`, { cause: error });
  }
  if (['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN'].includes(code))
    return fail('network', 'unreachable', `${where} cannot be reached (${code}).`, error);
  if (/Connection terminated|connection timeout|Client has encountered a connection error/i.test(text))
    return fail('network', 'unreachable', `${where}: the connection was lost (${text}).`, error);
  if (/client password must be a string|no password (was )?supplied/i.test(text))
    return fail('unauthorized', 'login', `${where} asks for a password and none was given.`, error);
  if (/self[- ]signed|certificate|SSL|TLS/i.test(text) && !/^\d/.test(code))
    return fail('network', 'tls', `${where}: TLS failed (${text}).`, error);
  switch (code) {
    case '28P01':
    case '28000':
      return fail('unauthorized', 'login', `${where} refused the login (wrong user or password).`, error);
    case '3D000':
      return fail('missing', 'login', `${where}: the database does not exist.`, error);
    case '42P01':
    case '42703':
      return fail(
        'missing',
        'schema',
        `${where}: ${text} (the mapping does not match the database's schema; check it again).`,
        error,
      );
    case '42501':
      return fail('forbidden', 'permission', `${where}: permission denied (${text}).`, error);
    case '25006':
      return fail('forbidden', 'read_only', `${where} is read-only (${text}).`, error);
    case '23505':
      return fail('conflict', 'conflict', `${where}: ${text}.`, error);
    case '40001':
    case '40P01':
      return new AppError('conflict', `${where}: ${text} (another writer; try again).`, {
        retryable: true,
        details: { reason: 'busy' },
        cause: error,
      });
    case '57014':
      return new AppError('timeout', `${where}: the statement timed out.`, { cause: error });
    case '57P01':
    case '57P03':
    case '08006':
    case '08001':
    case '08003':
      return fail('network', 'unreachable', `${where}: the connection was lost (${text}).`, error);
  }
  return new AppError('internal', `${where}: ${text || 'the database failed'}`, { cause: error });
}

/**
 * Marks a failed write transaction: `details.committed` is 'no' when it
 * failed before COMMIT (rolled back: nothing was written), 'unknown' when
 * COMMIT itself lost its answer.
 */
export function committedOrNot(error: AppError, committing: boolean): AppError {
  return new AppError(error.code, error.message, {
    retryable: error.retryable,
    details: { ...error.details, committed: committing ? 'unknown' : 'no' },
    cause: error.cause,
  });
}
