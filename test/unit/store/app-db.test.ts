/**
 * Application directories against real databases: a throwaway PostgreSQL 15
 * cluster and real SQLite files, both mapping patterns (an IAMPASS ID column
 * on the users table; a token table keyed to it), the spec's awkward user
 * IDs, concurrent claims, a read-only role, a missing column, a schema that
 * changes under the console, a dropped connection, NOTIFY between consoles.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DirectoryMapping, DirectorySource } from '../../../src/shared/directory-source.ts';
import { AppError } from '../../../src/shared/errors.ts';
import { openAppDirectory, type AppDirectory } from '../../../src/main/store/app-db/index.ts';
import { startPostgres, type PgCluster } from '../../support/postgres.ts';

/** User IDs with what the spec's encoding escapes (`/ ? & = + % ' ( ) * !`), spaces and non-ASCII. */
const AWKWARD = ["o'brien+test@corp.example", 'a b/c?d&e=f%g', '(x)*!', 'zoë', '李雷', 'user10', 'user2'];

const COLUMN: DirectoryMapping = {
  table: 'app_users',
  key: 'id',
  userId: 'login',
  displayName: 'full_name',
  email: 'email',
  iampassId: { kind: 'column', column: 'iampass_id' },
};
const TOKENS: DirectoryMapping = {
  table: 'accounts',
  key: 'account_id',
  userId: 'username',
  displayName: 'display',
  iampassId: { kind: 'table', table: 'iampass_tokens', userKey: 'account_id', column: 'token' },
};

const PG_SCHEMA = `
  CREATE TABLE app_users (id serial PRIMARY KEY, login text NOT NULL UNIQUE, full_name text, email text, iampass_id varchar(64) UNIQUE);
  CREATE TABLE accounts (account_id bigint PRIMARY KEY, username varchar(200) NOT NULL UNIQUE, display text);
  CREATE TABLE iampass_tokens (account_id bigint NOT NULL REFERENCES accounts, token text NOT NULL UNIQUE);
`;
const SQLITE_SCHEMA = `
  CREATE TABLE app_users (id INTEGER PRIMARY KEY, login TEXT NOT NULL UNIQUE, full_name TEXT, email TEXT, iampass_id TEXT UNIQUE);
  CREATE TABLE accounts (account_id INTEGER PRIMARY KEY, username TEXT NOT NULL UNIQUE, display TEXT);
  CREATE TABLE iampass_tokens (account_id INTEGER NOT NULL REFERENCES accounts, token TEXT NOT NULL UNIQUE);
`;
function seedSql(): string {
  return AWKWARD.map((u, i) => {
    const q = (s: string) => `'${s.replaceAll("'", "''")}'`;
    return `INSERT INTO app_users (id, login, full_name, email) VALUES (${i + 1}, ${q(u)}, ${q(`Name ${u}`)}, 'u${i}@corp.example');
            INSERT INTO accounts (account_id, username, display) VALUES (${i + 1}, ${q(u)}, ${q(`Name ${u}`)});`;
  }).join('\n');
}

interface Backend {
  name: string;
  source(mapping: DirectoryMapping): DirectorySource;
  open(mapping: DirectoryMapping): Promise<AppDirectory>;
  /** Runs SQL on the application's side (its own connection). */
  exec(sql: string): void;
}

let cluster: PgCluster;
let folder: string;
const PASSWORD = 'pw-app-rw-1';
const backends: Backend[] = [];

