import { describe, expect, it } from 'vitest';
import { NonceCache } from '../../../src/sandbox/nonces.ts';

describe('NonceCache (bounded replay protection)', () => {
  it('rejects a nonce seen for the same client inside the window, not for another client', () => {
    const c = new NonceCache();
    expect(c.check('a', '1', 1000, 1000, 300)).toBe('ok');
    expect(c.check('a', '1', 1001, 1001, 300)).toBe('replay');
    expect(c.check('b', '1', 1000, 1000, 300)).toBe('ok');
  });

  it('forgets nonces whose timestamps left the window', () => {
    const c = new NonceCache();
    c.check('a', '1', 1000, 1000, 300);
    c.check('a', '2', 1000, 1400, 300); // head entry at 1000 < 1100: expired
    expect(c.size()).toBe(1);
  });

  it('at the cap, evicts the oldest but raises the floor so evicted nonces cannot be replayed', () => {
    const c = new NonceCache({ perClient: 3 });
    expect(c.check('a', 'n1', 100, 200, 300)).toBe('ok');
    expect(c.check('a', 'n2', 150, 200, 300)).toBe('ok');
    expect(c.check('a', 'n3', 190, 200, 300)).toBe('ok');
    expect(c.check('a', 'n4', 200, 200, 300)).toBe('ok'); // evicts n1 (ts 100): floor = 100
    expect(c.size()).toBe(3);
    // Replay of the evicted n1 at its own timestamp: refused by the floor.
    expect(c.check('a', 'n1', 100, 200, 300)).toBe('below_floor');
    // Still-held nonces: refused as replays.
    expect(c.check('a', 'n2', 150, 200, 300)).toBe('replay');
    // Fresh requests newer than the floor still pass.
    expect(c.check('a', 'n5', 199, 200, 300)).toBe('ok');
  });

  it('memory stays bounded under a flood from one client', () => {
    const c = new NonceCache({ perClient: 1000 });
    for (let i = 0; i < 20_000; i++)
      c.check('a', String(i), 1000 + Math.floor(i / 100), 1000 + Math.floor(i / 100), 300);
    expect(c.size()).toBeLessThanOrEqual(1000);
    // Every nonce ever accepted is refused when replayed.
    for (let i = 0; i < 20_000; i += 997) {
      expect(c.check('a', String(i), 1000 + Math.floor(i / 100), 1200, 300)).not.toBe('ok');
    }
  });

  it('bounds the number of clients, refusing new ones rather than forgetting', () => {
    const c = new NonceCache({ maxClients: 2 });
    expect(c.check('a', '1', 100, 100, 300)).toBe('ok');
    expect(c.check('b', '1', 100, 100, 300)).toBe('ok');
    expect(c.check('c', '1', 100, 100, 300)).toBe('below_floor');
    // Once a and b's entries expire they are swept and c gets in.
    expect(c.check('c', '1', 500, 500, 300)).toBe('ok');
  });
});
