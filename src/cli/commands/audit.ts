/** audit export: the append-only audit log as CSV or JSON (AuditService). */
import { AppError } from '../../shared/errors.ts';
import { writePrivateFileSync } from '../../node/files.ts';
import type { AuditFilter } from '../../main/store/audit.ts';
import { auditCsv, auditJson } from '../../main/services/audit.ts';
import { str, type Command, type Values } from '../command.ts';
import type { Context } from '../context.ts';
import { EXIT, UsageError } from '../exit.ts';

function time(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const t = Date.parse(value);
  if (!Number.isFinite(t))
    throw new UsageError(`${flag} must be a date or time (e.g. 2026-11-23 or 2026-11-23T10:00:00Z)`);
  return t;
}

export const auditCommands: Command[] = [
  {
    name: 'audit export',
    args: '--format csv|json [--out FILE] [--team] [--action A] [--outcome ok|error] [--since T] [--until T] [--search TEXT]',
    summary: "Export the audit log (all profiles, or --profile NAME; --team: the profile's log shared by every admin).",
    help: `Writes to standard output, or to FILE (created owner-only). CSV cells that a
spreadsheet would run as formulas are escaped. Entries never hold a secret or link.
Each entry names the admin (OS user@machine). --team (a profile in team mode,
docs/directory.md#team-mode): the log every admin's console shares for the
profile's application (--profile NAME, or the active profile). --search TEXT keeps
the entries whose target, action (its code or its words, as the Audit screen shows
it), admin or application name contains TEXT.`,
    options: {
      format: { type: 'string' },
      out: { type: 'string' },
      action: { type: 'string' },
      outcome: { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
      search: { type: 'string' },
      team: { type: 'boolean' },
    },
    positionals: { min: 0, max: 0 },
    run(ctx, values) {
      return exportAudit(ctx, values);
    },
  },
];

async function exportAudit(ctx: Context, values: Values): Promise<number> {
  {
    {
      const format = str(values, 'format');
      if (format !== 'csv' && format !== 'json') throw new UsageError('--format must be csv or json');
      const outcome = str(values, 'outcome');
      if (outcome !== undefined && outcome !== 'ok' && outcome !== 'error')
        throw new UsageError('--outcome must be ok or error');
      const services = ctx.services();
      const filter: AuditFilter = {};
      const action = str(values, 'action');
      if (action !== undefined) filter.action = action;
      if (outcome !== undefined) filter.outcome = outcome;
      const from = time(str(values, 'since'), '--since');
      const to = time(str(values, 'until'), '--until');
      if (from !== undefined) filter.from = from;
      if (to !== undefined) filter.to = to;
      const search = str(values, 'search')?.trim();
      if (search !== undefined && search !== '') {
        if ([...search].length > 200) throw new UsageError('--search takes at most 200 characters');
        filter.text = search;
      }
      let text: string;
      let count: number;
      if (values['team'] === true) {
        const { services: s, profile } = await ctx.pinned({}, { recover: false, sync: false });
        const entries = await s.team.auditAll(profile, filter);
        text = format === 'csv' ? auditCsv(entries) : auditJson(entries);
        count = entries.length;
      } else {
        if (ctx.flags.profile !== undefined) {
          const p = services.applications.findByName(ctx.flags.profile);
          if (!p) throw new AppError('missing', `No application profile named "${ctx.flags.profile}".`);
          filter.profileId = p.id;
        }
        text = format === 'csv' ? services.audit.exportCsv(filter) : services.audit.exportJson(filter);
        count = services.audit.query(filter, { limit: 1 }).total;
      }
      const file = str(values, 'out');
      if (file === undefined) ctx.out.line(text);
      else {
        try {
          writePrivateFileSync(file, `${text}\n`);
        } catch (error) {
          throw new AppError(
            'internal',
            `Could not write ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}.`,
          );
        }
        if (ctx.out.json) ctx.out.data({ file, entries: count, format });
        else ctx.out.note(`Wrote ${count} audit entries to ${file}.`);
      }
      return EXIT.ok;
    }
  }
}
