/**
 * The full handler table, one spread per feature (mirrors
 * src/shared/ipc/contract.ts). `satisfies Handlers` makes a channel without a
 * handler a compile error.
 */
import type { Handlers } from '../router.ts';
import { appHandlers, type AppDeps } from './app.ts';

export interface HandlerDeps {
  app: AppDeps;
}

export function createHandlers(deps: HandlerDeps): Handlers {
  return {
    ...appHandlers(deps.app),
  } satisfies Handlers;
}
