/**
 * node-postgres helpers shared by the application directory and the team
 * ledger: a query whose failure is a typed database error, and a READ
 * COMMITTED transaction that says whether a failure may have committed.
 */
import type pg from 'pg';
import { committedOrNot, dbError } from './errors.ts';

export async function pgQuery<R extends pg.QueryResultRow>(
  on: pg.Pool | pg.PoolClient,
  where: string,
  sql: string,
  params: unknown[] = [],
): Promise<R[]> {
  try {
    return (await on.query<R>(sql, params)).rows;
  } catch (error) {
    throw dbError(error, where);
  }
}

/**
 * Runs `fn` in one READ COMMITTED transaction (whatever the database's
 * default: a claim re-reads rows another console just committed). A failure
 * before COMMIT wrote nothing (PostgreSQL rolls back a transaction whose
 * connection is lost); only a COMMIT without its answer may have been
 * written (`details.committed`).
 */
export async function pgTransaction<T>(
  pool: pg.Pool,
  where: string,
  fn: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    throw dbError(error, where);
  }
  let broken = false;
  // A checked-out client whose connection dies emits 'error': without a listener that would crash the process.
  const onError = (): void => {
    broken = true;
  };
  client.on('error', onError);
  let committing = false;
  try {
    await pgQuery(client, where, 'BEGIN ISOLATION LEVEL READ COMMITTED');
    const out = await fn(client);
    committing = true;
    await pgQuery(client, where, 'COMMIT');
    return out;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {
      broken = true;
    });
    throw committedOrNot(dbError(error, where), committing);
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}
