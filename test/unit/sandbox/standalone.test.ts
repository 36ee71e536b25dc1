import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Harness, signed } from './helpers.ts';

const MAIN = fileURLToPath(new URL('../../../src/sandbox/main.ts', import.meta.url));

function run(args: string[]): ChildProcess {
  return spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once('line', (line) => {
      rl.close();
      resolve(line);
    });
    child.once('exit', (code) => reject(new Error(`exited ${code} before the ready line`)));
  });
}

function exitCode(child: ChildProcess): Promise<{ code: number | null; stderr: string }> {
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stderr })));
}

describe('standalone entry (npm run sandbox)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sandbox-main-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints one JSON ready line, serves signed requests, closes on SIGTERM with the data flushed', async () => {
    const dataFile = join(dir, 'data.json');
    const appId = 'ABCDEF0123456789ABCDEF0123456789';
    const secret = 'ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789';
    const child = run([
      '--port',
      '0',
      '--app-id',
      appId,
      '--app-secret',
      secret,
      '--data',
      dataFile,
      '--pending-timeout',
      '5',
      '--window',
      '60',
      '--fault',
      'delete_users:error:status=503',
    ]);
    const exited = exitCode(child);
    const ready = JSON.parse(await firstLine(child)) as Record<string, string>;
    expect(Object.keys(ready).sort()).toEqual(['applicationId', 'applicationSecret', 'baseUrl', 'phoneUrl']);
    expect(ready.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(ready.applicationId).toBe(appId);
    expect(ready.applicationSecret).toBe(secret);
    const h = new Harness({
      ...(ready as { baseUrl: string; phoneUrl: string; applicationId: string; applicationSecret: string }),
      close: () => Promise.resolve(),
    });
    expect((await h.addUsers(['alice'])).status).toBe(201);
    const del = await signed('POST', h.mgmt('delete_users'), h.app, { body: '{"users":["alice"]}' });
    expect(del.status).toBe(503); // the --fault flag is in force
    const stale = await signed('GET', h.mgmt('has_registered_mobile_device', 'alice'), h.app, {
      timestamp: Math.floor(Date.now() / 1000) - 90,
    });
    expect(stale.status).toBe(401); // --window 60
    child.kill('SIGTERM');
    const { code, stderr } = await exited;
    expect(code).toBe(0);
    expect(stderr).not.toContain(secret);
    expect(statSync(dataFile).mode & 0o777).toBe(0o600);
    // Restart on the same data: alice is still there.
    const again = run(['--data', dataFile]);
    const exited2 = exitCode(again);
    const ready2 = JSON.parse(await firstLine(again)) as {
      baseUrl: string;
      phoneUrl: string;
      applicationId: string;
      applicationSecret: string;
    };
    expect(ready2.applicationId).toBe(appId);
    const h2 = new Harness({ ...ready2, close: () => Promise.resolve() });
    expect(await h2.hasDevice('alice')).toBe(false);
    again.kill('SIGINT');
    expect((await exited2).code).toBe(0);
  });

  it.each([
    [['--bogus']],
    [['--port', 'x']],
    [['--app-id', 'ABCDEF0123456789ABCDEF0123456789']],
    [['--fault', 'nope']],
    [['--window', '-1']],
    [['positional']],
  ])('usage error %j -> exit 2 with usage on stderr, nothing on stdout', async (args) => {
    const child = run(args);
    let stdout = '';
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    const { code, stderr } = await exitCode(child);
    expect(code).toBe(2);
    expect(stderr).toContain('usage:');
    expect(stdout).toBe('');
  });
});
