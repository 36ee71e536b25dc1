/**
 * The real "test connection": one signed management call through the
 * IAMPASS client, for a random probe user ID nobody has.
 *
 * The spec answers an unknown user with 404, so for the probe a `not_found`
 * means the service accepted our signature (a bad secret or a skewed clock
 * is a 401 → `unauthorized`): it counts as success, unless the client says
 * the 404 was about the APPLICATION (`details.what === 'application'`, i.e.
 * a wrong Application ID or base URL), which is passed through as the
 * failure it is, as is one about the endpoint (a wrong base URL path). Everything else is the client's typed error, unchanged.
 */
import { randomBytes } from 'node:crypto';
import { AppError } from '../../shared/errors.ts';
import type { ConnectionTarget, ConnectionTester } from './applications.ts';

/** The slice of the IAMPASS client the tester needs (IampassClient fits it). */
export interface ProbeClient {
  hasRegisteredDevice(userId: string): Promise<unknown>;
  /** Releases the client's keep-alive sockets once the probe is done. */
  close?(): void;
}

export type ProbeClientFactory = (config: {
  flavour: ConnectionTarget['flavour'];
  baseUrl: string;
  applicationId: string;
  secret: string;
  timeoutMs?: number;
}) => ProbeClient;

export function probeUserId(): string {
  return `iampass-admin-probe-${randomBytes(8).toString('hex')}`;
}

export function makeConnectionTester(createClient: ProbeClientFactory, timeoutMs = 10_000): ConnectionTester {
  return async (target, secret) => {
    const client = createClient({ ...target, secret, timeoutMs });
    try {
      await client.hasRegisteredDevice(probeUserId());
    } catch (error) {
      // A 404 about the application, or about the endpoint itself (a wrong base
      // URL path), is a real failure; one about the probe user is success.
      const what = error instanceof AppError ? error.details?.what : undefined;
      if (error instanceof AppError && error.code === 'not_found' && what !== 'application' && what !== 'endpoint')
        return;
      throw error;
    } finally {
      client.close?.();
    }
  };
}
