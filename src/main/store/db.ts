/**
 * The local store: one SQLite file (node:sqlite) at a path the caller gives
 * (the console's user-data folder; tests and the CLI pass their own).
 * WAL, foreign keys, a busy timeout, and versioned migrations tracked in
 * `PRAGMA user_version`, each step in its own transaction.
 */
import { closeSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { AppError } from '../../shared/errors.ts';
import { ensurePrivateDir, PRIVATE_FILE_MODE, tightenFile } from '../../node/files.ts';
import { MIGRATIONS, type Migration } from './migrations.ts';

export interface Store {
  readonly db: DatabaseSync;
  readonly path: string;
  /** Runs `fn` in one IMMEDIATE transaction (nested calls join the outer one). */
  transaction<T>(fn: () => T): T;
  /** Runs `fn`'s reads in one (deferred) transaction, so they see one state of the database; inside a transaction, in it. */
  read<T>(fn: () => T): T;
  /** Inside `read` (and no write transaction): what is read cannot be rolled back. */
  readonly reading: boolean;
  close(): void;
}

export interface OpenStoreOptions {
  /** Stop migrating at this version (tests of upgrades). Defaults to the latest. */
  targetVersion?: number;
  busyTimeoutMs?: number;
  /** Override the migration list (tests). */
  migrations?: readonly Migration[];
}

export const LATEST_VERSION = MIGRATIONS.length === 0 ? 0 : MIGRATIONS[MIGRATIONS.length - 1]!.version;

export function userVersion(db: DatabaseSync): number {
  const row = db.prepare('PRAGMA user_version').get() as { user_version: number } | undefined;
  return row?.user_version ?? 0;
}

function migrate(db: DatabaseSync, migrations: readonly Migration[], target: number): void {
  const current = userVersion(db);
  const latest = migrations.length === 0 ? 0 : migrations[migrations.length - 1]!.version;
  if (current > latest) {
    throw new AppError(
      'conflict',
      `The data file was written by a newer version of IAMPASS Admin (schema ${current}; this version knows up to ${latest}). Update the application.`,
      { details: { schemaVersion: current, supported: latest } },
    );
  }
  for (const step of migrations) {
    if (step.version <= current || step.version > target) continue;
    db.exec('BEGIN IMMEDIATE');
    // Another process may have applied this step while this one waited for the write lock.
    if (userVersion(db) >= step.version) {
      db.exec('COMMIT');
      continue;
    }
    try {
      step.up(db);
      db.exec(`PRAGMA user_version = ${String(step.version)}`);
      db.exec('COMMIT');
    } catch (error) {
      db.exec('ROLLBACK');
      throw new AppError('internal', `Upgrading the local store to schema ${String(step.version)} failed.`, {
        cause: error,
      });
    }
  }
}

/** SQLITE_BUSY after the busy timeout: another process (a second window, the CLI) holds the write lock. */
function mapBusy(error: unknown): unknown {
  if (error instanceof Error && !(error instanceof AppError) && /database is locked|SQLITE_BUSY/i.test(error.message)) {
    return new AppError(
      'conflict',
      'The local store is busy (another IAMPASS Admin window or the CLI is writing to it). Try again.',
      {
        retryable: true,
        cause: error,
      },
    );
  }
  return error;
}

export function openStore(path: string, options: OpenStoreOptions = {}): Store {
  const migrations = options.migrations ?? MIGRATIONS;
  // Owner-only: the folder 0700, the database 0600 before SQLite opens it, so
  // the -wal and -shm files it creates take the same mode (SQLite copies the
  // database file's mode); leftovers of a looser past are tightened too.
  let db: DatabaseSync;
  try {
    ensurePrivateDir(dirname(path));
    closeSync(openSync(path, 'a', PRIVATE_FILE_MODE));
    for (const file of [path, `${path}-wal`, `${path}-shm`, `${path}-journal`]) tightenFile(file);
    db = new DatabaseSync(path);
  } catch (error) {
    throw new AppError('internal', 'The local store could not be opened.', { cause: error });
  }
  try {
    db.exec(`PRAGMA busy_timeout = ${String(options.busyTimeoutMs ?? 5000)}`);
    db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA synchronous = NORMAL');
    db.exec('PRAGMA foreign_keys = ON');
    migrate(db, migrations, options.targetVersion ?? Number.MAX_SAFE_INTEGER);
  } catch (error) {
    db.close();
    throw error;
  }
  let depth = 0;
  let reading = false;
  return {
    db,
    path,
    transaction<T>(fn: () => T): T {
      if (depth > 0) {
        depth++;
        try {
          return fn();
        } finally {
          depth--;
        }
      }
      depth = 1;
      try {
        db.exec('BEGIN IMMEDIATE');
        const result = fn();
        db.exec('COMMIT');
        return result;
      } catch (error) {
        if (db.isTransaction) db.exec('ROLLBACK');
        throw mapBusy(error);
      } finally {
        depth = 0;
      }
    },
    read<T>(fn: () => T): T {
      if (db.isTransaction) return fn();
      db.exec('BEGIN');
      reading = true;
      try {
        return fn();
      } finally {
        reading = false;
        if (db.isTransaction) db.exec('COMMIT');
      }
    },
    get reading() {
      return reading;
    },
    close(): void {
      if (db.isOpen) db.close();
    },
  };
}
