// The iampass-admin CLI run as a subprocess through its real entry
// (bin/iampass-admin.mjs, as a user runs it) against the real sandbox on
// 127.0.0.1, with a real store in a temp --data folder and the real OS
// keychain under a test-only service name (IAMPASS_KEYCHAIN_SERVICE): every
// command, its exit codes, its failures and its --json shapes (docs/cli.md).
// Independent commands run concurrently (at most 4 processes) to keep the
// file short on a busy machine.
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import jsQR from 'jsqr';
import keytar from 'keytar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AUTH_METHODS, PROFILE_FLAVOURS, SESSION_STATUSES } from '../../../src/shared/iampass.ts';
import { ROW_RESULTS } from '../../../src/shared/ipc/jobs.ts';
import { DEVICE_STATES } from '../../../src/shared/ipc/users.ts';
import { STORE_FILE } from '../../../src/main/services/index.ts';
import { VirtualPhone } from '../../../src/sandbox/phone.ts';
import { startSandbox, type Sandbox } from '../../../src/sandbox/server.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const BIN = join(ROOT, 'bin', 'iampass-admin.mjs');
const SERVICE = `iampass-admin-cli-test-${randomUUID()}`;
const WRONG = 'ABCDEF'.repeat(8);

// ---------------------------------------------------------------- JSON shapes (docs/cli.md)
const isoTime = z.iso.datetime();
const AppJson = z.strictObject({
  id: z.string(),
  name: z.string(),
  flavour: z.enum(PROFILE_FLAVOURS),
  baseUrl: z.string(),
  applicationId: z.string().regex(/^[0-9A-F]{32}$/),
  concurrency: z.number().int(),
  sendOwnIds: z.boolean(),
  active: z.boolean(),
  hasSecret: z.boolean().nullable(),
  createdAt: isoTime,
  updatedAt: isoTime,
});
const ErrorJson = z.strictObject({
  code: z.string(),
  message: z.string(),
  retryable: z.boolean(),
  details: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
});
const StderrJson = z.strictObject({ error: ErrorJson });
const TestJson = z.union([
  z.strictObject({ ok: z.literal(true), latencyMs: z.number() }),
  z.strictObject({ ok: z.literal(false), latencyMs: z.number(), error: ErrorJson }),
]);
const JobJson = z.strictObject({
  outcome: z.enum(['completed', 'cancelled', 'failed']),
  counts: z.partialRecord(z.enum(ROW_RESULTS), z.number().int()),
  rows: z.array(
    z.strictObject({
      row: z.number().int(),
      userId: z.string(),
      result: z.enum(ROW_RESULTS),
      reason: z.string().optional(),
      code: z.string().optional(),
    }),
  ),
});
const UsersJson = z.strictObject({
  profile: z.string().nullable(),
  count: z.number().int(),
  total: z.number().int(),
  users: z.array(
    z.strictObject({
      userId: z.string(),
      displayName: z.string(),
      iampassId: z.string(),
      deviceState: z.enum(DEVICE_STATES),
      deviceCheckedAt: isoTime.nullable(),
      addedAt: isoTime.nullable(),
      lastAuthAt: isoTime.nullable(),
    }),
  ),
});
const LinkJson = z.strictObject({ userId: z.string(), link: z.url(), expiresAt: isoTime });
const SessionJson = z.strictObject({
  id: z.string(),
  userId: z.string(),
  displayName: z.string().nullable(),
  methods: z.array(z.enum(AUTH_METHODS)),
  status: z.enum(SESSION_STATUSES),
  over: z.boolean(),
  startedAt: isoTime,
  statusSince: isoTime,
  error: z
    .strictObject({
      code: z.string(),
      message: z.string(),
      retryable: z.boolean(),
      since: isoTime,
      failures: z.number().int(),
    })
    .nullable(),
});
const SessionsJson = z.strictObject({
  sessions: z.array(SessionJson),
  counts: z.partialRecord(z.enum(SESSION_STATUSES), z.number().int()),
  errors: z.number().int(),
});
const SandboxJson = z.strictObject({
  profile: z.string(),
  baseUrl: z.string(),
  applicationId: z.string(),
  phoneUrl: z.string(),
  firstRun: z.boolean(),
});

// ---------------------------------------------------------------- running the CLI
interface Ran {
  args: string[];
  code: number | null;
  stdout: string;
  stderr: string;
}
interface CliOptions {
  stdin?: string;
  env?: Record<string, string>;
  dataDir?: string;
  /** The Node to run the bin with (default: this Node 24). */
  node?: string;
  bin?: string;
  /** Called with the whole stdout so far, as it grows (to follow a long-running command). */
  onStdout?: (text: string) => void;
  /** Keep standard input open until stderr shows `when`, then write `write` and close it. */
  stdinAfter?: { when: string; write: string };
}

/** Every run, for the final "never printed a secret or link where it should not" sweep. */
const runs: Ran[] = [];
let running = 0;
const queue: (() => void)[] = [];
const MAX_PROCESSES = 4;

async function slot<T>(work: () => Promise<T>): Promise<T> {
  if (running >= MAX_PROCESSES) await new Promise<void>((go) => queue.push(go));
  running++;
  try {
    return await work();
  } finally {
    running--;
    queue.shift()?.();
  }
}

function spawnRun(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  stdin = '',
  onStdout?: (text: string) => void,
  stdinAfter?: { when: string; write: string },
): Promise<Ran> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      onStdout?.(stdout);
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
      if (stdinAfter && stderr.includes(stdinAfter.when) && child.stdin.writable) child.stdin.end(stdinAfter.write);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 25_000);
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      const ran = { args, code, stdout, stderr };
      runs.push(ran);
      done(ran);
    });
    child.stdin.on('error', () => undefined);
    if (!stdinAfter) child.stdin.end(stdin);
  });
}

function testEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, IAMPASS_KEYCHAIN_SERVICE: SERVICE, ...extra };
  if (!extra.IAMPASS_APP_SECRET) delete env.IAMPASS_APP_SECRET;
  return env;
}

function cli(args: string[], options: CliOptions = {}): Promise<Ran> {
  return slot(() =>
    spawnRun(
      options.node ?? process.execPath,
      [options.bin ?? BIN, '--data', options.dataDir ?? data, ...args],
      testEnv(options.env),
      options.stdin,
      options.onStdout,
      options.stdinAfter,
    ),
  );
}

/** The CLI with stdin, stdout and stderr on a pseudo-terminal (util-linux `script`); output merged. */
function onTerminal(args: string[]): Promise<Ran> {
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const command = [process.execPath, BIN, '--data', data, ...args].map(quote).join(' ');
  return slot(() => spawnRun('script', ['-qec', command, '/dev/null'], testEnv()));
}

function json<T>(schema: z.ZodType<T>, text: string): T {
  return schema.parse(JSON.parse(text));
}

let sandbox: Sandbox;
let data: string;
let phone: VirtualPhone;
/** The CLI's own `sandbox` command, started at the beginning and checked at the end. */
let foreground: ReturnType<typeof spawn>;
let foregroundDir: string;
let foregroundFirstLine: Promise<string>;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
  phone = new VirtualPhone(sandbox.baseUrl);
  data = mkdtempSync(join(tmpdir(), 'iampass-cli-'));
  foregroundDir = mkdtempSync(join(tmpdir(), 'iampass-cli-sb-'));
  foreground = spawn(process.execPath, [BIN, 'sandbox', '--json', '--data', foregroundDir], {
    env: testEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  foregroundFirstLine = new Promise<string>((done, fail) => {
    let text = '';
    foreground.stdout?.on('data', (c: Buffer) => {
      text += c.toString();
      if (text.includes('\n')) done(text.split('\n')[0] ?? '');
    });
    foreground.on('close', (code) => fail(new Error(`sandbox exited ${String(code)}`)));
  });
  foregroundFirstLine.catch(() => undefined);
});

afterAll(async () => {
  foreground.kill('SIGKILL');
  await sandbox.close();
  for (const c of await keytar.findCredentials(SERVICE)) await keytar.deletePassword(SERVICE, c.account);
  rmSync(data, { recursive: true, force: true });
  rmSync(foregroundDir, { recursive: true, force: true });
});

function noSecrets(r: Ran): void {
  for (const text of [r.stdout, r.stderr]) {
    expect(text).not.toContain(sandbox.applicationSecret);
    expect(text).not.toContain(WRONG);
  }
}

