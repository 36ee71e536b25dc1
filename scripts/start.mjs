// `npm start`: the console in Electron (electron-vite dev). Electron's binary
// is downloaded by `npm install` (the electron package's postinstall) where
// the network allows; without it this says so at once instead of letting
// Electron try a download and fail with a stack trace. The tests, the CLI and
// the sandbox never need the binary.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
/** The electron package (IAMPASS_ELECTRON_DIR: another one, for the test of this check). */
const pkg = process.env.IAMPASS_ELECTRON_DIR ?? join(ROOT, 'node_modules', 'electron');

/** The Electron executable `npm install` put in place, or null. */
function electronBinary() {
  const pathFile = join(pkg, 'path.txt');
  const relative = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : '';
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  if (override)
    return existsSync(join(override, relative || 'electron')) ? join(override, relative || 'electron') : null;
  if (relative === '') return null;
  return existsSync(join(pkg, 'dist', relative)) ? join(pkg, 'dist', relative) : null;
}

if (electronBinary() === null) {
  console.error(
    [
      "npm start needs Electron's binary, and it is not installed: `npm install` downloads it",
      '(node_modules/electron/dist) where the network allows, and it could not here.',
      'Where github.com (or your ELECTRON_MIRROR) is reachable, run `npm install` again, or',
      '`node node_modules/electron/install.js`. Everything else works without it:',
      '`npm test`, the CLI (`npm run -s cli -- --help`) and the sandbox (`npm run sandbox`).',
    ].join('\n'),
  );
  process.exit(1);
}
// Windows runs the .bin shim (a .cmd) through its shell.
const run = spawnSync(join(ROOT, 'node_modules', '.bin', 'electron-vite'), ['dev', ...process.argv.slice(2)], {
  cwd: ROOT,
  stdio: 'inherit',
  shell: process.platform === 'win32',
});
if (run.error) console.error(`npm start: electron-vite did not start (${run.error.message}).`);
process.exit(run.status ?? 1);
