/**
 * The sandbox's virtual phone, as the console's "Open virtual phone" reaches
 * it (plain Node): the URL of the sandbox's phone page for the active
 * profile, a Sandbox application only. On a registration code the QR dialog
 * holds, the page opens on that link (it stays in main); for a user, the page
 * becomes the phone the user registered; otherwise the bare page. The
 * opener is the Electron layer's (a window of its own, storage in memory).
 */
import { AppError } from '../../shared/errors.ts';
import type { PhoneTarget } from '../../shared/ipc/sandbox.ts';
import type { OnboardingService } from './onboarding.ts';
import type { UsersService } from './users.ts';

export class VirtualPhoneService {
  readonly #users: UsersService;
  readonly #onboarding: OnboardingService;

  constructor(users: UsersService, onboarding: OnboardingService) {
    this.#users = users;
    this.#onboarding = onboarding;
  }

  /** Opens the phone page for the target on the active profile's sandbox. */
  async open(target: PhoneTarget, opener: (url: string) => void | Promise<void>): Promise<void> {
    const profile = this.#users.scope.current();
    if (profile.flavour !== 'Sandbox')
      throw new AppError(
        'invalid_input',
        'The virtual phone belongs to the sandbox: make a Sandbox application active to use it.',
      );
    const base = profile.baseUrl.replace(/\/+$/, '');
    if (target.handle !== undefined) {
      await this.#onboarding.useLink(target.handle, async (link) => {
        // The sandbox's registration links open its phone page; anything else is not the sandbox's to open.
        if (!link.startsWith(`${base}/sandbox/phone/register/`))
          throw new AppError('protocol', "This registration link does not lead to the sandbox's phone page.");
        await opener(link);
      });
      return;
    }
    if (target.userId !== undefined) {
      const user = this.#users.user(profile, target.userId);
      const app = encodeURIComponent(profile.applicationId);
      await opener(`${base}/sandbox/phone/user/${app}/${encodeURIComponent(user.iampassId)}`);
      return;
    }
    await opener(`${base}/sandbox/phone`);
  }
}
