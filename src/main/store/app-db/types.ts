/**
 * An application directory: the application's own users table (in
 * PostgreSQL or an SQLite file), read and written through a mapping
 * (src/shared/directory-source.ts). Both kinds implement this interface;
 * services never see SQL or the driver.
 *
 * The console writes only the mapped IAMPASS ID (a column, or rows of a
 * token table) and never changes the schema unless `applyDdl` is called
 * with statements the admin was shown.
 */
import type { TeamLedger } from './team.ts';
import { AppError } from '../../../shared/errors.ts';
import type { DirectoryMapping, SourceCheck, SourceUser, TableInfo } from '../../../shared/directory-source.ts';

export type { SourceUser, TableInfo };

/** What a claim found for one user. */
export type ClaimOutcome =
  /** The proposed ID is now the user's (it was empty, or already this ID). */
  | { userId: string; state: 'claimed'; iampassId: string }
  /** The user already had another ID: that one is the user's (never two). */
  | { userId: string; state: 'had'; iampassId: string }
  /** Not in the application's users table. */
  | { userId: string; state: 'missing' };

/**
 * `all`: changes with any mapped value; `users`: with the users, their IDs
 * and names but not their IAMPASS IDs, which only consoles write (and
 * announce): a watching console compares this one, so its own writes do not
 * start a sync of the whole table.
 */
export interface Fingerprint {
  all: string;
  users: string;
}

