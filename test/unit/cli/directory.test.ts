/**
 * `iampass-admin directory …` as a user runs it (subprocesses through the
 * real bin) on a throwaway PostgreSQL cluster and the real sandbox: a dry
 * run, a refused login, linking, adding the application's users, a change
 * the application makes between commands, and the database password never
 * printed nor written to the data folder.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import keytar from 'keytar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtualPhone } from '../../../src/sandbox/phone.ts';
import { startSandbox, type Sandbox } from '../../../src/sandbox/server.ts';
import { startPostgres, type PgCluster } from '../../support/postgres.ts';
import { run, type Ran } from '../../support/run.ts';
import { filesContain } from '../services/helpers.ts';

const BIN = resolve(import.meta.dirname, '../../../bin/iampass-admin.mjs');
const SERVICE = `iampass-admin-cli-dir-test-${randomUUID()}`;
const DB_PASSWORD = 'db-pw-Zq81-never-shown';

let sandbox: Sandbox;
let cluster: PgCluster;
let tmp: string;
const runs: Ran[] = [];

beforeAll(async () => {
  sandbox = await startSandbox({});
  cluster = await startPostgres();
  cluster.createDatabase('shop');
  cluster.sql(`CREATE ROLE console LOGIN PASSWORD '${DB_PASSWORD}'`);
  cluster.sql(
    `CREATE TABLE customers (id serial PRIMARY KEY, email text NOT NULL UNIQUE, name text, iampass_id text UNIQUE);
     INSERT INTO customers (email, name) SELECT 'c' || g || '@shop.example', 'Customer ' || g FROM generate_series(1, 12) g;
     GRANT SELECT, UPDATE ON customers TO console;`,
    'shop',
  );
  tmp = mkdtempSync(join(tmpdir(), 'iampass-cli-dir-'));
}, 60_000);
afterAll(async () => {
  await sandbox?.close();
  await cluster?.stop();
  for (const c of await keytar.findCredentials(SERVICE)) await keytar.deletePassword(SERVICE, c.account);
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

async function cli(args: string[], env: Record<string, string> = {}, stdin = ''): Promise<Ran> {
  const e: NodeJS.ProcessEnv = { ...process.env, IAMPASS_KEYCHAIN_SERVICE: SERVICE, ...env };
  if (!env.IAMPASS_DB_PASSWORD) delete e.IAMPASS_DB_PASSWORD;
  const ran = await run(process.execPath, [BIN, '--data', join(tmp, 'data'), ...args], { env: e, stdin });
  runs.push(ran);
  return ran;
}

/** A Sandbox application added as the active profile `name` through the CLI. */
async function addApp(name: string): Promise<void> {
  const app = await new VirtualPhone(sandbox.baseUrl).createApplication();
  const added = await cli(
    ['apps', 'add', name, '--app-id', app.id, '--base-url', sandbox.baseUrl, '--flavour', 'Sandbox', '--use'],
    { IAMPASS_APP_SECRET: app.secret },
  );
  expect(added.code, added.stderr).toBe(0);
}

/** A source file for the `customers` table of `database` (email as the user ID, name as the display name), with `extra` fields. */
function sourceFor(file: string, database: string, extra: Record<string, unknown> = {}): string {
  const path = join(tmp, file);
  writeFileSync(
    path,
    JSON.stringify({
      kind: 'postgres',
      connection: { host: '127.0.0.1', port: cluster.port, database, user: 'console' },
      mapping: {
        table: 'customers',
        key: 'id',
        userId: 'email',
        displayName: 'name',
        iampassId: { kind: 'column', column: 'iampass_id' },
      },
      ...extra,
    }),
  );
  return path;
}

