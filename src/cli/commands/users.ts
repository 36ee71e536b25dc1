/**
 * users add | delete | import | list | export | status | link | lost-device: the
 * active (or --profile / ad-hoc) profile's directory through UsersService
 * and OnboardingService. Bulk work runs as the service's jobs: progress on
 * stderr when it is a terminal, one result per row on stdout.
 */
import { readFileSync, statSync } from 'node:fs';
import QRCode from 'qrcode';
import { AppError } from '../../shared/errors.ts';
import type { JobFinished } from '../../shared/ipc/jobs.ts';
import {
  DEVICE_STATES,
  MAX_CONFIRM_FREE_DELETE,
  MAX_SEARCH_CHARS,
  type DeviceState,
  type UsersQuery,
} from '../../shared/ipc/users.ts';
import { exportChunks, userJson, writeChunks } from '../../main/services/users-export.ts';
import type { DirectoryUser } from '../../main/store/directory.ts';
import { createPrivateWriteStream } from '../../node/files.ts';
import { previewCsv } from '../../main/services/csv.ts';
import { decodeCsvBytes } from '../../shared/csv-text.ts';
import type { Services } from '../../main/services/index.ts';
import { bool, str, type Command, type Values } from '../command.ts';
import type { Context } from '../context.ts';
import { EXIT, exitCodeForRows, UsageError } from '../exit.ts';
import { untilStopped } from './sessions.ts';
import { table, tableChunks, when } from '../output.ts';

const MAX_CSV_BYTES = 64 * 1024 * 1024;

/** Standard input to the end, at most MAX_CSV_BYTES. */
async function readAll(stdin: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stdin) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk);
    size += b.length;
    if (size > MAX_CSV_BYTES) throw new UsageError('the CSV on standard input is larger than 64 MiB');
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

/** Waits for a job, showing progress on a terminal; prints the rows; answers the exit code. */
export async function finishJob(ctx: Context, services: Services, jobId: string, label: string): Promise<number> {
  const off = services.users.jobs.on((e) => {
    if (e.type === 'progress' && e.payload.jobId === jobId) ctx.out.progress(label, e.payload.done, e.payload.total);
  });
  const onSigint = () => services.users.jobs.cancel(jobId);
  process.once('SIGINT', onSigint);
  let finished: JobFinished | null;
  try {
    finished = await services.users.jobs.wait(jobId);
  } finally {
    off();
    process.removeListener('SIGINT', onSigint);
    ctx.out.endProgress();
  }
  if (!finished) throw new AppError('internal', 'The job result was lost.');
  if (finished.error)
    throw new AppError(finished.error.code, finished.error.message, { retryable: finished.error.retryable });
  if (ctx.out.json) ctx.out.data({ outcome: finished.outcome, counts: finished.counts, rows: finished.rows });
  else {
    if (finished.rows.length > 0)
      ctx.out.line(
        table(
          ['ROW', 'USER ID', 'RESULT', 'REASON'],
          finished.rows.map((r) => [String(r.row), r.userId, r.result, r.reason ?? '']),
        ),
      );
    ctx.out.note(
      `${label}: ${
        Object.entries(finished.counts)
          .map(([k, n]) => `${String(n)} ${k.replace('_', ' ')}`)
          .join(', ') || 'nothing to do'
      }${finished.outcome === 'cancelled' ? ' (cancelled)' : ''}.`,
    );
  }
  if (finished.outcome === 'cancelled') return EXIT.failed;
  const failed = finished.rows.filter((r) => r.result === 'failed' || r.result === 'unknown');
  return exitCodeForRows(
    failed.map((r) => r.code),
    finished.rows.some((r) => r.result === 'invalid' || r.result === 'missing'),
  );
}

/**
 * The QR code in half blocks (two modules per character) with the standard
 * 4-module quiet zone (qrcode's own "terminal" renderer keeps only one, which
 * phone cameras misread). On a terminal it is painted black on white so it
 * scans on dark themes too; piped (or NO_COLOR) it is plain dark-on-light text.
 */
