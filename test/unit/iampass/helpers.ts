/**
 * Small loopback HTTP servers for the client tests: 127.0.0.1, port 0, a
 * handler per test, every request recorded with its signature checked
 * against the credentials the test expects.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseAuthenticationHeader, verifySignature } from '../../../src/node/signer.ts';

export const APP_ID = 'D6089065C3146E80A9C222670BBE4F4C';
export const SECRET = '54977656CF2D133187C8DF95247F2866028DE71159B42B4E';

export interface Recorded {
  method: string;
  /** Raw path and query as received. */
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  clientId: string | null;
  nonce: string | null;
  /** Signature valid for the given client ID's secret? */
  signatureOk: boolean;
}

export type Handler = (req: Recorded, res: http.ServerResponse, index: number) => void;

export interface TestServer {
  baseUrl: string;
  port: number;
  requests: Recorded[];
  /** Client ID -> secret used to verify signatures. */
  secrets: Map<string, string>;
  /** TCP connections accepted so far. */
  connections(): number;
  close(): Promise<void>;
}

export function json(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function text(
  res: http.ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

export async function startServer(handler: Handler): Promise<TestServer> {
  const requests: Recorded[] = [];
  const secrets = new Map<string, string>([[APP_ID, SECRET]]);
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = req.url ?? '';
      const auth = parseAuthenticationHeader(req.headers.authentication as string | undefined);
      const ts = Number(
        req.headers['x-iampass-authentication-timestamp'] ?? req.headers['x-activeconnect-authentication-timestamp'],
      );
      const secret = auth ? secrets.get(auth.clientId) : undefined;
      const signatureOk =
        auth !== null &&
        secret !== undefined &&
        verifySignature(
          { secret, url: `http://${req.headers.host ?? ''}${url}`, nonce: auth.nonce, timestamp: ts },
          auth.signature,
        );
      const record: Recorded = {
        method: req.method ?? '',
        url,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        clientId: auth?.clientId ?? null,
        nonce: auth?.nonce ?? null,
        signatureOk,
      };
      requests.push(record);
      handler(record, res, requests.length - 1);
    });
  });
  let connections = 0;
  server.on('connection', () => connections++);
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    port,
    requests,
    secrets,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port with nothing listening on it (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