// ---------------------------------------------------------------- usage and the entry points
describe('usage', () => {
  it('unknown flags, secrets as arguments, unknown or missing commands and bad values exit 2 with a clear message', async () => {
    const elevenIds = Array.from({ length: 11 }, (_, i) => `u${String(i)}`);
    const results = await Promise.all([
      cli(['apps', 'list', '--bogus']),
      cli(['apps', 'add', 'X', '--app-id', sandbox.applicationId, `--secret=${sandbox.applicationSecret}`]),
      cli(['apps', 'test', '--app-secret', sandbox.applicationSecret]),
      cli(['frobnicate']),
      cli(['users', '--json']),
      cli([]),
      cli(['auth', 'start', 'alice', '--methods', 'telepathy']),
      cli(['auth', 'start', 'alice', '--duration', '0']),
      cli(['audit', 'export', '--format', 'xml']),
      cli(['users', 'delete', ...elevenIds]),
      cli(['apps', 'remove', 'Other']),
      cli(['sessions', 'logout']),
      cli(['users', 'add']),
      cli(['users', 'list', 'extra']),
      cli(['users', 'list', '--state', 'lost']),
      cli(['apps', 'test', 'Lab', sandbox.applicationSecret]),
      cli(['users', 'import', join(data, 'no-such.csv')]),
      cli(['users', 'import', '-', '--base-url', sandbox.baseUrl, '--app-id', sandbox.applicationId], { stdin: 'x\n' }),
    ]);
    const [
      unknown,
      secret,
      secretSplit,
      cmd,
      sub,
      none,
      badMethod,
      badDuration,
      badFormat,
      many,
      unconfirmed,
      noTarget,
      missingArg,
      extraArg,
      badState,
      pasted,
      noFile,
      stdinBoth,
    ] = results;
    for (const r of results) expect(r.code, `${r.args.join(' ')}: ${r.stderr}`).toBe(2);

    expect(unknown.stderr).toContain("Unknown option '--bogus'");
    expect(unknown.stderr).toContain('usage: iampass-admin apps list');
    expect(unknown.stdout).toBe('');
    expect(secret.stderr).toMatch(/--secret is refused: a secret on the command line lands in shell history/);
    expect(secret.stderr).toContain('IAMPASS_APP_SECRET');
    expect(secretSplit.stderr).toContain('--app-secret is refused');
    noSecrets(secret);
    noSecrets(secretSplit);
    expect(cmd.stderr).toContain('unknown command "frobnicate"');
    const subError = json(StderrJson, sub.stderr).error;
    expect(subError.code).toBe('usage');
    expect(subError.message).toContain('"users" needs a command');
    expect(none.stderr).toMatch(/^iampass-admin: no command given\n[^]*Commands:\n {2}apps list/);
    expect(none.stdout).toBe('');
    expect(badMethod.stderr).toContain('--methods is a comma-separated list of acceptance, device, facial');
    expect(badDuration.stderr).toContain('--duration is 1..86400 seconds');
    expect(badFormat.stderr).toContain('--format must be csv or json');
    expect(many.stderr).toContain('--confirm-count 11');
    expect(unconfirmed.stderr).toContain('add --yes to confirm');
    expect(noTarget.stderr).toContain('give a SESSION_ID or --user USER_ID');
    expect(missingArg.stderr).toContain('missing argument for "users add"');
    expect(extraArg.stderr).toContain('unexpected argument "extra"');
    // a secret pasted as an argument is refused without being echoed
    expect(pasted.stderr).toContain('unexpected argument (a long key-like value, not shown)');
    noSecrets(pasted);
    expect(noFile.stderr).toContain(`cannot read ${join(data, 'no-such.csv')}: no such file`);
    expect(stdinBoth.stderr).toContain(
      'with "-" standard input carries the CSV: give the secret in IAMPASS_APP_SECRET',
    );
    expect(badState.stderr).toContain('--state must be registered, not_registered, unknown or not_at_iampass');
    // refused before anything was opened: not even the store exists yet
    expect(existsSync(join(data, STORE_FILE))).toBe(false);
  });

  it('--help for every command prints its usage and exits 0', async () => {
    const { COMMANDS, run } = await import('../../../src/cli/run.ts');
    const [top, one, group] = await Promise.all([
      cli(['--help']),
      cli(['users', 'link', '--help']),
      cli(['sessions', '--help']),
    ]);
    expect(top.code).toBe(0);
    for (const c of COMMANDS) expect(top.stdout).toContain(c.name);
    expect(one.code).toBe(0);
    expect(one.stdout).toContain('usage: iampass-admin users link USER_ID [--qr]');
    expect(group.code).toBe(0);
    expect(group.stdout).toContain('iampass-admin sessions: list | watch | logout');
    // Each command's help through the same dispatcher, in this process to keep the count of Node starts down.
    for (const c of COMMANDS) {
      let stdout = '';
      const sink = { write: (s: string) => ((stdout += s), true), isTTY: false } as unknown as NodeJS.WritableStream;
      const code = await run([...c.name.split(' '), '--help'], {
        stdout: sink,
        stderr: sink,
        stdin: process.stdin,
        env: {},
      });
      expect(code, c.name).toBe(0);
      expect(stdout, c.name).toContain(`usage: iampass-admin ${c.name}`);
      expect(stdout, c.name).toContain('Exit codes');
    }
  });

  it("the bin runs under the machine's older Node through the provisioned Node 24, says so when Node 24 cannot be had, and npm run cli works", async () => {
    // The first `node` on PATH that is not this project's provisioned one (Node 20 on the build machines).
    const machineNode = (process.env.PATH ?? '')
      .split(delimiter)
      .filter((d) => d !== '' && !resolve(d).startsWith(ROOT))
      .map((d) => join(d, 'node'))
      .find((p) => existsSync(p));
    expect(machineNode).toBeDefined();
    const machineMajor = Number(
      execFileSync(machineNode ?? '', ['-p', 'process.versions.node.split(".")[0]'])
        .toString()
        .trim(),
    );
    const dir = mkdtempSync(join(tmpdir(), 'iampass-cli-bin-'));
    try {
      // A copy of the launcher with no .cache/ and no npm on PATH: Node 24 cannot be provisioned.
      mkdirSync(join(dir, 'bin'));
      mkdirSync(join(dir, 'scripts'));
      copyFileSync(BIN, join(dir, 'bin', 'iampass-admin.mjs'));
      copyFileSync(join(ROOT, 'scripts', 'node24.mjs'), join(dir, 'scripts', 'node24.mjs'));
      const [viaMachine, npmRun, stranded] = await Promise.all([
        cli(['apps', 'list', '--json', '--data', join(dir, 'data')], { node: machineNode ?? '' }),
        slot(() =>
          spawnRun('npm', ['run', '-s', 'cli', '--', '--data', join(dir, 'data'), 'apps', 'list', '--json'], {
            ...testEnv(),
            npm_config_update_notifier: 'false', // no registry call from npm itself
          }),
        ),
        slot(() =>
          spawnRun(machineNode ?? '', [join(dir, 'bin', 'iampass-admin.mjs'), '--help'], {
            PATH: join(dir, 'empty'),
            HOME: dir,
          }),
        ),
      ]);
      expect(viaMachine.code, viaMachine.stderr).toBe(0);
      expect(json(z.array(AppJson), viaMachine.stdout)).toEqual([]);
      expect(npmRun.code, npmRun.stderr).toBe(0);
      expect(json(z.array(AppJson), npmRun.stdout)).toEqual([]);
      if (machineMajor < 24) {
        expect(stranded.code).toBe(1);
        expect(stranded.stderr).toContain(`iampass-admin: needs Node 24 (this is Node v${String(machineMajor)}.`);
        expect(stranded.stderr).toContain('Install Node 24');
      } else {
        // A Node 24 machine runs the CLI in the launcher's own process.
        expect(stranded.code, stranded.stderr).toBe(0);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

it('apps add on a terminal asks for the secret at a prompt that does not echo it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'iampass-cli-tty-'));
  const secret = 'C0FFEE'.repeat(8);
  try {
    const quote = (v: string) => `'${v}'`;
    const command = [
      process.execPath,
      BIN,
      '--data',
      dir,
      'apps',
      'add',
      'Typed',
      '--app-id',
      'B'.repeat(32),
      '--base-url',
      'https://main.iam-api.com',
    ]
      .map(quote)
      .join(' ');
    const ran = await slot(
      () =>
        new Promise<Ran>((done, fail) => {
          const child = spawn('script', ['-qec', command, '/dev/null'], {
            env: testEnv(),
            stdio: ['pipe', 'pipe', 'pipe'],
          });
          let stdout = '';
          let typed = false;
          child.stdout.on('data', (c: Buffer) => {
            stdout += c.toString();
            // Type the secret once the prompt is up (raw mode is set in the same tick as the prompt).
            if (!typed && stdout.includes('Application secret (input hidden): ')) {
              typed = true;
              child.stdin.write(`${secret}\r`);
            }
          });
          const timer = setTimeout(() => child.kill('SIGKILL'), 25_000);
          child.on('error', fail);
          child.on('close', (code) => {
            clearTimeout(timer);
            child.stdin.destroy();
            const r = { args: ['script', 'apps', 'add', 'Typed'], code, stdout, stderr: '' };
            runs.push(r);
            done(r);
          });
        }),
    );
    expect(ran.code, ran.stdout).toBe(0);
    expect(ran.stdout).toContain('Added "Typed" (IAMPASS, https://main.iam-api.com).');
    expect(ran.stdout).not.toContain(secret); // no echo
    const profiles = json(z.array(AppJson), (await cli(['apps', 'list', '--json'], { dataDir: dir })).stdout);
    expect(profiles).toMatchObject([{ name: 'Typed', hasSecret: true }]);
    expect(await keytar.getPassword(SERVICE, `profile:${profiles[0]?.id ?? ''}`)).toBe(secret);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// ---------------------------------------------------------------- against the sandbox
describe('against the sandbox', () => {
  let iampassId = '';

  it('apps add (secret on stdin) / list / use / test / remove; wrong secret and clock skew exit 3 and say so; unreachable exits 4', async () => {
    const add = await cli(
      ['apps', 'add', 'Lab', '--base-url', sandbox.baseUrl, '--app-id', sandbox.applicationId, '--use', '--json'],
      {
        stdin: `${sandbox.applicationSecret}\n`,
      },
    );
    expect(add.code, add.stderr).toBe(0);
    expect(json(AppJson, add.stdout)).toMatchObject({ name: 'Lab', flavour: 'Sandbox', active: true, hasSecret: true });
    expect((await keytar.findCredentials(SERVICE)).some((c) => c.password === sandbox.applicationSecret)).toBe(true);

    const [other, ok, okJson, wrong, closed, missing, noSecret, late] = await Promise.all([
      cli(['apps', 'add', 'Other', '--base-url', sandbox.baseUrl, '--app-id', 'A'.repeat(32)], {
        env: { IAMPASS_APP_SECRET: WRONG },
      }),
      cli(['apps', 'test', 'Lab']),
      cli(['apps', 'test', '--profile', 'Lab', '--json']),
      cli(['apps', 'test', '--base-url', sandbox.baseUrl, '--app-id', sandbox.applicationId], {
        env: { IAMPASS_APP_SECRET: WRONG },
      }),
      cli(['apps', 'test', '--base-url', 'http://127.0.0.1:9', '--app-id', sandbox.applicationId, '--json'], {
        env: { IAMPASS_APP_SECRET: sandbox.applicationSecret },
      }),
      cli(['users', 'list', '--profile', 'Nope']),
      cli(['apps', 'test', '--base-url', sandbox.baseUrl, '--app-id', sandbox.applicationId]),
      // A pipe that stays open with nothing in it: the CLI says what it waits for.
      cli(['apps', 'test', '--base-url', sandbox.baseUrl, '--app-id', sandbox.applicationId], {
        stdinAfter: {
          when: 'waiting for the application secret on standard input',
          write: `${sandbox.applicationSecret}\n`,
        },
      }),
    ]);
    expect(other.code, other.stderr).toBe(0);
    expect(other.stdout).toContain('Added "Other" (Sandbox, http://127.0.0.1:');
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/Connection to "Lab" OK \(\d+ ms\)/);
    expect(json(TestJson, okJson.stdout)).toMatchObject({ ok: true });
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toMatch(/rejected the request signature.*Application Secret.*\[unauthorized\]/);
    expect(closed.code).toBe(4);
    expect(json(TestJson, closed.stdout)).toMatchObject({ ok: false, error: { code: 'network' } });
    expect(json(StderrJson, closed.stderr)).toMatchObject({ error: { code: 'network', retryable: true } });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('No application profile named "Nope"');
    expect(noSecret.code).toBe(2);
    expect(noSecret.stderr).toContain('no application secret: set IAMPASS_APP_SECRET or pass it on standard input');
    expect(late.code, late.stderr).toBe(0);
    expect(late.stderr).toBe(
      'iampass-admin: waiting for the application secret on standard input (or set IAMPASS_APP_SECRET)...\n',
    );
    expect(late.stdout).toMatch(/Connection to http:\/\/127\.0\.0\.1:\d+ OK/);
    for (const r of [other, wrong, closed]) noSecrets(r);

    // The sandbox's clock 10 minutes ahead: a 401 with a skewed Date header.
    await phone.setFaults([{ route: '*', kind: 'clock', seconds: 600 }]);
    let skewed: Ran;
    try {
      skewed = await cli(['apps', 'test', 'Lab']);
    } finally {
      await phone.clearFaults();
    }
    expect(skewed.code).toBe(3);
    expect(skewed.stderr).toMatch(
      /this computer's clock is off by (599|600|601) seconds \(behind the service\).*\[unauthorized\]/,
    );

    const list = await cli(['apps', 'list', '--json']);
    expect(list.code).toBe(0);
    const apps = json(z.array(AppJson), list.stdout);
    expect(apps.map((a) => [a.name, a.active, a.hasSecret])).toEqual([
      ['Lab', true, true],
      ['Other', false, true],
    ]);
    noSecrets(list);
    const human = await cli(['apps', 'use', 'Other']);
    expect(human.stdout).toContain('"Other" is now the active application');
    expect(json(z.array(AppJson), (await cli(['apps', 'list', '--json'])).stdout).find((a) => a.active)?.name).toBe(
      'Other',
    );

    const [back, removed] = await Promise.all([
      cli(['apps', 'use', 'Lab', '--json']),
      cli(['apps', 'remove', 'Other', '--yes', '--json']),
    ]);
    expect(back.code, back.stderr).toBe(0);
    expect(JSON.parse(back.stdout)).toEqual({ active: 'Lab', id: apps[0]?.id });
    expect(removed.code, removed.stderr).toBe(0);
    expect(JSON.parse(removed.stdout)).toEqual({ removed: 'Other' });
    const after = json(z.array(AppJson), (await cli(['apps', 'list', '--json'])).stdout);
    expect(after.map((a) => [a.name, a.active])).toEqual([['Lab', true]]);
  });

  it('users add / import / list / status: per-row results, progress only on a terminal, wrong secret 3, unreachable 4', async () => {
    const add = await cli(['users', 'add', 'alice', 'bob', ' ', 'alice']);
    expect(add.code).toBe(1); // two rows invalid
    expect(add.stdout).toMatch(/alice\s+created/);
    expect(add.stdout).toMatch(/bob\s+created/);
    expect(add.stdout).toContain('The user ID is empty.');
    expect(add.stdout).toContain('Duplicate of row 1.');
    expect(add.stderr).toBe('users add: 2 created, 2 invalid.\n'); // the summary; no progress: not a terminal

    const csv = join(data, 'people.csv');
    writeFileSync(csv, 'email,display name\ncarol@example.com,Carol C\ndave@example.com,Dave D\nbob,Bob again\n');
    const [imp, piped, tty, bad, down] = await Promise.all([
      cli(['users', 'import', csv, '--json']),
      cli(['users', 'import', '-', '--no-header', '--user-column', '2', '--name-column', '1'], {
        stdin: 'Frank F,frank\n',
      }),
      onTerminal(['users', 'add', 'tty1', 'tty2']),
      cli(['users', 'add', 'zed', '--base-url', sandbox.baseUrl, '--app-id', sandbox.applicationId, '--json'], {
        env: { IAMPASS_APP_SECRET: WRONG },
      }),
      // Another base URL is another profile (its own directory), created without storing the secret.
      cli(['users', 'add', 'zed', '--base-url', 'http://127.0.0.1:9', '--app-id', sandbox.applicationId], {
        env: { IAMPASS_APP_SECRET: sandbox.applicationSecret },
      }),
    ]);
    expect(imp.code, imp.stderr).toBe(0);
    const result = json(JobJson, imp.stdout);
    expect(result.counts).toEqual({ created: 2, existing: 1 });
    expect(result.rows.map((r) => [r.row, r.userId, r.result])).toEqual([
      [1, 'carol@example.com', 'created'],
      [2, 'dave@example.com', 'created'],
      [3, 'bob', 'existing'],
    ]);
    expect(imp.stderr).toBe(''); // --json: no notes, and not a terminal: no progress
    expect(piped.code, piped.stderr).toBe(0);
    expect(piped.stdout).toMatch(/1\s+frank\s+created/);
    expect(tty.code, tty.stdout).toBe(0);
    expect(tty.stdout).toContain('\r\x1b[2Kusers add 2/2'); // the progress line, rewritten in place
    expect(tty.stdout).toMatch(/tty1\s+created/);
    expect(bad.code).toBe(3);
    expect(json(JobJson, bad.stdout)).toMatchObject({
      rows: [{ userId: 'zed', result: 'failed', code: 'unauthorized' }],
    });
    noSecrets(bad);
    expect(down.code).toBe(4);
    expect(down.stdout).toMatch(/zed\s+failed\s+The connection to 127\.0\.0\.1:9 was refused/);
    noSecrets(down);

    const [list, search, status, apps] = await Promise.all([
      cli(['users', 'list', '--json']),
      cli(['users', 'list', '--search', 'CAROL']),
      cli(['users', 'status', 'alice', 'nobody']),
      cli(['apps', 'list', '--json']),
    ]);
    const users = json(UsersJson, list.stdout);
    expect(users).toMatchObject({ profile: 'Lab', count: 7, total: 7 });
    expect(users.users.map((u) => [u.userId, u.displayName]).sort()).toEqual([
      ['alice', ''],
      ['bob', ''],
      ['carol@example.com', 'Carol C'],
      ['dave@example.com', 'Dave D'],
      ['frank', 'Frank F'],
      ['tty1', ''],
      ['tty2', ''],
    ]);
    expect(users.users.find((u) => u.userId === 'zed')).toBeUndefined(); // nothing written for failed rows
    iampassId = users.users.find((u) => u.userId === 'alice')?.iampassId ?? '';
    expect(iampassId).toMatch(/^[0-9a-f]{32}$/);
    expect(search.stdout).toContain('Carol C');
    expect(search.stdout).not.toContain('alice');
    expect(search.stderr).toBe('1 of 7 users in "Lab".\n');

    // users export: streamed CSV / JSON, to stdout or an owner-only file; search and state as in users list.
    const outFile = join(data, 'users-export.csv');
    const [csvOut, jsonOut, fileOut, badFormat, badState] = await Promise.all([
      cli(['users', 'export', '--format', 'csv', '--search', 'example']),
      cli(['users', 'export', '--format', 'json', '--state', 'unknown', '--search', 'TTY']),
      cli(['users', 'export', '--format', 'csv', '--out', outFile, '--json']),
      cli(['users', 'export', '--format', 'xml']),
      cli(['users', 'export', '--format', 'csv', '--state', 'lost']),
    ]);
    expect(csvOut.code, csvOut.stderr).toBe(0);
    const csvLines = csvOut.stdout.split('\r\n');
    expect(csvLines[0]).toBe('user_id,display_name,iampass_id,device_state,device_checked_at,added_at,last_auth_at');
    expect(csvLines.slice(1, -1).map((l) => l.split(',').slice(0, 2))).toEqual([
      ['carol@example.com', 'Carol C'],
      ['dave@example.com', 'Dave D'],
    ]);
    expect(
      z
        .array(UsersJson.shape.users.element)
        .parse(JSON.parse(jsonOut.stdout))
        .map((u) => u.userId),
    ).toEqual(['tty1', 'tty2']);
    expect(JSON.parse(fileOut.stdout)).toEqual({ file: outFile, users: 7, format: 'csv' });
    expect(readFileSync(outFile, 'utf8').split('\r\n')).toHaveLength(9);
    if (process.platform !== 'win32') expect(statSync(outFile).mode & 0o777).toBe(0o600);
    for (const bad of [badFormat, badState]) expect(bad.code).toBe(2);
    expect(status.code).toBe(1);
    expect(status.stdout).toMatch(/alice\s+not_registered/);
    expect(status.stdout).toMatch(/nobody\s+missing/);
    expect(json(z.array(AppJson), apps.stdout).find((a) => a.baseUrl === 'http://127.0.0.1:9')).toMatchObject({
      name: `CLI ${sandbox.applicationId.slice(0, 8)}`,
      hasSecret: false,
    });
  });

  it('users link: --qr draws a QR code that decodes to the link; --json; --wait exits 0 once the phone registers with it', async () => {
    let waitOut = '';
    const waiting = cli(['users', 'link', 'alice', '--wait', '--json'], { onStdout: (text) => (waitOut = text) });
    const [qr, tty, link, unknown] = await Promise.all([
      cli(['users', 'link', 'bob', '--qr']),
      onTerminal(['users', 'link', 'carol@example.com', '--qr']),
      cli(['users', 'link', 'dave@example.com', '--json']),
      cli(['users', 'link', 'ghost']),
    ]);
    expect(qr.code, qr.stderr).toBe(0);
    expect(qr.stdout).toMatch(/[▄▀█]/);
    expect(qr.stdout).not.toContain('\x1b['); // piped: plain text
    const decoded = decodeTerminalQr(qr.stdout);
    expect(decoded).toMatch(new RegExp(`^${sandbox.baseUrl}/sandbox/phone/register/`));
    expect(qr.stdout).toContain(`\n${decoded ?? 'none'}\n`); // the link itself under the code
    expect(qr.stderr).toBe('Registration link for bob; it is a one-time credential: share it only with that user.\n');

    // On a terminal: painted black on white (readable on dark themes), same code.
    expect(tty.code, tty.stdout).toBe(0);
    expect(tty.stdout).toContain('\x1b[47m\x1b[30m');
    expect(decodeTerminalQr(tty.stdout)).toMatch(new RegExp(`^${sandbox.baseUrl}/sandbox/phone/register/`));

    expect(link.code, link.stderr).toBe(0);
    expect(json(LinkJson, link.stdout)).toMatchObject({ userId: 'dave@example.com' });
    expect(link.stdout).toContain('\n  "link": "http://127.0.0.1:'); // one pretty document without --wait

    // --wait --json: the link as one line, then the outcome once the phone used it.
    await expect.poll(() => waitOut.includes('\n'), { timeout: 15_000 }).toBe(true);
    const { link: url } = json(LinkJson, waitOut.split('\n')[0] ?? '');
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/sandbox\/phone\/register\//);
    expect(await phone.register(url)).toMatchObject({ applicationId: sandbox.applicationId, userId: iampassId });
    const waited = await waiting;
    expect(waited.code, waited.stderr).toBe(0);
    const lines = waited.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(
      z
        .strictObject({ userId: z.string(), registered: z.boolean(), outcome: z.string(), at: isoTime })
        .parse(JSON.parse(lines[1] ?? '')),
    ).toMatchObject({
      userId: 'alice',
      registered: true,
      outcome: 'registered',
    });

    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('not in the directory');

    const status = await cli(['users', 'status', '--all', '--json']);
    expect(status.code).toBe(0);
    expect(json(JobJson, status.stdout).rows.find((r) => r.userId === 'alice')?.result).toBe('registered');
  });

  it('a wrong secret makes every IAMPASS call exit 3 and say so, and changes nothing', async () => {
    const wrong = ['--base-url', sandbox.baseUrl, '--app-id', sandbox.applicationId];
    const env = { IAMPASS_APP_SECRET: WRONG };
    const [link, status, auth, lost, del] = await Promise.all([
      cli(['users', 'link', 'alice', ...wrong], { env }),
      cli(['users', 'status', 'alice', ...wrong], { env }),
      cli(['auth', 'start', 'alice', ...wrong], { env }),
      cli(['users', 'lost-device', 'alice', ...wrong, '--json'], { env }),
      cli(['users', 'delete', 'bob', ...wrong], { env }),
    ]);
    for (const r of [link, status, auth, lost, del]) {
      expect(r.code, `${r.args.join(' ')}: ${r.stderr}`).toBe(3);
      noSecrets(r);
    }
    for (const r of [link, auth]) expect(r.stderr).toMatch(/Application Secret.*\[unauthorized\]\n$/);
    expect(json(StderrJson, lost.stderr).error.code).toBe('unauthorized');
    expect(lost.stdout).toBe('');
    for (const r of [status, del]) expect(r.stdout).toMatch(/failed\s+.*Application Secret/);
    const users = json(UsersJson, (await cli(['users', 'list', '--json'])).stdout).users;
    expect(users.find((u) => u.userId === 'alice')?.deviceState).toBe('registered'); // still registered: no lost-device
    expect(users.map((u) => u.userId)).toContain('bob'); // not deleted
  });

  it('auth start --watch follows to active after the phone approves; sessions list / logout; refused without a phone', async () => {
    const watching = cli([
      'auth',
      'start',
      'alice',
      '--methods',
      'acceptance',
      '--duration',
      '300',
      '--watch',
      '--interval',
      '0.1',
      '--json',
    ]);
    const refused = cli(['auth', 'start', 'bob']);
    let requestId: string | undefined;
    await expect
      .poll(async () => (requestId = (await phone.pending(sandbox.applicationId, iampassId))[0]?.id), {
        timeout: 15_000,
      })
      .toBeDefined();
    await phone.approve(requestId ?? '');
    const watched = await watching;
    expect(watched.code, watched.stderr).toBe(0);
    const lines = watched.stdout
      .trim()
      .split('\n')
      .map((l) => json(SessionJson, l));
    expect(lines[0]).toMatchObject({ status: 'pending', userId: 'alice', methods: ['acceptance'], over: false });
    expect(lines.at(-1)?.status).toBe('active');
    const id = lines[0]?.id ?? '';
    noSecrets(watched);
    expect(watched.stdout).not.toContain(requestId);

    expect((await refused).code).toBe(1);
    expect((await refused).stderr).toContain('did not start the authentication');

    const list = await cli(['sessions', 'list', '--filter', 'live', '--json']);
    expect(json(SessionsJson, list.stdout)).toMatchObject({ sessions: [{ id, userId: 'alice', status: 'active' }] });

    const out = await cli(['sessions', 'logout', id]);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toMatch(/closed/);
    const [again, human] = await Promise.all([cli(['sessions', 'logout', id]), cli(['sessions', 'list'])]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already over');
    expect(human.stdout).toMatch(new RegExp(`${id}\\s+alice\\s+closed`));
  });

  it('sessions watch --until-idle: prints the live sessions, picks up one started later, prints changes another process saw first, exits when idle', async () => {
    const first = await cli(['auth', 'start', 'alice', '--methods', 'device', '--json']);
    expect(first.code, first.stderr).toBe(0);
    const s1 = json(SessionJson, first.stdout);
    expect(s1.status).toBe('pending');
    let watchOut = '';
    const watching = cli(['sessions', 'watch', '--until-idle', '--interval', '0.1', '--json'], {
      onStdout: (text) => (watchOut = text),
    });
    const watchLines = () =>
      watchOut
        .split('\n')
        .filter(Boolean)
        .map((l) => json(SessionJson, l));
    await expect
      .poll(() => watchLines().some((v) => v.id === s1.id && v.status === 'pending'), { timeout: 15_000 })
      .toBe(true);

    // A second session, started and followed by another process after the watch began.
    let secondOut = '';
    const second = cli(['auth', 'start', 'alice', '--methods', 'acceptance', '--watch', '--interval', '0.1'], {
      onStdout: (text) => (secondOut = text),
    });
    const secondId = () => /^\S+\s+(\S+)\s+alice\s+pending$/m.exec(secondOut)?.[1];
    await expect.poll(secondId, { timeout: 15_000 }).toBeDefined();
    const s2 = secondId() ?? '';
    await expect.poll(() => watchLines().some((v) => v.id === s2), { timeout: 15_000 }).toBe(true); // picked up
    const requests = await phone.pending(sandbox.applicationId, iampassId);
    await phone.approve(requests.find((r) => r.methods?.join() === 'acceptance')?.id ?? '');
    const approved = await second;
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stdout).toMatch(/alice\s+pending\n.*alice\s+active\n$/s);
    await phone.deny(requests.find((r) => r.methods?.join() === 'device')?.id ?? '');
    await expect
      .poll(() => watchLines().some((v) => v.id === s1.id && v.status === 'cancelled'), { timeout: 15_000 })
      .toBe(true);

    // Logged out by another process, which writes "closed" to the store first: the watch still prints it, then exits.
    const byUser = await cli(['sessions', 'logout', '--user', 'alice', '--json']);
    expect(byUser.code, byUser.stderr).toBe(0);
    expect(JSON.parse(byUser.stdout)).toEqual({ loggedOut: 1, failed: 0 });
    const watched = await watching;
    expect(watched.code, watched.stderr).toBe(0);
    const statuses = (id: string) =>
      watchLines()
        .filter((v) => v.id === id)
        .map((v) => v.status);
    expect(statuses(s1.id)).toEqual(['pending', 'cancelled']);
    expect(statuses(s2).at(-1)).toBe('closed');
    expect(statuses(s2)).toContain('active');
  });

  it('users lost-device prints a fresh link, users delete removes, audit export writes CSV and JSON', async () => {
    const [lost, del] = await Promise.all([
      cli(['users', 'lost-device', 'alice', '--json']),
      cli(['users', 'delete', 'dave@example.com', 'ghost']),
    ]);
    expect(lost.code, lost.stderr).toBe(0);
    const fresh = json(LinkJson, lost.stdout);
    expect(fresh.userId).toBe('alice');
    expect(fresh.link).toContain('/sandbox/phone/register/');
    expect(del.code).toBe(1);
    expect(del.stdout).toMatch(/dave@example\.com\s+deleted/);
    expect(del.stdout).toMatch(/ghost\s+missing/);

    const file = join(data, 'audit.json');
    const [state, jsonOut, csv, searched] = await Promise.all([
      cli(['users', 'list', '--json', '--state', 'not_registered']),
      cli(['audit', 'export', '--format', 'json', '--out', file, '--json']),
      cli(['audit', 'export', '--format', 'csv', '--action', 'users.delete']),
      cli(['audit', 'export', '--format', 'json', '--search', 'LOST_DEV']),
    ]);
    expect(json(UsersJson, state.stdout).users.map((u) => u.userId)).toContain('alice');
    expect(jsonOut.code, jsonOut.stderr).toBe(0);
    const entries = JSON.parse(readFileSync(file, 'utf8')) as { action: string; target: string | null }[];
    expect(JSON.parse(jsonOut.stdout)).toEqual({ file, entries: entries.length, format: 'json' });
    const actions = new Set(entries.map((e) => e.action));
    for (const a of [
      'application.add',
      'application.remove',
      'application.test',
      'users.add',
      'users.import',
      'user.registration_link',
      'user.lost_device',
      'session.start',
      'session.logout',
      'users.delete',
    ])
      expect(actions, a).toContain(a);
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain('/register/');
    expect(text).not.toContain(sandbox.applicationSecret);
    expect(csv.code).toBe(0);
    expect(csv.stdout.split('\r\n')[0]).toBe('time,application,admin,action,target,outcome,errorCode');
    expect(csv.stdout).toContain('users.delete');
    expect(csv.stdout).not.toContain('users.add');
    expect(searched.code, searched.stderr).toBe(0);
    expect(new Set((JSON.parse(searched.stdout) as { action: string }[]).map((e) => e.action))).toEqual(
      new Set(['user.lost_device']),
    );
  });
});

it("sandbox runs the data folder's Sandbox profile in the foreground; other commands reach it; Ctrl+C stops it", async () => {
  const first = await foregroundFirstLine;
  const info = json(SandboxJson, first);
  expect(info).toMatchObject({ profile: 'Sandbox', firstRun: true });
  expect(info.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect(first).not.toMatch(/[0-9A-F]{48}/i);
  const [test, add] = await Promise.all([
    cli(['apps', 'test', '--profile', 'Sandbox'], { dataDir: foregroundDir }),
    cli(['users', 'add', 'erin'], { dataDir: foregroundDir }),
  ]);
  expect(test.code, test.stderr).toBe(0);
  expect(add.code, add.stderr).toBe(0);
  const exited = new Promise<number | null>((done) => foreground.on('close', done));
  foreground.kill('SIGINT');
  expect(await exited).toBe(0);
  // The host is gone: every command that calls IAMPASS exits 4 and says why.
  const down = await Promise.all([
    cli(['apps', 'test'], { dataDir: foregroundDir }),
    cli(['users', 'add', 'frank'], { dataDir: foregroundDir }),
    cli(['users', 'status', 'erin'], { dataDir: foregroundDir }),
    cli(['users', 'link', 'erin'], { dataDir: foregroundDir }),
    cli(['users', 'lost-device', 'erin'], { dataDir: foregroundDir }),
    cli(['users', 'delete', 'erin'], { dataDir: foregroundDir }),
    cli(['auth', 'start', 'erin', '--json'], { dataDir: foregroundDir }),
  ]);
  for (const r of down) {
    expect(r.code, `${r.args.join(' ')}: ${r.stderr}`).toBe(4);
    expect(`${r.stdout}${r.stderr}`, r.args.join(' ')).toMatch(/The connection to 127\.0\.0\.1:\d+ was refused/);
  }
  expect(json(StderrJson, down[6]?.stderr ?? '').error).toMatchObject({ code: 'network', retryable: true });
  // nothing changed: erin is still there, frank was not added
  const users = json(UsersJson, (await cli(['users', 'list', '--json'], { dataDir: foregroundDir })).stdout).users;
  expect(users.map((u) => u.userId)).toEqual(['erin']);
});

it('no run printed a secret anywhere, or a registration link anywhere but the stdout of users link / lost-device', () => {
  expect(runs.length).toBeGreaterThan(50);
  for (const r of runs) {
    noSecrets(r);
    expect(r.stderr, r.args.join(' ')).not.toContain('/register/');
    const printsLinks = /\blink\b|lost-device/.test(r.args.join(' ')); // (a terminal run has the CLI's args in one string)
    if (!printsLinks) expect(r.stdout, r.args.join(' ')).not.toContain('/register/');
  }
});

/** Reads the half-block rendering (dark blocks on light, ANSI colours dropped) back into pixels and decodes it. */
function decodeTerminalQr(out: string): string | null {
  const ansi = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');
  const lines = out
    .split('\n')
    .map((l) => l.replace(ansi, '').replace(/\r$/, ''))
    .filter((l) => /[▄▀█]/.test(l) || /^ {10,}$/.test(l));
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
