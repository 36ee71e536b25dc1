/**
 * directory check | link | unlink | sync | show: a profile whose users live
 * in the application's own database (DirectorySources). The source is a JSON
 * file (docs/directory.md); a PostgreSQL password comes from
 * IAMPASS_DB_PASSWORD or the first line of standard input, never an argument.
 */
import { readFileSync } from 'node:fs';
import { AppError } from '../../shared/errors.ts';
import { describeSource, type DirectorySourceInput, type SourceCheck } from '../../shared/directory-source.ts';
import { bool, str, type Command, type Values } from '../command.ts';
import type { Context } from '../context.ts';
import { EXIT, UsageError } from '../exit.ts';
import { table, when } from '../output.ts';
import { firstLine } from '../stdin.ts';
import { finishJob } from './users.ts';

const MAX_SOURCE_BYTES = 64 * 1024;

function readSource(values: Values): DirectorySourceInput {
  const file = str(values, 'source');
  if (file === undefined) throw new UsageError('--source FILE is required (a JSON file: see docs/directory.md)');
  let text: string;
  try {
    const bytes = readFileSync(file);
    if (bytes.length > MAX_SOURCE_BYTES) throw new UsageError(`--source: ${file} is over 64 KiB`);
    text = bytes.toString('utf8');
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new AppError('missing', `--source: ${file} cannot be read.`);
  }
  try {
    return JSON.parse(text) as DirectorySourceInput;
  } catch {
    throw new AppError('invalid_input', `--source: ${file} is not JSON.`);
  }
}

/** The database password for a PostgreSQL source (undefined: keep the one in the keychain). */
async function password(ctx: Context, source: DirectorySourceInput): Promise<string | undefined> {
  if (source.kind !== 'postgres') return undefined;
  const value =
    ctx.io.env.IAMPASS_DB_PASSWORD ?? (ctx.io.stdin.isTTY ? undefined : await firstLine(ctx.io.stdin, 1024));
  if (value === '' || value === undefined) return undefined;
  ctx.out.secret(value);
  return value;
}

function printCheck(ctx: Context, check: SourceCheck): void {
  ctx.out.line(
    table(
      ['CHECK', 'OK', 'DETAIL'],
      check.checks.map((c) => [c.name, c.ok ? 'yes' : 'NO', c.detail]),
    ),
  );
  ctx.out.line('');
  ctx.out.line(
    `${check.users} users, ${check.withIampassId} with an IAMPASS ID${check.writable ? '' : ' (read-only)'}.`,
  );
  if (check.preview.length > 0)
    ctx.out.line(
      table(
        ['KEY', 'USER ID', 'DISPLAY NAME', 'IAMPASS ID'],
        check.preview.map((u) => [u.key, u.userId, u.displayName, u.iampassId ?? '(not at IAMPASS)']),
      ),
    );
  if (check.suggestedDdl.length > 0) {
    ctx.out.line('');
    ctx.out.line('Suggested DDL (run only with --create):');
    for (const s of check.suggestedDdl) ctx.out.line(`  ${s};`);
  }
}

