// Runs against the REAL OS keychain: scripts/keyring-session.sh provides a
// throwaway, unlocked GNOME Keyring on a private D-Bus session.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { AppError } from '../../../src/shared/errors.ts';
import { Keychain, normalizeSecret } from '../../../src/main/secrets/keychain.ts';

const SECRET = 'E8D28A79023C39C200661FCCD268A29A0D347301EF56E64D';
const OTHER = '54977656cf2d133187c8df95247f2866028de71159b42b4e';
const service = `iampass-admin-test-${randomUUID()}`;
const keychain = new Keychain({ service });
const used: string[] = [];
function profileId(): string {
  const id = randomUUID();
  used.push(id);
  return id;
}

afterAll(async () => {
  for (const id of used) await keychain.delete(id);
});

function errorOf(fn: () => unknown): AppError {
  try {
    fn();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected an AppError');
}

describe('normalizeSecret', () => {
  it('accepts 48 hex characters of either case, trims a paste, keeps the case (it is signed as text)', () => {
    expect(normalizeSecret(`  ${SECRET}\n`)).toBe(SECRET);
    expect(normalizeSecret(OTHER)).toBe(OTHER);
  });

  it("accepts every shape of the spec's decision as given: 47 hex (leading zero dropped), 32 letters and digits, 16 and 128 characters", () => {
    for (const good of [
      SECRET.slice(0, 47),
      'aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dF',
      `${SECRET.slice(0, 47)}G`,
      'x'.repeat(16),
      '~'.repeat(128),
    ]) {
      expect(normalizeSecret(good)).toBe(good);
    }
  });

  it('rejects anything else with invalid_input and never echoes the value', () => {
    for (const bad of [
      '',
      'hunter2',
      'x'.repeat(15),
      'x'.repeat(129),
      `${SECRET.slice(0, 20)} ${SECRET.slice(20)}`,
      `${SECRET}é`,
      `${SECRET}\u0007`,
      42,
      null,
    ]) {
      const e = errorOf(() => normalizeSecret(bad));
      expect(e.code).toBe('invalid_input');
      expect(e.details).toMatchObject({ field: 'secret' });
      if (typeof bad === 'string' && bad.length > 0) expect(e.message).not.toContain(bad);
    }
  });
});

describe('Keychain (real GNOME Keyring)', () => {
  it('sets, reads, replaces and deletes one account per profile', async () => {
    const a = profileId();
    const b = profileId();
    expect(await keychain.has(a)).toBe(false);
    await keychain.set(a, SECRET);
    await keychain.set(b, OTHER);
    expect(await keychain.has(a)).toBe(true);
    expect(await keychain.get(a)).toBe(SECRET);
    expect(await keychain.get(b)).toBe(OTHER);
    await keychain.set(a, OTHER);
    expect(await keychain.get(a)).toBe(OTHER);
    expect(await keychain.delete(a)).toBe(true);
    expect(await keychain.delete(a)).toBe(false);
    expect(await keychain.has(a)).toBe(false);
    expect(await keychain.get(b)).toBe(OTHER);
  });

  it('validates before saving: a malformed secret changes nothing', async () => {
    const a = profileId();
    await keychain.set(a, SECRET);
    await expect(keychain.set(a, 'not-a-secret')).rejects.toMatchObject({ code: 'invalid_input' });
    expect(await keychain.get(a)).toBe(SECRET);
  });

  it('creates the data key once and returns the same 32 bytes afterwards', async () => {
    const k = new Keychain({ service: `${service}-dk` });
    const first = await k.dataKey();
    expect(first).toHaveLength(32);
    expect((await new Keychain({ service: `${service}-dk` }).dataKey()).equals(first)).toBe(true);
  });
});

describe('Keychain with no reachable Secret Service', () => {
  const child = join(import.meta.dirname, 'unreachable-child.ts');
  async function runChild(env: NodeJS.ProcessEnv): Promise<{ code: string; message: string; ms: number }> {
    const { stdout } = await promisify(execFile)(process.execPath, [child], { env, timeout: 20_000 });
    return JSON.parse(stdout) as { code: string; message: string; ms: number };
  }

  it('fails fast with a keychain error that says what to install or unlock, for every operation', async () => {
    const env = { ...process.env, DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/iampass-dead-bus', DISPLAY: '' };
    const result = await runChild(env);
    expect(result.code).toBe('keychain');
    expect(result.message).toMatch(/gnome-keyring|KWallet/);
    expect(result.message).toMatch(/unlock/i);
    expect(result.message).not.toContain(SECRET);
    expect(result.ms).toBeLessThan(15_000);
  });

  it('does the same with no D-Bus session at all', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, DISPLAY: '' };
    delete env.DBUS_SESSION_BUS_ADDRESS;
    const result = await runChild(env);
    expect(result.code).toBe('keychain');
    expect(result.message).toMatch(/not reachable/);
  });
});
