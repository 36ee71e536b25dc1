/**
 * Replay protection: the nonces each client has used inside the timestamp
 * window, with bounded memory.
 *
 * Every accepted (client, nonce) pair is remembered with its timestamp until
 * the timestamp leaves the window. Each client has a hard cap. When the cap is
 * reached the oldest entry is evicted, but the client's *floor* is raised to
 * that entry's timestamp first: from then on any request of that client whose
 * timestamp is at or below the floor is rejected. So a nonce is never
 * forgotten while a replay of it could still be accepted; the cap tightens the
 * effective window instead of weakening replay protection.
 */
export type NonceVerdict = 'ok' | 'replay' | 'below_floor';

interface ClientNonces {
  /** Insertion order, roughly timestamp order. nonce -> timestamp (s). */
  entries: Map<string, number>;
  /** Timestamps <= floor are refused (their nonces may have been evicted). */
  floor: number;
}

export class NonceCache {
  readonly #clients = new Map<string, ClientNonces>();
  readonly #perClient: number;
  readonly #maxClients: number;
  #inserts = 0;

  constructor(options: { perClient?: number; maxClients?: number } = {}) {
    this.#perClient = Math.max(1, options.perClient ?? 100_000);
    this.#maxClients = Math.max(1, options.maxClients ?? 100_000);
  }

  /**
   * Records (client, nonce) if it is fresh. `now` and `window` in seconds;
   * the caller has already checked |now - timestamp| <= window.
   */
  check(clientId: string, nonce: string, timestamp: number, now: number, window: number): NonceVerdict {
    let client = this.#clients.get(clientId);
    if (client) {
      if (timestamp <= client.floor) return 'below_floor';
      if (client.entries.has(nonce)) return 'replay';
    } else {
      if (this.#clients.size >= this.#maxClients) this.sweep(now, window);
      if (this.#clients.size >= this.#maxClients) {
        // Too many live clients: refuse rather than forget another's nonces.
        return 'below_floor';
      }
      client = { entries: new Map(), floor: Number.NEGATIVE_INFINITY };
      this.#clients.set(clientId, client);
    }
    this.#expireHead(client, now, window);
    while (client.entries.size >= this.#perClient) {
      const oldest = client.entries.entries().next().value;
      if (!oldest) break;
      client.entries.delete(oldest[0]);
      if (oldest[1] > client.floor) client.floor = oldest[1];
    }
    if (timestamp <= client.floor) return 'below_floor';
    client.entries.set(nonce, timestamp);
    if (++this.#inserts % 4096 === 0) this.sweep(now, window);
    return 'ok';
  }

  /** Drops entries (and whole clients) whose timestamps have left the window. */
  sweep(now: number, window: number): void {
    for (const [id, client] of this.#clients) {
      this.#expireHead(client, now, window);
      if (client.entries.size === 0 && client.floor < now - window) this.#clients.delete(id);
    }
  }

  /** Entries currently held (for tests and the benchmark). */
  size(): number {
    let n = 0;
    for (const client of this.#clients.values()) n += client.entries.size;
    return n;
  }

  #expireHead(client: ClientNonces, now: number, window: number): void {
    // Entries are roughly in timestamp order: drop expired ones from the head
    // until one is still inside the window. Expired entries deeper in the map
    // go later; they only cost memory (bounded by the cap), never safety.
    const limit = now - window;
    for (const [nonce, ts] of client.entries) {
      if (ts >= limit) break;
      client.entries.delete(nonce);
    }
  }
}
