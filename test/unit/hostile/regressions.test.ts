// Hostile input and real vendor credentials (issue 11): each of the nine cases
// found by probing, against the real parts (sandbox on loopback, SQLite files,
// the OS keychain, the CLI as a subprocess).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Papa from 'papaparse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanReason } from '../../../src/main/iampass/client.ts';
import { redact } from '../../../src/main/services/audit.ts';
import { previewCsv, toCsv } from '../../../src/main/services/csv.ts';
import { openServices, STORE_FILE } from '../../../src/main/services/index.ts';
import { writePrivateFileSync } from '../../../src/node/files.ts';
import { startSandbox } from '../../../src/sandbox/server.ts';
import { forTerminal, table } from '../../../src/cli/output.ts';
import { decodeCsvBytes } from '../../../src/shared/csv-text.ts';
import { secretWarning } from '../../../src/shared/credentials.ts';
import { filesContain, tempDir, testKeychain } from '../services/helpers.ts';
import { usersFixture, type UsersFixture } from '../users/fixture.ts';
import { Harness, signed } from '../sandbox/helpers.ts';
import { run } from '../../support/run.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const BIN = join(ROOT, 'bin', 'iampass-admin.mjs');
const SANDBOX_MAIN = join(ROOT, 'src', 'sandbox', 'main.ts');

/** Wall time of a synchronous call, in ms. */
function timed<T>(fn: () => T): { value: T; ms: number } {
  const t0 = performance.now();
  const value = fn();
  return { value, ms: performance.now() - t0 };
}

async function sandboxUsers(baseUrl: string): Promise<number> {
  const r = await fetch(`${baseUrl}/sandbox/stats`);
  return ((await r.json()) as { users: number }).users;
}

describe('1. no quadratic pattern: bounded time on huge text', () => {
  it('redact: 10 MiB in under 50 ms; no link or secret survives, even one cut by the window', () => {
    const secret = randomBytes(24).toString('hex');
    for (const huge of [
      'a'.repeat(10 * 1024 * 1024),
      `${'a.'.repeat(5 * 1024 * 1024)}`,
      `x ${'ab'.repeat(5 * 1024 * 1024)}://`,
    ]) {
      const { value, ms } = timed(() => redact(huge));
      expect(ms).toBeLessThan(50);
      expect(value!.length).toBeLessThanOrEqual(500);
    }
    // A secret straddling the window, behind a long link that redaction shortens: no fragment of it is kept.
    const text = `https://example.com/${'p'.repeat(2000)} ${secret}${'0'.repeat(100)}`;
    expect(redact(text)).not.toMatch(/[0-9a-f]{12}/);
    expect(redact(`see https://r.example/abc and ${secret}`)).toBe('see [redacted] and [redacted]');
  });

  it('cleanReason: a 128 KiB reason from the server in bounded time, bounded and clean', () => {
    for (const reason of ['a'.repeat(128 * 1024), 'a.'.repeat(64 * 1024), `x${'A'.repeat(39)}.`.repeat(3000)]) {
      const { value, ms } = timed(() => cleanReason(reason, ['SECRETSECRET']));
      expect(ms).toBeLessThan(50);
      expect(value.length).toBeLessThanOrEqual(301);
    }
    expect(cleanReason('bad\u001b[2J https://x.example/l SECRETSECRET', ['SECRETSECRET'])).toBe(
      'bad [2J [link removed] [redacted]',
    );
  });

  it('a CSV with a 200 KB field and a 10 MiB field: the preview is quick, the row is invalid and its echo clipped', () => {
    for (const size of [200_000, 10 * 1024 * 1024]) {
      const { value, ms } = timed(() => previewCsv(`user,name\n${'u'.repeat(size)},Long\nbob,Bob\n`));
      expect(ms).toBeLessThan(size > 1e6 ? 3000 : 500);
      expect(value.invalidRows).toBe(1);
      expect(value.validRows).toBe(1);
      expect(value.preview[0]!.problem).toMatch(/longer than 256 characters/);
      expect(value.preview[0]!.userId.length).toBeLessThanOrEqual(121);
    }
  });
});