beforeAll(async () => {
  cluster = await startPostgres({ tls: true });
  cluster.createDatabase('app');
  cluster.sql(`CREATE ROLE app_rw LOGIN PASSWORD '${PASSWORD}'; CREATE ROLE app_ro LOGIN PASSWORD 'pw-ro';`);
  cluster.sql(
    `${PG_SCHEMA} ${seedSql()}
     GRANT SELECT, UPDATE ON app_users TO app_rw; GRANT SELECT ON accounts TO app_rw;
     GRANT SELECT, INSERT, DELETE ON iampass_tokens TO app_rw;
     GRANT SELECT ON app_users, accounts, iampass_tokens TO app_ro;`,
    'app',
  );
  folder = mkdtempSync(join(tmpdir(), 'iampass-appdb-'));
  const file = join(folder, 'app.sqlite');
  const db = new DatabaseSync(file);
  db.exec('PRAGMA journal_mode = WAL');
  db.exec(SQLITE_SCHEMA);
  db.exec(seedSql());
  db.close();
  const pgSource = (mapping: DirectoryMapping): DirectorySource => ({
    kind: 'postgres',
    connection: { host: '127.0.0.1', port: cluster.port, database: 'app', user: 'app_rw', sslmode: 'disable' },
    mapping,
  });
  backends.push(
    {
      name: 'postgres',
      source: pgSource,
      open: (mapping) => openAppDirectory(pgSource(mapping), { password: PASSWORD }),
      exec: (sql) => void cluster.sql(sql, 'app'),
    },
    {
      name: 'sqlite',
      source: (mapping) => ({ kind: 'sqlite', path: file, mapping }),
      open: (mapping) => openAppDirectory({ kind: 'sqlite', path: file, mapping }, { pollMs: 50 }),
      exec: (sql) => {
        const app = new DatabaseSync(file);
        try {
          app.exec(sql);
        } finally {
          app.close();
        }
      },
    },
  );
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
  if (folder) rmSync(folder, { recursive: true, force: true });
});

