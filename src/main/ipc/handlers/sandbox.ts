/** Handler of the sandbox.* channel: the virtual phone opened through the Electron layer's port. */
import { AppError } from '../../../shared/errors.ts';
import type { Services } from '../../services/index.ts';
import type { Handler } from '../router.ts';

/** Opens a URL of the sandbox's phone page (Electron: a window of its own; tests: a recorder). */
export type OpenPhone = (url: string) => void | Promise<void>;

export function sandboxHandlers(deps: { services: Services; openPhone?: OpenPhone | undefined }): {
  'sandbox.openPhone': Handler<'sandbox.openPhone'>;
} {
  return {
    'sandbox.openPhone': async ({ handle, userId }) => {
      const open = deps.openPhone;
      if (!open) throw new AppError('internal', 'The virtual phone cannot be opened from this window.');
      await deps.services.phone.open({ handle, userId }, open);
      return { opened: true };
    },
  };
}
