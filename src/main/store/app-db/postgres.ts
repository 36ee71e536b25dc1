/**
 * An application directory in PostgreSQL (node-postgres). Every mapped name
 * is quoted (`quoteName`), every value a parameter. Column types are read
 * from the catalog once, so keyed look-ups compare in the column's own type
 * and use its indexes.
 *
 * Concurrency: a claim is one transaction. The column pattern updates only
 * rows whose ID is still NULL (a concurrent claimer waits on the row lock
 * and then sees the winner's ID); the token-table pattern takes a
 * transaction-level advisory lock per user key (no privilege needed) before
 * inserting where none exists. Other consoles learn of changes by NOTIFY on
 * a channel per users table (no schema needed).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import pg from 'pg';
import { AppError } from '../../../shared/errors.ts';
import type {
  DirectoryMapping,
  PostgresConnection,
  SourceCheck,
  SourceUser,
  TeamOptions,
} from '../../../shared/directory-source.ts';
import { TeamLedger, teamDdl } from './team.ts';
import { dbError } from './errors.ts';
import { pgQuery, pgTransaction } from './pg.ts';
import {
  changePayload,
  channelFor,
  checkMappedColumns,
  fromClause,
  outcomes,
  parseChangePayload,
  quoteName,
  schemaError,
  selectUsers,
  tokenTableName,
  toSourceUser,
  type AppDirectory,
  type ClaimOutcome,
  type Fingerprint,
  type SourceRow,
  type TableInfo,
} from './types.ts';

export interface PostgresDirectoryOptions {
  connection: PostgresConnection;
  /** From the keychain; null: no password (e.g. peer or certificate login). */
  password: string | null;
  mapping: DirectoryMapping;
  /** Team mode: the consoles share changes and the audit log in this schema. */
  team?: TeamOptions | undefined;
  connectTimeoutMs?: number;
  statementTimeoutMs?: number;
}

const TEXT_TYPES = /^(text|character varying(\(\d+\))?|character\(\d+\)|citext|uuid)$/;

function tlsOptions(c: PostgresConnection): false | ConnectionOptions {
  if (c.sslmode === 'disable') return false;
  let ca: string | undefined;
  try {
    ca = c.caFile ? readFileSync(c.caFile, 'utf8') : undefined;
  } catch {
    throw new AppError('invalid_input', `The CA file ${c.caFile ?? ''} cannot be read.`, {
      details: { field: 'caFile' },
    });
  }
  if (c.sslmode === 'require') return { rejectUnauthorized: false };
  return {
    rejectUnauthorized: true,
    ...(ca === undefined ? {} : { ca }),
    // verify-ca: the chain is checked, the host name is not (libpq's meaning).
    ...(c.sslmode === 'verify-ca' ? { checkServerIdentity: () => undefined } : {}),
  };
}

function clientConfig(o: Omit<PostgresDirectoryOptions, 'mapping'>): pg.ClientConfig {
  const c = o.connection;
  return {
    host: c.host,
    port: c.port,
    database: c.database,
    user: c.user,
    ...(o.password === null ? {} : { password: o.password }),
    ssl: tlsOptions(c),
    connectionTimeoutMillis: o.connectTimeoutMs ?? 10_000,
    statement_timeout: o.statementTimeoutMs ?? 60_000,
    application_name: 'iampass-admin',
  };
}

const TABLES_SQL = `SELECT CASE WHEN n.nspname = 'public' THEN c.relname ELSE n.nspname || '.' || c.relname END AS tbl,
         a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, NOT a.attnotnull AS nullable
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
   WHERE c.relkind IN ('r', 'p', 'v') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
     AND n.nspname NOT LIKE 'pg_toast%' AND has_table_privilege(c.oid, 'SELECT')
   ORDER BY 1, a.attnum`;

interface TableRow {
  tbl: string;
  name: string;
  type: string;
  nullable: boolean;
}

function groupTables(rows: readonly TableRow[]): TableInfo[] {
  const out = new Map<string, TableInfo>();
  for (const r of rows) {
    let t = out.get(r.tbl);
    if (!t) out.set(r.tbl, (t = { name: r.tbl, columns: [] }));
    t.columns.push({ name: r.name, type: r.type, nullable: r.nullable });
  }
  return [...out.values()];
}

