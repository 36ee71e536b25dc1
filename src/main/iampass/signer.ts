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
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

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

export function computeSignature(input: Omit<SignInput, 'clientId'> & { canonical?: string }): string {
  const canonical = input.canonical ?? canonicalRequest(input.url);
  const token = createHash('sha256').update(input.nonce + input.secret, 'utf8').digest().subarray(0, 16);
  const digest = createHmac('sha256', token)
    .update(input.nonce + canonical + String(input.timestamp), 'utf8')
    .digest()
    .subarray(0, 16);
  return digest.toString('base64');
}

export function authenticationHeader(input: SignInput): string {
  return `hmac ${input.clientId}:${input.nonce}:${computeSignature(input)}`;
}

/** A uniformly random unsigned 64-bit integer in decimal, from the CSPRNG. */
export function newNonce(): string {
  return randomBytes(8).readBigUInt64BE().toString(10);
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
export function verifySignature(input: Omit<SignInput, 'clientId'> & { canonical?: string }, signature: string): boolean {
  const expected = Buffer.from(computeSignature(input), 'utf8');
  const received = Buffer.from(signature, 'utf8');
  return expected.length === received.length && timingSafeEqual(expected, received);
}
