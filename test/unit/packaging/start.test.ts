// `npm start` without Electron's binary (this machine: no download possible)
// stops at once with what to do, instead of Electron's stack trace.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect, it } from 'vitest';

const START = resolve(import.meta.dirname, '../../../scripts/start.mjs');

it('npm start without the Electron binary exits 1 with what to do; a path.txt naming a missing file counts as missing', () => {
  const pkg = mkdtempSync(join(tmpdir(), 'iampass-electron-pkg-'));
  try {
    const run = () =>
      spawnSync(process.execPath, [START], {
        encoding: 'utf8',
        timeout: 20_000,
        env: { ...process.env, IAMPASS_ELECTRON_DIR: pkg, ELECTRON_OVERRIDE_DIST_PATH: '' },
      });
    const none = run();
    expect(none.status).toBe(1);
    expect(none.stderr).toContain("npm start needs Electron's binary");
    expect(none.stderr).toContain('`npm test`');
    // Installed half-way: path.txt written, the binary not downloaded.
    writeFileSync(join(pkg, 'path.txt'), 'electron');
    mkdirSync(join(pkg, 'dist'));
    const half = run();
    expect(half.status).toBe(1);
    expect(half.stderr).toContain("npm start needs Electron's binary");
  } finally {
    rmSync(pkg, { recursive: true, force: true });
  }
});