export async function terminalQr(link: string, color: boolean): Promise<string> {
  const text = await QRCode.toString(link, { type: 'utf8', margin: 4, errorCorrectionLevel: 'M' });
  return color
    ? text
        .split('\n')
        .map((line) => `\x1b[47m\x1b[30m${line}\x1b[0m`)
        .join('\n')
    : text;
}

async function showLink(
  ctx: Context,
  services: Services,
  values: Values,
  view: { handle: string; userId: string; expiresAt: number },
  what: string,
): Promise<number> {
  const wait = bool(values, 'wait');
  let link = '';
  // The console's "copy link" port, pointed at this process: the link goes to stdout only.
  await services.onboarding.copyLink(view.handle, { writeText: (text) => void (link = text) });
  if (!wait) services.onboarding.close(view.handle);
  const expiresAt = new Date(view.expiresAt).toISOString();
  if (ctx.out.json) ctx.out.data({ userId: view.userId, link, expiresAt }, wait);
  else if (bool(values, 'qr')) {
    ctx.out.raw(await terminalQr(link, ctx.io.stdout.isTTY === true && !ctx.io.env.NO_COLOR));
    ctx.out.line(link);
  } else ctx.out.line(link);
  ctx.out.note(`${what} for ${view.userId}; it is a one-time credential: share it only with that user.`);
  if (!wait) return EXIT.ok;
  return waitForRegistration(ctx, services, view);
}

/** --wait: until the user's phone registers (exit 0), the code expires or Ctrl+C (exit 1). */
async function waitForRegistration(
  ctx: Context,
  services: Services,
  view: { handle: string; userId: string; expiresAt: number },
): Promise<number> {
  ctx.out.note(`Waiting for ${view.userId} to scan it (until ${when(view.expiresAt)}; Ctrl+C stops)...`);
  const stopper = untilStopped();
  const result: { outcome: 'registered' | 'expired' | 'stopped' } = { outcome: 'stopped' };
  const off = services.onboarding.on((e) => {
    if (e.type === 'registered' && e.payload.handle === view.handle) result.outcome = 'registered';
    else if (e.type === 'expired' && e.payload.handle === view.handle) result.outcome = 'expired';
    else return;
    stopper.stop();
  });
  try {
    await stopper.promise;
  } finally {
    off();
    stopper.stop();
    services.onboarding.close(view.handle);
  }
  const { outcome } = result;
  const at = new Date().toISOString();
  if (ctx.out.json) ctx.out.data({ userId: view.userId, registered: outcome === 'registered', outcome, at }, true);
  else if (outcome === 'registered') ctx.out.line(`${view.userId} registered a phone.`);
  else
    ctx.out.line(
      `${view.userId} did not register a phone (${outcome === 'expired' ? 'the code expired' : 'stopped'}).`,
    );
  return outcome === 'registered' ? EXIT.ok : EXIT.failed;
}

/** --search / --state as a directory query (natural user ID order). */
function listQuery(values: Values): UsersQuery {
  const state = str(values, 'state');
  if (state !== undefined && state !== 'not_at_iampass' && !(DEVICE_STATES as readonly string[]).includes(state))
    throw new UsageError('--state must be registered, not_registered, unknown or not_at_iampass');
  const search = str(values, 'search');
  if (search !== undefined && [...search].length > MAX_SEARCH_CHARS)
    throw new UsageError(`--search is at most ${String(MAX_SEARCH_CHARS)} characters`);
  return {
    ...(search === undefined ? {} : { search }),
    // not_at_iampass: a linked application's users without an IAMPASS ID yet.
    ...(state === undefined
      ? {}
      : state === 'not_at_iampass'
        ? { atIampass: false }
        : { states: [state as DeviceState], atIampass: true }),
  };
}

function* listRows(users: Iterable<DirectoryUser>, onRow: () => void): Generator<string[]> {
  for (const u of users) {
    onRow();
    yield [
      u.userId,
      u.displayName,
      u.iampassId === '' ? 'not at IAMPASS' : u.deviceState,
      when(u.deviceCheckedAt),
      when(u.lastAuthAt),
    ];
  }
}

