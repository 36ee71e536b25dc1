/**
 * The dispatcher: finds the command words, parses the rest with
 * util.parseArgs (strict: an unknown flag is a usage error), refuses secrets
 * on the command line, prints --help, runs the command and maps any error to
 * one stderr line and an exit code.
 */
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { AppError, toErrorInfo } from '../shared/errors.ts';
import type { Command, Values } from './command.ts';
import { appsCommands } from './commands/apps.ts';
import { auditCommands } from './commands/audit.ts';
import { directoryCommands } from './commands/directory.ts';
import { invitationsCommands } from './commands/invitations.ts';
import { sandboxCommands } from './commands/sandbox.ts';
import { sessionsCommands } from './commands/sessions.ts';
import { usersCommands } from './commands/users.ts';
import { Context, defaultDataDir } from './context.ts';
import { EXIT, exitCodeFor, UsageError } from './exit.ts';
import { Output, type Io } from './output.ts';

export const COMMANDS: readonly Command[] = [
  ...appsCommands,
  ...usersCommands,
  ...directoryCommands,
  ...invitationsCommands,
  ...sessionsCommands,
  ...auditCommands,
  ...sandboxCommands,
];

export const GLOBAL_OPTIONS = {
  json: { type: 'boolean' },
  data: { type: 'string' },
  profile: { type: 'string' },
  'base-url': { type: 'string' },
  'app-id': { type: 'string' },
  flavour: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} satisfies ParseArgsOptionsConfig;

const GLOBAL_VALUE_FLAGS = new Set(['--data', '--profile', '--base-url', '--app-id', '--flavour']);
const SECRET_FLAG = /^--?(secret|app-secret|application-secret|password)(=|$)/i;

const GLOBAL_HELP = `Global options:
  --profile NAME        work on this application profile (secret from the OS keychain)
  --base-url URL --app-id ID [--flavour IAMPASS|Activeconnect|Sandbox]
                        work on these credentials; the secret comes from IAMPASS_APP_SECRET
                        or standard input, never from an argument
  --data DIR            the data folder (default: the console's, ${defaultDataDir()})
  --json                machine-readable output on stdout; errors as JSON on stderr
  -h, --help            help for any command
Without --profile or --base-url, commands work on the active profile (apps use NAME).

Exit codes: 0 success, 1 the operation failed, 2 usage, 3 authentication (wrong
Application ID or secret, clock skew), 4 network (unreachable, timeout).`;

function groups(): Map<string, Command[]> {
  const map = new Map<string, Command[]>();
  for (const c of COMMANDS) {
    const g = c.name.split(' ')[0] ?? c.name;
    map.set(g, [...(map.get(g) ?? []), c]);
  }
  return map;
}

export function mainHelp(): string {
  const lines = [
    'iampass-admin: the IAMPASS Admin console from a terminal (same store and keychain).',
    '',
    'Commands:',
  ];
  for (const c of COMMANDS) lines.push(`  ${c.name.padEnd(20)} ${c.summary}`);
  return `${lines.join('\n')}\n\n${GLOBAL_HELP}\n`;
}

function commandHelp(c: Command): string {
  return (
    `usage: iampass-admin ${c.name} ${c.args}`.trimEnd() + `\n\n${c.summary}\n\n${c.help.trim()}\n\n${GLOBAL_HELP}\n`
  );
}

function groupHelp(name: string, cmds: Command[]): string {
  return `iampass-admin ${name}: ${cmds.map((c) => c.name.split(' ')[1]).join(' | ')}\n\n${cmds.map((c) => `  ${c.name.padEnd(20)} ${c.summary}\n  ${''.padEnd(20)} usage: ${c.name} ${c.args}`).join('\n')}\n\nRun iampass-admin ${name} <command> --help for details.\n`;
}

/** Splits argv into the command words and the rest (global flags may come first). */
function locate(argv: readonly string[]): { words: number[] } {
  const words: number[] = [];
  const all = groups();
  for (let i = 0; i < argv.length && words.length < 2; i++) {
    const a = argv[i] ?? '';
    if (a === '--') break;
    if (a.startsWith('-')) {
      if (GLOBAL_VALUE_FLAGS.has(a)) i++;
      continue;
    }
    if (words.length === 0) {
      words.push(i);
      const g = all.get(a);
      if (!g || (g.length === 1 && g[0]?.name === a)) break;
    } else words.push(i);
  }
  return { words };
}

/** An argument as a usage error may show it: one that looks like a key or secret (long, hex or base64url only) is not echoed. */
function shown(arg: string): string {
  return arg.length >= 24 && /^[A-Za-z0-9+/=_-]+$/.test(arg) ? '(a long key-like value, not shown)' : `"${arg}"`;
}

