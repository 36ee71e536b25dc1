/** Handlers for src/shared/ipc/app.ts. */
import type { Handler } from '../router.ts';

export interface AppDeps {
  version: string;
  dataDir: string;
  platform?: string;
}

export function appHandlers(deps: AppDeps): { 'app.info': Handler<'app.info'> } {
  return {
    'app.info': () => ({ version: deps.version, platform: deps.platform ?? process.platform, dataDir: deps.dataDir }),
  };
}
