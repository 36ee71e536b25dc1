/**
 * Electron's fuses: switches compiled into the Electron binary, flipped in
 * the packaged copy by electron-builder's `afterPack` hook (before signing,
 * which then covers the flipped binary). What each one protects is in
 * docs/release.md.
 */
import { flipFuses, FuseV1Options, FuseVersion, type FuseV1Config } from '@electron/fuses';
import { Arch, type AfterPackContext } from 'electron-builder';
import { join } from 'node:path';

/**
 * Every fuse Electron 45 has, each decided. `satisfies Record<FuseV1Options, …>`
 * makes a fuse added to @electron/fuses a compile error until it is decided
 * here, and `strictlyRequireAllFuses` makes a fuse the Electron binary has but
 * this list lacks a build error.
 */
export const FUSES = {
  [FuseV1Options.RunAsNode]: false,
  [FuseV1Options.EnableCookieEncryption]: true,
  [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
  [FuseV1Options.EnableNodeCliInspectArguments]: false,
  [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
  [FuseV1Options.OnlyLoadAppFromAsar]: true,
  // Electron's defaults, kept: no separate browser-process V8 snapshot; Wasm trap handlers on.
  [FuseV1Options.LoadBrowserProcessSpecificV8Snapshot]: false,
  [FuseV1Options.GrantFileProtocolExtraPrivileges]: false,
  [FuseV1Options.WasmTrapHandlers]: true,
} as const satisfies Record<FuseV1Options, boolean>;

/** The parts of electron-builder's AfterPackContext the hook reads. */
export type FuseContext = Pick<AfterPackContext, 'appOutDir' | 'electronPlatformName' | 'arch'> & {
  packager: { appInfo: { productFilename: string }; executableName?: string };
};

/** The file holding the fuse wire: the .app bundle (its framework), the .exe, or the Linux executable. */
export function electronBinaryPath(context: FuseContext): string {
  const { appOutDir, electronPlatformName, packager } = context;
  switch (electronPlatformName) {
    case 'darwin':
    case 'mas':
      return join(appOutDir, `${packager.appInfo.productFilename}.app`);
    case 'win32':
      return join(appOutDir, `${packager.appInfo.productFilename}.exe`);
    case 'linux':
      if (!packager.executableName) throw new Error('fuses: the Linux packager has no executableName');
      return join(appOutDir, packager.executableName);
    default:
      throw new Error(`fuses: unsupported platform ${electronPlatformName}`);
  }
}

export function fuseConfig(context: Pick<FuseContext, 'electronPlatformName' | 'arch'>): FuseV1Config {
  const darwin = context.electronPlatformName === 'darwin' || context.electronPlatformName === 'mas';
  return {
    version: FuseVersion.V1,
    strictlyRequireAllFuses: true,
    // Flipping a fuse breaks the ad-hoc signature arm64 Macs require; re-sign ad hoc (a real identity signs afterwards).
    resetAdHocDarwinSignature: darwin && (context.arch === Arch.arm64 || context.arch === Arch.universal),
    ...FUSES,
  };
}

/** electron-builder `afterPack` hook. */
export async function afterPack(context: FuseContext): Promise<void> {
  const binary = electronBinaryPath(context);
  const wires = await flipFuses(binary, fuseConfig(context));
  console.log(`  • fuses flipped in ${binary} (${String(wires)} wire${wires === 1 ? '' : 's'})`);
}