export const directoryCommands: Command[] = [
  {
    name: 'directory check',
    args: '--source FILE',
    summary: "Dry-run a mapping of the application's users table: checks, first rows, suggested DDL; writes nothing.",
    help: `Connects with the source file's settings, checks the mapped table and columns
(types, uniqueness, whether the login may write the IAMPASS ID) and shows the
first rows as the console will see them. Exit 0 when the mapping can be used
(read-only counts as usable), 1 when a check fails.`,
    options: { source: { type: 'string' } },
    positionals: { min: 0, max: 0 },
    async run(ctx, values) {
      const source = readSource(values);
      const pw = await password(ctx, source);
      const { services, profile } = await ctx.pinned({}, { recover: false });
      const check = await services.sources.check(profile.id, source, pw);
      if (ctx.out.json) ctx.out.data(check);
      else printCheck(ctx, check);
      return check.ok ? EXIT.ok : EXIT.failed;
    },
  },
  {
    name: 'directory link',
    args: '--source FILE [--create]',
    summary:
      "Keep the profile's users in the application's database (checked first; the password goes to the keychain).",
    help: `Links the profile to the application's users table after a passing check and
reads its users (a sync). The console then adds and deletes users by writing
only the mapped IAMPASS ID column or token rows. --create first runs the DDL
the check suggests (a missing token table, unique indexes), shown before it
runs. A profile whose own directory already holds users is refused.`,
    options: { source: { type: 'string' }, create: { type: 'boolean' } },
    positionals: { min: 0, max: 0 },
    async run(ctx, values) {
      const source = readSource(values);
      const pw = await password(ctx, source);
      const { services, profile } = await ctx.pinned();
      let applyDdl: string[] = [];
      if (bool(values, 'create')) {
        applyDdl = (await services.sources.check(profile.id, source, pw)).suggestedDdl;
        for (const s of applyDdl) ctx.out.note(`iampass-admin: running ${s};`);
      }
      const { check, jobId } = await services.sources.link(profile, source, {
        ...(pw === undefined ? {} : { password: pw }),
        applyDdl,
      });
      if (!ctx.out.json) {
        printCheck(ctx, check);
        if (!check.writable) ctx.out.note('iampass-admin: the login may not write the IAMPASS ID: read-only.');
      }
      return finishJob(ctx, services, jobId, 'directory sync');
    },
  },
  {
    name: 'directory unlink',
    args: '',
    summary: "Stop using the application's database for this profile (its table is not touched).",
    help: `Removes the link, the console's mirror of the application's users and the
database password from the keychain. The application's table keeps every
IAMPASS ID.`,
    options: {},
    positionals: { min: 0, max: 0 },
    async run(ctx) {
      const { services, profile } = await ctx.pinned({}, { recover: false });
      const gone = await services.sources.unlink(profile);
      if (!gone) throw new AppError('missing', `The profile "${profile.name}" is not linked to a database.`);
      ctx.out.note(`iampass-admin: "${profile.name}" now keeps its own directory (empty).`);
      return EXIT.ok;
    },
  },
  {
    name: 'directory sync',
    args: '',
    summary: "Read the application's users again (every command does this first when the database changed).",
    help: `Reads every user of the mapped table into the console's mirror: new users are
listed (not at IAMPASS until added), changed names and IDs updated, users the
application removed dropped. A user whose IAMPASS ID is another's is reported.`,
    options: {},
    positionals: { min: 0, max: 0 },
    async run(ctx) {
      const { services, profile } = await ctx.pinned({}, { recover: false, sync: false });
      return finishJob(ctx, services, services.sources.sync(profile), 'directory sync');
    },
  },
  {
    name: 'directory show',
    args: '',
    summary: "Where the profile's users live (embedded, or the linked database and mapping).",
    help: 'Never prints a password.',
    options: {},
    positionals: { min: 0, max: 0 },
    async run(ctx) {
      const { services, profile } = await ctx.pinned({}, { recover: false, sync: false });
      const linked = services.sources.linked(profile.id);
      const counts = {
        users: services.users.count({}),
        atIampass: services.users.count({ atIampass: true }),
      };
      if (ctx.out.json)
        ctx.out.data({
          profile: profile.name,
          source: linked?.source ?? null,
          syncedAt: linked?.syncedAt ?? null,
          ...counts,
        });
      else if (!linked) ctx.out.line(`${profile.name}: the console's own directory (${counts.users} users).`);
      else {
        ctx.out.line(`${profile.name}: ${describeSource(linked.source)}`);
        ctx.out.line(`mapping: ${JSON.stringify(linked.source.mapping)}`);
        if (linked.source.kind === 'postgres' && linked.source.team)
          ctx.out.line(`team mode: schema ${linked.source.team.schema} (changes in progress and the audit log shared)`);
        ctx.out.line(`last sync: ${when(linked.syncedAt)}; ${counts.users} users, ${counts.atIampass} at IAMPASS.`);
      }
      return EXIT.ok;
    },
  },
];