/** `users list --json`: the head, then one user per line, then the end: one JSON document, streamed. */
function* jsonList(head: string, users: Iterable<DirectoryUser>): Generator<string> {
  let buf = head;
  let n = 0;
  for (const u of users) {
    buf += `${n === 0 ? '\n' : ',\n'}${JSON.stringify(userJson(u))}`;
    if (++n % 1000 === 0) {
      yield buf;
      buf = '';
    }
  }
  yield `${buf}${n === 0 ? ']}' : '\n]}'}\n`;
}

export const usersCommands: Command[] = [
  {
    name: 'users add',
    args: 'USER_ID [USER_ID...] [--display-name NAME]',
    summary: 'Add users at IAMPASS and to the directory.',
    help: `Each user is validated (blank, too long, control characters, duplicates are
refused per row), sent in batches, and written to the directory only when
IAMPASS confirms it. --display-name applies when one user is given.
Exit 1 when a row was invalid or failed, 3/4 when every failure was authentication/network.`,
    options: { 'display-name': { type: 'string' } },
    positionals: { min: 1, max: 100_000 },
    async run(ctx, values, ids) {
      const name = str(values, 'display-name');
      if (name !== undefined && ids.length !== 1) throw new UsageError('--display-name needs exactly one USER_ID');
      const { services } = await ctx.pinned();
      return finishJob(
        ctx,
        services,
        services.users.add(ids.map((userId) => ({ userId, displayName: name }))),
        'users add',
      );
    },
  },
  {
    name: 'users import',
    args: 'FILE.csv|- [--user-column N] [--name-column N] [--email-column N] [--phone-column N] [--header|--no-header]',
    summary: 'Add the users of a CSV file (one job, per-row results).',
    help: `Columns are guessed from the header (user/login/email, display name/name, and
for invitations email and phone/mobile) unless given (1-based). Rows go through
the same checks as users add; a contact that is not valid is named in the
row's reason and not kept.
"-" reads the CSV from standard input (up to 64 MiB); with --base-url/--app-id
the secret must then come from IAMPASS_APP_SECRET.`,
    options: {
      'user-column': { type: 'string' },
      'name-column': { type: 'string' },
      'email-column': { type: 'string' },
      'phone-column': { type: 'string' },
      header: { type: 'boolean' },
      'no-header': { type: 'boolean' },
    },
    positionals: { min: 1, max: 1 },
    async run(ctx, values, [file]) {
      let bytes: Buffer;
      if (file === '-') {
        if (ctx.adHoc && !ctx.io.env.IAMPASS_APP_SECRET)
          throw new UsageError('with "-" standard input carries the CSV: give the secret in IAMPASS_APP_SECRET');
        bytes = await readAll(ctx.io.stdin);
      } else
        try {
          if (statSync(file ?? '').size > MAX_CSV_BYTES) throw new UsageError(`${file ?? ''} is larger than 64 MiB`);
          bytes = readFileSync(file ?? '');
        } catch (error) {
          if (error instanceof UsageError) throw error;
          const code = (error as NodeJS.ErrnoException).code ?? 'error';
          const why = { ENOENT: 'no such file', EACCES: 'permission denied', EISDIR: 'it is a folder' }[code] ?? code;
          throw new UsageError(`cannot read ${file ?? ''}: ${why}`);
        }
      // UTF-8 or UTF-16 text only: a binary file or another encoding is refused before anything is parsed.
      const { text } = decodeCsvBytes(bytes);
      const column = (flag: string): number | undefined => {
        const v = str(values, flag);
        if (v === undefined) return undefined;
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${flag} is a column number from 1`);
        return n - 1;
      };
      if (bool(values, 'header') && bool(values, 'no-header'))
        throw new UsageError('--header and --no-header exclude each other');
      const hasHeader = bool(values, 'header') ? true : bool(values, 'no-header') ? false : undefined;
      const preview = previewCsv(text, { hasHeader, previewRows: 0 });
      for (const warning of preview.warnings) ctx.out.note(`users import: ${warning}`);
      const userCol = column('user-column');
      const nameCol = column('name-column');
      const emailCol = column('email-column');
      const phoneCol = column('phone-column');
      const mapping = {
        userId: userCol ?? preview.mapping.userId,
        displayName: nameCol ?? (userCol === undefined ? preview.mapping.displayName : null),
        email: emailCol ?? (userCol === undefined ? (preview.mapping.email ?? null) : null),
        phone: phoneCol ?? (userCol === undefined ? (preview.mapping.phone ?? null) : null),
      };
      const { services } = await ctx.pinned();
      return finishJob(
        ctx,
        services,
        services.users.importCsv(text, mapping, hasHeader ?? preview.hasHeader),
        'users import',
      );
    },
  },
  {
    name: 'users delete',
    args: 'USER_ID [USER_ID...] [--confirm-count N]',
    summary: 'Delete users at IAMPASS and from the directory.',
    help: `More than ${String(MAX_CONFIRM_FREE_DELETE)} users needs --confirm-count with their number, as the console asks.`,
    options: { 'confirm-count': { type: 'string' } },
    positionals: { min: 1, max: 100_000 },
    async run(ctx, values, ids) {
      const c = str(values, 'confirm-count');
      const confirm = c === undefined ? undefined : Number(c);
      if (confirm !== undefined && !Number.isInteger(confirm))
        throw new UsageError('--confirm-count must be a whole number');
      if (ids.length > MAX_CONFIRM_FREE_DELETE && confirm !== ids.length) {
        throw new UsageError(`deleting ${String(ids.length)} users needs --confirm-count ${String(ids.length)}`);
      }
      const { services } = await ctx.pinned();
      return finishJob(ctx, services, services.users.delete(ids, confirm), 'users delete');
    },
  },
  {
    name: 'users list',
    args: '[--search TEXT] [--state registered|not_registered|unknown|not_at_iampass]',
    summary: 'List the directory (local; no call to IAMPASS).',
    help: `Device states are the last known ones; refresh them with users status.
--search: 3 or more characters match anywhere in the user ID, display name or
IAMPASS ID; 1-2 characters match their start (case and accents ignored).
Rows are streamed from the store in natural user ID order (user2 before
user10): a directory of any size lists in constant memory.`,
    options: { search: { type: 'string' }, state: { type: 'string' } },
    positionals: { min: 0, max: 0 },
    async run(ctx, values) {
      const query = listQuery(values);
      const { services } = await ctx.pinned();
      const users = services.users;
      const profile = users.scope.current();
      const total = users.count({});
      if (ctx.out.json) {
        const count = users.count(query);
        const head = `{"profile":${JSON.stringify(profile.name)},"count":${count},"total":${total},"users":[`;
        await ctx.out.stream(jsonList(head, users.iterate(query)), 'json');
        return EXIT.ok;
      }
      let shown = 0;
      await ctx.out.stream(
        tableChunks(
          ['USER ID', 'DISPLAY NAME', 'DEVICE', 'CHECKED', 'LAST AUTH'],
          listRows(users.iterate(query), () => shown++),
        ),
        'text',
      );
      ctx.out.note(`${String(shown)} of ${String(total)} users in "${profile.name}".`);
      return EXIT.ok;
    },
  },
  {
    name: 'users export',
    args: '--format csv|json [--search TEXT] [--state S] [--out FILE]',
    summary: 'Write the directory (or the users matching a search) as CSV or JSON.',
    help: `Streams every matching user from the store (constant memory at any size) in
natural user ID order, to standard output or --out FILE (created owner-only,
0600). Columns: user_id, display_name, iampass_id, device_state,
device_checked_at, added_at, last_auth_at (times ISO 8601 UTC). CSV cells
that a spreadsheet would read as a formula are prefixed with '. JSON is an
array of {userId, displayName, iampassId, deviceState, deviceCheckedAt,
addedAt, lastAuthAt}. --search and --state as in users list.`,
    options: {
      format: { type: 'string' },
      search: { type: 'string' },
      state: { type: 'string' },
      out: { type: 'string' },
    },
    positionals: { min: 0, max: 0 },
    async run(ctx, values) {
      const format = str(values, 'format');
      if (format !== 'csv' && format !== 'json') throw new UsageError('--format must be csv or json');
      const query = listQuery(values);
      const file = str(values, 'out');
      const { services } = await ctx.pinned();
      const users = services.users;
      let rows = 0;
      const chunks = exportChunks(users.iterate(query), format, () => rows++);
      if (file === undefined) {
        await ctx.out.stream(chunks, format === 'json' ? 'json' : 'text');
        return EXIT.ok;
      }
      let out: ReturnType<typeof createPrivateWriteStream>;
      try {
        out = createPrivateWriteStream(file);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? 'error';
        const why = { ENOENT: 'no such folder', EACCES: 'permission denied', EISDIR: 'it is a folder' }[code] ?? code;
        throw new UsageError(`cannot write ${file}: ${why}`);
      }
      const closed = new Promise<void>((resolve, reject) => {
        out.once('close', resolve);
        out.once('error', reject);
      });
      try {
        await writeChunks(out, chunks);
      } finally {
        out.end();
        await closed;
      }
      if (ctx.out.json) ctx.out.data({ file, users: rows, format });
      else ctx.out.note(`Wrote ${String(rows)} users to ${file}.`);
      return EXIT.ok;
    },
  },
  {
    name: 'users status',
    args: '[USER_ID...] [--all]',
    summary: 'Ask IAMPASS whether users have registered a phone (updates the directory).',
    help: 'Checks the given users, or --all of the directory, with bounded concurrency.',
    options: { all: { type: 'boolean' } },
    positionals: { min: 0, max: 100_000 },
    async run(ctx, values, ids) {
      if (bool(values, 'all') === ids.length > 0) throw new UsageError('give USER_IDs or --all');
      const { services } = await ctx.pinned();
      return finishJob(
        ctx,
        services,
        services.users.refreshStatus(bool(values, 'all') ? { all: true } : { userIds: ids }),
        'users status',
      );
    },
  },
  {
    name: 'users reconcile',
    args: '',
    summary: 'Settle the changes an interrupted run left unsettled (crash, lost answer, cancel mid-call).',
    help: `Every add, delete and lost-device call is recorded before it is sent; when its
answer never arrived (the process was killed, the connection reset, the answer
was unreadable) the record stays. This completes them with what the API
offers: an add is sent again with its recorded IAMPASS ID (IAMPASS answers
"existing" if the first call had added the user), a delete is sent again, a
lost device is checked. Changes held by a running job (this or another
process) are left to it. Any command that works on a profile does this first.`,
    options: {},
    positionals: { min: 0, max: 0 },
    async run(ctx) {
      const { services } = await ctx.pinned({}, { recover: false });
      return finishJob(ctx, services, services.users.reconcile(), 'users reconcile');
    },
  },
  {
    name: 'users link',
    args: 'USER_ID [--qr] [--wait] [--display-name NAME]',
    summary: 'Print a registration link (or QR code) for the user to scan with the IAMPASS app.',
    help: `The link is a one-time bearer credential: it is printed on standard output only
(never in errors or logs) because printing it is what this command is for.
--qr draws the QR code above the link (black on white on a terminal, with the
quiet zone phone cameras need); --json gives {userId, link, expiresAt}.
--wait then stays until the phone registers (exit 0; the directory says
registered) or the code expires / Ctrl+C (exit 1); with --json both results are
single lines: {userId, link, expiresAt} then {userId, registered, outcome, at}.`,
    options: { qr: { type: 'boolean' }, wait: { type: 'boolean' }, 'display-name': { type: 'string' } },
    positionals: { min: 1, max: 1 },
    async run(ctx, values, [userId]) {
      const { services } = await ctx.pinned();
      const view = await services.onboarding.show(userId ?? '', { displayName: str(values, 'display-name') });
      return showLink(ctx, services, values, view, 'Registration link');
    },
  },
  {
    name: 'users lost-device',
    args: 'USER_ID [--qr] [--wait]',
    summary: "Disable the user's phone and print a fresh registration link.",
    help: `The old phone stops working at once; the user registers a new one with the new
link (printed like users link; --qr and --wait as there).`,
    options: { qr: { type: 'boolean' }, wait: { type: 'boolean' } },
    positionals: { min: 1, max: 1 },
    async run(ctx, values, [userId]) {
      const { services } = await ctx.pinned();
      const view = await services.onboarding.lostDevice(userId ?? '');
      return showLink(ctx, services, values, view, 'Device disabled; new registration link');
    },
  },
];
