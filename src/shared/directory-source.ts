/**
 * Where a profile's user directory lives, and how the application's users
 * table maps onto it. The embedded store is the default; an application
 * directory is a PostgreSQL database or an application's SQLite file, read
 * and written through this mapping (docs/directory.md).
 *
 * Identifiers are plain SQL names (letters, digits, `_`, `$`; a table may be
 * `schema.table`): they are quoted by the store, never interpolated raw, and
 * anything else is refused before a connection is made.
 */
import { z } from 'zod';

const IDENT = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;
export const identifier = z
  .string()
  .regex(IDENT, 'A column name: letters, digits, _ or $, not starting with a digit (at most 63 characters).');
export const tableName = z
  .string()
  .max(127)
  .refine(
    (s) => {
      const parts = s.split('.');
      return parts.length <= 2 && parts.every((p) => IDENT.test(p));
    },
    { message: 'A table name: name or schema.name, each letters, digits, _ or $.' },
  );

/** Where the IAMPASS ID lives: a column on the users table, or rows of a token table keyed to it. */
export const iampassIdPlace = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('column'), column: identifier }).strict(),
  z
    .object({
      kind: z.literal('table'),
      table: tableName,
      /** The token table's column holding the users table's key (a foreign key). */
      userKey: identifier,
      /** The token table's column holding the IAMPASS ID. */
      column: identifier,
    })
    .strict(),
]);
export type IampassIdPlace = z.infer<typeof iampassIdPlace>;

export const directoryMapping = z
  .object({
    /** The application's users table. */
    table: tableName,
    /** Its primary key (or any unique, non-null column). */
    key: identifier,
    /** The user ID the admin sees and types (unique). */
    userId: identifier,
    displayName: identifier.optional(),
    email: identifier.optional(),
    phone: identifier.optional(),
    iampassId: iampassIdPlace,
  })
  .strict();
export type DirectoryMapping = z.infer<typeof directoryMapping>;

export const SSL_MODES = ['disable', 'require', 'verify-ca', 'verify-full'] as const;
export type SslMode = (typeof SSL_MODES)[number];

export const postgresConnection = z
  .object({
    host: z.string().min(1).max(253),
    port: z.number().int().min(1).max(65_535).default(5432),
    database: z.string().min(1).max(63),
    user: z.string().min(1).max(63),
    /** libpq's sslmode; `verify-ca`/`verify-full` check the server against `caFile` (or the system's CAs). */
    sslmode: z.enum(SSL_MODES).default('disable'),
    caFile: z.string().min(1).max(4096).optional(),
  })
  .strict();
export type PostgresConnection = z.infer<typeof postgresConnection>;

/**
 * Team mode (PostgreSQL only): the consoles on this database share their
 * unsettled changes and their audit log in a schema of their own
 * (docs/directory.md#team-mode).
 */
export const teamOptions = z.object({ schema: identifier.default('iampass_console') }).strict();
export type TeamOptions = z.infer<typeof teamOptions>;

export const directorySource = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('postgres'),
      connection: postgresConnection,
      mapping: directoryMapping,
      team: teamOptions.optional(),
    })
    .strict(),
  z.object({ kind: z.literal('sqlite'), path: z.string().min(1).max(4096), mapping: directoryMapping }).strict(),
]);
export type DirectorySource = z.infer<typeof directorySource>;

/** Where to connect, before a mapping exists (the wizard's first step: list the tables). */
export const directoryConnection = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('postgres'), connection: postgresConnection }).strict(),
  z.object({ kind: z.literal('sqlite'), path: z.string().min(1).max(4096) }).strict(),
]);
export type DirectoryConnectionInput = z.input<typeof directoryConnection>;

/** Where a profile's users live, as the console shows it. */
export interface DirectoryInfo {
  kind: 'embedded' | 'postgres' | 'sqlite';
  /** e.g. "postgresql://console@db:5432/shop customers.email"; null when embedded. */
  label: string | null;
  /** The login may not write the IAMPASS ID: adds and deletes are refused. */
  readOnly: boolean;
  syncedAt: number | null;
  /** Team mode: the schema where the consoles share changes and the audit log; null otherwise. */
  team: string | null;
}
export type DirectorySourceInput = z.input<typeof directorySource>;

/** What the dry run found: every check with its outcome; `ok` when the console can use the mapping. */
export interface SourceCheck {
  ok: boolean;
  /** The database user may write the IAMPASS ID (column update, or token-table insert and delete). */
  writable: boolean;
  users: number;
  withIampassId: number;
  checks: { name: string; ok: boolean; detail: string }[];
  /** The first rows as the console will see them. */
  preview: SourceUser[];
  /** DDL the admin may choose to run (a token table, recommended indexes); never run unasked. */
  suggestedDdl: string[];
}

/** A table a login may read, with its columns (the mapping wizard's lists). */
export interface TableInfo {
  name: string;
  columns: { name: string; type: string; nullable: boolean }[];
}

/** One user of the application as the console sees it. */
export interface SourceUser {
  key: string;
  userId: string;
  displayName: string;
  iampassId: string | null;
  email: string | null;
  phone: string | null;
}

/** A one-line description of a source for lists and the audit (no password: it is never part of the source). */
export function describeSource(source: DirectorySource): string {
  const { mapping } = source;
  const where =
    source.kind === 'postgres'
      ? `postgresql://${source.connection.user}@${source.connection.host}:${source.connection.port}/${source.connection.database}`
      : `sqlite:${source.path}`;
  return `${where} ${mapping.table}.${mapping.userId}`;
}
