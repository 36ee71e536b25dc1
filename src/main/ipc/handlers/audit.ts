/**
 * Handlers for src/shared/ipc/audit.ts. The export is written through the
 * injected `saveFile` (Electron: a save dialog in the thin layer; tests: a
 * temp folder), and is itself an audited action.
 */
import { AppError, toErrorInfo } from '../../../shared/errors.ts';
import type { AuditEntryView } from '../../../shared/ipc/audit.ts';
import { auditCsv, auditJson } from '../../services/audit.ts';
import type { Services } from '../../services/index.ts';
import type { Profile } from '../../store/profiles.ts';
import type { AuditEntry, AuditFilter } from '../../store/audit.ts';
import type { Handler } from '../router.ts';

/**
 * Writes an export: asks where (or decides), writes `content`, resolves with
 * the absolute path, or null when the admin cancelled.
 */
export type SaveFile = (file: {
  suggestedName: string;
  content: string;
  format: 'csv' | 'json';
}) => Promise<string | null>;

export interface AuditHandlerDeps {
  services: Services;
  saveFile?: SaveFile;
  now?: () => number;
}

function toView(e: AuditEntry): AuditEntryView {
  return {
    id: e.id,
    at: e.at,
    profileId: e.profileId,
    profileName: e.profileName,
    action: e.action,
    target: e.target,
    outcome: e.outcome,
    errorCode: e.errorCode,
    actor: e.actor,
  };
}

function cleanFilter(f: {
  action?: string | undefined;
  outcome?: 'ok' | 'error' | undefined;
  profileId?: string | undefined;
  from?: number | undefined;
  to?: number | undefined;
  text?: string | undefined;
  target?: string | undefined;
}): AuditFilter {
  if (f.from !== undefined && f.to !== undefined && f.from >= f.to) {
    throw new AppError('invalid_input', 'The start of the date range must be before its end.', {
      details: { field: 'from' },
    });
  }
  return Object.fromEntries(
    Object.entries({ ...f, text: f.text?.trim() || undefined }).filter(([, v]) => v !== undefined),
  );
}

export function auditHandlers(deps: AuditHandlerDeps): {
  'audit.query': Handler<'audit.query'>;
  'audit.export': Handler<'audit.export'>;
} {
  const { audit, team, users } = deps.services;
  const now = deps.now ?? Date.now;
  /** The active profile when its shared log is asked for (team mode). */
  const teamProfile = (): Profile => {
    const profile = users.scope.currentOrNull();
    if (!profile || !team.enabled(profile))
      throw new AppError('invalid_input', 'The active application is not in team mode: it has no shared audit log.');
    return profile;
  };
  return {
    'audit.query': async ({ filter, scope, offset, limit }) => {
      const active = users.scope.currentOrNull();
      const teamAvailable = active !== null && team.enabled(active);
      if (scope === 'team') {
        const { profileId: _, ...rest } = cleanFilter(filter);
        const page = await team.audit(teamProfile(), rest, limit, offset);
        return { rows: page.rows.map(toView), total: page.total, offset, limit, actions: page.actions, teamAvailable };
      }
      const page = audit.query(cleanFilter(filter), { offset, limit });
      return { rows: page.rows.map(toView), total: page.total, offset, limit, actions: audit.actions(), teamAvailable };
    },
    'audit.export': async ({ format, filter, scope }) => {
      const clean = cleanFilter(filter);
      if (!deps.saveFile) throw new AppError('internal', 'Exporting is not available in this window.');
      let total: number;
      let content: string;
      if (scope === 'team') {
        const { profileId: _, ...rest } = clean;
        const entries = await team.auditAll(teamProfile(), rest);
        total = entries.length;
        content = format === 'csv' ? auditCsv(entries) : auditJson(entries);
      } else {
        total = audit.query(clean, { limit: 1 }).total;
        content = format === 'csv' ? audit.exportCsv(clean) : audit.exportJson(clean);
      }
      const stamp = new Date(now()).toISOString().slice(0, 19).replace(/[:T]/g, '-');
      try {
        const path = await deps.saveFile({ suggestedName: `iampass-audit-${stamp}.${format}`, content, format });
        if (path !== null)
          audit.record({ action: 'audit.export', target: `${format} (${String(total)} entries)`, outcome: 'ok' });
        return { path, count: path === null ? 0 : total };
      } catch (error) {
        audit.record({ action: 'audit.export', target: format, outcome: 'error', errorCode: toErrorInfo(error).code });
        if (error instanceof AppError) throw error;
        throw new AppError('internal', 'The export file could not be written.', { cause: error });
      }
    },
  };
}
