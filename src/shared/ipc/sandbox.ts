/** Feature: the built-in sandbox's virtual phone, opened from the console. */
import { z } from 'zod';
import { INPUT_TEXT_MAX_UNITS } from '../limits.ts';
import { request } from './define.ts';

const phoneTarget = z
  .object({
    handle: z.string().min(1).max(64).optional(),
    userId: z.string().max(INPUT_TEXT_MAX_UNITS).optional(),
  })
  .strict();

/** What to open: the link of a QR dialog's handle, the phone of a user, or (neither) the phone page. */
export type PhoneTarget = z.input<typeof phoneTarget>;

export const sandboxRequests = {
  /**
   * Opens the sandbox's phone page in a window of its own (a Sandbox application only): on the registration
   * link of an open QR dialog (`handle`; the link stays in main), as the phone `userId` registered, or bare.
   */
  'sandbox.openPhone': request(phoneTarget).returns<{ opened: true }>(),
};

export const sandboxEvents = {};