export interface AppDirectory {
  readonly kind: 'postgres' | 'sqlite';
  readonly mapping: DirectoryMapping;
  /** Team mode's shared ledger (PostgreSQL with `team` set), else null. */
  readonly team: TeamLedger | null;
  /** Tables and columns the login may see (the mapping wizard's lists). */
  tables(): Promise<TableInfo[]>;
  /** Whether this login may write the IAMPASS ID now (cheap; no write). */
  canWrite(): Promise<boolean>;
  /** The dry run: columns, types, uniqueness, permissions, first rows; writes nothing. */
  check(previewRows?: number): Promise<SourceCheck>;
  /** Users in key order after `afterKey` (null: from the start). */
  scan(afterKey: string | null, limit: number): Promise<SourceUser[]>;
  /** The given users as the application has them now (absent ones left out). */
  byUserIds(userIds: readonly string[]): Promise<SourceUser[]>;
  /**
   * Gives each user the proposed IAMPASS ID unless they already have one, in
   * one transaction: concurrent claims on one user never leave two IDs.
   */
  claim(items: readonly { userId: string; iampassId: string }[]): Promise<ClaimOutcome[]>;
  /** Clears the IAMPASS ID of each user whose ID is still the one given; answers the user IDs cleared. */
  release(items: readonly { userId: string; iampassId: string }[]): Promise<string[]>;
  /** Cheap values that change when the mapped users change: skip a sync when unchanged. */
  fingerprint(): Promise<Fingerprint>;
  /** Tells other consoles on this database which users changed (no-op where the database cannot). */
  announce(userIds: readonly string[]): Promise<void>;
  /** Calls `onChange` with user IDs other consoles announced (`null`: many, sync all); answers the unsubscribe. */
  listen(onChange: (userIds: string[] | null) => void): Promise<() => Promise<void>>;
  /** Runs DDL the admin asked for (each statement from `check().suggestedDdl`). */
  applyDdl(statements: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

/** Quotes an identifier already validated by the mapping's schema (`schema.table` quoted part by part). */
export function quoteName(name: string): string {
  return name
    .split('.')
    .map((p) => `"${p.replaceAll('"', '""')}"`)
    .join('.');
}

/** The channel other consoles listen on for changes to one users table. */
export function channelFor(mapping: DirectoryMapping): string {
  let h = 0x811c9dc5;
  for (const ch of `${mapping.table}\u0000${mapping.userId}`) {
    h ^= ch.codePointAt(0)!;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return `iampass_admin_${h.toString(16).padStart(8, '0')}`;
}

/**
 * A NOTIFY payload: the announcing console's tag (so it ignores its own
 * changes), then the user IDs as JSON. NOTIFY payloads are limited to 8,000
 * bytes: a longer list is sent as `*`, "sync everything".
 */
export function changePayload(origin: string, userIds: readonly string[]): string {
  const json = JSON.stringify(userIds);
  return `${origin} ${Buffer.byteLength(json) > 7_000 ? '*' : json}`;
}

/** The payload's origin and user IDs (null: sync everything). */
export function parseChangePayload(payload: string | undefined): { origin: string; userIds: string[] | null } {
  const space = payload?.indexOf(' ') ?? -1;
  if (!payload || space < 0) return { origin: '', userIds: null };
  const origin = payload.slice(0, space);
  const rest = payload.slice(space + 1);
  if (rest === '*') return { origin, userIds: null };
  try {
    const v: unknown = JSON.parse(rest);
    return { origin, userIds: Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : null };
  } catch {
    return { origin, userIds: null };
  }
}

/** Each item's outcome from the users' IDs as read after the claim (same transaction). */
export function outcomes(
  items: readonly { userId: string; iampassId: string }[],
  current: readonly { user_id: string; iampass_id: string | null }[],
): ClaimOutcome[] {
  const now = new Map(current.map((r) => [r.user_id, r.iampass_id]));
  return items.map((i): ClaimOutcome => {
    if (!now.has(i.userId)) return { userId: i.userId, state: 'missing' };
    const id = now.get(i.userId) ?? null;
    if (id === null) throw new AppError('internal', `The IAMPASS ID of ${i.userId} was not written.`);
    if (id === i.iampassId) return { userId: i.userId, state: 'claimed', iampassId: i.iampassId };
    return { userId: i.userId, state: 'had', iampassId: id };
  });
}

/** A user row as both databases' SELECT answers it (every column as text). */
export interface SourceRow {
  key: string;
  user_id: string;
  display_name: string;
  iampass_id: string | null;
  email: string | null;
  phone: string | null;
}

export function toSourceUser(r: SourceRow): SourceUser {
  return {
    key: r.key,
    userId: r.user_id,
    displayName: r.display_name,
    iampassId: r.iampass_id,
    email: r.email,
    phone: r.phone,
  };
}

/** A mapped table or column that is not there: `missing`, reason `schema`. */
export function schemaError(where: string, what: string): AppError {
  return new AppError('missing', `${where}: ${what}.`, { details: { reason: 'schema' } });
}

/** Every mapped column exists (the token table's, when it exists); else a schema error naming the first missing. */
export function checkMappedColumns(
  m: DirectoryMapping,
  users: ReadonlyMap<string, unknown>,
  tokens: ReadonlyMap<string, unknown> | null,
  where: string,
): void {
  for (const col of mappedColumns(m)) if (!users.has(col)) throw schemaError(where, `${m.table} has no column ${col}`);
  if (m.iampassId.kind === 'table' && tokens)
    for (const col of [m.iampassId.userKey, m.iampassId.column])
      if (!tokens.has(col)) throw schemaError(where, `${m.iampassId.table} has no column ${col}`);
}

/** The users table's mapped columns (each must exist). */
export function mappedColumns(m: DirectoryMapping): string[] {
  return [
    m.key,
    m.userId,
    m.displayName,
    m.email,
    m.phone,
    m.iampassId.kind === 'column' ? m.iampassId.column : undefined,
  ].filter((c): c is string => c !== undefined);
}

/**
 * The users table `u`, joined to the token table `t` when the ID lives
 * there (`tokenTable` answers its quoted name, or throws when it does not
 * exist yet), and the ID's expression.
 */
export function fromClause(m: DirectoryMapping, tokenTable: () => string): { from: string; id: string } {
  const u = `${quoteName(m.table)} u`;
  if (m.iampassId.kind === 'column') return { from: u, id: `u.${quoteName(m.iampassId.column)}` };
  return {
    from: `${u} LEFT JOIN ${tokenTable()} t ON t.${quoteName(m.iampassId.userKey)} = u.${quoteName(m.key)}`,
    id: `t.${quoteName(m.iampassId.column)}`,
  };
}

/**
 * The SELECT both databases answer a user with (every column as text; the
 * ID '' counts as none). CAST … AS TEXT is the same in PostgreSQL and SQLite.
 */
export function selectUsers(m: DirectoryMapping, tokenTable: () => string): string {
  const { from, id } = fromClause(m, tokenTable);
  const text = (expr: string) => `CAST(${expr} AS TEXT)`;
  const opt = (col: string | undefined) => (col === undefined ? 'NULL' : text(`u.${quoteName(col)}`));
  return `SELECT ${text(`u.${quoteName(m.key)}`)} AS key, ${text(`u.${quoteName(m.userId)}`)} AS user_id,
                 coalesce(${opt(m.displayName)}, '') AS display_name, nullif(${text(id)}, '') AS iampass_id,
                 ${opt(m.email)} AS email, ${opt(m.phone)} AS phone
            FROM ${from}`;
}

/** The token table's quoted name; a schema error when the mapping names one that does not exist yet. */
export function tokenTableName(m: DirectoryMapping, exists: boolean, where: string): string {
  if (m.iampassId.kind !== 'table') throw new AppError('internal', 'Not a token-table mapping.');
  if (!exists) throw schemaError(where, `the token table ${m.iampassId.table} does not exist (create it first)`);
  return quoteName(m.iampassId.table);
}