export async function run(argv: readonly string[], io: Io): Promise<number> {
  const jsonWanted = argv.includes('--json');
  const out = new Output(io, jsonWanted);
  // Scrubbed from every message from the start, even one about a bad argument.
  const envSecret = io.env.IAMPASS_APP_SECRET?.trim();
  if (envSecret) out.secret(envSecret);
  const secretFlag = argv.find((a) => SECRET_FLAG.test(a));
  if (secretFlag !== undefined) {
    out.usage(
      `${secretFlag.split('=')[0]} is refused: a secret on the command line lands in shell history and the process list. Set IAMPASS_APP_SECRET or pass the secret on standard input.`,
      null,
    );
    return EXIT.usage;
  }
  const { words } = locate(argv);
  const group = words[0] === undefined ? undefined : argv[words[0]];
  const sub = words[1] === undefined ? undefined : argv[words[1]];
  const rest = argv.filter((_, i) => !words.includes(i));
  const all = groups();

  if (group === undefined) {
    if (rest.includes('--help') || rest.includes('-h')) {
      io.stdout.write(mainHelp());
      return EXIT.ok;
    }
    // A usage error: the command list goes to stderr, stdout stays empty.
    out.usage('no command given', 'iampass-admin <command> [options]');
    if (!out.json) io.stderr.write(`\n${mainHelp()}`);
    return EXIT.usage;
  }
  const cmds = all.get(group);
  if (!cmds) {
    out.usage(
      `unknown command "${group}"; commands: ${[...all.keys()].join(', ')}`,
      'iampass-admin <command> [options]',
    );
    return EXIT.usage;
  }
  let command: Command | undefined = cmds.length === 1 && cmds[0]?.name === group ? cmds[0] : undefined;
  let positionalsIn = rest;
  if (!command) {
    if (sub === undefined) {
      if (rest.includes('--help') || rest.includes('-h')) {
        io.stdout.write(groupHelp(group, cmds));
        return EXIT.ok;
      }
      out.usage(
        `"${group}" needs a command: ${cmds.map((c) => c.name.split(' ')[1]).join(', ')}`,
        `iampass-admin ${group} <command>`,
      );
      return EXIT.usage;
    }
    command = cmds.find((c) => c.name === `${group} ${sub}`);
    if (!command) {
      out.usage(
        `unknown command "${group} ${sub}"; ${group} commands: ${cmds.map((c) => c.name.split(' ')[1]).join(', ')}`,
        `iampass-admin ${group} <command>`,
      );
      return EXIT.usage;
    }
  } else if (sub !== undefined && words[1] !== undefined) {
    // a single-word command: the second word is a positional
    positionalsIn = argv.filter((_, i) => i !== words[0]);
  }

  let values: Values;
  let positionals: string[];
  try {
    const parsed = parseArgs({
      args: [...positionalsIn],
      options: { ...GLOBAL_OPTIONS, ...command.options },
      strict: true,
      allowPositionals: true,
    });
    values = parsed.values;
    positionals = parsed.positionals;
  } catch (error) {
    out.usage(
      (error as Error).message.replace(/\. To specify a positional argument.*$/s, '.'),
      `iampass-admin ${command.name} ${command.args}`,
    );
    return EXIT.usage;
  }
  if (values.help === true) {
    io.stdout.write(commandHelp(command));
    return EXIT.ok;
  }
  if (positionals.length < command.positionals.min || positionals.length > command.positionals.max) {
    out.usage(
      positionals.length < command.positionals.min
        ? `missing argument for "${command.name}"`
        : `unexpected argument ${shown(positionals[command.positionals.max] ?? '')}`,
      `iampass-admin ${command.name} ${command.args}`,
    );
    return EXIT.usage;
  }
  const ctx = new Context(
    {
      json: values.json === true,
      data: typeof values.data === 'string' ? values.data : undefined,
      profile: typeof values.profile === 'string' ? values.profile : undefined,
      baseUrl: typeof values['base-url'] === 'string' ? values['base-url'] : undefined,
      appId: typeof values['app-id'] === 'string' ? values['app-id'] : undefined,
      flavour: typeof values.flavour === 'string' ? values.flavour : undefined,
    },
    out,
    io,
  );
  try {
    return await command.run(ctx, values, positionals);
  } catch (error) {
    if (error instanceof UsageError) {
      out.usage(error.message, `iampass-admin ${command.name} ${command.args}`);
      return EXIT.usage;
    }
    const info = toErrorInfo(error);
    if (!(error instanceof AppError) && io.env.IAMPASS_CLI_DEBUG === '1')
      io.stderr.write(`${String(error instanceof Error ? error.stack : error)}\n`);
    out.error(info);
    return exitCodeFor(info.code);
  } finally {
    await ctx.close().catch(() => undefined);
  }
}
