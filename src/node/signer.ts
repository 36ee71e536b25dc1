/**
 * IAMPASS request authentication, protocol version 1 (spec section 2).
 *
 *   token     = SHA-256(nonce + secret)[0..16]
 *   canonical = URL without its leading `scheme://`
 *   digest    = HMAC-SHA-256(token, nonce + canonical + timestamp)[0..16]
 *   header    = `hmac <client_id>:<nonce>:<base64(digest)>`
 *
 * Used by the client to sign and by the sandbox to verify.
 */
import { hash, randomFillSync, timingSafeEqual } from 'node:crypto';

export type Flavour = 'IAMPASS' | 'Activeconnect';

export interface SignInput {
  clientId: string;
  secret: string;
  /** The full URL exactly as sent on the wire. */
  url: string;
  nonce: string;
  /** Unix seconds. */
  timestamp: number;
}

/** The URL with its leading `scheme://` removed: `host[:port]/path?query`. */
export function canonicalRequest(url: string): string {
  const match = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(url);
  return match ? url.slice(match[0].length) : url;
}

const BLOCK = 64;
const IPAD = 0x36;
const OPAD = 0x5c;

/**
 * HMAC-SHA-256 (RFC 2104) over node:crypto's SHA-256. `createHmac` is not
 * used because on Node 24 each construction imports its key as a KeyObject,
 * which costs several times the hashing itself (measured ~60 µs against
 * ~10 µs), and every request here has a fresh key (the per-nonce token): the
 * client signs and the sandbox verifies every request, so this is the hot
 * path of bulk sweeps. Checked against `createHmac` for random keys and
 * messages in test/unit/signer.test.ts, and by the shared vectors.
 */
export function hmacSha256(key: Uint8Array, message: string): Buffer {
  const k = key.length > BLOCK ? hash('sha256', key, 'buffer') : key;
  const text = Buffer.from(message, 'utf8');
  // One-shot hashes of (K ^ ipad) || message, then (K ^ opad) || inner: no Hash objects per call.
  const inner = Buffer.allocUnsafe(BLOCK + text.length);
  const outer = Buffer.allocUnsafe(BLOCK + 32);
  for (let i = 0; i < BLOCK; i++) {
    const byte = k[i] ?? 0;
    inner[i] = byte ^ IPAD;
    outer[i] = byte ^ OPAD;
  }
  text.copy(inner, BLOCK);
  hash('sha256', inner, 'buffer').copy(outer, BLOCK);
  return hash('sha256', outer, 'buffer');
}

export function computeSignature(input: Omit<SignInput, 'clientId'> & { canonical?: string }): string {
  const canonical = input.canonical ?? canonicalRequest(input.url);
  const token = hash('sha256', input.nonce + input.secret, 'buffer').subarray(0, 16);
  return hmacSha256(token, input.nonce + canonical + String(input.timestamp))
    .subarray(0, 16)
    .toString('base64');
}

export function authenticationHeader(input: SignInput): string {
  return `hmac ${input.clientId}:${input.nonce}:${computeSignature(input)}`;
}

/**
 * Nonces come from the CSPRNG in blocks (one `randomFillSync` per 512 nonces
 * rather than per request); each 8-byte slice is handed out once, then the
 * block is refilled, so no random bytes are ever used twice.
 */
const NONCE_BYTES = 8;
const noncePool = Buffer.alloc(NONCE_BYTES * 512);
let nonceOffset = noncePool.length;

/** A uniformly random unsigned 64-bit integer in decimal, from the CSPRNG. */
export function newNonce(): string {
  if (nonceOffset >= noncePool.length) {
    randomFillSync(noncePool);
    nonceOffset = 0;
  }
  const value = noncePool.readBigUInt64BE(nonceOffset);
  nonceOffset += NONCE_BYTES;
  return value.toString(10);
}

export interface SignedHeaders {
  [name: string]: string;
}

/**
 * The headers of a signed request. Both spellings of the X- headers are sent
 * (the vendor's reference misspells them "Authentiaction"; see the spec's
 * Decision), with the flavour's prefix.
 */
export function signedHeaders(
  flavour: Flavour,
  credentials: { clientId: string; secret: string },
  url: string,
  options: { nonce?: string; timestamp?: number } = {},
): SignedHeaders {
  const nonce = options.nonce ?? newNonce();
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const authentication = authenticationHeader({ ...credentials, url, nonce, timestamp });
  const ts = String(timestamp);
  return {
    Authentication: authentication,
    [`X-${flavour}-Authentication-Timestamp`]: ts,
    [`X-${flavour}-Authentication-Version`]: '1',
    [`X-${flavour}-Authentiaction-Timestamp`]: ts,
    [`X-${flavour}-Authentiaction-Version`]: '1',
  };
}

export interface ParsedAuthentication {
  clientId: string;
  nonce: string;
  signature: string;
}

/** Parses `hmac <client_id>:<nonce>:<signature>`; null when malformed. */
export function parseAuthenticationHeader(value: string | undefined): ParsedAuthentication | null {
  if (!value) return null;
  const match = /^hmac ([^:\s]+):([0-9]{1,20}):([A-Za-z0-9+/]{22}==)$/.exec(value.trim());
  if (!match) return null;
  const [, clientId, nonce, signature] = match;
  if (clientId === undefined || nonce === undefined || signature === undefined) return null;
  if (BigInt(nonce) > 0xffffffffffffffffn) return null;
  return { clientId, nonce, signature };
}

/** Constant-time check of a received signature against the expected one. */
export function verifySignature(
  input: Omit<SignInput, 'clientId'> & { canonical?: string },
  signature: string,
): boolean {
  const expected = Buffer.from(computeSignature(input), 'utf8');
  const received = Buffer.from(signature, 'utf8');
  return expected.length === received.length && timingSafeEqual(expected, received);
}
