import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  authenticationHeader,
  canonicalRequest,
  newNonce,
  parseAuthenticationHeader,
  signedHeaders,
  verifySignature,
} from '../../../src/node/signer.ts';
import { quotePlus } from '../../../src/shared/encoding.ts';

interface Vector {
  client_id: string;
  secret: string;
  uri: string;
  nonce: string;
  timestamp: number;
  user_id: string | null;
  authentication: string;
}

// Read straight from the shared protocol folder: the vectors are computed by
// an independent implementation and must be reproduced byte for byte.
const vectorsPath = fileURLToPath(new URL('../../../../shared/protocol/vectors.json', import.meta.url));
const vectors = JSON.parse(readFileSync(vectorsPath, 'utf8')) as Vector[];

describe('HMAC v1 signer', () => {
  it('has vectors to check', () => {
    expect(vectors.length).toBeGreaterThanOrEqual(12);
  });

  it.each(vectors.map((v, i) => [i, v] as const))('reproduces vector %i byte for byte', (_i, v) => {
    const header = authenticationHeader({
      clientId: v.client_id,
      secret: v.secret,
      url: v.uri,
      nonce: v.nonce,
      timestamp: v.timestamp,
    });
    expect(header).toBe(v.authentication);
  });

  it.each(vectors.filter((v) => v.user_id !== null).map((v) => [v.user_id!, v] as const))(
    'encodes user id %j as the vector URL does',
    (userId, v) => {
      expect(v.uri).toContain('/' + quotePlus(userId));
    },
  );

  it('verifies its own signatures and rejects any tampering', () => {
    const v = vectors[1]!;
    const sig = parseAuthenticationHeader(v.authentication)!;
    const input = { secret: v.secret, url: v.uri, nonce: v.nonce, timestamp: v.timestamp };
    expect(verifySignature(input, sig.signature)).toBe(true);
    expect(verifySignature({ ...input, timestamp: v.timestamp + 1 }, sig.signature)).toBe(false);
    expect(verifySignature({ ...input, url: v.uri + 'x' }, sig.signature)).toBe(false);
    expect(verifySignature({ ...input, nonce: v.nonce + '1' }, sig.signature)).toBe(false);
    expect(verifySignature({ ...input, secret: v.secret.toLowerCase() }, sig.signature)).toBe(false);
  });

  it('strips only the scheme from the canonical request', () => {
    expect(canonicalRequest('http://127.0.0.1:8765/a/b?c=d')).toBe('127.0.0.1:8765/a/b?c=d');
    expect(canonicalRequest('https://main.iam-api.com/x')).toBe('main.iam-api.com/x');
  });

  it('sends both header spellings with the flavour prefix', () => {
    const h = signedHeaders('Activeconnect', { clientId: 'ID', secret: 'S' }, 'https://activeapi.ninja/x', {
      nonce: '1',
      timestamp: 1700000000,
    });
    expect(h['X-Activeconnect-Authentication-Timestamp']).toBe('1700000000');
    expect(h['X-Activeconnect-Authentiaction-Timestamp']).toBe('1700000000');
    expect(h['X-Activeconnect-Authentication-Version']).toBe('1');
    expect(h['X-Activeconnect-Authentiaction-Version']).toBe('1');
    expect(h.Authentication).toMatch(/^hmac ID:1:[A-Za-z0-9+/]{22}==$/);
  });

  it('draws unsigned 64-bit decimal nonces that do not repeat', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      const n = newNonce();
      expect(n).toMatch(/^(0|[1-9][0-9]{0,19})$/);
      expect(BigInt(n) <= 0xffffffffffffffffn).toBe(true);
      seen.add(n);
    }
    expect(seen.size).toBe(10_000);
  });

  it('parses what it writes, for any client id and nonce', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), (id, n) => {
        const header = authenticationHeader({
          clientId: id,
          secret: 'x',
          url: 'http://h/p',
          nonce: n.toString(),
          timestamp: 1,
        });
        const parsed = parseAuthenticationHeader(header);
        expect(parsed?.clientId).toBe(id);
        expect(parsed?.nonce).toBe(n.toString());
      }),
    );
  });

  it('rejects malformed authentication headers', () => {
    for (const bad of [
      undefined,
      '',
      'hmac',
      'Bearer x',
      'hmac a:b:c',
      'hmac a:1:short==',
      'hmac a:99999999999999999999:AAAAAAAAAAAAAAAAAAAAAA==',
    ]) {
      expect(parseAuthenticationHeader(bad)).toBeNull();
    }
  });
});
