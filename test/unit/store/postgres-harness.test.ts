// The throwaway PostgreSQL cluster of test/support/postgres.ts, for real: a
// role with a password logs in over TCP, a wrong password is refused as in
// production, extensions load, and stop() leaves neither server nor folder.
import { existsSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type PgCluster } from '../../support/postgres.ts';

const TIMEOUT = 60_000; // initdb + start take a few seconds on a loaded 2-core machine

/** Connects, runs `text`, disconnects (also when the query fails). */
async function query(connectionString: string, text: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    return await client.query(text);
  } finally {
    await client.end();
  }
}

describe('startPostgres', () => {
  let cluster: PgCluster;

  beforeAll(async () => {
    cluster = await startPostgres();
    cluster.sql(`CREATE ROLE app_rw LOGIN PASSWORD 'right horse battery'`);
    cluster.createDatabase('directory');
  }, TIMEOUT);
  afterAll(() => cluster?.stop(), TIMEOUT);

  it('runs SQL as the superuser over the socket', () => {
    expect(cluster.host).toBe(cluster.dir);
    expect(cluster.superuser).toBe('postgres');
    expect(cluster.sql('SELECT current_user', 'directory')).toBe('postgres\n');
    expect(() => cluster.sql('SELECT * FROM no_such_table')).toThrow(/no_such_table/);
  });

  it('lets a role in over TCP with its password', { timeout: TIMEOUT }, async () => {
    const url = cluster.url('directory', 'app_rw', 'right horse battery');
    expect(url).toContain(`@127.0.0.1:${cluster.port}/directory`);
    const result = await query(url, 'SELECT current_user, current_database()');
    expect(result.rows).toEqual([{ current_user: 'app_rw', current_database: 'directory' }]);
  });

  it('refuses a wrong password over TCP (28P01)', { timeout: TIMEOUT }, async () => {
    await expect(query(cluster.url('directory', 'app_rw', 'wrong'), 'SELECT 1')).rejects.toMatchObject({
      code: '28P01',
    });
  });

  it('reaches the superuser through the socket URL', { timeout: TIMEOUT }, async () => {
    const result = await query(cluster.url('directory'), 'SELECT current_user');
    expect(result.rows).toEqual([{ current_user: 'postgres' }]);
  });

  it('creates the pg_trgm extension', () => {
    cluster.sql('CREATE EXTENSION pg_trgm', 'directory');
    expect(cluster.sql(`SELECT extname FROM pg_extension WHERE extname = 'pg_trgm'`, 'directory')).toBe('pg_trgm\n');
  });

  it('stops: the folder is gone and connections are refused', { timeout: TIMEOUT }, async () => {
    const url = cluster.url('directory', 'app_rw', 'right horse battery');
    await cluster.stop();
    await cluster.stop(); // idempotent
    expect(existsSync(cluster.dir)).toBe(false);
    await expect(query(url, 'SELECT 1')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
