/**
 * Team mode (docs/directory.md#team-mode): the consoles of one application
 * on one PostgreSQL share, in a schema of their own,
 *
 * - `consoles`: each installation (a console's data folder, shared by its
 *   window and its CLI) and when one of its processes was last alive;
 * - `intents`: every add and delete an installation is about to send to
 *   IAMPASS, written before the application's table or IAMPASS is touched
 *   and removed once settled. An installation silent for longer than the
 *   stale period has its intents taken over by another console, which
 *   recovers them; the row moves in the same transaction, so one console
 *   at a time holds an intent;
 * - `audit`: every console's audit log of the application, with which admin
 *   (OS user and machine), append-only.
 *
 * The schema is created only by the DDL the check shows, when the admin asks.
 */
import type pg from 'pg';
import { actionsLabelled } from '../../../shared/audit-labels.ts';
import { containsPattern } from '../like.ts';
import type { AuditOutcome } from '../audit.ts';
import type { ErrorCode } from '../../../shared/errors.ts';
import { pgQuery, pgTransaction } from './pg.ts';
import { quoteName } from './types.ts';

/** An add or delete as the ledger holds it. */
export interface TeamIntent {
  localId: number;
  kind: 'add' | 'delete';
  userId: string;
  iampassId: string;
  displayName: string;
  createdAt: number;
}

/** An audit entry as the console recorded it, to be copied into the shared log. */
export interface TeamAuditInput {
  localId: number;
  at: number;
  actor: string | null;
  profileName: string | null;
  action: string;
  target: string | null;
  outcome: AuditOutcome;
  errorCode: ErrorCode | null;
}

export interface TeamAuditRow extends Omit<TeamAuditInput, 'localId'> {
  id: number;
}

export interface TeamAuditFilter {
  action?: string;
  outcome?: AuditOutcome;
  from?: number;
  to?: number;
  /** Found anywhere in the target, the action (its code or its words), the admin or the application's name (case-insensitive). */
  text?: string;
  /** Exactly this target. */
  target?: string;
}

const TABLES = ['consoles', 'intents', 'audit'] as const;

/** Marks installation $1 (admin $2) alive, by the database's clock; `$S` is the quoted schema. */
const HEARTBEAT = `INSERT INTO $S.consoles (installation, admin, seen_at) VALUES ($1, $2, now())
  ON CONFLICT (installation) DO UPDATE SET admin = excluded.admin, seen_at = now()`;

/** The statements that create the team schema (shown by the check, run only when the admin asks). */
export function teamDdl(schema: string): string[] {
  const s = quoteName(schema);
  return [
    `CREATE SCHEMA IF NOT EXISTS ${s}`,
    `CREATE TABLE ${s}.consoles (installation text PRIMARY KEY, admin text NOT NULL, seen_at timestamptz NOT NULL DEFAULT now())`,
    `CREATE TABLE ${s}.intents (installation text NOT NULL, local_id bigint NOT NULL, application text NOT NULL, kind text NOT NULL CHECK (kind IN ('add', 'delete')), user_id text NOT NULL, iampass_id text NOT NULL, display_name text NOT NULL DEFAULT '', created_at bigint NOT NULL, PRIMARY KEY (installation, local_id))`,
    `CREATE INDEX intents_application ON ${s}.intents (application, installation)`,
    `CREATE TABLE ${s}.audit (id bigserial PRIMARY KEY, installation text NOT NULL, local_id bigint NOT NULL, application text NOT NULL, at bigint NOT NULL, admin text, profile_name text, action text NOT NULL, target text, outcome text NOT NULL CHECK (outcome IN ('ok', 'error')), error_code text, UNIQUE (installation, local_id))`,
    `CREATE INDEX audit_application_at ON ${s}.audit (application, at DESC, id DESC)`,
    `CREATE FUNCTION ${s}.audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$`,
    `CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON ${s}.audit FOR EACH ROW EXECUTE FUNCTION ${s}.audit_append_only()`,
  ];
}

