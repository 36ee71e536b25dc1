/**
 * The real "test connection": one signed management call through the
 * IAMPASS client, for a random probe user ID nobody has.
 *
 * The spec answers an unknown user with 404, so for the probe a `not_found`
 * means the service accepted our signature (a bad secret or a skewed clock
 * is a 401 → `unauthorized`): it counts as success, unless the client says
 * the 404 was about the APPLICATION (`details.what === 'application'`, i.e.
 * a wrong Application ID or base URL), which is passed through as the
 * failure it is. Everything else is the client's typed error, unchanged.
 */
import { randomBytes } from 'node:crypto';
import { AppError } from '../../shared/errors.ts';
import type { ConnectionTarget, ConnectionTester } from './applications.ts';

/** The slice of the IAMPASS client the tester needs (IampassClient fits it). */
export interface ProbeClient {
  hasRegisteredDevice(userId: string): Promise<unknown>;
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
      if (error instanceof AppError && error.code === 'not_found' && error.details?.what !== 'application') return;
      throw error;
    }
  };
}
