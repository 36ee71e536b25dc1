/**
 * Handlers for the users.* and onboarding.* channels of
 * src/shared/ipc/users.ts, and the forwarding of the users service's events
 * (users.changed, onboarding.registered/expired) to the bus.
 */
import { AppError } from '../../../shared/errors.ts';
import type { ExportFormat } from '../../../shared/ipc/users.ts';
import type { Services } from '../../services/index.ts';
import type { ClipboardPort, SaveFilePort } from '../../services/onboarding.ts';
import type { EventBus, Handler } from '../router.ts';

/** What the Electron layer provides for the QR dialog (tests: in-process recorders). */
export interface OnboardingPorts {
  clipboard?: ClipboardPort;
  saveFile?: SaveFilePort;
  /** Asks where to write a users export (Electron: a save dialog); null when the admin cancelled. */
  exportPath?: (file: { suggestedName: string; format: ExportFormat }) => Promise<string | null>;
}

export interface UsersHandlerDeps {
  services: Services;
  bus: EventBus;
  onboardingPorts?: OnboardingPorts;
}

type UsersChannels =
  | 'users.snapshot'
  | 'users.window'
  | 'users.indexOf'
  | 'users.selectionCount'
  | 'users.deleteSelection'
  | 'users.refreshSelection'
  | 'users.addSelection'
  | 'users.export'
  | 'users.add'
  | 'users.csvPreview'
  | 'users.importCsv'
  | 'users.delete'
  | 'users.refreshStatus'
  | 'users.checkStatus'
  | 'users.pending'
  | 'users.reconcile'
  | 'users.lostDevice'
  | 'users.setDisplayName'
  | 'onboarding.show'
  | 'onboarding.copyLink'
  | 'onboarding.export'
  | 'onboarding.close';

export function usersHandlers(deps: UsersHandlerDeps): { [C in UsersChannels]: Handler<C> } {
  const { users, onboarding } = deps.services;
  users.on((event) => deps.bus.emit('users.changed', event.payload));
  onboarding.on((event) => {
    if (event.type === 'registered') deps.bus.emit('onboarding.registered', event.payload);
    else deps.bus.emit('onboarding.expired', event.payload);
  });
  return {
    'users.snapshot': () => users.screenSnapshot(),
    'users.window': ({ query, offset, limit }) => users.window(query, offset, limit),
    'users.indexOf': ({ query, userId }) => users.indexOf(query, userId),
    'users.selectionCount': ({ selection }) => ({ count: users.selectionIds(selection).length }),
    'users.deleteSelection': ({ selection, confirmCount }) => ({
      jobId: users.deleteSelection(selection, confirmCount),
    }),
    'users.refreshSelection': ({ selection }) => ({ jobId: users.refreshSelection(selection) }),
    'users.addSelection': ({ selection }) => ({ jobId: users.addSelection(selection) }),
    'users.export': async ({ query, format }) => {
      const pick = deps.onboardingPorts?.exportPath;
      if (!pick) throw new AppError('internal', 'Exporting is not available in this window.');
      const stamp = new Date().toISOString().slice(0, 10);
      const path = await pick({ suggestedName: `iampass-users-${stamp}.${format}`, format });
      return { jobId: path === null ? null : users.exportTo(query, format, path) };
    },
    'users.add': ({ users: rows }) => ({ jobId: users.add(rows) }),
    'users.csvPreview': ({ text, mapping, hasHeader, previewRows }) =>
      users.previewCsv(text, { mapping, hasHeader, previewRows }),
    'users.importCsv': ({ text, mapping, hasHeader }) => ({ jobId: users.importCsv(text, mapping, hasHeader) }),
    'users.delete': ({ userIds, confirmCount }) => ({ jobId: users.delete(userIds, confirmCount) }),
    'users.refreshStatus': (target) => ({ jobId: users.refreshStatus(target) }),
    'users.checkStatus': ({ userId }) => users.checkStatus(userId),
    'users.pending': () => ({ recoverable: users.recoverable(), byKind: users.pendingIntents() }),
    'users.reconcile': () => ({ jobId: users.reconcile() }),
    'users.lostDevice': ({ userId }) => onboarding.lostDevice(userId),
    'users.setDisplayName': ({ userId, displayName }) => users.setDisplayName(userId, displayName),
    'onboarding.show': ({ userId, displayName, ttlSeconds }) => onboarding.show(userId, { displayName, ttlSeconds }),
    'onboarding.copyLink': ({ handle }) => onboarding.copyLink(handle, deps.onboardingPorts?.clipboard),
    'onboarding.export': ({ handle, format }) => onboarding.export(handle, format, deps.onboardingPorts?.saveFile),
    'onboarding.close': ({ handle }) => onboarding.close(handle),
  };
}
