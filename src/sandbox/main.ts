/**
 * Standalone sandbox: `npm run sandbox -- [--port N] [--app-id ID [--app-secret -|SECRET]]
 * [--data FILE] [--fault route:kind[:k=v,...]]... [--pending-timeout S] [--window S]
 * [--link-ttl S] [--seed N] [--verbose]`.
 * Listens on 127.0.0.1 only; when ready prints one JSON line
 * `{"baseUrl","applicationId","applicationSecret","phoneUrl"}` on stdout.
 * The application secret for `--app-id` comes from IAMPASS_SANDBOX_APP_SECRET,
 * or the first line of standard input with `--app-secret -`; `--app-secret
 * SECRET` still works but shows in the process list (a note says so).
 * SIGINT / SIGTERM close cleanly (persistence flushed). Usage errors exit 2.
 */
import { parseArgs } from 'node:util';
import { createInterface } from 'node:readline';
import { normalizeCredential, secretWarning } from '../shared/credentials.ts';
import { AppError } from '../shared/errors.ts';
import { parseFaultFlag, type FaultRule } from './faults.ts';
import { startSandbox, type SandboxOptions } from './server.ts';

const USAGE = `usage: npm run sandbox -- [--port N] [--app-id ID [--app-secret -|SECRET]] [--data FILE]
       [--fault route:kind[:key=value,...]]... [--pending-timeout S] [--window S]
       [--link-ttl S] [--seed N] [--verbose]
The secret for --app-id: IAMPASS_SANDBOX_APP_SECRET, or "--app-secret -" to read it from standard input.`;

const SECRET_ENV = 'IAMPASS_SANDBOX_APP_SECRET';

/** The first line of standard input (bounded): where `--app-secret -` reads the secret. */
async function firstStdinLine(): Promise<string> {
  const rl = createInterface({ input: process.stdin });
  try {
    for await (const line of rl) return line.slice(0, 1024);
    return '';
  } finally {
    rl.close();
  }
}

function usage(message: string): never {
  process.stderr.write(`sandbox: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function seconds(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) usage(`--${name} must be a positive number of seconds`);
  return n;
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      args: process.argv.slice(2),
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: 'string' },
        'app-id': { type: 'string' },
        'app-secret': { type: 'string' },
        data: { type: 'string' },
        fault: { type: 'string', multiple: true },
        'pending-timeout': { type: 'string' },
        window: { type: 'string' },
        'link-ttl': { type: 'string' },
        seed: { type: 'string' },
        verbose: { type: 'boolean' },
        help: { type: 'boolean' },
      },
    }));
  } catch (error) {
    usage((error as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const options: SandboxOptions = {};
  if (values.port !== undefined) {
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) usage('--port must be 0..65535');
    options.port = port;
  }
  const secretFlag = values['app-secret'];
  const envSecret = process.env[SECRET_ENV];
  if (secretFlag !== undefined && values['app-id'] === undefined) usage('--app-secret needs --app-id');
  if (values['app-id'] !== undefined) {
    if (secretFlag === undefined && envSecret === undefined)
      usage(`--app-id needs its secret: set ${SECRET_ENV} or pass "--app-secret -" and the secret on standard input`);
    if (secretFlag !== undefined && secretFlag !== '-') {
      process.stderr.write(
        `sandbox: note: --app-secret on the command line shows in the process list; prefer ${SECRET_ENV} or "--app-secret -"\n`,
      );
    }
    const rawSecret = secretFlag === '-' ? await firstStdinLine() : (secretFlag ?? envSecret ?? '');
    let id: string;
    let secret: string;
    try {
      id = normalizeCredential('applicationId', values['app-id']);
      secret = normalizeCredential('secret', rawSecret);
    } catch (error) {
      usage((error as Error).message);
    }
    const warning = secretWarning(secret);
    if (warning) process.stderr.write(`sandbox: note: ${warning}\n`);
    options.application = { id, secret };
  }
  if (values.data !== undefined) options.dataFile = values.data;
  const faults: FaultRule[] = [];
  for (const f of values.fault ?? []) {
    try {
      faults.push(parseFaultFlag(f));
    } catch (error) {
      usage((error as Error).message);
    }
  }
  options.faults = faults;
  const pending = seconds(values['pending-timeout'], 'pending-timeout');
  if (pending !== undefined) options.pendingTimeoutSeconds = pending;
  const window = seconds(values.window, 'window');
  if (window !== undefined) options.timestampWindowSeconds = window;
  const ttl = seconds(values['link-ttl'], 'link-ttl');
  if (ttl !== undefined) options.registrationLinkSeconds = ttl;
  if (values.seed !== undefined) {
    const seed = Number(values.seed);
    if (!Number.isInteger(seed)) usage('--seed must be an integer');
    options.faultSeed = seed;
  }
  if (values.verbose) options.log = (line) => process.stderr.write(`${line}\n`);

  let sandbox;
  try {
    sandbox = await startSandbox(options);
  } catch (error) {
    process.stderr.write(`sandbox: ${error instanceof AppError ? error.message : (error as Error).message}\n`);
    process.exit(1);
  }
  const { baseUrl, applicationId, applicationSecret, phoneUrl } = sandbox;
  process.stdout.write(`${JSON.stringify({ baseUrl, applicationId, applicationSecret, phoneUrl })}\n`);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    sandbox.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

await main();
