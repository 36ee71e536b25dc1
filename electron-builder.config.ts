/**
 * electron-builder configuration: installers for Linux (AppImage, deb),
 * macOS (universal dmg) and Windows (NSIS). Built by `npm run dist`
 * (packaging/dist.ts), which passes this object to electron-builder's API;
 * test/unit/packaging/builder-config.test.ts validates it against
 * electron-builder's own schema. How to build, sign and publish:
 * docs/release.md.
 *
 * Code signing and notarisation are read by electron-builder from the
 * environment (CSC_LINK / CSC_KEY_PASSWORD, WIN_CSC_LINK, APPLE_ID /
 * APPLE_APP_SPECIFIC_PASSWORD / APPLE_TEAM_ID or APPLE_API_KEY*); nothing
 * here names a certificate, and with none of them set nothing is signed.
 */
import type { Configuration } from 'electron-builder';
import { afterPack } from './packaging/fuses.ts';

/** Target architectures per build OS. `universal` is one app holding x64 and arm64. */
export const TARGET_ARCHS = {
  linux: ['x64'],
  darwin: ['universal'],
  win32: ['x64'],
} as const satisfies Partial<Record<NodeJS.Platform, readonly string[]>>;

/**
 * keytar is N-API (binding.gyp builds against node-addon-api with
 * NAPI_VERSION, package.json `binary.napi_versions: [3]`): the keytar.node
 * that `npm ci` compiled loads in Electron's Node as it is, with no rebuild
 * per Electron version. Only a target architecture other than the machine's
 * needs a rebuild (electron-builder's @electron/rebuild, which downloads
 * Electron's headers): the other half of a universal macOS app.
 */
export function needsNativeRebuild(platform: NodeJS.Platform, hostArch: string): boolean {
  const archs: readonly string[] = (TARGET_ARCHS as Partial<Record<NodeJS.Platform, readonly string[]>>)[platform] ?? [
    hostArch,
  ];
  return archs.some((arch) => (arch === 'universal' ? true : arch !== hostArch));
}

export const APP_ID = 'com.iampass.admin';
export const PRODUCT_NAME = 'IAMPASS Admin';

export function createConfig(host: { platform: NodeJS.Platform; arch: string } = process): Configuration {
  return {
    appId: APP_ID,
    productName: PRODUCT_NAME,
    copyright: 'Copyright © IAMPASS Admin contributors',
    directories: { output: 'dist', buildResources: 'build' },
    // The app is the electron-vite build and package.json; electron-builder adds the production
    // dependencies main needs at run time (keytar, qrcode, papaparse, zod and theirs).
    files: [
      'out/**/*',
      'package.json',
      '!out/**/*.map',
      // Bundled into out/renderer by Vite: not needed again as modules.
      '!node_modules/{react,react-dom,scheduler,zustand,@tanstack}{,/**/*}',
      // keytar's build inputs and install-time tools; its lib/ and build/Release/keytar.node stay.
      '!node_modules/keytar/{src,binding.gyp,build/Release/obj.target,build/Release/.deps,build/*.mk,build/Makefile,build/config.gypi}{,/**/*}',
      '!node_modules/{node-addon-api,prebuild-install}{,/**/*}',
      '!**/*.{md,markdown,map,ts,mts,cts,gyp,gypi,cc,h}',
      '!**/{test,tests,__tests__,example,examples,docs,.github}{,/**/*}',
    ],
    asar: true,
    // A native module cannot be loaded from inside an ASAR archive.
    asarUnpack: ['node_modules/keytar/**/*'],
    npmRebuild: needsNativeRebuild(host.platform, host.arch),
    afterPack,
    publish: null,
    linux: {
      target: [
        { target: 'AppImage', arch: [...TARGET_ARCHS.linux] },
        { target: 'deb', arch: [...TARGET_ARCHS.linux] },
      ],
      executableName: 'iampass-admin',
      icon: 'build/icons',
      category: 'System',
      synopsis: 'Admin console for IAMPASS applications',
      maintainer: 'IAMPASS Admin <dev@iampass-admin.invalid>',
      artifactName: '${name}-${version}-${arch}.${ext}',
    },
    // keytar reaches the Secret Service through libsecret (in electron-builder's default deb dependencies).
    deb: { priority: 'optional' },
    mac: {
      target: [{ target: 'dmg', arch: [...TARGET_ARCHS.darwin] }],
      icon: 'build/icon.icns',
      category: 'public.app-category.developer-tools',
      hardenedRuntime: true,
      artifactName: '${name}-${version}-${arch}.${ext}',
    },
    dmg: { writeUpdateInfo: false },
    win: {
      target: [{ target: 'nsis', arch: [...TARGET_ARCHS.win32] }],
      icon: 'build/icon.ico',
      artifactName: '${name}-setup-${version}-${arch}.${ext}',
    },
    nsis: {
      oneClick: false,
      perMachine: false,
      allowToChangeInstallationDirectory: true,
      differentialPackage: false,
    },
  };
}

export default createConfig();