async function rejection(p: Promise<unknown>): Promise<AppError> {
  const error = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

async function waitFor(check: () => boolean, ms = 5_000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

for (const name of ['postgres', 'sqlite'])
  for (const [pattern, mapping] of [
    ['column', COLUMN],
    ['token table', TOKENS],
  ] as const) {
    describe(`${name}, IAMPASS ID in a ${pattern}`, () => {
      const backend = () => backends.find((b) => b.name === name)!;
      const reset = () =>
        backend().exec(
          mapping.iampassId.kind === 'column' ? 'UPDATE app_users SET iampass_id = NULL' : 'DELETE FROM iampass_tokens',
        );

      it('checks the mapping without writing, previews rows and scans every user in key order', async () => {
        reset();
        const dir = await backend().open(mapping);
        try {
          const check = await dir.check(3);
          expect(check.ok, JSON.stringify(check.checks)).toBe(true);
          expect(check.writable).toBe(true);
          expect(check.users).toBe(AWKWARD.length);
          expect(check.withIampassId).toBe(0);
          expect(check.preview.map((u) => u.userId)).toEqual(AWKWARD.slice(0, 3));
          expect(check.preview[0]).toMatchObject({ key: '1', displayName: `Name ${AWKWARD[0]}`, iampassId: null });
          // The token table has no unique index on its user key: the check suggests one, and runs nothing.
          if (mapping.iampassId.kind === 'table')
            expect(check.suggestedDdl).toEqual([expect.stringMatching(/^CREATE UNIQUE INDEX .*\("account_id"\)$/)]);
          else expect(check.suggestedDdl).toEqual([]);
          const seen: string[] = [];
          let after: string | null = null;
          for (;;) {
            const page = await dir.scan(after, 3);
            if (page.length === 0) break;
            seen.push(...page.map((u) => u.userId));
            after = page.at(-1)!.key;
          }
          expect(seen).toEqual(AWKWARD);
          expect((await dir.byUserIds([AWKWARD[1]!, AWKWARD[4]!, 'nobody'])).map((u) => u.userId).sort()).toEqual(
            [AWKWARD[1]!, AWKWARD[4]!].sort(),
          );
        } finally {
          await dir.close();
        }
      });

      it('claims an ID once per user (a second claim keeps the first), reports absent users, releases only its own ID', async () => {
        reset();
        const dir = await backend().open(mapping);
        try {
          const first = await dir.claim([
            { userId: AWKWARD[0]!, iampassId: 'a'.repeat(32) },
            { userId: AWKWARD[1]!, iampassId: 'b'.repeat(32) },
            { userId: 'not-in-the-app', iampassId: 'c'.repeat(32) },
          ]);
          expect(first).toEqual([
            { userId: AWKWARD[0], state: 'claimed', iampassId: 'a'.repeat(32) },
            { userId: AWKWARD[1], state: 'claimed', iampassId: 'b'.repeat(32) },
            { userId: 'not-in-the-app', state: 'missing' },
          ]);
          const again = await dir.claim([
            { userId: AWKWARD[0]!, iampassId: 'd'.repeat(32) },
            { userId: AWKWARD[1]!, iampassId: 'b'.repeat(32) },
          ]);
          expect(again).toEqual([
            { userId: AWKWARD[0], state: 'had', iampassId: 'a'.repeat(32) },
            { userId: AWKWARD[1], state: 'claimed', iampassId: 'b'.repeat(32) },
          ]);
          expect(await dir.release([{ userId: AWKWARD[0]!, iampassId: 'wrong'.padEnd(32, '0') }])).toEqual([]);
          expect(await dir.release([{ userId: AWKWARD[0]!, iampassId: 'a'.repeat(32) }])).toEqual([AWKWARD[0]]);
          const now = await dir.byUserIds([AWKWARD[0]!, AWKWARD[1]!]);
          expect(Object.fromEntries(now.map((u) => [u.userId, u.iampassId]))).toEqual({
            [AWKWARD[0]!]: null,
            [AWKWARD[1]!]: 'b'.repeat(32),
          });
        } finally {
          await dir.close();
        }
      });

      it('never gives one user two IDs when consoles claim the same users at once', async () => {
        reset();
        const dirs = await Promise.all([1, 2, 3, 4].map(() => backend().open(mapping)));
        try {
          const results = await Promise.all(
            dirs.map((d, n) =>
              d.claim(AWKWARD.map((userId, i) => ({ userId, iampassId: `${n}${i}`.padEnd(32, 'f') }))),
            ),
          );
          const final = new Map((await dirs[0]!.byUserIds(AWKWARD)).map((u) => [u.userId, u.iampassId]));
          for (const outcome of results.flat()) {
            expect(outcome.state).not.toBe('missing');
            if (outcome.state !== 'missing') expect(outcome.iampassId).toBe(final.get(outcome.userId));
          }
          expect([...final.values()].every((v) => v !== null)).toBe(true);
          if (mapping.iampassId.kind === 'table') {
            const rows = await dirs[0]!.scan(null, 100);
            expect(rows).toHaveLength(AWKWARD.length); // the join would repeat a user with two token rows
          }
        } finally {
          await Promise.all(dirs.map((d) => d.close()));
        }
      });

      it('refuses a mapping whose column does not exist, and reports a column dropped under it as a schema error', async () => {
        const wrong = { ...mapping, displayName: 'no_such_column' };
        const error = await rejection(backend().open(wrong));
        expect(error.code).toBe('missing');
        expect(error.details).toEqual({ reason: 'schema' });
        expect(error.message).toContain('no_such_column');
        if (mapping.iampassId.kind !== 'column') return;
        backend().exec('ALTER TABLE app_users ADD COLUMN nickname text');
        const dir = await backend().open({ ...mapping, displayName: 'nickname' });
        try {
          backend().exec('ALTER TABLE app_users DROP COLUMN nickname');
          const changed = await rejection(dir.scan(null, 10));
          expect(changed.code).toBe('missing');
          expect(changed.details).toEqual({ reason: 'schema' });
        } finally {
          await dir.close();
        }
      });
    });
  }

describe('postgres only', () => {
  const connection = () => ({
    host: '127.0.0.1',
    port: cluster.port,
    database: 'app',
    user: 'app_ro',
    sslmode: 'disable' as const,
  });

  it('a read-only role: the check says so, a claim is refused as permission denied and writes nothing', async () => {
    const dir = await openAppDirectory(
      { kind: 'postgres', connection: connection(), mapping: COLUMN },
      { password: 'pw-ro' },
    );
    try {
      const before = (await dir.byUserIds([AWKWARD[2]!]))[0]!.iampassId;
      const check = await dir.check();
      expect(check.writable).toBe(false);
      expect(check.ok).toBe(true);
      expect(check.checks.find((c) => c.name === 'IAMPASS ID writable')).toMatchObject({ ok: false });
      const error = await rejection(dir.claim([{ userId: AWKWARD[2]!, iampassId: 'e'.repeat(32) }]));
      expect(error).toMatchObject({ code: 'forbidden', details: { reason: 'permission' } });
      expect((await dir.byUserIds([AWKWARD[2]!]))[0]!.iampassId).toBe(before);
    } finally {
      await dir.close();
    }
  });

  it('a wrong password and an unreachable server are typed errors that never echo the password', async () => {
    const login = await rejection(
      openAppDirectory({ kind: 'postgres', connection: connection(), mapping: COLUMN }, { password: 'hunter2-wrong' }),
    );
    expect(login).toMatchObject({ code: 'unauthorized', details: { reason: 'login' } });
    expect(login.message).not.toContain('hunter2');
    const down = await rejection(
      openAppDirectory(
        { kind: 'postgres', connection: { ...connection(), port: 1 }, mapping: COLUMN },
        { password: 'x', connectTimeoutMs: 2_000 },
      ),
    );
    expect(down).toMatchObject({ code: 'network', details: { reason: 'unreachable' } });
  });

  it('a connection dropped mid-job fails that call as unreachable; the next call reconnects', async () => {
    const dir = await openAppDirectory(backends[0]!.source(COLUMN), { password: PASSWORD });
    try {
      await dir.scan(null, 1);
      cluster.sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'iampass-admin'");
      const error = await rejection(dir.scan(null, 1));
      expect(error.code).toBe('network');
      expect(await dir.scan(null, 1)).toHaveLength(1);
    } finally {
      await dir.close();
    }
  });

  it('one console announces changed users; another listening on the same table hears them', async () => {
    const a = await openAppDirectory(backends[0]!.source(COLUMN), { password: PASSWORD });
    const b = await openAppDirectory(backends[0]!.source(COLUMN), { password: PASSWORD });
    const heard: (string[] | null)[] = [];
    const stop = await a.listen((ids) => heard.push(ids));
    try {
      await b.announce([AWKWARD[0]!, AWKWARD[4]!]);
      await waitFor(() => heard.length > 0);
      expect(heard[0]).toEqual([AWKWARD[0], AWKWARD[4]]);
      await b.announce(Array.from({ length: 2_000 }, (_, i) => `user-${i}`));
      await waitFor(() => heard.length > 1);
      expect(heard[1]).toBeNull(); // too long for one NOTIFY: "sync everything"
      // A console does not hear its own announcements (its mirror already has them).
      await a.announce(['announced-by-a']);
      await b.announce(['announced-by-b']);
      await waitFor(() => heard.length > 2);
      expect(heard.slice(2)).toEqual([['announced-by-b']]);
    } finally {
      await stop();
      await a.close();
      await b.close();
    }
  });

  it('rows without a key or user ID: the check fails on a null key, and a scan ends (never restarts on a null key)', async () => {
    cluster.sql(
      `CREATE TABLE loose (k int UNIQUE, login text, iampass_id text);
       INSERT INTO loose VALUES (1, 'one', NULL), (NULL, 'keyless', NULL), (2, NULL, NULL), (3, 'three', NULL);
       GRANT SELECT, UPDATE ON loose TO app_rw;`,
      'app',
    );
    const mapping: DirectoryMapping = {
      table: 'loose',
      key: 'k',
      userId: 'login',
      iampassId: { kind: 'column', column: 'iampass_id' },
    };
    const dir = await openAppDirectory(backends[0]!.source(mapping), { password: PASSWORD });
    try {
      const check = await dir.check();
      expect(check.ok).toBe(false);
      expect(check.checks.find((c) => c.name === 'key present')).toMatchObject({ ok: false });
      expect(check.checks.find((c) => c.name === 'user ID present')).toMatchObject({ ok: true });
      expect((await dir.scan(null, 1)).map((u) => u.userId)).toEqual(['one']);
      expect((await dir.scan('1', 10)).map((u) => u.userId)).toEqual(['three']);
      expect(await dir.scan('3', 10)).toEqual([]);
    } finally {
      await dir.close();
    }
  });

  it('creates a missing token table only with the DDL the check showed', async () => {
    cluster.sql('GRANT CREATE ON SCHEMA public TO app_rw; GRANT REFERENCES ON app_users TO app_rw', 'app');
    const mapping: DirectoryMapping = {
      ...COLUMN,
      iampassId: { kind: 'table', table: 'console_tokens', userKey: 'user_ref', column: 'iampass_id' },
    };
    const dir = await openAppDirectory(backends[0]!.source(mapping), { password: PASSWORD });
    try {
      const check = await dir.check();
      expect(check.ok).toBe(false);
      expect(check.suggestedDdl).toHaveLength(1);
      expect(check.suggestedDdl[0]).toMatch(/^CREATE TABLE "console_tokens"/);
      await expect(dir.applyDdl(['DROP TABLE app_users'])).rejects.toMatchObject({ code: 'invalid_input' });
      await dir.applyDdl(check.suggestedDdl);
      expect((await dir.check()).ok).toBe(true);
      expect(await dir.claim([{ userId: AWKWARD[3]!, iampassId: 'f'.repeat(32) }])).toEqual([
        { userId: AWKWARD[3], state: 'claimed', iampassId: 'f'.repeat(32) },
      ]);
    } finally {
      await dir.close();
    }
  });
});

describe('postgres over TLS', () => {
  const over = (sslmode: 'require' | 'verify-full', caFile?: string): DirectorySource => ({
    kind: 'postgres',
    connection: {
      host: '127.0.0.1',
      port: cluster.port,
      database: 'app',
      user: 'app_rw',
      sslmode,
      ...(caFile === undefined ? {} : { caFile }),
    },
    mapping: COLUMN,
  });
  const encrypted = () =>
    cluster.sql(
      "SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.application_name = 'iampass-admin' AND s.ssl",
    );

  it('verify-full against the CA file: connected, encrypted; without it the self-signed server is refused as a TLS error', async () => {
    const dir = await openAppDirectory(over('verify-full', cluster.caFile!), { password: PASSWORD });
    try {
      expect((await dir.check()).ok).toBe(true);
      expect(Number(encrypted().trim())).toBeGreaterThan(0);
    } finally {
      await dir.close();
    }
    const refused = await rejection(openAppDirectory(over('verify-full'), { password: PASSWORD }));
    expect(refused).toMatchObject({ code: 'network', details: { reason: 'tls' } });
    expect(refused.message).not.toContain(PASSWORD);
  });

  it('require: encrypted without checking the server', async () => {
    const dir = await openAppDirectory(over('require'), { password: PASSWORD });
    try {
      await dir.scan(null, 1);
      expect(Number(encrypted().trim())).toBeGreaterThan(0);
    } finally {
      await dir.close();
    }
  });
});

describe('sqlite only', () => {
  it('notices another writer of the file (the application) through data_version', async () => {
    const dir = await backends[1]!.open(COLUMN);
    const heard: (string[] | null)[] = [];
    const stop = await dir.listen((ids) => heard.push(ids));
    try {
      backends[1]!.exec(`UPDATE app_users SET full_name = 'Renamed' WHERE id = 1`);
      await waitFor(() => heard.length > 0);
      expect(heard[0]).toBeNull();
      expect((await dir.byUserIds([AWKWARD[0]!]))[0]!.displayName).toBe('Renamed');
    } finally {
      await stop();
      await dir.close();
    }
  });

  it('never creates a file that is not there', async () => {
    const path = join(folder, 'missing.sqlite');
    const error = await rejection(openAppDirectory({ kind: 'sqlite', path, mapping: COLUMN }));
    expect(error.code).toBe('missing');
    expect(() => new DatabaseSync(path, { readOnly: true })).toThrow();
  });
});