/** The tables and columns a login may read, before any mapping exists (the wizard's first step). */
export async function postgresTables(options: Omit<PostgresDirectoryOptions, 'mapping'>): Promise<TableInfo[]> {
  const c = options.connection;
  const where = `PostgreSQL at ${c.host}:${c.port}/${c.database}`;
  const client = new pg.Client(clientConfig(options));
  client.on('error', () => undefined);
  try {
    await client.connect();
    return groupTables((await client.query<TableRow>(TABLES_SQL)).rows);
  } catch (error) {
    throw dbError(error, where);
  } finally {
    await client.end().catch(() => undefined);
  }
}

interface Column {
  name: string;
  type: string;
  nullable: boolean;
  hasDefault: boolean;
}

export async function openPostgresDirectory(options: PostgresDirectoryOptions): Promise<AppDirectory> {
  const c = options.connection;
  const where = `PostgreSQL at ${c.host}:${c.port}/${c.database}`;
  const pool = new pg.Pool({ ...clientConfig(options), max: 4, idleTimeoutMillis: 30_000 });
  // An idle client losing its connection must not crash the process: the next query reports it.
  pool.on('error', () => undefined);
  try {
    await pool.query('SELECT 1');
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw dbError(error, where);
  }
  const dir = new PostgresDirectory(pool, options, where);
  try {
    await dir.loadTypes();
  } catch (error) {
    await dir.close();
    throw error;
  }
  return dir;
}

class PostgresDirectory implements AppDirectory {
  readonly kind = 'postgres' as const;
  readonly mapping: DirectoryMapping;
  readonly team: TeamLedger | null;
  readonly #pool: pg.Pool;
  readonly #options: PostgresDirectoryOptions;
  readonly #where: string;
  #users = new Map<string, Column>();
  #tokens: Map<string, Column> | null = null;
  /** Tags this console's announcements. */
  readonly #origin = randomBytes(6).toString('hex');

  constructor(pool: pg.Pool, options: PostgresDirectoryOptions, where: string) {
    this.#pool = pool;
    this.#options = options;
    this.mapping = options.mapping;
    this.#where = where;
    this.team = options.team ? new TeamLedger(pool, options.team.schema, where) : null;
  }

  #q<R extends pg.QueryResultRow>(sql: string, params: unknown[] = [], client?: pg.PoolClient): Promise<R[]> {
    return pgQuery<R>(client ?? this.#pool, this.#where, sql, params);
  }

