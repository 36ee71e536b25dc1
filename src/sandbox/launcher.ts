/**
 * The embedded sandbox as the console's services start it: the launcher the
 * composition roots (src/electron/main.ts, the CLI context) inject into openServices.
 * Main's services never import the sandbox; they only know the launcher's
 * shape (`SandboxLauncher` in src/main/services/first-run.ts).
 */
import { startSandbox, type Sandbox, type SandboxOptions } from './server.ts';

export const sandboxLauncher = {
  start: (options: SandboxOptions): Promise<Sandbox> => startSandbox(options),
};
