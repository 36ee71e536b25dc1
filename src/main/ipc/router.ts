/**
 * The main-side router: transport-agnostic (plain Node, no electron). The
 * Electron layer calls `handle` from ipcMain after its sender-frame check; the
 * E2E harness calls it from a Playwright binding. Every call resolves to a
 * Result: unknown channels and bad payloads become `invalid_input` (naming
 * the bad fields, never echoing their values), thrown AppErrors keep their
 * code, anything else becomes a generic `internal`.
 */
import type { z } from 'zod';
import { AppError, toErrorInfo, type Result } from '../../shared/errors.ts';
import {
  isRequestChannel,
  requests,
  type EventChannel,
  type EventPayloadOf,
  type ParsedRequestOf,
  type RequestChannel,
  type ResponseOf,
} from '../../shared/ipc/contract.ts';

/** Who is calling: filled in by the transport after its own checks. */
export interface Sender {
  /** Transport-specific id (webContents id, 'e2e', 'test'). */
  id: string | number;
  /** URL of the calling frame. */
  url: string;
}

export interface CallContext {
  sender: Sender;
}

export type Handler<C extends RequestChannel> = (
  payload: ParsedRequestOf<C>,
  context: CallContext,
) => ResponseOf<C> | Promise<ResponseOf<C>>;

/** One handler per contract channel: leaving one out is a type error. */
export type Handlers = { [C in RequestChannel]: Handler<C> };

export interface Router {
  handle(channel: string, payload: unknown, sender: Sender): Promise<Result<unknown>>;
}

/** Called with every error the router turns into a Result (for the app log); never shown to the renderer. */
export type ErrorSink = (channel: string, error: unknown) => void;

export function createRouter(handlers: Handlers, options: { onError?: ErrorSink } = {}): Router {
  return {
    async handle(channel, payload, sender) {
      try {
        if (!isRequestChannel(channel)) {
          throw new AppError('invalid_input', 'Unknown request channel.', { details: { channel: printable(channel) } });
        }
        const value = await dispatch(handlers, channel, payload, { sender });
        return { ok: true, value };
      } catch (error) {
        options.onError?.(channel, error);
        return { ok: false, ...toErrorInfo(error) };
      }
    },
  };
}

async function dispatch<C extends RequestChannel>(
  handlers: Handlers,
  channel: C,
  payload: unknown,
  context: CallContext,
): Promise<unknown> {
  const schema: z.ZodType = requests[channel].request;
  const parsed = schema.safeParse(payload);
  if (!parsed.success) throw invalidInput(parsed.error);
  const handler = handlers[channel] as Handler<C>;
  return await handler(parsed.data as ParsedRequestOf<C>, context);
}

/** A zod error as a typed error naming the fields and the problem, without the values. */
export function invalidInput(error: z.ZodError): AppError {
  const fields = [
    ...new Set(error.issues.map((issue) => (issue.path.length ? issue.path.map(String).join('.') : '(payload)'))),
  ];
  // Unrecognized keys are reported on the parent; name them (the key names are the caller's, not secret values).
  const unknownKeys = error.issues.flatMap((issue) => (issue.code === 'unrecognized_keys' ? issue.keys : []));
  const problems = error.issues.map(
    (issue) => `${issue.path.length ? issue.path.map(String).join('.') : '(payload)'}: ${issue.code}`,
  );
  const parts = [`Invalid input: ${fields.join(', ')}`];
  if (unknownKeys.length) parts.push(`unexpected field(s): ${unknownKeys.join(', ')}`);
  return new AppError('invalid_input', `${parts.join('; ')}.`, {
    details: { fields: fields.join(','), problems: problems.join('; ') },
  });
}

function printable(value: unknown): string {
  return typeof value === 'string' ? value.replace(/[^\w.-]/g, '?').slice(0, 64) : typeof value;
}

/** Main -> renderer events. The Electron layer forwards them to the window; the E2E harness to the page. */
export interface EventBus {
  emit<E extends EventChannel>(event: E, payload: EventPayloadOf<E>): void;
  subscribe(listener: (event: EventChannel, payload: unknown) => void): () => void;
}

export function createEventBus(): EventBus {
  const listeners = new Set<(event: EventChannel, payload: unknown) => void>();
  return {
    emit(event, payload) {
      for (const listener of [...listeners]) listener(event, payload);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
