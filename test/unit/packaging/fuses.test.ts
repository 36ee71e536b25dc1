/**
 * The fuse set and the afterPack hook that flips it. The hook runs for real
 * on stand-in Electron binaries: a file holding the fuse sentinel and a wire
 * in Electron's default states, laid out as each platform's package has it.
 */
import { FuseState, FuseV1Options, FuseVersion, getCurrentFuseWire } from '@electron/fuses';
import { Arch } from 'electron-builder';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import config from '../../../electron-builder.config.ts';
import { afterPack, electronBinaryPath, fuseConfig, FUSES, type FuseContext } from '../../../packaging/fuses.ts';

const work = mkdtempSync(join(tmpdir(), 'iampass-fuses-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Electron's fuse sentinel (@electron/fuses' constants, not exported by its entry point). */
const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
const ON = FuseState.ENABLE;
const OFF = FuseState.DISABLE;
/** Electron's own defaults, in wire order (RunAsNode ... WasmTrapHandlers). */
const ELECTRON_DEFAULTS = [ON, OFF, ON, ON, OFF, OFF, OFF, ON, ON];

/** Writes a stand-in binary: some bytes, the sentinel, version 1, the wire length, the wire, more bytes. */
function fakeElectron(path: string, wire: number[] = ELECTRON_DEFAULTS): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(
    path,
    Buffer.concat([
      Buffer.alloc(4096, 7),
      Buffer.from(SENTINEL),
      Buffer.from([1, wire.length, ...wire]),
      Buffer.alloc(4096, 9),
    ]),
  );
}

function context(platform: string, arch: Arch, appOutDir: string): FuseContext {
  return {
    appOutDir,
    electronPlatformName: platform,
    arch,
    packager: { appInfo: { productFilename: 'IAMPASS Admin' }, executableName: 'iampass-admin' },
  };
}

describe('FUSES', () => {
  it('turns off running as Node, NODE_OPTIONS, --inspect and file:// privileges; turns on ASAR integrity, ASAR-only and cookie encryption', () => {
    expect(FUSES[FuseV1Options.RunAsNode]).toBe(false);
    expect(FUSES[FuseV1Options.EnableNodeOptionsEnvironmentVariable]).toBe(false);
    expect(FUSES[FuseV1Options.EnableNodeCliInspectArguments]).toBe(false);
    expect(FUSES[FuseV1Options.EnableEmbeddedAsarIntegrityValidation]).toBe(true);
    expect(FUSES[FuseV1Options.OnlyLoadAppFromAsar]).toBe(true);
    expect(FUSES[FuseV1Options.EnableCookieEncryption]).toBe(true);
    expect(FUSES[FuseV1Options.GrantFileProtocolExtraPrivileges]).toBe(false);
    expect(FUSES[FuseV1Options.LoadBrowserProcessSpecificV8Snapshot]).toBe(false);
    expect(FUSES[FuseV1Options.WasmTrapHandlers]).toBe(true);
  });

  it('decides every fuse @electron/fuses knows', () => {
    const known = Object.values(FuseV1Options).filter((v): v is number => typeof v === 'number');
    expect(Object.keys(FUSES).map(Number).sort()).toEqual(known.sort());
  });

  it('is what the hook applies, strictly (a fuse left undecided fails the build), and the builder config runs the hook', () => {
    const c = fuseConfig({ electronPlatformName: 'linux', arch: Arch.x64 });
    expect(c).toMatchObject({ version: FuseVersion.V1, strictlyRequireAllFuses: true, ...FUSES });
    expect(config.afterPack).toBe(afterPack);
    // electron-builder's own fuse step stays off: one place flips fuses.
    expect(config.electronFuses).toBeUndefined();
  });

  it('re-signs ad hoc only for Apple Silicon and universal macOS apps', () => {
    expect(fuseConfig({ electronPlatformName: 'darwin', arch: Arch.arm64 }).resetAdHocDarwinSignature).toBe(true);
    expect(fuseConfig({ electronPlatformName: 'darwin', arch: Arch.universal }).resetAdHocDarwinSignature).toBe(true);
    expect(fuseConfig({ electronPlatformName: 'darwin', arch: Arch.x64 }).resetAdHocDarwinSignature).toBe(false);
    expect(fuseConfig({ electronPlatformName: 'linux', arch: Arch.arm64 }).resetAdHocDarwinSignature).toBe(false);
    expect(fuseConfig({ electronPlatformName: 'win32', arch: Arch.arm64 }).resetAdHocDarwinSignature).toBe(false);
  });
});

describe('afterPack', () => {
  it('finds the binary holding the fuses on each platform', () => {
    expect(electronBinaryPath(context('linux', Arch.x64, '/o'))).toBe(join('/o', 'iampass-admin'));
    expect(electronBinaryPath(context('win32', Arch.x64, '/o'))).toBe(join('/o', 'IAMPASS Admin.exe'));
    expect(electronBinaryPath(context('darwin', Arch.universal, '/o'))).toBe(join('/o', 'IAMPASS Admin.app'));
    expect(() => electronBinaryPath(context('freebsd', Arch.x64, '/o'))).toThrow(/unsupported platform/);
  });

  const cases = [
    ['linux', 'iampass-admin'],
    ['win32', 'IAMPASS Admin.exe'],
    ['darwin', 'IAMPASS Admin.app/Contents/Frameworks/Electron Framework.framework/Electron Framework'],
  ] as const;
  for (const [platform, binary] of cases) {
    it(`flips every fuse in a packaged ${platform} binary`, async () => {
      vi.spyOn(console, 'log').mockImplementation(() => undefined);
      const out = join(work, platform);
      fakeElectron(join(out, binary));
      const ctx = context(platform, Arch.x64, out);
      const before = await getCurrentFuseWire(electronBinaryPath(ctx));
      expect(before[FuseV1Options.RunAsNode]).toBe(ON);
      await afterPack(ctx);
      const wire = await getCurrentFuseWire(electronBinaryPath(ctx));
      expect(wire[FuseV1Options.RunAsNode]).toBe(OFF);
      expect(wire[FuseV1Options.EnableCookieEncryption]).toBe(ON);
      expect(wire[FuseV1Options.EnableNodeOptionsEnvironmentVariable]).toBe(OFF);
      expect(wire[FuseV1Options.EnableNodeCliInspectArguments]).toBe(OFF);
      expect(wire[FuseV1Options.EnableEmbeddedAsarIntegrityValidation]).toBe(ON);
      expect(wire[FuseV1Options.OnlyLoadAppFromAsar]).toBe(ON);
      expect(wire[FuseV1Options.LoadBrowserProcessSpecificV8Snapshot]).toBe(OFF);
      expect(wire[FuseV1Options.GrantFileProtocolExtraPrivileges]).toBe(OFF);
      expect(wire[FuseV1Options.WasmTrapHandlers]).toBe(ON);
    });
  }

  it('fails the build when the binary has a fuse this project has not decided', async () => {
    const out = join(work, 'newer');
    fakeElectron(join(out, 'iampass-admin'), [...ELECTRON_DEFAULTS, ON]);
    await expect(afterPack(context('linux', Arch.x64, out))).rejects.toThrow(/strictlyRequireAllFuses/);
  });

  it('fails the build when the binary has no fuse wire', async () => {
    const out = join(work, 'nowire');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'iampass-admin'), Buffer.alloc(1024));
    await expect(afterPack(context('linux', Arch.x64, out))).rejects.toThrow(/sentinel/);
  });
});
