/**
 * `npm run dist`: the installers for this OS (docs/release.md).
 *   1. probe: Electron's binaries in the cache or downloadable (else stop at once);
 *   2. `electron-vite build` (out/);
 *   3. electron-builder with electron-builder.config.ts (fuses flipped in afterPack) -> dist/.
 *
 *   npm run dist [-- --dir]
 *
 * Nothing is uploaded (the configuration has no publish provider): the files
 * in dist/ are published by hand or by CI, see docs/release.md.
 *
 * Signing is off unless the environment provides a certificate (CSC_LINK,
 * CSC_NAME, WIN_CSC_LINK): without one, macOS keychain identities are not
 * picked up by auto-discovery either.
 */
import { build } from 'electron-builder';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createConfig, TARGET_ARCHS } from '../electron-builder.config.ts';
import { probeElectron } from './electron-probe.ts';

const ROOT = resolve(import.meta.dirname, '..');

const { values } = parseArgs({ options: { dir: { type: 'boolean', default: false } } });

const platform = process.platform;
const archs = (TARGET_ARCHS as Partial<Record<NodeJS.Platform, readonly string[]>>)[platform];
if (!archs) {
  console.error(`npm run dist: no installer is configured for ${platform}; build on Linux, macOS or Windows.`);
  process.exit(2);
}
const electronVersion = (
  JSON.parse(readFileSync(join(ROOT, 'node_modules/electron/package.json'), 'utf8')) as { version: string }
).version;

if (process.env['IAMPASS_DIST_SKIP_PROBE'] === '1') {
  console.log('dist: Electron download probe skipped (IAMPASS_DIST_SKIP_PROBE=1)');
} else {
  const probe = await probeElectron({ version: electronVersion, platform, archs, env: process.env });
  if (!probe.ok) {
    console.error(probe.message);
    process.exit(1);
  }
  console.log(`dist: Electron ${electronVersion} available (${probe.via}: ${probe.detail})`);
}

const signing = ['CSC_LINK', 'CSC_NAME', 'WIN_CSC_LINK'].filter((name) => process.env[name]);
if (signing.length === 0) {
  process.env['CSC_IDENTITY_AUTO_DISCOVERY'] = 'false';
  console.log('dist: code signing off (set CSC_LINK + CSC_KEY_PASSWORD to sign; see docs/release.md)');
} else {
  console.log(`dist: code signing with ${signing.join(', ')}`);
}

const vite = spawnSync(process.execPath, [join(ROOT, 'node_modules/electron-vite/bin/electron-vite.js'), 'build'], {
  cwd: ROOT,
  stdio: 'inherit',
});
if (vite.status !== 0) process.exit(vite.status ?? 1);

try {
  const artifacts = await build({
    projectDir: ROOT,
    config: createConfig(),
    publish: 'never',
    dir: values.dir,
  });
  console.log(
    `dist: ${values.dir ? 'unpacked app' : 'installers'} in dist/\n${artifacts.map((a) => `  ${a}`).join('\n')}`,
  );
} catch (error) {
  console.error(`npm run dist failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
