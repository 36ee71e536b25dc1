/**
 * electron-builder packs the app for real, offline: the Linux unpacked
 * target (`dir`) with electron-builder.config.ts and a stand-in Electron
 * distribution (`electronDist`: a binary holding the fuse wire in Electron's
 * default states). Checks what ships: the build, package.json and runtime
 * modules in app.asar, keytar's native module outside it, no sources, tests,
 * docs or dev tools, and the fuses flipped by the afterPack hook.
 */
import type * as Asar from '@electron/asar';
import { FuseState, FuseV1Options, getCurrentFuseWire } from '@electron/fuses';
import { Arch, build, Platform } from 'electron-builder';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createConfig } from '../../../electron-builder.config.ts';
import { ensureBuilt } from '../../e2e/build.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
// The ASAR reader electron-builder itself packs with (a dependency of app-builder-lib).
const fromBuilder = createRequire(createRequire(import.meta.url).resolve('electron-builder'));
const { extractFile, listPackage } = createRequire(fromBuilder.resolve('app-builder-lib/package.json'))(
  '@electron/asar',
) as typeof Asar;
const work = mkdtempSync(join(tmpdir(), 'iampass-pack-'));
const electronDist = join(work, 'electron');
const output = join(work, 'dist');
const appOutDir = join(output, 'linux-unpacked');
const asarPath = join(appOutDir, 'resources', 'app.asar');
let entries: string[] = [];

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'out/main/index.js')) || !existsSync(join(ROOT, 'out/renderer/index.html'))) ensureBuilt();
  mkdirSync(join(electronDist, 'resources'), { recursive: true });
  const wire = [49, 48, 49, 49, 48, 48, 48, 49, 49]; // Electron's defaults: RunAsNode on, ... (FuseState '1'/'0')
  writeFileSync(
    join(electronDist, 'electron'),
    Buffer.concat([
      Buffer.alloc(2048, 1),
      Buffer.from('dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX'),
      Buffer.from([1, 9, ...wire]),
    ]),
    { mode: 0o755 },
  );
  writeFileSync(join(electronDist, 'LICENSE'), 'stand-in');
  writeFileSync(join(electronDist, 'version'), '45.4.1');
  vi.stubEnv('CSC_IDENTITY_AUTO_DISCOVERY', 'false');
  vi.spyOn(console, 'log').mockImplementation(() => undefined);
  await build({
    projectDir: ROOT,
    targets: Platform.LINUX.createTarget('dir', Arch.x64),
    config: {
      ...createConfig({ platform: 'linux', arch: 'x64' }),
      electronDist,
      directories: { output, buildResources: 'build' },
    },
    publish: 'never',
  });
  entries = listPackage(asarPath, { isPack: false }).map((p) => p.replaceAll('\\', '/'));
}, 120_000);

afterAll(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
  rmSync(work, { recursive: true, force: true });
});

describe('the packaged app (linux, dir target, stand-in Electron)', () => {
  it('has the build and package.json in app.asar, main pointing at the built main', () => {
    for (const file of ['/out/main/index.js', '/out/preload/index.cjs', '/out/renderer/index.html', '/package.json']) {
      expect(entries).toContain(file);
    }
    const pkg = JSON.parse(extractFile(asarPath, 'package.json').toString('utf8')) as { main: string };
    expect(pkg.main).toBe('out/main/index.js');
  });

  it('has the modules main loads at run time', () => {
    for (const mod of ['keytar', 'qrcode', 'papaparse', 'zod'])
      expect(entries).toContain(`/node_modules/${mod}/package.json`);
  });

  it('has no sources, tests, docs, packaging files, source maps or development modules', () => {
    const top = new Set(entries.map((e) => e.split('/')[1]));
    expect([...top].sort()).toEqual(['node_modules', 'out', 'package.json']);
    const forbidden = entries.filter(
      (e) =>
        /\.(map|md|ts|tsx|cc|gyp)$/.test(e) ||
        /^\/node_modules\/(react|react-dom|zustand|@tanstack|electron|electron-builder|vite|vitest|typescript|eslint|@electron|node-addon-api|prebuild-install)\//.test(
          e,
        ),
    );
    expect(forbidden).toEqual([]);
  });

  it('unpacks keytar (its native module cannot load from inside the ASAR)', () => {
    const unpacked = join(appOutDir, 'resources', 'app.asar.unpacked', 'node_modules', 'keytar');
    expect(existsSync(join(unpacked, 'build', 'Release', 'keytar.node'))).toBe(true);
    expect(existsSync(join(unpacked, 'lib', 'keytar.js'))).toBe(true);
    expect(existsSync(join(unpacked, 'src'))).toBe(false);
  });

  it('has the fuses flipped in the packaged executable', async () => {
    const wire = await getCurrentFuseWire(join(appOutDir, 'iampass-admin'));
    expect(wire[FuseV1Options.RunAsNode]).toBe(FuseState.DISABLE);
    expect(wire[FuseV1Options.EnableNodeOptionsEnvironmentVariable]).toBe(FuseState.DISABLE);
    expect(wire[FuseV1Options.EnableNodeCliInspectArguments]).toBe(FuseState.DISABLE);
    expect(wire[FuseV1Options.EnableEmbeddedAsarIntegrityValidation]).toBe(FuseState.ENABLE);
    expect(wire[FuseV1Options.OnlyLoadAppFromAsar]).toBe(FuseState.ENABLE);
    expect(wire[FuseV1Options.EnableCookieEncryption]).toBe(FuseState.ENABLE);
    expect(wire[FuseV1Options.GrantFileProtocolExtraPrivileges]).toBe(FuseState.DISABLE);
  });
});
