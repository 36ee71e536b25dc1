// Shared helpers for the service tests: temp dirs, a real keychain on a
// test-only service name, and (until the real IAMPASS client and sandbox
// are wired in) a strict loopback server that verifies HMAC v1 signatures.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import keytar from 'keytar';
import { AppError } from '../../../src/shared/errors.ts';
import { parseAuthenticationHeader, signedHeaders, verifySignature } from '../../../src/node/signer.ts';
import { Keychain } from '../../../src/main/secrets/keychain.ts';
import type { ProbeClientFactory } from '../../../src/main/services/connection-test.ts';

export const SECRET = 'E8D28A79023C39C200661FCCD268A29A0D347301EF56E64D';
export const SECRET2 = '54977656CF2D133187C8DF95247F2866028DE71159B42B4E';
export const APP_ID = '10FB9102F29A422EB14AB2F2D0F0CC02';

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'iampass-svc-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function testKeychain(): {
  keychain: Keychain;
  accounts: () => Promise<string[]>;
  cleanup: () => Promise<void>;
} {
  const service = `iampass-admin-test-${randomUUID()}`;
  const keychain = new Keychain({ service });
  const accounts = async () => (await keytar.findCredentials(service)).map((c) => c.account).sort();
  return {
    keychain,
    accounts,
    cleanup: async () => {
      for (const a of await accounts()) await keytar.deletePassword(service, a);
    },
  };
}

/** True when any file in `dir` (the SQLite file, -wal, -shm) contains `needle`. */
export function filesContain(dir: string, needle: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .filter((p) => readFileSync(p).includes(Buffer.from(needle)));
}

/** A strict signature-checking loopback server answering has_registered_mobile_device with 404 (unknown user). */
export async function strictServer(app: {
  id: string;
  secret: string;
}): Promise<{ baseUrl: string; requests: () => number; close: () => Promise<void> }> {
  let count = 0;
  const server: Server = createServer((req, res) => {
    count++;
    const url = `http://${req.headers.host ?? ''}${req.url ?? ''}`;
    const auth = parseAuthenticationHeader(req.headers.authentication as string | undefined);
    const ts = Number(req.headers['x-iampass-authentication-timestamp']);
    const skew = Math.floor(Date.now() / 1000) - ts;
    const ok =
      auth !== null &&
      auth.clientId === app.id &&
      Math.abs(skew) <= 300 &&
      verifySignature({ secret: app.secret, url, nonce: auth.nonce, timestamp: ts }, auth.signature);
    if (!ok) {
      res
        .writeHead(401, { 'content-type': 'application/json' })
        .end(JSON.stringify({ status: false, reason: 'authentication failed' }));
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('unknown user');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${String(port)}`,
    requests: () => count,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Minimal stand-in for IampassClient.hasRegisteredDevice: one real signed GET, statuses mapped to typed errors. */
export const probeClient: ProbeClientFactory = (config) => ({
  async hasRegisteredDevice(userId: string) {
    const prefix = config.flavour === 'Activeconnect' ? 'Activeconnect' : 'IAMPASS';
    const url = `${config.baseUrl}/management/has_registered_mobile_device/${config.applicationId}/${encodeURIComponent(userId)}`;
    let res: Response;
    try {
      res = await fetch(url, {
        headers: signedHeaders(prefix, { clientId: config.applicationId, secret: config.secret }, url),
        signal: AbortSignal.timeout(config.timeoutMs ?? 5000),
      });
    } catch (error) {
      throw new AppError('network', 'The service could not be reached.', { cause: error });
    }
    await res.text();
    if (res.status === 401) throw new AppError('unauthorized', 'The service rejected the application credentials.');
    if (res.status === 404) throw new AppError('not_found', 'Unknown user.', { details: { what: 'user' } });
    if (res.status !== 200) throw new AppError('server', `HTTP ${String(res.status)}`);
    return true;
  },
});
