/** Opens a profile's application directory (PostgreSQL or an SQLite file) from its source and the keychain's password. */
import type { DirectorySource, PostgresConnection } from '../../../shared/directory-source.ts';
import { openPostgresDirectory, postgresTables } from './postgres.ts';
import { openSqliteDirectory, sqliteTables } from './sqlite-file.ts';
import type { AppDirectory, TableInfo } from './types.ts';

export type { AppDirectory, ClaimOutcome, TableInfo } from './types.ts';

export interface OpenAppDirectoryOptions {
  /** PostgreSQL only; null when the login needs none. */
  password?: string | null;
  connectTimeoutMs?: number;
  /** SQLite only: how often other writers are looked for. */
  pollMs?: number;
}

export async function openAppDirectory(
  source: DirectorySource,
  options: OpenAppDirectoryOptions = {},
): Promise<AppDirectory> {
  if (source.kind === 'sqlite')
    return openSqliteDirectory({
      path: source.path,
      mapping: source.mapping,
      ...(options.pollMs === undefined ? {} : { pollMs: options.pollMs }),
    });
  return openPostgresDirectory({
    connection: source.connection,
    mapping: source.mapping,
    team: source.team,
    password: options.password ?? null,
    ...(options.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: options.connectTimeoutMs }),
  });
}

/** The tables a connection may read (no mapping yet). */
export async function listTables(
  where: { kind: 'postgres'; connection: PostgresConnection } | { kind: 'sqlite'; path: string },
  options: OpenAppDirectoryOptions = {},
): Promise<TableInfo[]> {
  if (where.kind === 'sqlite') return sqliteTables(where.path);
  return postgresTables({
    connection: where.connection,
    password: options.password ?? null,
    ...(options.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: options.connectTimeoutMs }),
  });
}