describe('through the service on the sandbox', () => {
  let f: UsersFixture;
  beforeAll(async () => {
    f = await usersFixture();
  });
  afterAll(() => f.close());

  it('1. users add with a 100,000-character ID: quick, invalid, nothing at IAMPASS or in the directory, the audit entry bounded', async () => {
    const t0 = performance.now();
    const done = await f.finished(f.services.users.add([{ userId: 'i'.repeat(100_000) }]));
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(done.rows[0]).toMatchObject({ result: 'invalid' });
    expect(done.rows[0]!.userId.length).toBeLessThanOrEqual(121);
    expect(await sandboxUsers(f.sandbox.baseUrl)).toBe(0);
    expect(f.services.users.snapshot().count).toBe(0);
    const entry = f.services.audit.query({}, { limit: 1 }).rows[0]!;
    expect(entry.action).toBe('users.add');
    expect(entry.target!.length).toBeLessThanOrEqual(500);
  });

  it('7. a pasted secret is refused as a user ID or display name, never echoed, stored, audited or sent', async () => {
    const secret = f.sandbox.applicationSecret;
    const done = await f.finished(
      f.services.users.add([
        { userId: secret },
        { userId: ` ${secret} ` },
        { userId: 'carol', displayName: `key ${secret}` },
        { userId: 'dave' },
      ]),
    );
    expect(done.rows.map((r) => r.result)).toEqual(['invalid', 'invalid', 'invalid', 'created']);
    for (const r of done.rows.slice(0, 3)) {
      expect(r.userId).toBe('[redacted]');
      expect(r.reason).toMatch(/secret/);
    }
    expect(JSON.stringify(done)).not.toContain(secret);
    const preview = await f.services.users.previewCsv(`user\n${secret}\nerin\n`);
    expect(preview.invalidRows).toBe(1);
    expect(JSON.stringify(preview)).not.toContain(secret);
    expect(JSON.stringify(f.services.audit.query())).not.toContain(secret);
    expect(f.services.audit.exportCsv()).not.toContain(secret);
    expect(filesContain(f.dir, secret)).toEqual([]);
    expect(await sandboxUsers(f.sandbox.baseUrl)).toBe(1);
  });

  it('5. one CSV writer: an invalid ID with a line break after a formula prefix is exported neutralised', async () => {
    await f.finished(f.services.users.add([{ userId: '=1+1\nX' }]));
    const csv = f.services.audit.exportCsv();
    const parsed = Papa.parse<string[]>(csv, { skipEmptyLines: true }).data;
    const targets = parsed.slice(1).map((r) => r[4] ?? '');
    expect(targets.some((t) => t.startsWith("'=1+1\nX"))).toBe(true);
    for (const row of parsed.slice(1)) for (const cell of row) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
    const back = Papa.parse<string[]>(
      toCsv(['a'], [['@SUM(A1)\nx'], ['-2+3'], ['\tcmd'], ['＝1+1'], ['plain'], ['a=b']]),
      { newline: '\r\n' },
    ).data;
    expect(back.map((r) => r[0])).toEqual(['a', "'@SUM(A1)\nx", "'-2+3", "'\tcmd", "'＝1+1", 'plain', 'a=b']);
  });
});

describe('2-4. CSV bytes: encodings, binary content, parser warnings', () => {
  it('3. random bytes are refused as binary; invalid UTF-8 names its byte and line', () => {
    for (let i = 0; i < 8; i++) {
      expect(() => decodeCsvBytes(randomBytes(64 * 1024))).toThrow(expect.objectContaining({ code: 'invalid_input' }));
    }
    expect(() => decodeCsvBytes(Buffer.from('alice\nb\u00e9b\n', 'latin1'))).toThrow(
      /not UTF-8 text \(byte 0xE9 on line 2\)/,
    );
    expect(() => decodeCsvBytes(Buffer.from('alice\0bob\n'))).toThrow(/binary/);
  });

  it('3. UTF-16 (LE/BE, with or without a BOM) and UTF-8 with a BOM decode to the same rows', () => {
    const text = 'user,name\nzoë,Zoë Ölund\n李,李雷\n';
    const le = Buffer.from(text, 'utf16le');
    const be = Buffer.from(le).swap16();
    const variants = [
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]),
      Buffer.concat([Buffer.from([0xff, 0xfe]), le]),
      Buffer.concat([Buffer.from([0xfe, 0xff]), be]),
      le,
      be,
    ];
    for (const bytes of variants) {
      const decoded = decodeCsvBytes(bytes).text;
      expect(decoded).toBe(text);
      const preview = previewCsv(decoded);
      expect(preview.validRows).toBe(2);
      expect(preview.preview.map((r) => r.userId)).toEqual(['zoë', '李']);
    }
  });

  it("4. a broken quote is every affected row's result, naming the swallowed lines", () => {
    const preview = previewCsv('user,name\nalice,"Alice\nbob,Bob\ncarol,Carol\n');
    expect(preview.totalRows).toBe(1);
    expect(preview.invalidRows).toBe(1);
    expect(preview.preview[0]!.problem).toMatch(/unclosed quote.*the 3 lines after it/i);
    expect(preview.warnings.join(' ')).toMatch(/1 row could not be read/);
    const stray = previewCsv('user,name\n"al"ice",Alice\nbob,Bob\n');
    expect(stray.preview.map((r) => r.problem)).toEqual([expect.stringMatching(/quote/), null]);
    const both = previewCsv('user,name\n"alice"x,Alice\nbob,Bob\n');
    expect(both.preview[0]!.problem).toMatch(/unclosed quote.*the 2 lines after it/i);
    // A one-column file has no delimiter to detect: no warning for that.
    expect(previewCsv('alice\nbob\n').warnings).toEqual([]);
  });

  it('2. terminal escapes are shown, not run: forTerminal and table', () => {
    const evil = 'evil\u001b]0;PWNED\u0007\u001b[2J\u009b31m\u202Egnp.exe';
    const cell = forTerminal(evil, false);
    // eslint-disable-next-line no-control-regex
    expect(cell).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202e]/);
    expect(cell).toBe('evil\\x1B]0;PWNED\\x07\\x1B[2J\\x9B31m\\u202Egnp.exe');
    expect(forTerminal('a\r\nb\rc\n')).toBe('a\r\nb\\rc\n');
    expect(table(['ID'], [['a\nb']])).toBe('ID\na\\nb');
    // 140,000 rows: no Math.max(...spread) stack overflow.
    expect(
      table(
        ['ROW'],
        Array.from({ length: 140_000 }, (_, i) => [String(i)]),
      ).split('\n'),
    ).toHaveLength(140_001);
  });
});