function auditWhere(application: string, f: TeamAuditFilter): { sql: string; params: unknown[] } {
  const params: unknown[] = [application];
  const where = ['application = $1'];
  const add = (cond: string, value: unknown) => {
    params.push(value);
    where.push(cond.replace('?', `$${String(params.length)}`));
  };
  if (f.action !== undefined) add('action = ?', f.action);
  if (f.outcome !== undefined) add('outcome = ?', f.outcome);
  if (f.from !== undefined) add('at >= ?', f.from);
  if (f.to !== undefined) add('at < ?', f.to);
  if (f.target !== undefined) add('target = ?', f.target);
  if (f.text !== undefined) {
    params.push(containsPattern(f.text));
    const p = `$${String(params.length)}`;
    const named = actionsLabelled(f.text);
    let byName = '';
    if (named.length > 0) {
      params.push([...named]);
      byName = ` OR action = ANY($${String(params.length)})`;
    }
    where.push(
      `(target ILIKE ${p} ESCAPE '\\' OR action ILIKE ${p} ESCAPE '\\' OR admin ILIKE ${p} ESCAPE '\\' OR profile_name ILIKE ${p} ESCAPE '\\'${byName})`,
    );
  }
  return { sql: `WHERE ${where.join(' AND ')}`, params };
}

interface IntentRow {
  installation: string;
  local_id: string;
  kind: 'add' | 'delete';
  user_id: string;
  iampass_id: string;
  display_name: string;
  created_at: string;
}

export class TeamLedger {
  readonly schema: string;
  readonly #pool: pg.Pool;
  readonly #where: string;
  readonly #s: string;

  constructor(pool: pg.Pool, schema: string, where: string) {
    this.#pool = pool;
    this.schema = schema;
    this.#where = `${where} (team schema ${schema})`;
    this.#s = quoteName(schema);
  }

  #q<R extends pg.QueryResultRow>(sql: string, params: unknown[] = [], client?: pg.PoolClient): Promise<R[]> {
    return pgQuery<R>(client ?? this.#pool, this.#where, sql, params);
  }

