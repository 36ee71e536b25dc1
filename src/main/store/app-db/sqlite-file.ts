/**
 * An application directory in the application's own SQLite file
 * (node:sqlite), which the application may be writing at the same time.
 * The file must exist (it is never created); its journal mode is left as
 * the application set it; every write is one short BEGIN IMMEDIATE
 * transaction with a busy timeout, so the two writers take turns and
 * nothing is lost on either side. A file this process may not write opens
 * read-only. Other writers are noticed through `PRAGMA data_version`.
 */
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { AppError } from '../../../shared/errors.ts';
import type { DirectoryMapping, SourceCheck, SourceUser } from '../../../shared/directory-source.ts';
import { committedOrNot, dbError } from './errors.ts';
import {
  checkMappedColumns,
  fromClause,
  outcomes,
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

export interface SqliteDirectoryOptions {
  path: string;
  mapping: DirectoryMapping;
  busyTimeoutMs?: number;
  /** How often `listen` looks for other writers (default 2 s). */
  pollMs?: number;
}

interface Column {
  name: string;
  type: string;
  nullable: boolean;
  hasDefault: boolean;
  pk: boolean;
}

function readTables(db: DatabaseSync): TableInfo[] {
  const names = db
    .prepare(
      "SELECT name FROM sqlite_schema WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .all() as { name: string }[];
  const info = db.prepare('SELECT name, type, "notnull" FROM pragma_table_xinfo(?)');
  return names.map((t) => ({
    name: t.name,
    columns: (info.all(t.name) as { name: string; type: string; notnull: number }[]).map((c) => ({
      name: c.name,
      type: c.type,
      nullable: c.notnull === 0,
    })),
  }));
}

/** The tables and columns of an application's SQLite file, before any mapping exists (the wizard's first step). */
export function sqliteTables(path: string): TableInfo[] {
  const where = `The SQLite file ${path}`;
  if (!existsSync(path))
    throw new AppError('missing', `${where} does not exist.`, { details: { reason: 'unreachable' } });
  let db: DatabaseSync | null = null;
  try {
    db = new DatabaseSync(path, { readOnly: true });
    return readTables(db);
  } catch (error) {
    throw dbError(error, where);
  } finally {
    db?.close();
  }
}

export function openSqliteDirectory(options: SqliteDirectoryOptions): AppDirectory {
  const where = `The SQLite file ${options.path}`;
  if (!existsSync(options.path))
    throw new AppError('missing', `${where} does not exist.`, { details: { reason: 'unreachable' } });
  let readOnly = false;
  try {
    accessSync(options.path, constants.W_OK);
  } catch {
    readOnly = true;
  }
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(options.path, { readOnly, timeout: options.busyTimeoutMs ?? 5_000 });
    db.prepare('SELECT count(*) FROM sqlite_schema').get();
  } catch (error) {
    throw dbError(error, where);
  }
  const dir = new SqliteDirectory(db, options, where, readOnly);
  try {
    dir.loadTypes();
  } catch (error) {
    db.close();
    throw error;
  }
  return dir;
}

function splitName(table: string): [string, string] {
  const parts = table.split('.');
  return parts.length === 2 ? [parts[0]!, parts[1]!] : ['main', parts[0]!];
}

class SqliteDirectory implements AppDirectory {
  readonly kind = 'sqlite' as const;
  readonly mapping: DirectoryMapping;
  readonly team = null;
  readonly #db: DatabaseSync;
  readonly #options: SqliteDirectoryOptions;
  readonly #where: string;
  readonly #readOnly: boolean;
  #users = new Map<string, Column>();
  #tokens: Map<string, Column> | null = null;

  constructor(db: DatabaseSync, options: SqliteDirectoryOptions, where: string, readOnly: boolean) {
    this.#db = db;
    this.#options = options;
    this.mapping = options.mapping;
    this.#where = where;
    this.#readOnly = readOnly;
  }

  #run<T>(fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      throw dbError(error, this.#where);
    }
  }

  /** The interface is async: a synchronous throw becomes a rejection. */
  #later<T>(fn: () => T): Promise<T> {
    try {
      return Promise.resolve(fn());
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  #prepare(sql: string): StatementSync {
    return this.#run(() => this.#db.prepare(sql));
  }

  #columns(table: string): Map<string, Column> | null {
    const [schema, name] = splitName(table);
    const rows = this.#run(
      () =>
        this.#db.prepare(`SELECT * FROM pragma_table_xinfo(?, ?)`).all(name, schema) as unknown as {
          name: string;
          type: string;
          notnull: number;
          dflt_value: unknown;
          pk: number;
        }[],
    );
    if (rows.length === 0) return null;
    return new Map(
      rows.map((r) => [
        r.name,
        { name: r.name, type: r.type, nullable: r.notnull === 0, hasDefault: r.dflt_value !== null, pk: r.pk > 0 },
      ]),
    );
  }

  loadTypes(): void {
    const m = this.mapping;
    const users = this.#columns(m.table);
    if (!users) throw schemaError(this.#where, `the table ${m.table} does not exist`);
    const tokens = m.iampassId.kind === 'table' ? this.#columns(m.iampassId.table) : null;
    checkMappedColumns(m, users, tokens, this.#where);
    this.#users = users;
    this.#tokens = tokens;
  }

  #tokenTable(): string {
    return tokenTableName(this.mapping, this.#tokens !== null, this.#where);
  }

  #from(): { from: string; id: string } {
    return fromClause(this.mapping, () => this.#tokenTable());
  }

  #select(): string {
    return selectUsers(this.mapping, () => this.#tokenTable());
  }

  tables(): Promise<TableInfo[]> {
    return this.#later(() => readTables(this.#db));
  }

  scan(afterKey: string | null, limit: number): Promise<SourceUser[]> {
    return this.#later(() => {
      const k = `u.${quoteName(this.mapping.key)}`;
      // Rows without a key cannot be paged; rows without a user ID are not users.
      const present = `${k} IS NOT NULL AND u.${quoteName(this.mapping.userId)} IS NOT NULL`;
      const rows =
        afterKey === null
          ? this.#run(() => this.#prepare(`${this.#select()} WHERE ${present} ORDER BY ${k} LIMIT ?`).all(limit))
          : this.#run(() =>
              this.#prepare(`${this.#select()} WHERE ${present} AND ${k} > ? ORDER BY ${k} LIMIT ?`).all(
                afterKey,
                limit,
              ),
            );
      return (rows as unknown as SourceRow[]).map(toSourceUser);
    });
  }

  byUserIds(userIds: readonly string[]): Promise<SourceUser[]> {
    return this.#later(() => {
      if (userIds.length === 0) return [];
      const rows = this.#run(() =>
        this.#prepare(
          `${this.#select()} WHERE u.${quoteName(this.mapping.userId)} IN (SELECT value FROM json_each(?))`,
        ).all(JSON.stringify(userIds)),
      );
      return (rows as unknown as SourceRow[]).map(toSourceUser);
    });
  }

  #transaction<T>(fn: () => T): T {
    if (this.#readOnly)
      throw new AppError('forbidden', `${this.#where} is read-only for this console.`, {
        details: { reason: 'read_only' },
      });
    try {
      return this.#run(() => {
        this.#db.exec('BEGIN IMMEDIATE');
        try {
          const out = fn();
          this.#db.exec('COMMIT');
          return out;
        } catch (error) {
          if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
          throw error;
        }
      });
    } catch (error) {
      // SQLite commits in this process: a COMMIT that throws did not commit (rolled back above).
      throw committedOrNot(dbError(error, this.#where), false);
    }
  }

  claim(items: readonly { userId: string; iampassId: string }[]): Promise<ClaimOutcome[]> {
    return this.#later(() => {
      if (items.length === 0) return [];
      const m = this.mapping;
      const U = quoteName(m.table);
      const I = quoteName(m.userId);
      const K = quoteName(m.key);
      const current = this.#transaction(() => {
        let write: StatementSync;
        if (m.iampassId.kind === 'column') {
          const C = quoteName(m.iampassId.column);
          write = this.#db.prepare(`UPDATE ${U} SET ${C} = ?2 WHERE ${I} = ?1 AND (${C} IS NULL OR ${C} = '')`);
        } else {
          const T = this.#tokenTable();
          const FK = quoteName(m.iampassId.userKey);
          write = this.#db.prepare(
            `INSERT INTO ${T} (${FK}, ${quoteName(m.iampassId.column)})
             SELECT u.${K}, ?2 FROM ${U} u WHERE u.${I} = ?1 AND NOT EXISTS (SELECT 1 FROM ${T} t WHERE t.${FK} = u.${K})`,
          );
        }
        for (const i of items) write.run(i.userId, i.iampassId);
        const { from, id } = this.#from();
        return this.#db
          .prepare(
            `SELECT CAST(u.${I} AS TEXT) AS user_id, nullif(CAST(${id} AS TEXT), '') AS iampass_id FROM ${from}
              WHERE u.${I} IN (SELECT value FROM json_each(?))`,
          )
          .all(JSON.stringify(items.map((i) => i.userId))) as unknown as {
          user_id: string;
          iampass_id: string | null;
        }[];
      });
      return outcomes(items, current);
    });
  }

  release(items: readonly { userId: string; iampassId: string }[]): Promise<string[]> {
    return this.#later(() => {
      if (items.length === 0) return [];
      const m = this.mapping;
      const U = quoteName(m.table);
      const I = quoteName(m.userId);
      return this.#transaction(() => {
        const clear =
          m.iampassId.kind === 'column'
            ? this.#db.prepare(
                `UPDATE ${U} SET ${quoteName(m.iampassId.column)} = NULL
                    WHERE ${I} = ? AND CAST(${quoteName(m.iampassId.column)} AS TEXT) = ?`,
              )
            : this.#db.prepare(
                `DELETE FROM ${this.#tokenTable()} WHERE ${quoteName(m.iampassId.userKey)} IN
                     (SELECT ${quoteName(m.key)} FROM ${U} WHERE ${I} = ?) AND CAST(${quoteName(m.iampassId.column)} AS TEXT) = ?`,
              );
        return items.filter((i) => Number(clear.run(i.userId, i.iampassId).changes) > 0).map((i) => i.userId);
      });
    });
  }

  /** The file's and its WAL's size and modification time: any commit changes one of them (both parts alike). */
  fingerprint(): Promise<Fingerprint> {
    const parts = [this.#options.path, `${this.#options.path}-wal`].map((p) => {
      try {
        const s = statSync(p);
        return `${s.size}@${s.mtimeMs}`;
      } catch {
        return '-';
      }
    });
    const f = parts.join(':');
    return Promise.resolve({ all: f, users: f });
  }

  announce(): Promise<void> {
    return Promise.resolve();
  }

  listen(onChange: (userIds: string[] | null) => void): Promise<() => Promise<void>> {
    const version = () => (this.#db.prepare('PRAGMA data_version').get() as { data_version: number }).data_version;
    let last = version();
    const timer = setInterval(() => {
      try {
        const now = version();
        if (now !== last) {
          last = now;
          onChange(null);
        }
      } catch {
        // Closed: the next sync reports the error.
      }
    }, this.#options.pollMs ?? 2_000);
    timer.unref();
    return Promise.resolve(() => {
      clearInterval(timer);
      return Promise.resolve();
    });
  }

  /** Write permission, in a transaction that writes nothing: the file and its folder must take a write lock. */
  #writable(): boolean {
    if (this.#readOnly) return false;
    try {
      this.#db.exec('BEGIN IMMEDIATE');
      this.#db.exec('ROLLBACK');
      return true;
    } catch {
      return false;
    }
  }

  canWrite(): Promise<boolean> {
    return this.#later(() => this.#writable());
  }

  #uniqueColumns(table: string): Set<string> {
    const [schema, name] = splitName(table);
    const out = new Set<string>();
    const cols = this.#columns(table);
    for (const c of cols?.values() ?? [])
      if (c.pk && [...cols!.values()].filter((x) => x.pk).length === 1) out.add(c.name);
    const indexes = this.#db
      .prepare('SELECT name, "unique", partial FROM pragma_index_list(?, ?)')
      .all(name, schema) as {
      name: string;
      unique: number;
      partial: number;
    }[];
    for (const idx of indexes) {
      if (idx.unique !== 1 || idx.partial === 1) continue;
      const info = this.#db.prepare('SELECT name FROM pragma_index_info(?, ?)').all(idx.name, schema) as {
        name: string | null;
      }[];
      if (info.length === 1 && info[0]!.name !== null) out.add(info[0]!.name);
    }
    return out;
  }

  #suggestedDdl(): string[] {
    const m = this.mapping;
    const idx = (table: string, col: string) => `${table.replace(/\W/g, '_')}_${col}_iampass_unique`;
    if (m.iampassId.kind === 'column') {
      return this.#uniqueColumns(m.table).has(m.iampassId.column)
        ? []
        : [
            `CREATE UNIQUE INDEX ${quoteName(idx(m.table, m.iampassId.column))} ON ${quoteName(m.table)} (${quoteName(m.iampassId.column)})`,
          ];
    }
    const p = m.iampassId;
    if (!this.#tokens)
      return [
        `CREATE TABLE ${quoteName(p.table)} (${quoteName(p.userKey)} NOT NULL UNIQUE REFERENCES ${quoteName(m.table)} (${quoteName(m.key)}) ON DELETE CASCADE, ${quoteName(p.column)} TEXT NOT NULL UNIQUE)`,
      ];
    const unique = this.#uniqueColumns(p.table);
    return [p.userKey, p.column]
      .filter((c) => !unique.has(c))
      .map((c) => `CREATE UNIQUE INDEX ${quoteName(idx(p.table, c))} ON ${quoteName(p.table)} (${quoteName(c)})`);
  }

  applyDdl(statements: readonly string[]): Promise<void> {
    return this.#later(() => {
      const allowed = new Set(this.#suggestedDdl());
      for (const s of statements)
        if (!allowed.has(s)) throw new AppError('invalid_input', 'Only the statements the check suggested may be run.');
      this.#transaction(() => {
        for (const s of statements) this.#db.exec(s);
      });
      this.loadTypes();
      return;
    });
  }

  check(previewRows = 5): Promise<SourceCheck> {
    return this.#later(() => {
      const m = this.mapping;
      const checks: SourceCheck['checks'] = [];
      const add = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });
      const U = quoteName(m.table);
      const one = <T>(sql: string) => this.#run(() => this.#db.prepare(sql).get() as T);
      const unique = this.#uniqueColumns(m.table);
      for (const [what, col] of [
        ['key', m.key],
        ['user ID', m.userId],
      ] as const) {
        const { n } = one<{ n: number }>(`SELECT count(*) - count(${quoteName(col)}) AS n FROM ${U}`);
        if (n !== 0)
          add(
            `${what} present`,
            what === 'user ID',
            `${n} rows have no ${what} (${m.table}.${col} is NULL)${what === 'user ID' ? ': they are not listed' : ''}`,
          );
        if (unique.has(col)) add(`${what} unique`, true, `${m.table}.${col} has a unique index`);
        else {
          const { dup } = one<{ dup: number }>(
            `SELECT count(${quoteName(col)}) - count(DISTINCT ${quoteName(col)}) AS dup FROM ${U}`,
          );
          add(
            `${what} unique`,
            dup === 0,
            dup === 0
              ? `${m.table}.${col} has no unique index; its values are unique today`
              : `${dup} duplicate values in ${m.table}.${col}`,
          );
        }
      }
      const writable = this.#writable();
      const idCol =
        m.iampassId.kind === 'column' ? this.#users.get(m.iampassId.column) : this.#tokens?.get(m.iampassId.column);
      let tokenReady = true;
      if (m.iampassId.kind === 'table' && !this.#tokens) {
        tokenReady = false;
        add('token table exists', false, `${m.iampassId.table} does not exist; the suggested DDL creates it`);
      }
      if (idCol) {
        add('IAMPASS ID type', textAffinity(idCol.type), `declared type "${idCol.type}" (TEXT affinity needed)`);
        if (m.iampassId.kind === 'column')
          add(
            'IAMPASS ID can be cleared',
            idCol.nullable,
            idCol.nullable ? 'nullable' : `${idCol.name} is NOT NULL: a deleted user's ID cannot be cleared`,
          );
      }
      if (m.iampassId.kind === 'table' && this.#tokens) {
        const p = m.iampassId;
        const others = [...this.#tokens.values()].filter(
          (c) => c.name !== p.column && c.name !== p.userKey && !c.nullable && !c.hasDefault && !c.pk,
        );
        add(
          'token rows insertable',
          others.length === 0,
          others.length === 0
            ? 'only the key and the ID are required'
            : `${others.map((c) => c.name).join(', ')} NOT NULL without a default`,
        );
        const { dup } = one<{ dup: number }>(
          `SELECT count(*) - count(DISTINCT ${quoteName(p.userKey)}) AS dup FROM ${quoteName(p.table)}`,
        );
        add(
          'one ID per user',
          dup === 0,
          dup === 0 ? `no user has two rows in ${p.table}` : `${dup} users have more than one row in ${p.table}`,
        );
      }
      add('IAMPASS ID writable', writable, writable ? 'the file takes a write lock' : 'the file is read-only here');
      let users = 0;
      let withIampassId = 0;
      let preview: SourceUser[] = [];
      if (tokenReady) {
        const { from, id } = this.#from();
        const c = one<{ n: number; w: number; dup: number }>(
          `SELECT count(*) AS n, count(nullif(${id}, '')) AS w, count(nullif(${id}, '')) - count(DISTINCT nullif(${id}, '')) AS dup FROM ${from}`,
        );
        users = c.n;
        withIampassId = c.w;
        add(
          'IAMPASS IDs unique',
          c.dup === 0,
          c.dup === 0 ? `users with an ID: ${withIampassId}` : `${c.dup} IAMPASS IDs are shared by two users`,
        );
        preview = (
          this.#run(() =>
            this.#prepare(`${this.#select()} ORDER BY u.${quoteName(m.key)} LIMIT ?`).all(previewRows),
          ) as unknown as SourceRow[]
        ).map(toSourceUser);
      }
      return {
        ok: checks.every((c) => c.ok || c.name === 'IAMPASS ID writable'),
        writable,
        users,
        withIampassId,
        checks,
        preview,
        suggestedDdl: this.#suggestedDdl(),
      };
    });
  }

  close(): Promise<void> {
    if (this.#db.isOpen) this.#db.close();
    return Promise.resolve();
  }
}

/** SQLite's affinity rules: TEXT for CHAR/CLOB/TEXT, none (BLOB) for an empty type; numeric ones would mangle digit-only IDs. */
function textAffinity(type: string): boolean {
  const t = type.toUpperCase();
  if (t.includes('INT')) return false;
  return t === '' || t.includes('CHAR') || t.includes('CLOB') || t.includes('TEXT') || t.includes('BLOB');
}