  async #columns(table: string): Promise<Map<string, Column> | null> {
    const rows = await this.#q<{ name: string; type: string; nullable: boolean; has_default: boolean; rel: string }>(
      `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, NOT a.attnotnull AS nullable,
              a.atthasdef AS has_default, to_regclass($1)::text AS rel
         FROM pg_attribute a
        WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY a.attnum`,
      [quoteName(table)],
    );
    if (rows.length === 0) return null;
    return new Map(
      rows.map((r) => [r.name, { name: r.name, type: r.type, nullable: r.nullable, hasDefault: r.has_default }]),
    );
  }

  /** Reads the mapped columns' types; a missing table or column is a typed `missing` (schema) error. */
  async loadTypes(): Promise<void> {
    const m = this.mapping;
    const users = await this.#columns(m.table);
    if (!users) throw schemaError(this.#where, `the table ${m.table} does not exist (or this login cannot see it)`);
    const tokens = m.iampassId.kind === 'table' ? await this.#columns(m.iampassId.table) : null;
    checkMappedColumns(m, users, tokens, this.#where);
    this.#users = users;
    this.#tokens = tokens;
  }

  #type(col: string): string {
    return this.#users.get(col)!.type;
  }

  #tokenTable(): string {
    return tokenTableName(this.mapping, this.#tokens !== null, this.#where);
  }

  /** The users table, joined to the token table when the ID lives there, and the ID's expression. */
  #from(): { from: string; id: string } {
    return fromClause(this.mapping, () => this.#tokenTable());
  }

  #select(): string {
    return selectUsers(this.mapping, () => this.#tokenTable());
  }

  async tables(): Promise<TableInfo[]> {
    return groupTables(await this.#q<TableRow>(TABLES_SQL));
  }

  async canWrite(): Promise<boolean> {
    const m = this.mapping;
    if (m.iampassId.kind === 'column') {
      const [r] = await this.#q<{ ok: boolean }>('SELECT has_column_privilege($1, $2, $3) AS ok', [
        quoteName(m.table),
        m.iampassId.column,
        'UPDATE',
      ]);
      return r!.ok;
    }
    if (!this.#tokens) return false;
    const [r] = await this.#q<{ ok: boolean }>(
      "SELECT has_table_privilege($1, 'INSERT') AND has_table_privilege($1, 'DELETE') AS ok",
      [quoteName(m.iampassId.table)],
    );
    return r!.ok;
  }

  async scan(afterKey: string | null, limit: number): Promise<SourceUser[]> {
    const k = `u.${quoteName(this.mapping.key)}`;
    // Rows without a key cannot be paged (a null key would restart the scan); rows without a user ID are not users.
    const present = `${k} IS NOT NULL AND u.${quoteName(this.mapping.userId)} IS NOT NULL`;
    const rows =
      afterKey === null
        ? await this.#q<SourceRow>(`${this.#select()} WHERE ${present} ORDER BY ${k} LIMIT $1`, [limit])
        : await this.#q<SourceRow>(
            `${this.#select()} WHERE ${present} AND ${k} > $1::text::${this.#type(this.mapping.key)} ORDER BY ${k} LIMIT $2`,
            [afterKey, limit],
          );
    return rows.map(toSourceUser);
  }

  async byUserIds(userIds: readonly string[]): Promise<SourceUser[]> {
    if (userIds.length === 0) return [];
    const m = this.mapping;
    const rows = await this.#q<SourceRow>(
      `${this.#select()} WHERE u.${quoteName(m.userId)} = ANY($1::text[]::${this.#type(m.userId)}[])`,
      [[...userIds]],
    );
    return rows.map(toSourceUser);
  }

  #transaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return pgTransaction(this.#pool, this.#where, fn);
  }

  async claim(items: readonly { userId: string; iampassId: string }[]): Promise<ClaimOutcome[]> {
    if (items.length === 0) return [];
    const m = this.mapping;
    const uids = items.map((i) => i.userId);
    const ids = items.map((i) => i.iampassId);
    const U = quoteName(m.table);
    const I = quoteName(m.userId);
    const K = quoteName(m.key);
    const itype = this.#type(m.userId);
    const current = await this.#transaction(async (client) => {
      if (m.iampassId.kind === 'column') {
        const C = quoteName(m.iampassId.column);
        await this.#q(
          `UPDATE ${U} u SET ${C} = v.id::${this.#type(m.iampassId.column)}
             FROM unnest($1::text[], $2::text[]) AS v(uid, id)
            WHERE u.${I} = v.uid::${itype} AND (u.${C} IS NULL OR u.${C}::text = '')`,
          [uids, ids],
          client,
        );
      } else {
        const T = this.#tokenTable();
        const FK = quoteName(m.iampassId.userKey);
        const C = quoteName(m.iampassId.column);
        // One advisory lock per user key, in key order: two consoles never both see "no token" for one user.
        await this.#q(
          `SELECT pg_advisory_xact_lock(hashtext($2 || ':' || k))
             FROM (SELECT u.${K}::text AS k FROM ${U} u WHERE u.${I} = ANY($1::text[]::${itype}[]) ORDER BY 1) s`,
          [uids, channelFor(m)],
          client,
        );
        await this.#q(
          `INSERT INTO ${T} (${FK}, ${C})
           SELECT u.${K}, v.id FROM unnest($1::text[], $2::text[]) AS v(uid, id)
             JOIN ${U} u ON u.${I} = v.uid::${itype}
            WHERE NOT EXISTS (SELECT 1 FROM ${T} t WHERE t.${FK} = u.${K})`,
          [uids, ids],
          client,
        );
      }
      const { from, id } = this.#from();
      return this.#q<{ user_id: string; iampass_id: string | null }>(
        `SELECT u.${I}::text AS user_id, nullif(${id}::text, '') AS iampass_id FROM ${from} WHERE u.${I} = ANY($1::text[]::${itype}[])`,
        [uids],
        client,
      );
    });
    return outcomes(items, current);
  }

  async release(items: readonly { userId: string; iampassId: string }[]): Promise<string[]> {
    if (items.length === 0) return [];
    const m = this.mapping;
    const U = quoteName(m.table);
    const I = quoteName(m.userId);
    const itype = this.#type(m.userId);
    const params = [items.map((i) => i.userId), items.map((i) => i.iampassId)];
    if (m.iampassId.kind === 'column') {
      const C = quoteName(m.iampassId.column);
      const rows = await this.#q<{ user_id: string }>(
        `UPDATE ${U} u SET ${C} = NULL FROM unnest($1::text[], $2::text[]) AS v(uid, id)
          WHERE u.${I} = v.uid::${itype} AND u.${C}::text = v.id RETURNING u.${I}::text AS user_id`,
        params,
      );
      return rows.map((r) => r.user_id);
    }
    const T = this.#tokenTable();
    const rows = await this.#q<{ user_id: string }>(
      `DELETE FROM ${T} t USING ${U} u, unnest($1::text[], $2::text[]) AS v(uid, id)
        WHERE t.${quoteName(m.iampassId.userKey)} = u.${quoteName(m.key)} AND u.${I} = v.uid::${itype}
          AND t.${quoteName(m.iampassId.column)}::text = v.id
      RETURNING u.${I}::text AS user_id`,
      params,
    );
    return rows.map((r) => r.user_id);
  }

  async fingerprint(): Promise<Fingerprint> {
    const m = this.mapping;
    const { from, id } = this.#from();
    const name = m.displayName === undefined ? "''" : `coalesce(u.${quoteName(m.displayName)}::text, '')`;
    const user = `u.${quoteName(m.userId)}::text || chr(31) || ${name}`;
    const [r] = await this.#q<{ n: string; a: string | null; u: string | null }>(
      `SELECT count(*)::text AS n, sum(hashtext(${user} || chr(31) || coalesce(${id}::text, '')))::text AS a,
              sum(hashtext(${user}))::text AS u
         FROM ${from}`,
    );
    return { all: `${r!.n}:${r!.a ?? 0}`, users: `${r!.n}:${r!.u ?? 0}` };
  }

  async announce(userIds: readonly string[]): Promise<void> {
    if (userIds.length === 0) return;
    await this.#q('SELECT pg_notify($1, $2)', [channelFor(this.mapping), changePayload(this.#origin, userIds)]);
  }

  async listen(onChange: (userIds: string[] | null) => void): Promise<() => Promise<void>> {
    const channel = channelFor(this.mapping);
    let client: pg.Client | null = null;
    let stopped = false;
    let timer: NodeJS.Timeout | null = null;
    const open = async (): Promise<pg.Client> => {
      const c = new pg.Client(clientConfig(this.#options));
      c.on('notification', (n) => {
        if (n.channel !== channel) return;
        const { origin, userIds } = parseChangePayload(n.payload);
        // This console's own announcements: its mirror already has them.
        if (origin !== this.#origin) onChange(userIds);
      });
      c.on('error', () => undefined); // 'end' follows
      try {
        await c.connect();
        await c.query(`LISTEN ${quoteName(channel)}`);
      } catch (error) {
        await c.end().catch(() => undefined);
        throw error;
      }
      // A dropped connection (only once listening): reconnect every 5 s, then sync everything (notifications may be lost).
      c.on('end', () => {
        if (client !== c) return;
        client = null;
        retry();
      });
      return c;
    };
    const retry = (): void => {
      if (stopped || timer) return;
      timer = setTimeout(() => {
        timer = null;
        if (stopped) return;
        open().then(
          (c) => {
            if (stopped) void c.end().catch(() => undefined);
            else {
              client = c;
              onChange(null);
            }
          },
          () => retry(),
        );
      }, 5_000);
      timer.unref();
    };
    try {
      client = await open();
    } catch (error) {
      stopped = true;
      throw dbError(error, this.#where);
    }
    return async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      const c = client;
      client = null;
      await c?.end().catch(() => undefined);
    };
  }

  async applyDdl(statements: readonly string[]): Promise<void> {
    const allowed = new Set(this.#suggestedDdl(await this.#uniqueColumns(), (await this.team?.missing()) ?? []));
    for (const s of statements)
      if (!allowed.has(s)) throw new AppError('invalid_input', 'Only the statements the check suggested may be run.');
    await this.#transaction(async (client) => {
      for (const s of statements) await this.#q(s, [], client);
    });
    await this.loadTypes();
  }

  /** Columns (table.column) with a one-column unique index or primary key. */
  async #uniqueColumns(): Promise<Set<string>> {
    const m = this.mapping;
    const tables = [m.table, ...(m.iampassId.kind === 'table' ? [m.iampassId.table] : [])];
    const rows = await this.#q<{ tbl: string; col: string }>(
      `SELECT t.name AS tbl, a.attname AS col
         FROM unnest($1::text[], $2::text[]) AS t(name, q)
         JOIN pg_index i ON i.indrelid = to_regclass(t.q) AND i.indisunique AND i.indnatts = 1 AND i.indpred IS NULL
         JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]`,
      [tables, tables.map(quoteName)],
    );
    return new Set(rows.map((r) => `${r.tbl}.${r.col}`));
  }

  /** DDL for the mapping's indexes or token table, and the team schema when none of its tables exists. */
  #suggestedDdl(unique: Set<string>, teamMissing: readonly string[]): string[] {
    const team = this.team && teamMissing.length === 3 ? teamDdl(this.team.schema) : [];
    return [...this.#mappingDdl(unique), ...team];
  }

  #mappingDdl(unique: Set<string>): string[] {
    const m = this.mapping;
    const out: string[] = [];
    const idx = (table: string, col: string) => `${table.replace(/\W/g, '_')}_${col}_iampass_unique`.slice(0, 63);
    if (m.iampassId.kind === 'column') {
      if (!unique.has(`${m.table}.${m.iampassId.column}`))
        out.push(
          `CREATE UNIQUE INDEX ${quoteName(idx(m.table, m.iampassId.column))} ON ${quoteName(m.table)} (${quoteName(m.iampassId.column)})`,
        );
      return out;
    }
    const p = m.iampassId;
    if (!this.#tokens) {
      out.push(
        `CREATE TABLE ${quoteName(p.table)} (${quoteName(p.userKey)} ${this.#type(m.key)} NOT NULL UNIQUE REFERENCES ${quoteName(m.table)} (${quoteName(m.key)}) ON DELETE CASCADE, ${quoteName(p.column)} text NOT NULL UNIQUE)`,
      );
      return out;
    }
    for (const col of [p.userKey, p.column])
      if (!unique.has(`${p.table}.${col}`))
        out.push(`CREATE UNIQUE INDEX ${quoteName(idx(p.table, col))} ON ${quoteName(p.table)} (${quoteName(col)})`);
    return out;
  }

  async check(previewRows = 5): Promise<SourceCheck> {
    const m = this.mapping;
    const checks: SourceCheck['checks'] = [];
    const add = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });
    const unique = await this.#uniqueColumns();
    const U = quoteName(m.table);
    const priv = async (sql: string, params: unknown[]) =>
      (await this.#q<{ ok: boolean }>(`SELECT ${sql} AS ok`, params))[0]!.ok;

    add('users table readable', await priv('has_table_privilege($1, $2)', [U, 'SELECT']), `SELECT on ${m.table}`);
    for (const [what, col] of [
      ['key', m.key],
      ['user ID', m.userId],
    ] as const) {
      const [empty] = await this.#q<{ n: string }>(`SELECT (count(*) - count(${quoteName(col)}))::text AS n FROM ${U}`);
      if (empty!.n !== '0')
        add(
          `${what} present`,
          what === 'user ID',
          `${empty!.n} rows have no ${what} (${m.table}.${col} is NULL)${what === 'user ID' ? ': they are not listed' : ''}`,
        );
      if (unique.has(`${m.table}.${col}`)) add(`${what} unique`, true, `${m.table}.${col} has a unique index`);
      else {
        const [r] = await this.#q<{ dup: string }>(
          `SELECT (count(${quoteName(col)}) - count(DISTINCT ${quoteName(col)}))::text AS dup FROM ${U}`,
        );
        add(
          `${what} unique`,
          r!.dup === '0',
          r!.dup === '0'
            ? `${m.table}.${col} has no unique index; its values are unique today`
            : `${r!.dup} duplicate values in ${m.table}.${col}`,
        );
      }
    }
    let writable: boolean;
    let tokenReady = true;
    if (m.iampassId.kind === 'column') {
      const col = this.#users.get(m.iampassId.column)!;
      add(
        'IAMPASS ID type',
        idTypeOk(col.type),
        `${m.table}.${col.name} is ${col.type} (text of 32+ characters needed)`,
      );
      add(
        'IAMPASS ID can be cleared',
        col.nullable,
        col.nullable ? 'nullable' : `${col.name} is NOT NULL: a deleted user's ID cannot be cleared`,
      );
      writable = await priv('has_column_privilege($1, $2, $3)', [U, m.iampassId.column, 'UPDATE']);
      add(
        'IAMPASS ID writable',
        writable,
        writable ? `UPDATE on ${m.table}.${col.name}` : `no UPDATE on ${m.table}.${col.name}: read-only`,
      );
    } else {
      const p = m.iampassId;
      if (!this.#tokens) {
        tokenReady = false;
        writable = false;
        add('token table exists', false, `${p.table} does not exist; the suggested DDL creates it`);
      } else {
        const col = this.#tokens.get(p.column)!;
        add(
          'IAMPASS ID type',
          idTypeOk(col.type),
          `${p.table}.${col.name} is ${col.type} (text of 32+ characters needed)`,
        );
        const others = [...this.#tokens.values()].filter(
          (c) => c.name !== p.column && c.name !== p.userKey && !c.nullable && !c.hasDefault,
        );
        add(
          'token rows insertable',
          others.length === 0,
          others.length === 0
            ? 'only the key and the ID are required'
            : `${others.map((c) => c.name).join(', ')} NOT NULL without a default`,
        );
        const T = quoteName(p.table);
        const rights = await Promise.all(
          ['SELECT', 'INSERT', 'DELETE'].map((r) => priv('has_table_privilege($1, $2)', [T, r])),
        );
        writable = rights[1]! && rights[2]!;
        add('token table readable', rights[0]!, `SELECT on ${p.table}`);
        add(
          'token table writable',
          writable,
          writable ? `INSERT and DELETE on ${p.table}` : `no INSERT/DELETE on ${p.table}: read-only`,
        );
        const [r] = await this.#q<{ dup: string }>(
          `SELECT (count(*) - count(DISTINCT ${quoteName(p.userKey)}))::text AS dup FROM ${T}`,
        );
        add(
          'one ID per user',
          r!.dup === '0',
          r!.dup === '0'
            ? `no user has two rows in ${p.table}`
            : `${r!.dup} users have more than one row in ${p.table}`,
        );
      }
    }
    let users = 0;
    let withIampassId = 0;
    let preview: SourceUser[] = [];
    if (tokenReady) {
      const { from, id } = this.#from();
      const [counts] = await this.#q<{ n: string; w: string; dup: string }>(
        `SELECT count(*)::text AS n, count(${id})::text AS w, (count(${id}) - count(DISTINCT ${id}))::text AS dup FROM ${from}`,
      );
      users = Number(counts!.n);
      withIampassId = Number(counts!.w);
      add(
        'IAMPASS IDs unique',
        counts!.dup === '0',
        counts!.dup === '0'
          ? `users with an ID: ${withIampassId}`
          : `${counts!.dup} IAMPASS IDs are shared by two users`,
      );
      preview = await this.scan(null, previewRows);
    }
    const teamMissing = (await this.team?.missing()) ?? [];
    if (this.team) {
      const where = `schema ${this.team.schema}`;
      if (teamMissing.length > 0)
        add(
          'team tables exist',
          false,
          teamMissing.length === 3
            ? `${where} has no team tables; the suggested DDL creates them`
            : `${where} lacks ${teamMissing.join(', ')}`,
        );
      else {
        const usable = await this.team.usable();
        add(
          'team tables usable',
          usable,
          usable ? `${where}: consoles, intents, audit` : `${where}: this login cannot read and write the team tables`,
        );
      }
    }
    return {
      ok: checks.every((c) => c.ok || c.name === 'IAMPASS ID writable' || c.name === 'token table writable'),
      writable,
      users,
      withIampassId,
      checks,
      preview,
      suggestedDdl: this.#suggestedDdl(unique, teamMissing),
    };
  }

  async close(): Promise<void> {
    await this.#pool.end().catch(() => undefined);
  }
}

function idTypeOk(type: string): boolean {
  if (!TEXT_TYPES.test(type) || type === 'uuid') return false;
  const n = /\((\d+)\)/.exec(type);
  return n === null || Number(n[1]) >= 32;
}
