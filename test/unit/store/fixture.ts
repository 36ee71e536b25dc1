/** A valid application profile row for store tests (IDs and names from `id`; override any field). */
import type { Profile } from '../../../src/main/store/profiles.ts';

export function testProfile(id: string, over: Partial<Profile> = {}): Profile {
  return {
    id,
    name: id,
    flavour: 'Sandbox',
    baseUrl: 'http://127.0.0.1:1',
    applicationId: '10FB9102F29A422EB14AB2F2D0F0CC02',
    concurrency: 4,
    sendOwnIds: false,
    createdAt: 1,
    updatedAt: 1,
    ...over,
  };
}
