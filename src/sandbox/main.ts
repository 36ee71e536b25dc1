/**
 * Standalone sandbox: `npm run sandbox -- [--port N] [--app-id ID --app-secret SECRET]
 * [--data FILE] [--fault route:kind[:k=v,...]]... [--pending-timeout S] [--window S]
 * [--link-ttl S] [--seed N] [--verbose]`.
 * Listens on 127.0.0.1 only; when ready prints one JSON line
 * `{"baseUrl","applicationId","applicationSecret","phoneUrl"}` on stdout.
 * SIGINT / SIGTERM close cleanly (persistence flushed). Usage errors exit 2.
 */
import { parseArgs } from 'node:util';
import { AppError } from '../shared/errors.ts';
import { parseFaultFlag, type FaultRule } from './faults.ts';
import { startSandbox, type SandboxOptions } from './server.ts';

const USAGE = `usage: npm run sandbox -- [--port N] [--app-id ID --app-secret SECRET] [--data FILE]
       [--fault route:kind[:key=value,...]]... [--pending-timeout S] [--window S]
       [--link-ttl S] [--seed N] [--verbose]`;

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
  if ((values['app-id'] === undefined) !== (values['app-secret'] === undefined)) usage('--app-id and --app-secret go together');
  if (values['app-id'] !== undefined && values['app-secret'] !== undefined) {
    if (!/^[0-9A-Fa-f]{32}$/.test(values['app-id'])) usage('--app-id must be 32 hex characters');
    if (!/^[0-9A-Fa-f]{48}$/.test(values['app-secret'])) usage('--app-secret must be 48 hex characters');
    options.application = { id: values['app-id'], secret: values['app-secret'] };
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
