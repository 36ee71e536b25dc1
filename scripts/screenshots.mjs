// Regenerates the README's screenshots (docs/screenshots/*.png) from the E2E
// walkthrough (test/e2e/walkthrough.test.ts): builds, runs it in Chromium and
// copies each step's photograph there. On a headless machine run it inside
// scripts/keyring-session.sh, as the tests.
import { spawnSync } from 'node:child_process';

const run = spawnSync('npx', ['vitest', 'run', '--project', 'e2e', 'test/e2e/walkthrough.test.ts'], {
  stdio: 'inherit',
  env: { ...process.env, IAMPASS_DOCS_SCREENSHOTS: '1' },
  shell: process.platform === 'win32',
});
if (run.error) console.error(`npm run screenshots: vitest did not start (${run.error.message}).`);
process.exit(run.status ?? 1);