  /** The team tables this login cannot see (all of them before the DDL ran). */
  async missing(): Promise<string[]> {
    const rows = await this.#q<{ t: string; ok: boolean }>(
      'SELECT t, to_regclass($1 || t) IS NOT NULL AS ok FROM unnest($2::text[]) AS t',
      [`${this.#s}.`, [...TABLES]],
    );
    return rows.filter((r) => !r.ok).map((r) => r.t);
  }

  /** Whether the login may use the team tables (read and write them all). */
  async usable(): Promise<boolean> {
    const [r] = await this.#q<{ ok: boolean }>(
      `SELECT bool_and(has_table_privilege($1 || t, 'SELECT,INSERT,UPDATE,DELETE')) AS ok FROM unnest($2::text[]) AS t`,
      [`${this.#s}.`, ['consoles', 'intents']],
    );
    const [a] = await this.#q<{ ok: boolean }>(`SELECT has_table_privilege($1, 'SELECT,INSERT') AS ok`, [
      `${this.#s}.audit`,
    ]);
    return r!.ok && a!.ok;
  }

  #heartbeat(installation: string, admin: string, client?: pg.PoolClient): Promise<unknown> {
    return this.#q(HEARTBEAT.replaceAll('$S', this.#s), [installation, admin], client);
  }

  /** This installation is alive (one of its processes works with the application). */
  async heartbeat(installation: string, admin: string): Promise<void> {
    await this.#heartbeat(installation, admin);
  }

  /**
   * Before anything is sent: records the `fresh` intents under this
   * installation (and that it is alive) in one transaction, and answers
   * which of `fresh` and `held` (intents recorded earlier) the ledger gives
   * this installation. An earlier one it does not hold was never sent, or
   * another console took it over: it must not be sent from here.
   */
  async share(
    installation: string,
    admin: string,
    application: string,
    fresh: readonly TeamIntent[],
    held: readonly number[],
  ): Promise<Set<number>> {
    // The heartbeat and the new rows in one statement (they commit together).
    const record = (client?: pg.PoolClient) =>
      this.#q(
        `WITH alive AS (${HEARTBEAT})
         INSERT INTO ${this.#s}.intents (installation, local_id, application, kind, user_id, iampass_id, display_name, created_at)
         SELECT $1, v.* FROM unnest($3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::bigint[])
                AS v(local_id, application, kind, user_id, iampass_id, display_name, created_at)
         ON CONFLICT (installation, local_id) DO UPDATE SET application = excluded.application, kind = excluded.kind,
            user_id = excluded.user_id, iampass_id = excluded.iampass_id, display_name = excluded.display_name,
            created_at = excluded.created_at`.replaceAll('$S', this.#s),
        [
          installation,
          admin,
          fresh.map((i) => i.localId),
          fresh.map(() => application),
          fresh.map((i) => i.kind),
          fresh.map((i) => i.userId),
          fresh.map((i) => i.iampassId),
          fresh.map((i) => i.displayName),
          fresh.map((i) => i.createdAt),
        ],
        client,
      );
    const mine = new Set(fresh.map((i) => i.localId));
    // Only new intents (every batch of a job): one round trip, and every row is this console's.
    if (held.length === 0) {
      await record();
      return mine;
    }
    return pgTransaction(this.#pool, this.#where, async (client) => {
      await record(client);
      // A statement of its own: it reads after the heartbeat waited out any console taking these over.
      const rows = await this.#q<{ local_id: string }>(
        `SELECT local_id FROM ${this.#s}.intents WHERE installation = $1 AND local_id = ANY($2::bigint[])`,
        [installation, held],
        client,
      );
      for (const r of rows) mine.add(Number(r.local_id));
      return mine;
    });
  }

  /**
   * Removes this installation's settled intents: the rows read first, then
   * `localIds()` (the intents the console still holds) read after them, so
   * a row missing from it was settled (a new intent is recorded locally
   * before its row is written). Answers how many went.
   */
  async tidy(installation: string, localIds: () => ReadonlySet<number>): Promise<number> {
    const rows = await this.#q<{ local_id: string; created_at: string }>(
      `SELECT local_id, created_at FROM ${this.#s}.intents WHERE installation = $1`,
      [installation],
    );
    if (rows.length === 0) return 0;
    const live = localIds();
    const gone = rows.filter((r) => !live.has(Number(r.local_id)));
    if (gone.length === 0) return 0;
    // Only the rows as read: a local id reused since by a new intent has a new row (another created_at).
    const deleted = await this.#q(
      `DELETE FROM ${this.#s}.intents i USING unnest($2::bigint[], $3::bigint[]) AS g(local_id, created_at)
        WHERE i.installation = $1 AND i.local_id = g.local_id AND i.created_at = g.created_at RETURNING 1`,
      [installation, gone.map((r) => r.local_id), gone.map((r) => r.created_at)],
    );
    return deleted.length;
  }

  /**
   * Takes over the application's intents of installations silent for at
   * least `staleMs` (their consoles stopped or crashed): `take` records them
   * locally and answers each one's new local id (null: not taken, e.g. this
   * console already holds that user's add), and the rows move to this
   * installation in the same transaction; rows not taken go. A silent
   * installation's process that comes back waits on the row lock and then
   * finds its intents gone. Answers what was taken.
   */
  async adopt(
    installation: string,
    admin: string,
    application: string,
    staleMs: number,
    take: (intents: readonly TeamIntent[]) => (number | null)[],
  ): Promise<TeamIntent[]> {
    return pgTransaction(this.#pool, this.#where, async (client) => {
      await this.#heartbeat(installation, admin, client);
      const silent = await this.#q<{ installation: string }>(
        `SELECT installation FROM ${this.#s}.consoles
          WHERE installation <> $1 AND seen_at <= now() - make_interval(secs => $2::double precision / 1000)
            AND EXISTS (SELECT 1 FROM ${this.#s}.intents i WHERE i.installation = consoles.installation AND i.application = $3)
          ORDER BY installation FOR UPDATE SKIP LOCKED`,
        [installation, staleMs, application],
        client,
      );
      if (silent.length === 0) return [];
      const rows = await this.#q<IntentRow>(
        `SELECT * FROM ${this.#s}.intents WHERE application = $1 AND installation = ANY($2::text[])
          ORDER BY installation, local_id FOR UPDATE`,
        [application, silent.map((r) => r.installation)],
        client,
      );
      const intents = rows.map((r) => ({
        localId: Number(r.local_id),
        kind: r.kind,
        userId: r.user_id,
        iampassId: r.iampass_id,
        displayName: r.display_name,
        createdAt: Number(r.created_at),
      }));
      const ids = take(intents);
      const taken = rows.flatMap((r, i) => (ids[i] === null ? [] : [{ row: r, id: ids[i]! }]));
      // The new local ids were just allocated: a row of ours under one of them is a settled leftover.
      await this.#q(
        `DELETE FROM ${this.#s}.intents WHERE installation = $1 AND local_id = ANY($2::bigint[])`,
        [installation, taken.map((t) => t.id)],
        client,
      );
      await this.#q(
        `UPDATE ${this.#s}.intents i SET installation = $1, local_id = v.id
           FROM unnest($2::text[], $3::bigint[], $4::bigint[]) AS v(installation, local_id, id)
          WHERE i.installation = v.installation AND i.local_id = v.local_id`,
        [installation, taken.map((t) => t.row.installation), taken.map((t) => t.row.local_id), taken.map((t) => t.id)],
        client,
      );
      await this.#q(
        `DELETE FROM ${this.#s}.intents WHERE application = $1 AND installation = ANY($2::text[])`,
        [application, silent.map((r) => r.installation)],
        client,
      );
      return intents.flatMap((intent, i) => (ids[i] === null ? [] : [{ ...intent, localId: ids[i]! }]));
    });
  }

  /** Copies audit entries into the shared log (again is harmless: one row per installation and entry). */
  async pushAudit(installation: string, application: string, entries: readonly TeamAuditInput[]): Promise<void> {
    if (entries.length === 0) return;
    await this.#q(
      `INSERT INTO ${this.#s}.audit (installation, application, local_id, at, admin, profile_name, action, target, outcome, error_code)
       SELECT $1, $2, v.* FROM unnest($3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[])
              AS v(local_id, at, admin, profile_name, action, target, outcome, error_code)
       ON CONFLICT (installation, local_id) DO NOTHING`,
      [
        installation,
        application,
        entries.map((e) => e.localId),
        entries.map((e) => e.at),
        entries.map((e) => e.actor),
        entries.map((e) => e.profileName),
        entries.map((e) => e.action),
        entries.map((e) => e.target),
        entries.map((e) => e.outcome),
        entries.map((e) => e.errorCode),
      ],
    );
  }

  /** A page of the application's shared audit log, newest first, and how many entries match. */
  async audit(
    application: string,
    filter: TeamAuditFilter,
    limit: number,
    offset: number,
  ): Promise<{ rows: TeamAuditRow[]; total: number }> {
    const { sql, params } = auditWhere(application, filter);
    const [count] = await this.#q<{ n: string }>(`SELECT count(*)::text AS n FROM ${this.#s}.audit ${sql}`, params);
    const rows = await this.#q<{
      id: string;
      at: string;
      admin: string | null;
      profile_name: string | null;
      action: string;
      target: string | null;
      outcome: AuditOutcome;
      error_code: ErrorCode | null;
    }>(
      `SELECT id, at, admin, profile_name, action, target, outcome, error_code FROM ${this.#s}.audit ${sql}
        ORDER BY at DESC, id DESC LIMIT $${String(params.length + 1)} OFFSET $${String(params.length + 2)}`,
      [...params, limit, offset],
    );
    return {
      total: Number(count!.n),
      rows: rows.map((r) => ({
        id: Number(r.id),
        at: Number(r.at),
        actor: r.admin,
        profileName: r.profile_name,
        action: r.action,
        target: r.target,
        outcome: r.outcome,
        errorCode: r.error_code,
      })),
    };
  }

  /** The actions present in the application's shared log, sorted. */
  async auditActions(application: string): Promise<string[]> {
    const rows = await this.#q<{ action: string }>(
      `SELECT DISTINCT action FROM ${this.#s}.audit WHERE application = $1 ORDER BY action`,
      [application],
    );
    return rows.map((r) => r.action);
  }
}
