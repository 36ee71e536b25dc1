/**
 * The full handler table, one spread per feature (mirrors
 * src/shared/ipc/contract.ts). `satisfies Handlers` makes a channel without a
 * handler a compile error.
 */
import type { StartupState } from '../../../shared/ipc/applications.ts';
import type { Services } from '../../services/index.ts';
import type { EventBus, Handlers } from '../router.ts';
import { appHandlers, type AppDeps } from './app.ts';
import { applicationsHandlers } from './applications.ts';
import { auditHandlers, type SaveFile } from './audit.ts';
import { directoryHandlers } from './directory.ts';
import { invitationsHandlers } from './invitations.ts';
import { jobsHandlers } from './jobs.ts';
import { usersHandlers, type OnboardingPorts } from './users.ts';
import { sessionsHandlers } from './sessions.ts';
import { sandboxHandlers, type OpenPhone } from './sandbox.ts';

export interface HandlerDeps {
  app: AppDeps;
  /** The store, keychain and services (openServices on the data folder). */
  services: Services;
  /** Main -> renderer events (forwarded to the window / the E2E page). */
  bus: EventBus;
  /** The start-up (first-run / sandbox) state; default: ready, not a first run. */
  startup?: () => StartupState;
  /** Writes an audit export (Electron: save dialog; tests: a temp folder). Without it, export is refused. */
  saveFile?: SaveFile;
  /** The registration-QR dialog's clipboard and PNG/SVG save (Electron: clipboard.writeText, save dialog). Without them, copy/export are refused. */
  onboardingPorts?: OnboardingPorts;
  /** Opens the sandbox's phone page (Electron: a window with in-memory storage). Without it, "Open virtual phone" is refused. */
  openPhone?: OpenPhone;
}

export function createHandlers(deps: HandlerDeps): Handlers {
  return {
    ...appHandlers(deps.app),
    ...applicationsHandlers(deps),
    ...auditHandlers(deps),
    ...usersHandlers(deps),
    ...directoryHandlers(deps),
    ...invitationsHandlers(deps),
    ...jobsHandlers(deps),
    ...sessionsHandlers(deps),
    ...sandboxHandlers(deps),
  } satisfies Handlers;
}
