// The iampass-admin CLI run as a subprocess (Node 24, src/cli/main.ts) against
// the real sandbox, with a real store in a temp --data folder and the real OS
// keychain under a test-only service name (IAMPASS_KEYCHAIN_SERVICE): every
// command, its exit codes and its failures.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import jsQR from 'jsqr';
import keytar from 'keytar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtualPhone } from '../../../src/sandbox/phone.ts';
import { startSandbox, type Sandbox } from '../../../src/sandbox/server.ts';

const MAIN = resolve(import.meta.dirname, '../../../src/cli/main.ts');
const SERVICE = `iampass-admin-cli-test-${randomUUID()}`;
const WRONG = 'ABCDEF'.repeat(8);

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], options: { stdin?: string; env?: Record<string, string>; dataDir?: string } = {}): Promise<Ran> {
  return new Promise((done, fail) => {
    const env: NodeJS.ProcessEnv = { ...process.env, IAMPASS_KEYCHAIN_SERVICE: SERVICE, ...options.env };
    if (!options.env?.IAMPASS_APP_SECRET) delete env.IAMPASS_APP_SECRET;
    const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', MAIN, '--data', options.dataDir ?? data, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 25_000);
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
    child.stdin.end(options.stdin ?? '');
  });
}

let sandbox: Sandbox;
let data: string;
let phone: VirtualPhone;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
  phone = new VirtualPhone(sandbox.baseUrl);
  data = mkdtempSync(join(tmpdir(), 'iampass-cli-'));
});

afterAll(async () => {
  await sandbox.close();
  for (const c of await keytar.findCredentials(SERVICE)) await keytar.deletePassword(SERVICE, c.account);
  rmSync(data, { recursive: true, force: true });
});

function noSecrets(r: Ran): void {
  for (const text of [r.stdout, r.stderr]) {
    expect(text).not.toContain(sandbox.applicationSecret);
    expect(text).not.toContain(WRONG);
  }
}