describe('the CLI on the sandbox (subprocess, ad-hoc credentials)', () => {
  let sandbox: Awaited<ReturnType<typeof startSandbox>>;
  const tmp = tempDir();
  const kc = testKeychain();
  const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
    ...process.env,
    IAMPASS_KEYCHAIN_SERVICE: kc.keychain.service,
    IAMPASS_APP_SECRET: sandbox.applicationSecret,
    ...extra,
  });
  const cli = (args: string[], options: { stdin?: string | Buffer; env?: NodeJS.ProcessEnv } = {}) =>
    run(
      process.execPath,
      [BIN, '--data', join(tmp.dir, 'data'), '--base-url', sandbox.baseUrl, '--app-id', sandbox.applicationId, ...args],
      {
        env: options.env ?? env(),
        ...(options.stdin === undefined ? {} : { stdin: options.stdin }),
      },
    );

  beforeAll(async () => {
    sandbox = await startSandbox({});
  });
  afterAll(async () => {
    await sandbox.close();
    await kc.cleanup();
    tmp.cleanup();
  });

  it('2. a CSV carrying escape sequences: per-row results on stdout with the escapes shown, never sent to the terminal', async () => {
    const file = join(tmp.dir, 'evil.csv');
    writeFileSync(file, 'user\nevil\u001b]0;PWNED\u0007\u001b[2J\nok-user\n');
    const r = await cli(['users', 'import', file]);
    expect(r.stdout + r.stderr).not.toContain('\u001b');
    expect(r.stdout + r.stderr).not.toContain('\u0007');
    expect(r.stdout).toContain('evil\\x1B]0;PWNED\\x07\\x1B[2J');
    expect(r.stdout).toMatch(/ok-user\s+created/);
    expect(await sandboxUsers(sandbox.baseUrl)).toBe(1);
  });

  it('3. 1 MiB of random bytes and a Latin-1 file are refused before anything reaches IAMPASS', async () => {
    const before = await sandboxUsers(sandbox.baseUrl);
    const file = join(tmp.dir, 'random.csv');
    writeFileSync(file, randomBytes(1024 * 1024));
    const r = await cli(['users', 'import', file]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/binary|not UTF-8/);
    const latin = await cli(['users', 'import', '-'], { stdin: Buffer.from('user\nj\u00fcrgen\n', 'latin1') });
    expect(latin.code).not.toBe(0);
    expect(latin.stderr).toContain('not UTF-8 text');
    expect(await sandboxUsers(sandbox.baseUrl)).toBe(before);
  });

  it('6. audit export --out onto an existing 0644 file leaves it 0600; the data folder and store files are owner-only', async () => {
    const out = join(tmp.dir, 'audit.csv');
    writeFileSync(out, 'old\n', { mode: 0o644 });
    chmodSync(out, 0o644);
    const r = await run(
      process.execPath,
      [BIN, '--data', join(tmp.dir, 'data'), 'audit', 'export', '--format', 'csv', '--out', out],
      { env: env() },
    );
    expect(r.code).toBe(0);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(readFileSync(out, 'utf8')).toMatch(/^time,application,admin,action/);
    expect(statSync(join(tmp.dir, 'data')).mode & 0o777).toBe(0o700);
    for (const f of readdirSync(join(tmp.dir, 'data')))
      expect([f, statSync(join(tmp.dir, 'data', f)).mode & 0o777]).toEqual([f, 0o600]);
  });
});

