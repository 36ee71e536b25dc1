/**
 * Handlers for src/shared/ipc/applications.ts: application profiles and the
 * first-run state. Responses are views built field by field from the store's
 * profile (never a secret, which only the keychain holds). Every change emits
 * `applications.changed` so the header switcher and the screens re-read.
 */
import type { ApplicationView, FirstRunStatus, StartupState } from '../../../shared/ipc/applications.ts';
import type { ApplicationsService } from '../../services/applications.ts';
import type { Services } from '../../services/index.ts';
import type { EventBus, Handler } from '../router.ts';

export interface ApplicationsHandlerDeps {
  services: Services;
  bus: EventBus;
  startup?: () => StartupState;
}

type Channels =
  | 'applications.list'
  | 'applications.add'
  | 'applications.edit'
  | 'applications.remove'
  | 'applications.setActive'
  | 'applications.getActive'
  | 'applications.test'
  | 'firstRun.status'
  | 'firstRun.dismiss';

const READY: StartupState = { phase: 'ready', firstRun: false, sandbox: null, error: null };

/** An explicit allow-list of fields: whatever the service adds later, only these reach the renderer. */
export function toView(v: ApplicationView): ApplicationView {
  return {
    id: v.id,
    name: v.name,
    flavour: v.flavour,
    baseUrl: v.baseUrl,
    applicationId: v.applicationId,
    concurrency: v.concurrency,
    sendOwnIds: v.sendOwnIds,
    createdAt: v.createdAt,
    updatedAt: v.updatedAt,
    active: v.active,
    hasSecret: v.hasSecret,
  };
}

async function viewOf(apps: ApplicationsService, id: string): Promise<ApplicationView> {
  const found = (await apps.list()).find((v) => v.id === id);
  if (found) return toView(found);
  // Not reachable in practice (the caller just wrote it); fall back to the row.
  const p = apps.get(id);
  return toView({ ...p, active: apps.getActive()?.id === p.id, hasSecret: null });
}

export function applicationsHandlers(deps: ApplicationsHandlerDeps): { [C in Channels]: Handler<C> } {
  const apps = deps.services.applications;
  const changed = (reason: 'add' | 'edit' | 'remove' | 'activate') =>
    deps.bus.emit('applications.changed', { activeId: apps.getActive()?.id ?? null, reason });
  const firstRun = (): FirstRunStatus => {
    const s = deps.startup?.() ?? READY;
    return {
      phase: s.phase,
      firstRun: s.firstRun,
      sandbox: s.sandbox ? { baseUrl: s.sandbox.baseUrl, profileId: s.sandbox.profileId } : null,
      error: s.error,
      dismissed: apps.firstRunDismissed(),
    };
  };

  return {
    'applications.list': async () => (await apps.list()).map(toView),
    'applications.add': async (input) => {
      const { baseUrl, concurrency, sendOwnIds, ...rest } = input;
      const view = await apps.add({
        ...rest,
        ...(baseUrl !== undefined && baseUrl.trim() !== '' ? { baseUrl } : {}),
        ...(concurrency !== undefined ? { concurrency } : {}),
        ...(sendOwnIds !== undefined ? { sendOwnIds } : {}),
      });
      changed('add');
      return viewOf(apps, view.id);
    },
    'applications.edit': async ({ id, patch }) => {
      const clean = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
      const view = await apps.edit(id, clean);
      changed('edit');
      return viewOf(apps, view.id);
    },
    'applications.remove': async ({ id, confirmName }) => {
      await apps.remove(id, { name: confirmName });
      changed('remove');
      return { removed: true };
    },
    'applications.setActive': async ({ id }) => {
      const p = apps.setActive(id);
      changed('activate');
      return viewOf(apps, p.id);
    },
    'applications.getActive': async () => {
      const p = apps.getActive();
      return p ? viewOf(apps, p.id) : null;
    },
    'applications.test': async ({ id }) => {
      const r = await apps.testConnection(id);
      return r.ok ? { ok: true, latencyMs: r.latencyMs } : { ok: false, latencyMs: r.latencyMs, error: r.error };
    },
    'firstRun.status': () => firstRun(),
    'firstRun.dismiss': () => {
      apps.dismissFirstRun();
      return firstRun();
    },
  };
}
