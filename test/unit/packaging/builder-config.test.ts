/**
 * electron-builder.config.ts against electron-builder's own schema
 * (app-builder-lib/scheme.json), with electron-builder's own validator (the
 * one `npm run dist` runs first) and with a strict pass of the same schema
 * (app-builder-lib's ajv, no type coercion). Also the decisions the config
 * encodes: targets, files, keytar outside the ASAR, no signing identity.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import config, { APP_ID, createConfig, needsNativeRebuild, PRODUCT_NAME } from '../../../electron-builder.config.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
// app-builder-lib as electron-builder resolves it.
const fromBuilder = createRequire(createRequire(import.meta.url).resolve('electron-builder'));
const appBuilderLib = fromBuilder.resolve('app-builder-lib/package.json');
const fromLib = createRequire(appBuilderLib);
const { validateConfiguration } = fromLib('./out/util/config/config.js') as {
  validateConfiguration: (config: unknown, debugLogger: { isEnabled: boolean; add: () => void }) => Promise<void>;
};
const schema = JSON.parse(readFileSync(join(appBuilderLib, '..', 'scheme.json'), 'utf8')) as object;

type Validate = ((data: unknown) => boolean) & { errors?: { instancePath: string; message?: string }[] | null };
interface AjvInstance {
  compile(s: object): Validate;
  addKeyword(k: { keyword: string; validate: (schema: unknown, data: unknown) => boolean }): void;
}
const Ajv = (fromLib('ajv') as { default: new (o: object) => AjvInstance }).default;
const ajv = new Ajv({ allErrors: true, strict: false });
// The schema's own keyword for hooks (`{ "typeof": "function" }`), which electron-builder's validator ignores.
ajv.addKeyword({ keyword: 'typeof', validate: (expected, data) => typeof data === expected });
const strict = ajv.compile(schema);

const debugLogger = { isEnabled: false, add: () => undefined };
const validate = (c: unknown) => validateConfiguration(c, debugLogger);

describe('electron-builder configuration', () => {
  it("passes electron-builder's own validation", async () => {
    await expect(validate(createConfig())).resolves.toBeUndefined();
    for (const host of [
      { platform: 'linux', arch: 'x64' },
      { platform: 'darwin', arch: 'arm64' },
      { platform: 'win32', arch: 'x64' },
    ] as const) {
      await expect(validate(createConfig(host))).resolves.toBeUndefined();
    }
  });

  it('passes the schema strictly: no type coercion, hooks must be functions', () => {
    const ok = strict(config);
    expect(strict.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('the validators do reject a wrong configuration', async () => {
    await expect(validate({ ...createConfig(), notAnOption: true })).rejects.toThrow(/notAnOption/);
    // electron-builder's validator coerces types and ignores `typeof`: the strict pass catches these.
    for (const wrong of [
      { linux: { target: 42 } },
      { afterPack: 5 },
      { npmRebuild: 'false' },
      { mac: { hardenedRuntime: 'yes' } },
    ]) {
      expect(strict({ ...createConfig(), ...wrong }), JSON.stringify(wrong)).toBe(false);
    }
  });

  it('builds AppImage and deb on Linux, a universal dmg on macOS, NSIS on Windows', () => {
    expect(config.appId).toBe(APP_ID);
    expect(config.productName).toBe(PRODUCT_NAME);
    expect(config.linux?.target).toEqual([
      { target: 'AppImage', arch: ['x64'] },
      { target: 'deb', arch: ['x64'] },
    ]);
    expect(config.mac?.target).toEqual([{ target: 'dmg', arch: ['universal'] }]);
    expect(config.win?.target).toEqual([{ target: 'nsis', arch: ['x64'] }]);
    expect(config.publish).toBeNull();
  });

  it('uses the generated icons', () => {
    expect(config.linux?.icon).toBe('build/icons');
    expect(config.mac?.icon).toBe('build/icon.icns');
    expect(config.win?.icon).toBe('build/icon.ico');
  });

  it('packages only the build, package.json and runtime modules, with keytar unpacked from the ASAR', () => {
    const files = config.files as string[];
    expect(files.filter((f) => !f.startsWith('!'))).toEqual(['out/**/*', 'package.json']);
    expect(files).toContain('!out/**/*.map');
    expect(config.asar).toBe(true);
    expect(config.asarUnpack).toEqual(['node_modules/keytar/**/*']);
  });

  it('keytar is N-API, so it is rebuilt only for an architecture other than the build machine', () => {
    const keytar = JSON.parse(readFileSync(join(ROOT, 'node_modules/keytar/package.json'), 'utf8')) as {
      binary?: { napi_versions?: number[] };
    };
    expect(keytar.binary?.napi_versions).toContain(3);
    expect(readFileSync(join(ROOT, 'node_modules/keytar/binding.gyp'), 'utf8')).toMatch(/NAPI_VERSION=/);
    expect(needsNativeRebuild('linux', 'x64')).toBe(false);
    expect(needsNativeRebuild('win32', 'x64')).toBe(false);
    expect(needsNativeRebuild('linux', 'arm64')).toBe(true);
    // A universal app holds the other architecture too.
    expect(needsNativeRebuild('darwin', 'arm64')).toBe(true);
    expect(needsNativeRebuild('darwin', 'x64')).toBe(true);
    expect(createConfig({ platform: 'linux', arch: 'x64' }).npmRebuild).toBe(false);
    expect(createConfig({ platform: 'darwin', arch: 'arm64' }).npmRebuild).toBe(true);
  });

  it('names no signing identity or credential: signing comes from the environment only', () => {
    const text = JSON.stringify(config);
    for (const key of ['cscLink', 'cscKeyPassword', 'identity', 'certificateFile', 'certificatePassword', 'appleId']) {
      expect(text).not.toContain(`"${key}"`);
    }
  });
});