describe('6. permissions of a reused data folder', () => {
  it('a pre-existing 0755 folder with 0644 store files is tightened to 0700 / 0600 when the services open it', async () => {
    const tmp = tempDir();
    const kc = testKeychain();
    try {
      const dir = join(tmp.dir, 'reused');
      mkdirSync(dir, { mode: 0o755 });
      chmodSync(dir, 0o755);
      const first = openServices({ dataDir: dir, secrets: kc.keychain, resumeSessions: false });
      await first.close();
      // As an older version left it: the folder and the database readable by everyone.
      chmodSync(join(dir, STORE_FILE), 0o644);
      chmodSync(dir, 0o755);
      const again = openServices({ dataDir: dir, secrets: kc.keychain, resumeSessions: false });
      try {
        expect(statSync(dir).mode & 0o777).toBe(0o700);
        for (const f of [STORE_FILE, `${STORE_FILE}-wal`, `${STORE_FILE}-shm`])
          expect(statSync(join(dir, f)).mode & 0o777).toBe(0o600);
      } finally {
        await again.close();
      }
      const export1 = join(tmp.dir, 'x.json');
      writeFileSync(export1, 'old', { mode: 0o644 });
      chmodSync(export1, 0o644);
      writePrivateFileSync(export1, 'new');
      expect(statSync(export1).mode & 0o777).toBe(0o600);
      expect(readFileSync(export1, 'utf8')).toBe('new');
    } finally {
      await kc.cleanup();
      tmp.cleanup();
    }
  });
});