describe('iampass-admin directory', () => {
  it("checks, links and works on the application's users; the password stays in the keychain", async () => {
    await addApp('Shop');
    const sourceFile = sourceFor('source.json', 'shop');

    const wrong = await cli(['directory', 'check', '--source', sourceFile], {}, 'not-the-password\n');
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toMatch(/refused the login/);

    const check = await cli(['directory', 'check', '--source', sourceFile], { IAMPASS_DB_PASSWORD: DB_PASSWORD });
    expect(check.code, check.stderr).toBe(0);
    expect(check.stdout).toMatch(/IAMPASS ID writable\s+yes/);
    expect(check.stdout).toContain('12 users, 0 with an IAMPASS ID');
    expect(check.stdout).toContain('c1@shop.example');

    // The password on standard input, as a script pipes it.
    const link = await cli(['directory', 'link', '--source', sourceFile], {}, `${DB_PASSWORD}\n`);
    expect(link.code, link.stderr).toBe(0);
    expect(await keytar.findCredentials(SERVICE)).toContainEqual(expect.objectContaining({ password: DB_PASSWORD }));

    const list = await cli(['users', 'list', '--state', 'not_at_iampass']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stderr).toContain('12 of 12 users');

    const add = await cli(['users', 'add', 'c1@shop.example', 'c2@shop.example', 'stranger@shop.example']);
    expect(add.stdout).toMatch(/stranger@shop\.example\s+missing/);
    expect(add.stderr).toContain('2 created');
    const ids = cluster.sql(
      "SELECT email || '=' || iampass_id FROM customers WHERE iampass_id IS NOT NULL ORDER BY 1",
      'shop',
    );
    expect(ids.trim().split('\n')).toHaveLength(2);

    // The application signs a user up between two commands: the next command reads it first.
    cluster.sql("INSERT INTO customers (email, name) VALUES ('new@shop.example', 'Newcomer')", 'shop');
    const after = await cli(['users', 'list', '--json', '--search', 'new@']);
    expect(after.code, after.stderr).toBe(0);
    expect(after.stderr).toBe(''); // --json: notes stay off stderr
    const listed = JSON.parse(after.stdout) as { users: { userId: string; iampassId: string }[] };
    expect(listed.users).toEqual([expect.objectContaining({ userId: 'new@shop.example', iampassId: '' })]);

    cluster.sql("INSERT INTO customers (email, name) VALUES ('later@shop.example', 'Later')", 'shop');
    const noted = await cli(['users', 'list', '--search', 'later']);
    expect(noted.stderr).toContain("the application's database changed since the last sync");
    expect(noted.stdout).toContain('later@shop.example');

    const show = await cli(['directory', 'show', '--json']);
    const shown = JSON.parse(show.stdout) as { source: { kind: string }; users: number; atIampass: number };
    expect(shown).toMatchObject({ source: { kind: 'postgres' }, users: 14, atIampass: 2 });

    const unlink = await cli(['directory', 'unlink']);
    expect(unlink.code, unlink.stderr).toBe(0);
    expect((await keytar.findCredentials(SERVICE)).some((c) => c.password === DB_PASSWORD)).toBe(false);
    // The application's table keeps its IDs.
    expect(cluster.sql('SELECT count(iampass_id) FROM customers', 'shop').trim()).toBe('2');

    for (const r of runs) expect(`${r.stdout}${r.stderr}`).not.toContain(DB_PASSWORD);
    expect(filesContain(join(tmp, 'data'), DB_PASSWORD)).toEqual([]);
  }, 120_000);

  it('team mode: link --create runs the team DDL; the shared audit log names the admin of each command', async () => {
    cluster.createDatabase('team');
    cluster.sql(
      `CREATE TABLE customers (id serial PRIMARY KEY, email text NOT NULL UNIQUE, name text, iampass_id text UNIQUE);
       INSERT INTO customers (email, name) SELECT 'c' || g || '@team.example', 'Customer ' || g FROM generate_series(1, 5) g;
       GRANT SELECT, UPDATE ON customers TO console; GRANT CREATE ON DATABASE team TO console;`,
      'team',
    );
    await addApp('Team');
    const sourceFile = sourceFor('team.json', 'team', { team: { schema: 'admins' } });
    const env = { IAMPASS_DB_PASSWORD: DB_PASSWORD };
    const check = await cli(['directory', 'check', '--source', sourceFile], env);
    expect(check.stdout).toMatch(/team tables exist\s+NO/);
    expect(check.stdout).toContain('CREATE SCHEMA IF NOT EXISTS "admins"');
    expect(cluster.sql("SELECT count(*) FROM pg_namespace WHERE nspname = 'admins'", 'team').trim()).toBe('0');
    const link = await cli(['directory', 'link', '--source', sourceFile, '--create'], env);
    expect(link.code, link.stderr).toBe(0);
    expect((await cli(['directory', 'show'])).stdout).toContain('team mode: schema admins');
    const add = await cli(['users', 'add', 'c1@team.example', 'c2@team.example']);
    expect(add.stderr).toContain('2 created');
    // Settled adds leave the shared ledger.
    expect(cluster.sql('SELECT count(*) FROM admins.intents', 'team').trim()).toBe('0');
    const exported = await cli(['audit', 'export', '--team', '--format', 'json']);
    expect(exported.code, exported.stderr).toBe(0);
    const entries = JSON.parse(exported.stdout) as { action: string; admin: string; application: string }[];
    expect(entries.map((e) => e.action)).toEqual(expect.arrayContaining(['directory.link', 'users.add']));
    expect(new Set(entries.map((e) => e.admin))).toEqual(new Set([`${userInfo().username}@${hostname()}`]));
    const notTeam = await cli(['audit', 'export', '--team', '--format', 'json', '--profile', 'Shop']);
    expect(notTeam.code).not.toBe(0);
    expect(notTeam.stderr).toContain('not in team mode');
  }, 120_000);
});
