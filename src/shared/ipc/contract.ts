/**
 * THE bridge contract: every request channel (renderer -> main) with its
 * payload schema and response type, and every event channel (main ->
 * renderer) with its payload type. Everything else is derived from here: the
 * preload's allow-list, the renderer client's types, the router's handler
 * table (a missing handler is a type error) and the payload validation.
 *
 * Adding a feature: write `src/shared/ipc/<feature>.ts` exporting
 * `<feature>Requests` and `<feature>Events` (see app.ts), spread them below,
 * then implement the handlers (src/main/ipc/handlers/) - tsc lists what is
 * missing.
 */
import type { z } from 'zod';
import type { Result } from '../errors.ts';
import { appEvents, appRequests } from './app.ts';
import { applicationsEvents, applicationsRequests } from './applications.ts';
import { auditEvents, auditRequests } from './audit.ts';
import { directoryEvents, directoryRequests } from './directory.ts';
import { invitationsEvents, invitationsRequests } from './invitations.ts';
import { jobsEvents, jobsRequests } from './jobs.ts';
import { sandboxEvents, sandboxRequests } from './sandbox.ts';
import { usersEvents, usersRequests } from './users.ts';
import { sessionsEvents, sessionsRequests } from './sessions.ts';

export const requests = {
  ...appRequests,
  ...applicationsRequests,
  ...auditRequests,
  ...usersRequests,
  ...directoryRequests,
  ...invitationsRequests,
  ...jobsRequests,
  ...sessionsRequests,
  ...sandboxRequests,
} as const;

export const events = {
  ...appEvents,
  ...applicationsEvents,
  ...auditEvents,
  ...usersEvents,
  ...directoryEvents,
  ...invitationsEvents,
  ...jobsEvents,
  ...sessionsEvents,
  ...sandboxEvents,
} as const;

export type RequestChannel = keyof typeof requests;
export type EventChannel = keyof typeof events;

/** What the renderer passes (before parsing: defaults may be omitted). */
export type RequestOf<C extends RequestChannel> = z.input<(typeof requests)[C]['request']>;
/** What a handler receives (after parsing). */
export type ParsedRequestOf<C extends RequestChannel> = z.output<(typeof requests)[C]['request']>;
/** The value of a successful call. */
export type ResponseOf<C extends RequestChannel> = (typeof requests)[C]['response'];
export type EventPayloadOf<E extends EventChannel> = (typeof events)[E]['payload'];

export const REQUEST_CHANNELS = Object.keys(requests) as RequestChannel[];
export const EVENT_CHANNELS = Object.keys(events) as EventChannel[];

export function isRequestChannel(name: unknown): name is RequestChannel {
  return typeof name === 'string' && Object.hasOwn(requests, name);
}

export function isEventChannel(name: unknown): name is EventChannel {
  return typeof name === 'string' && Object.hasOwn(events, name);
}

/**
 * The API the preload exposes as `window.iampass` (and the E2E harness
 * imitates). `invoke` never rejects for a handled failure: it resolves to a
 * typed error. `on` returns its unsubscribe function.
 */
export interface BridgeApi {
  invoke<C extends RequestChannel>(channel: C, payload: RequestOf<C>): Promise<Result<ResponseOf<C>>>;
  on<E extends EventChannel>(event: E, listener: (payload: EventPayloadOf<E>) => void): () => void;
}

/** The global name the preload exposes the bridge under. */
export const BRIDGE_GLOBAL = 'iampass';