describe('8. real vendor credential shapes', () => {
  const shapes = [
    {
      what: '47 hex (leading zero dropped)',
      id: 'A1B2C3D4E5F60718293A4B5C6D7E8F90',
      secret: '8f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1',
    },
    {
      what: "the example app's lower-case ID and 32 letters-and-digits secret",
      id: 'a1b2c3d4e5f60718293a4b5c6d7e8f90',
      secret: 'Zk3Pq9Xw2Lm7Nr4Tb8Vc1Hd6Jf5Gs0Ya',
    },
  ];

  it.each(shapes)(
    'the sandbox starts with $what, keeps the case, and answers signed calls to the ID as given',
    async ({ id, secret }) => {
      expect(secretWarning(secret)).toMatch(/not the usual 48 hexadecimal/);
      const h = new Harness(await startSandbox({ application: { id, secret } }));
      try {
        expect(h.sandbox.applicationId).toBe(id);
        expect(h.sandbox.applicationSecret).toBe(secret);
        expect((await h.addUsers(['alice'])).status).toBe(201);
        expect(await h.hasDevice('alice')).toBe(false);
        const upper = await signed(
          'GET',
          h.mgmt('has_registered_mobile_device', 'alice').replace(id, id.toUpperCase()),
          { clientId: id.toUpperCase(), secret },
        );
        if (id !== id.toUpperCase()) expect(upper.status).toBe(404);
      } finally {
        await h.close();
      }
    },
  );

  it('the CLI adds a profile and imports users with a 47-hex secret (a note, not a refusal); the standalone sandbox takes them from the environment or stdin', async () => {
    const { id, secret } = shapes[0]!;
    const sandbox = await startSandbox({ application: { id, secret } });
    const tmp = tempDir();
    const kc = testKeychain();
    try {
      const env = { ...process.env, IAMPASS_KEYCHAIN_SERVICE: kc.keychain.service, IAMPASS_APP_SECRET: secret };
      const add = await run(
        process.execPath,
        [BIN, '--data', tmp.dir, 'apps', 'add', 'Vendor', '--base-url', sandbox.baseUrl, '--app-id', id, '--use'],
        { env },
      );
      expect(add.code).toBe(0);
      expect(add.stderr).toMatch(/not the usual 48 hexadecimal/);
      expect(add.stderr).not.toContain(secret);
      const { IAMPASS_APP_SECRET: _drop, ...noSecret } = env;
      const imp = await run(process.execPath, [BIN, '--data', tmp.dir, 'users', 'add', 'alice'], { env: noSecret });
      expect(imp.code).toBe(0);
      expect(imp.stdout).toMatch(/alice\s+created/);
    } finally {
      await sandbox.close();
      await kc.cleanup();
      tmp.cleanup();
    }
    // Standalone: the secret from the environment, or stdin with "--app-secret -"; never in the process list.
    for (const how of ['env', 'stdin'] as const) {
      const { id: lowerId, secret: alnum } = shapes[1]!;
      const args = [
        SANDBOX_MAIN,
        '--port',
        '0',
        '--app-id',
        lowerId,
        ...(how === 'stdin' ? ['--app-secret', '-'] : []),
      ];
      const child = spawn(process.execPath, args, {
        env: { ...process.env, ...(how === 'env' ? { IAMPASS_SANDBOX_APP_SECRET: alnum } : {}) },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      if (how === 'stdin') child.stdin.end(`${alnum}\n`);
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const line = await new Promise<string>((done) => {
        let out = '';
        child.stdout.on('data', (c: Buffer) => {
          out += c.toString();
          if (out.includes('\n')) done(out.split('\n')[0]!);
        });
      });
      const ready = JSON.parse(line) as {
        applicationId: string;
        applicationSecret: string;
        baseUrl: string;
        phoneUrl: string;
      };
      expect(ready).toMatchObject({ applicationId: lowerId, applicationSecret: alnum });
      expect(readFileSync(`/proc/${child.pid}/cmdline`, 'utf8')).not.toContain(alnum);
      const h = new Harness({ ...ready, close: () => Promise.resolve() });
      expect((await h.addUsers(['bob'])).status).toBe(201);
      const exited = new Promise((done) => child.once('exit', done));
      child.kill('SIGTERM');
      await exited;
      expect(stderr).toMatch(/not the usual 48 hexadecimal/);
      expect(stderr).not.toContain(alnum);
    }
  });
});

describe('9. the sandbox is strict and durable', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start();
  });
  afterAll(() => h.close());

  it('refuses invalid UTF-8, lone surrogates and control characters with a 400 and stores nothing', async () => {
    const bodies: (string | Buffer)[] = [
      Buffer.concat([Buffer.from('{"users":["ab'), Buffer.from([0xff, 0xfe]), Buffer.from('"]}')]),
      '{"users":["a\\ud800b"]}',
      '{"users":["a\\u001bb"]}',
      '{"users":["tab\\there"]}',
      '{"users":["c1\\u009bx"]}',
    ];
    for (const body of bodies) {
      const r = await signed('POST', h.mgmt('add_users'), h.app, { body: body as string });
      expect(r.status).toBe(400);
    }
    expect(await sandboxUsers(h.sandbox.baseUrl)).toBe(0);
    expect((await h.addUsers(['x'])).status).toBe(201);
    for (const name of ['a%07b', 'a%C2%9Bb', 'a%1Bb']) {
      const badName = await signed('GET', h.mgmt('device_registration_link', 'x', `?display_name=${name}`), h.app);
      expect(badName.status).toBe(400);
    }
    expect(
      (await signed('GET', h.mgmt('device_registration_link', 'x', '?display_name=%ED%A0%80'), h.app)).status,
    ).toBe(400);
  });

  it('acknowledges only what is written: users added just before a SIGKILL are there after a restart', async () => {
    const tmp = tempDir();
    try {
      const dataFile = join(tmp.dir, 'sandbox.json');
      const start = async () => {
        const child = spawn(process.execPath, [SANDBOX_MAIN, '--port', '0', '--data', dataFile], {
          stdio: ['ignore', 'pipe', 'ignore'],
        });
        const line = await new Promise<string>((done) => {
          let out = '';
          child.stdout.on('data', (c: Buffer) => {
            out += c.toString();
            if (out.includes('\n')) done(out.split('\n')[0]!);
          });
        });
        return {
          child,
          harness: new Harness({
            ...(JSON.parse(line) as {
              applicationId: string;
              applicationSecret: string;
              baseUrl: string;
              phoneUrl: string;
            }),
            close: () => Promise.resolve(),
          }),
        };
      };
      const first = await start();
      const users = Array.from({ length: 1500 }, (_, i) => `user${i}`);
      const answers = await Promise.all(
        [0, 1, 2].map((k) => first.harness.addUsers(users.slice(k * 500, (k + 1) * 500))),
      );
      expect(answers.map((a) => a.status)).toEqual([201, 201, 201]);
      const killed = new Promise((done) => first.child.once('exit', done));
      first.child.kill('SIGKILL');
      await killed;
      const second = await start();
      try {
        expect(await sandboxUsers(second.harness.sandbox.baseUrl)).toBe(1500);
      } finally {
        const exited = new Promise((done) => second.child.once('exit', done));
        second.child.kill('SIGTERM');
        await exited;
      }
    } finally {
      tmp.cleanup();
    }
  });
});
