/**
 * How many users match a query, remembered while the store and the users
 * service's revision are unchanged: scrolling asks for many windows of one
 * query, and counting a query that matches most of 1,000,000 users is the
 * expensive part of a window. The sort does not change a count; a count
 * taken inside a transaction is not kept.
 */
import type { UsersQuery } from '../../shared/ipc/users.ts';
import type { Store } from '../store/db.ts';
import { changeStamp } from '../store/directory.ts';
import { countQuery, type QueryContext } from '../store/user-query.ts';

export class QueryCounts {
  readonly #store: Store;
  readonly #revision: () => number;
  readonly #counts = new Map<string, number>();
  #stamp = '';

  constructor(store: Store, revision: () => number) {
    this.#store = store;
    this.#revision = revision;
  }

  /** The count, from memory or the store. */
  get(profileId: string, query: UsersQuery, ctx: QueryContext): number {
    const known = this.known(profileId, query, ctx);
    if (known !== null) return known;
    const n = countQuery(this.#store, profileId, query, ctx);
    this.remember(profileId, query, ctx, n);
    return n;
  }

  /** The count when it is remembered and still true, else null. */
  known(profileId: string, query: UsersQuery, ctx: QueryContext): number | null {
    const [stamp, key] = this.#key(profileId, query, ctx);
    return stamp !== null && stamp === this.#stamp ? (this.#counts.get(key) ?? null) : null;
  }

  remember(profileId: string, query: UsersQuery, ctx: QueryContext, n: number): void {
    const [stamp, key] = this.#key(profileId, query, ctx);
    if (stamp === null) return;
    if (stamp !== this.#stamp || this.#counts.size >= 64) {
      this.#counts.clear();
      this.#stamp = stamp;
    }
    this.#counts.set(key, n);
  }

  /** [database + revision stamp (null inside a transaction: not cached), the query's key without its sort]. */
  #key(profileId: string, query: UsersQuery, ctx: QueryContext): [string | null, string] {
    const stamp = this.#store.db.isTransaction ? null : `${changeStamp(this.#store)}:${this.#revision()}`;
    const { sort: _sort, ...filter } = query;
    // "No authentication in N days" moves with the clock: such a count is kept for a minute at most.
    const minute = query.inactiveDays === undefined ? '' : String(Math.floor((ctx.now ?? 0) / 60_000));
    return [stamp, `${profileId}\u0000${minute}\u0000${JSON.stringify(filter)}`];
  }
}
