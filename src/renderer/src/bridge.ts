/**
 * The renderer's typed client over `window.iampass` (the preload's bridge, or
 * the E2E harness's stand-in). Types come from the shared contract.
 */
import type { Result } from '../../shared/errors.ts';
import type {
  BridgeApi,
  EventChannel,
  EventPayloadOf,
  RequestChannel,
  RequestOf,
  ResponseOf,
} from '../../shared/ipc/contract.ts';

declare global {
  interface Window {
    iampass?: BridgeApi;
  }
}

function bridge(): BridgeApi | null {
  return window.iampass ?? null;
}

/** Resolves to a value or a typed error; a missing bridge or a transport failure is an `internal` error, never a throw. */
export async function invoke<C extends RequestChannel>(
  channel: C,
  payload: RequestOf<C>,
): Promise<Result<ResponseOf<C>>> {
  const api = bridge();
  if (!api) return { ok: false, code: 'internal', message: 'The console bridge is not available.', retryable: false };
  try {
    return await api.invoke(channel, payload);
  } catch {
    return {
      ok: false,
      code: 'internal',
      message: 'The request could not be delivered to the console.',
      retryable: true,
    };
  }
}

export function on<E extends EventChannel>(event: E, listener: (payload: EventPayloadOf<E>) => void): () => void {
  const api = bridge();
  return api ? api.on(event, listener) : () => undefined;
}
