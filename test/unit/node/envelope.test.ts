import { describe, expect, it } from 'vitest';
import { AppError } from '../../../src/shared/errors.ts';
import { newDataKey, open, seal } from '../../../src/node/envelope.ts';

const SECRET = 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof AppError ? error.code : 'not-an-AppError';
  }
  return undefined;
}

describe('AES-256-GCM envelope', () => {
  it('round-trips and never contains the plaintext', () => {
    const key = newDataKey();
    const blob = seal(key, SECRET, 'session:1');
    expect(blob.includes(Buffer.from(SECRET))).toBe(false);
    expect(open(key, blob, 'session:1')).toBe(SECRET);
  });

  it('uses a fresh IV each time', () => {
    const key = newDataKey();
    expect(seal(key, SECRET).equals(seal(key, SECRET))).toBe(false);
  });

  it('rejects a tampered blob (any byte) with a typed error', () => {
    const key = newDataKey();
    const blob = seal(key, SECRET, 'a');
    for (const index of [1, 13, 29, blob.length - 1]) {
      const bad = Buffer.from(blob);
      bad[index] = bad[index]! ^ 0x01;
      expect(codeOf(() => open(key, bad, 'a'))).toBe('internal');
    }
    expect(codeOf(() => open(key, blob.subarray(0, 10), 'a'))).toBe('internal');
  });

  it('rejects the wrong key and the wrong binding', () => {
    const key = newDataKey();
    const blob = seal(key, SECRET, 'session:1');
    expect(codeOf(() => open(newDataKey(), blob, 'session:1'))).toBe('internal');
    expect(codeOf(() => open(key, blob, 'session:2'))).toBe('internal');
    expect(codeOf(() => open(Buffer.alloc(16), blob, 'session:1'))).toBe('internal');
  });

  it('error messages never carry the plaintext', () => {
    const key = newDataKey();
    const blob = seal(key, SECRET);
    let caught: unknown;
    try {
      open(newDataKey(), blob);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(AppError);
    expect(JSON.stringify((caught as AppError).toInfo())).not.toContain(SECRET);
  });
});
