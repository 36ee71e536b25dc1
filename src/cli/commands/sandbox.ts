/**
 * sandbox: the data folder's Sandbox profile served in the foreground, as
 * the console does at launch (services.ensureSandbox: created and made
 * active on first use, its users kept in the data folder), until Ctrl+C.
 */
import { parseFaultFlag, type FaultRule } from '../../sandbox/faults.ts';
import { startSandbox, type Sandbox } from '../../sandbox/server.ts';
import { str, bool, type Command } from '../command.ts';
import { EXIT, UsageError } from '../exit.ts';

function seconds(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${flag} must be a positive number of seconds`);
  return n;
}

export const sandboxCommands: Command[] = [
  {
    name: 'sandbox',
    args: '[--port N] [--fault route:kind[:k=v,...]]... [--pending-timeout S] [--link-ttl S] [--verbose]',
    summary: "Run the Sandbox profile's IAMPASS-compatible sandbox in the foreground.",
    help: `Starts the sandbox of this data folder's "Sandbox" profile (creating the profile
on first use, like the console's first run) on 127.0.0.1 and points the profile
at it, so other iampass-admin commands (--profile Sandbox) and the console work
against it. Prints the base URL, Application ID and phone page (never the
secret: it stays in the keychain). Ctrl+C stops it. Do not run it while the
console is open on the same data folder (the console runs its own).
Faults as in npm run sandbox, e.g. --fault users.add:status:code=503.`,
    options: {
      port: { type: 'string' },
      fault: { type: 'string', multiple: true },
      'pending-timeout': { type: 'string' },
      'link-ttl': { type: 'string' },
      verbose: { type: 'boolean' },
    },
    positionals: { min: 0, max: 0 },
    async run(ctx, values) {
      let port: number | undefined;
      const p = str(values, 'port');
      if (p !== undefined) {
        port = Number(p);
        if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port must be 0..65535');
      }
      const faults: FaultRule[] = [];
      const given = values.fault;
      for (const f of Array.isArray(given) ? given : []) {
        try {
          faults.push(parseFaultFlag(String(f)));
        } catch (error) {
          throw new UsageError((error as Error).message);
        }
      }
      const pending = seconds(str(values, 'pending-timeout'), '--pending-timeout');
      const ttl = seconds(str(values, 'link-ttl'), '--link-ttl');
      const verbose = bool(values, 'verbose');
      let running: Sandbox | null = null;
      const services = ctx.services({
        launcher: {
          start: async (o) => {
            running = await startSandbox({
              ...o,
              ...(port !== undefined ? { port } : {}),
              faults,
              ...(pending !== undefined ? { pendingTimeoutSeconds: pending } : {}),
              ...(ttl !== undefined ? { registrationLinkSeconds: ttl } : {}),
              ...(verbose ? { log: (line: string) => ctx.io.stderr.write(`${line}\n`) } : {}),
            });
            return running;
          },
        },
      });
      const result = await services.ensureSandbox();
      const sandbox = running as Sandbox | null;
      if (!result.profile || !sandbox) {
        ctx.out.error({
          code: 'missing',
          message: 'This data folder has no Sandbox profile (it was removed); the sandbox is not recreated.',
          retryable: false,
        });
        return EXIT.failed;
      }
      const info = {
        profile: result.profile.name,
        baseUrl: sandbox.baseUrl,
        applicationId: sandbox.applicationId,
        phoneUrl: sandbox.phoneUrl,
        firstRun: result.firstRun,
      };
      if (ctx.out.json) ctx.out.data(info, true);
      else {
        ctx.out.line(
          `Sandbox "${info.profile}" listening on ${info.baseUrl}${info.firstRun ? ' (profile created and made active)' : ''}`,
        );
        ctx.out.line(`Application ID ${info.applicationId}; virtual phone page ${info.phoneUrl}`);
        ctx.out.line('Press Ctrl+C to stop.');
      }
      await new Promise<void>((done) => {
        process.once('SIGINT', () => done());
        process.once('SIGTERM', () => done());
      });
      return EXIT.ok;
    },
  },
];