describe('usage', () => {
  it('an unknown flag, a secret on the command line, an unknown or missing command exit 2 with a clear message', async () => {
    const unknown = await cli(['apps', 'list', '--bogus']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("Unknown option '--bogus'");
    expect(unknown.stderr).toContain('usage: iampass-admin apps list');

    const secret = await cli(['apps', 'add', 'X', '--app-id', sandbox.applicationId, `--secret=${sandbox.applicationSecret}`]);
    expect(secret.code).toBe(2);
    expect(secret.stderr).toMatch(/--secret is refused: a secret on the command line lands in shell history/);
    expect(secret.stderr).toContain('IAMPASS_APP_SECRET');
    noSecrets(secret);

    const cmd = await cli(['frobnicate']);
    expect(cmd.code).toBe(2);
    expect(cmd.stderr).toContain('unknown command "frobnicate"');
    const sub = await cli(['users', '--json']);
    expect(sub.code).toBe(2);
    expect(JSON.parse(sub.stderr)).toMatchObject({ error: { code: 'usage' } });
    expect(sub.stderr).toContain('\\"users\\" needs a command');
  });

  it('--help for every command prints its usage and exits 0', async () => {
    const { COMMANDS } = await import('../../../src/cli/run.ts');
    const top = await cli(['--help']);
    expect(top.code).toBe(0);
    for (const c of COMMANDS) expect(top.stdout).toContain(c.name);
    // Each command's help through the same dispatcher, in one process to keep the count of Node starts down.
    const { run } = await import('../../../src/cli/run.ts');
    for (const c of COMMANDS) {
      let stdout = '';
      const sink = { write: (s: string) => ((stdout += s), true), isTTY: false } as unknown as NodeJS.WritableStream;
      const code = await run([...c.name.split(' '), '--help'], { stdout: sink, stderr: sink, stdin: process.stdin, env: {} });
      expect(code, c.name).toBe(0);
      expect(stdout, c.name).toContain(`usage: iampass-admin ${c.name}`);
      expect(stdout, c.name).toContain('Exit codes');
    }
    const one = await cli(['users', 'link', '--help']);
    expect(one.code).toBe(0);
    expect(one.stdout).toContain('usage: iampass-admin users link USER_ID [--qr]');
  });
});

describe('against the sandbox', () => {
  let iampassId = '';

  it('apps add (secret on stdin) / list / use / test; wrong secret exits 3 and says so; unreachable exits 4; missing profile 1', async () => {
    const add = await cli(['apps', 'add', 'Lab', '--base-url', sandbox.baseUrl, '--app-id', sandbox.applicationId, '--use'], { stdin: `${sandbox.applicationSecret}\n` });
    expect(add.code, add.stderr).toBe(0);
    expect(add.stdout).toContain('Added "Lab"');
    expect((await keytar.findCredentials(SERVICE)).some((c) => c.password === sandbox.applicationSecret)).toBe(true);

    const other = await cli(['apps', 'add', 'Other', '--base-url', sandbox.baseUrl, '--app-id', 'A'.repeat(32), '--json'], { env: { IAMPASS_APP_SECRET: WRONG } });
    expect(other.code, other.stderr).toBe(0);
    const list = await cli(['apps', 'list', '--json']);
    expect(list.code).toBe(0);
    const apps = JSON.parse(list.stdout) as { name: string; active: boolean; hasSecret: boolean }[];
    expect(apps.map((a) => [a.name, a.active, a.hasSecret])).toEqual([
      ['Lab', true, true],
      ['Other', false, true],
    ]);
    noSecrets(list);

    const ok = await cli(['apps', 'test', 'Lab']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/Connection to "Lab" OK \(\d+ ms\)/);

    const wrong = await cli(['apps', 'test', '--base-url', sandbox.baseUrl, '--app-id', sandbox.applicationId], { env: { IAMPASS_APP_SECRET: WRONG } });
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toMatch(/rejected the request signature.*Application Secret.*\[unauthorized\]/);
    noSecrets(wrong);

    const closed = await cli(['apps', 'test', '--base-url', 'http://127.0.0.1:9', '--app-id', sandbox.applicationId, '--json'], { env: { IAMPASS_APP_SECRET: sandbox.applicationSecret } });
    expect(closed.code).toBe(4);
    expect(JSON.parse(closed.stderr)).toMatchObject({ error: { code: 'network', retryable: true } });
    noSecrets(closed);

    const missing = await cli(['users', 'list', '--profile', 'Nope']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('No application profile named "Nope"');

    const noSecret = await cli(['apps', 'test', '--base-url', sandbox.baseUrl, '--app-id', sandbox.applicationId]);
    expect(noSecret.code).toBe(2);
    expect(noSecret.stderr).toContain('no application secret');

    const use = await cli(['apps', 'use', 'Other']);
    expect(use.code).toBe(0);
    const back = await cli(['apps', 'use', 'Lab']);
    expect(back.stdout).toContain('"Lab" is now the active application');

    const unconfirmed = await cli(['apps', 'remove', 'Other']);
    expect(unconfirmed.code).toBe(2);
    const removed = await cli(['apps', 'remove', 'Other', '--yes']);
    expect(removed.code, removed.stderr).toBe(0);
    expect(JSON.parse((await cli(['apps', 'list', '--json'])).stdout)).toHaveLength(1);
  });

  it('users add / import / list / status; per-row failures; a wrong secret makes every row fail with exit 3', async () => {
    const add = await cli(['users', 'add', 'alice', 'bob', ' ', 'alice']);
    expect(add.code).toBe(1); // two rows invalid
    expect(add.stdout).toMatch(/alice\s+created/);
    expect(add.stdout).toMatch(/bob\s+created/);
    expect(add.stdout).toContain('The user ID is empty.');
    expect(add.stdout).toContain('Duplicate of row 1.');

    const csv = join(data, 'people.csv');
    writeFileSync(csv, 'email,display name\ncarol@example.com,Carol C\ndave@example.com,Dave D\nbob,Bob again\n');
    const imp = await cli(['users', 'import', csv, '--json']);
    expect(imp.code, imp.stderr).toBe(0);
    const result = JSON.parse(imp.stdout) as { counts: Record<string, number>; rows: { userId: string; result: string }[] };
    expect(result.counts).toEqual({ created: 2, existing: 1 });
    expect(imp.stderr).toBe(''); // not a terminal: no progress

    const list = await cli(['users', 'list', '--json']);
    const users = (JSON.parse(list.stdout) as { users: { userId: string; displayName: string; iampassId: string; deviceState: string }[] }).users;
    expect(users.map((u) => [u.userId, u.displayName]).sort()).toEqual([
      ['alice', ''],
      ['bob', ''],
      ['carol@example.com', 'Carol C'],
      ['dave@example.com', 'Dave D'],
    ]);
    iampassId = users.find((u) => u.userId === 'alice')?.iampassId ?? '';
    expect(iampassId).toMatch(/^[0-9a-f]{32}$/);
    const search = await cli(['users', 'list', '--search', 'CAROL']);
    expect(search.stdout).toContain('Carol C');
    expect(search.stdout).not.toContain('alice');

    const status = await cli(['users', 'status', 'alice', 'nobody']);
    expect(status.code).toBe(1);
    expect(status.stdout).toMatch(/alice\s+not_registered/);
    expect(status.stdout).toMatch(/nobody\s+missing/);

    const bad = await cli(['users', 'add', 'zed', '--base-url', sandbox.baseUrl, '--app-id', sandbox.applicationId, '--json'], { env: { IAMPASS_APP_SECRET: WRONG } });
    expect(bad.code).toBe(3);
    expect(JSON.parse(bad.stdout)).toMatchObject({ rows: [{ userId: 'zed', result: 'failed', code: 'unauthorized' }] });
    noSecrets(bad);
    // Another base URL is another profile (its own directory), created without storing the secret.
    const down = await cli(['users', 'add', 'zed', '--base-url', 'http://127.0.0.1:9', '--app-id', sandbox.applicationId], { env: { IAMPASS_APP_SECRET: sandbox.applicationSecret } });
    expect(down.code).toBe(4);
    expect(down.stdout).toMatch(/zed\s+failed\s+The connection to 127\.0\.0\.1:9 was refused/);
    const apps = JSON.parse((await cli(['apps', 'list', '--json'])).stdout) as { name: string; baseUrl: string; hasSecret: boolean }[];
    expect(apps.find((a) => a.baseUrl === 'http://127.0.0.1:9')).toMatchObject({ name: `CLI ${sandbox.applicationId.slice(0, 8)}`, hasSecret: false });
  });

  it('users link --json gives a link the virtual phone registers with; --qr draws a QR code that decodes to a link', async () => {
    const qr = await cli(['users', 'link', 'bob', '--qr']);
    expect(qr.code, qr.stderr).toBe(0);
    expect(qr.stdout).toMatch(/[▄▀█]/);
    const decoded = decodeTerminalQr(qr.stdout);
    expect(decoded).toMatch(new RegExp(`^${sandbox.baseUrl}/sandbox/phone/register/`));
    expect(qr.stderr).not.toContain('/register/');

    const link = await cli(['users', 'link', 'alice', '--json']);
    expect(link.code, link.stderr).toBe(0);
    const { link: url } = JSON.parse(link.stdout) as { link: string };
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/sandbox\/phone\/register\//);
    expect(await phone.register(url)).toMatchObject({ applicationId: sandbox.applicationId, userId: iampassId });

    const status = await cli(['users', 'status', '--all', '--json']);
    expect(status.code).toBe(0);
    expect((JSON.parse(status.stdout) as { rows: { userId: string; result: string }[] }).rows.find((r) => r.userId === 'alice')?.result).toBe('registered');

    const unknown = await cli(['users', 'link', 'ghost']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('not in the directory');
  });

  it('auth start --watch follows to active after the phone approves; sessions list / logout; refused without a phone', async () => {
    const watching = cli(['auth', 'start', 'alice', '--methods', 'acceptance', '--duration', '300', '--watch', '--interval', '0.1', '--json']);
    let requestId: string | undefined;
    await expect
      .poll(async () => (requestId = (await phone.pending(sandbox.applicationId, iampassId))[0]?.id), { timeout: 15_000 })
      .toBeDefined();
    await phone.approve(requestId ?? '');
    const watched = await watching;
    expect(watched.code, watched.stderr).toBe(0);
    const lines = watched.stdout.trim().split('\n').map((l) => JSON.parse(l) as { id: string; status: string });
    expect(lines[0]?.status).toBe('pending');
    expect(lines.at(-1)?.status).toBe('active');
    const id = lines[0]?.id ?? '';
    noSecrets(watched);
    expect(watched.stdout).not.toContain(requestId);

    const list = await cli(['sessions', 'list', '--filter', 'live', '--json']);
    expect(JSON.parse(list.stdout)).toMatchObject({ sessions: [{ id, userId: 'alice', status: 'active' }] });

    const out = await cli(['sessions', 'logout', id]);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toMatch(/closed/);
    const again = await cli(['sessions', 'logout', id]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already over');

    const refused = await cli(['auth', 'start', 'bob']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('did not start the authentication');
    const badMethod = await cli(['auth', 'start', 'alice', '--methods', 'telepathy']);
    expect(badMethod.code).toBe(2);
  });

  it('sessions watch --until-idle prints the change when the user denies, then exits', async () => {
    const started = await cli(['auth', 'start', 'alice', '--json']);
    expect(started.code, started.stderr).toBe(0);
    const watching = cli(['sessions', 'watch', '--until-idle', '--interval', '0.1', '--json']);
    const pending = await phone.pending(sandbox.applicationId, iampassId);
    await phone.deny(pending[0]?.id ?? '');
    const watched = await watching;
    expect(watched.code, watched.stderr).toBe(0);
    expect(watched.stdout).toContain('"status":"cancelled"');
  });

  it('users lost-device prints a fresh link, users delete removes, audit export writes CSV and JSON', async () => {
    const lost = await cli(['users', 'lost-device', 'alice', '--json']);
    expect(lost.code, lost.stderr).toBe(0);
    expect(JSON.parse(lost.stdout)).toMatchObject({ userId: 'alice' });
    expect((JSON.parse(lost.stdout) as { link: string }).link).toContain('/sandbox/phone/register/');
    const list = JSON.parse((await cli(['users', 'list', '--json', '--state', 'not_registered'])).stdout) as { users: { userId: string }[] };
    expect(list.users.map((u) => u.userId)).toContain('alice');

    const del = await cli(['users', 'delete', 'dave@example.com', 'ghost']);
    expect(del.code).toBe(1);
    expect(del.stdout).toMatch(/dave@example\.com\s+deleted/);
    expect(del.stdout).toMatch(/ghost\s+missing/);
    const many = await cli(['users', 'delete', ...Array.from({ length: 11 }, (_, i) => `u${String(i)}`)]);
    expect(many.code).toBe(2);
    expect(many.stderr).toContain('--confirm-count 11');

    const file = join(data, 'audit.json');
    const json = await cli(['audit', 'export', '--format', 'json', '--out', file]);
    expect(json.code, json.stderr).toBe(0);
    const entries = JSON.parse(readFileSync(file, 'utf8')) as { action: string; target: string | null }[];
    const actions = new Set(entries.map((e) => e.action));
    for (const a of ['application.add', 'application.remove', 'users.add', 'users.import', 'user.registration_link', 'user.lost_device', 'session.start', 'session.logout', 'users.delete']) expect(actions, a).toContain(a);
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain('/register/');
    expect(text).not.toContain(sandbox.applicationSecret);
    const csv = await cli(['audit', 'export', '--format', 'csv', '--action', 'users.delete']);
    expect(csv.stdout.split('\r\n')[0]).toBe('time,application,action,target,outcome,errorCode');
    expect(csv.stdout).toContain('users.delete');
    expect(csv.stdout).not.toContain('users.add');
    expect((await cli(['audit', 'export', '--format', 'xml'])).code).toBe(2);
  });
});

it('sandbox runs the data folder\'s Sandbox profile in the foreground; other commands reach it; Ctrl+C stops it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'iampass-cli-sb-'));
  const env = { ...process.env, IAMPASS_KEYCHAIN_SERVICE: SERVICE };
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', MAIN, 'sandbox', '--json', '--data', dir], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const first = await new Promise<string>((done, fail) => {
      let text = '';
      child.stdout.on('data', (c: Buffer) => {
        text += c.toString();
        if (text.includes('\n')) done(text.split('\n')[0] ?? '');
      });
      child.on('close', (code) => fail(new Error(`sandbox exited ${String(code)}`)));
    });
    const info = JSON.parse(first) as { profile: string; baseUrl: string; applicationId: string; firstRun: boolean };
    expect(info).toMatchObject({ profile: 'Sandbox', firstRun: true });
    expect(info.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(first).not.toMatch(/[0-9A-F]{48}/i);
    const test = await cli(['apps', 'test', '--profile', 'Sandbox'], { dataDir: dir });
    expect(test.code, test.stderr).toBe(0);
    const add = await cli(['users', 'add', 'erin'], { dataDir: dir });
    expect(add.code, add.stderr).toBe(0);
    const exited = new Promise<number | null>((done) => child.on('close', done));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    const after = await cli(['apps', 'test'], { dataDir: dir });
    expect(after.code).toBe(4);
  } finally {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Reads qrcode's small terminal rendering (half blocks, black on white) back into pixels and decodes it. */
function decodeTerminalQr(out: string): string | null {
  // eslint-disable-next-line no-control-regex
  const lines = out.split('\n').map((l) => l.replace(/\x1b\[[0-9;]*m/g, '')).filter((l) => /[▄▀█]/.test(l) || /^ {10,}$/.test(l));
  const width = Math.max(...lines.map((l) => [...l].length));
  const rows: boolean[][] = [];
  for (const line of lines) {
    const chars = [...line.padEnd(width)];
    rows.push(chars.map((c) => c === '▀' || c === '█'));
    rows.push(chars.map((c) => c === '▄' || c === '█'));
  }
  const scale = 4;
  const margin = 4;
  const w = (width + 2 * margin) * scale;
  const h = (rows.length + 2 * margin) * scale;
  const pixels = new Uint8ClampedArray(w * h * 4).fill(255);
  rows.forEach((row, y) =>
    row.forEach((dark, x) => {
      if (!dark) return;
      for (let dy = 0; dy < scale; dy++)
        for (let dx = 0; dx < scale; dx++) {
          const i = (((y + margin) * scale + dy) * w + (x + margin) * scale + dx) * 4;
          pixels[i] = pixels[i + 1] = pixels[i + 2] = 0;
        }
    }),
  );
  return jsQR(pixels, w, h)?.data ?? null;
}
