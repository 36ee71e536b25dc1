/**
 * iampass-admin: every console action from a terminal, over the same
 * main-side services and store as the console (no Electron).
 * Runs from source under Node 24 (type stripping), started by
 * bin/iampass-admin.mjs (also behind `npm run cli -- ...`), which finds
 * Node 24 and enables Node's compile cache first.
 */
import { run } from './run.ts';

const code = await run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
});
// Exit once stdout is flushed, even if a keep-alive socket or the keychain module still holds the loop.
process.stdout.write('', () => process.exit(code));
