/**
 * The signer's HMAC-SHA-256 is built on node:crypto's SHA-256 (createHmac
 * costs a KeyObject import per call on Node 24, and every request has a
 * fresh key). It must equal createHmac for every key size and message.
 */
import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { computeSignature, hmacSha256, newNonce } from '../../../src/node/signer.ts';

describe('hmacSha256', () => {
  it('equals createHmac for any key (empty, short, block-sized, longer) and any message', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 150 }),
        fc.string({ unit: 'grapheme', maxLength: 200 }),
        (key, message) => {
          expect(hmacSha256(key, message).toString('hex')).toBe(
            createHmac('sha256', key).update(message, 'utf8').digest('hex'),
          );
        },
      ),
      { numRuns: 500 },
    );
    for (const size of [0, 16, 63, 64, 65, 200]) {
      const key = Buffer.alloc(size, 0xa5);
      expect(hmacSha256(key, 'message').equals(createHmac('sha256', key).update('message').digest())).toBe(true);
    }
  });

  it('the signature is the spec formula with createHmac, for any nonce, secret, URL and timestamp', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        fc.stringMatching(/^[0-9A-F]{48}$/),
        fc.webUrl(),
        fc.nat(),
        (n, secret, url, ts) => {
          const nonce = n.toString();
          const tokenKey = createHash('sha256')
            .update(nonce + secret, 'utf8')
            .digest()
            .subarray(0, 16);
          const canonical = url.replace(/^[A-Za-z][A-Za-z0-9+.-]*:\/\//, '');
          const expected = createHmac('sha256', tokenKey)
            .update(nonce + canonical + String(ts), 'utf8')
            .digest()
            .subarray(0, 16)
            .toString('base64');
          expect(computeSignature({ secret, url, nonce, timestamp: ts })).toBe(expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('nonces stay unique across many refills of the CSPRNG block', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 50_000; i++) seen.add(newNonce());
    expect(seen.size).toBe(50_000);
  });
});
