/**
 * AES-256-GCM envelope for small secrets kept at rest in SQLite (session
 * secrets). The 32-byte data key lives only in the OS keychain.
 *
 *   blob = version(1 byte = 1) | iv(12) | tag(16) | ciphertext
 *
 * `aad` binds a blob to its row (e.g. the session id), so a blob copied into
 * another row fails to open.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { AppError } from '../shared/errors.ts';

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
export const DATA_KEY_BYTES = 32;

function checkKey(key: Uint8Array): void {
  if (key.length !== DATA_KEY_BYTES) throw new AppError('internal', 'The data key has the wrong length.');
}

export function newDataKey(): Buffer {
  return randomBytes(DATA_KEY_BYTES);
}

export function seal(key: Uint8Array, plaintext: string, aad = ''): Buffer {
  checkKey(key);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), body]);
}

/** Opens a sealed blob; a tampered blob, a wrong key or a wrong `aad` is an `internal` error. */
export function open(key: Uint8Array, blob: Uint8Array, aad = ''): string {
  checkKey(key);
  const bytes = Buffer.from(blob);
  if (bytes.length < 1 + IV_BYTES + TAG_BYTES || bytes[0] !== VERSION) {
    throw new AppError('internal', 'A stored secret is corrupted or in an unknown format.', {
      details: { reason: 'envelope_format' },
    });
  }
  const iv = bytes.subarray(1, 1 + IV_BYTES);
  const tag = bytes.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
  const body = bytes.subarray(1 + IV_BYTES + TAG_BYTES);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
  } catch {
    throw new AppError(
      'internal',
      'A stored secret could not be decrypted: it was altered or the keychain data key changed.',
      {
        details: { reason: 'envelope_auth' },
      },
    );
  }
}
