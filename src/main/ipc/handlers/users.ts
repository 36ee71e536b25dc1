/**
 * Handlers for the users.* and onboarding.* channels of
 * src/shared/ipc/users.ts, and the forwarding of the users service's events
 * (users.changed, onboarding.registered/expired) to the bus.
 */
import type { Services } from '../../services/index.ts';
import type { ClipboardPort, SaveFilePort } from '../../services/onboarding.ts';
import type { EventBus, Handler } from '../router.ts';

/** What the Electron layer provides for the QR dialog (tests: in-process recorders). */
export interface OnboardingPorts {
  clipboard?: ClipboardPort;
  saveFile?: SaveFilePort;
}

export interface UsersHandlerDeps {
  services: Services;
  bus: EventBus;
  onboardingPorts?: OnboardingPorts;
}

type UsersChannels =
  | 'users.snapshot'
  | 'users.add'
  | 'users.csvPreview'
  | 'users.importCsv'
  | 'users.delete'
  | 'users.refreshStatus'
  | 'users.checkStatus'
  | 'users.pending'
  | 'users.reconcile'
  | 'users.lostDevice'
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
    'users.snapshot': () => users.snapshot(),
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
    'onboarding.show': ({ userId, displayName, ttlSeconds }) => onboarding.show(userId, { displayName, ttlSeconds }),
    'onboarding.copyLink': ({ handle }) => onboarding.copyLink(handle, deps.onboardingPorts?.clipboard),
    'onboarding.export': ({ handle, format }) => onboarding.export(handle, format, deps.onboardingPorts?.saveFile),
    'onboarding.close': ({ handle }) => onboarding.close(handle),
  };
}
