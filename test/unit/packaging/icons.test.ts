/**
 * The committed icons (build/) are the current rendering of build/icon.svg:
 * the manifest's hashes match the SVG and every file, the containers parse
 * with the sizes each platform needs, and the ICO's raw pixels match a fresh
 * rendering of the SVG. After editing the SVG: `npm run icons`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BUILD_DIR,
  generateIcons,
  ICNS_TYPES,
  ICO_SIZES,
  LINUX_SIZES,
  MANIFEST,
  render,
  sha256,
  SVG_SOURCE,
  type IconManifest,
} from '../../../packaging/icons.ts';

const svg = readFileSync(SVG_SOURCE);
const manifest = JSON.parse(readFileSync(MANIFEST, 'utf8')) as IconManifest;
const read = (name: string) => readFileSync(join(BUILD_DIR, '..', name));

function pngSize(png: Buffer): [number, number] {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  expect(png.toString('latin1', 12, 16)).toBe('IHDR');
  return [png.readUInt32BE(16), png.readUInt32BE(20)];
}

describe('application icons', () => {
  it('were generated from the current build/icon.svg (else run `npm run icons`)', () => {
    expect(manifest.sha256, 'build/icon.svg changed since the icons were generated: run `npm run icons`').toBe(
      sha256(svg),
    );
  });

  it('every generated file is in build/ as generated', () => {
    const expected = [...generateIcons(svg).keys()].map((n) => `build/${n}`).sort();
    expect(Object.keys(manifest.files).sort()).toEqual(expected);
    for (const [name, hash] of Object.entries(manifest.files)) expect(sha256(read(name)), name).toBe(hash);
  });

  it('Linux: one PNG per hicolor size', () => {
    for (const s of LINUX_SIZES) expect(pngSize(read(`build/icons/${String(s)}x${String(s)}.png`))).toEqual([s, s]);
  });

  it('macOS: the ICNS holds PNG elements from 16 px to 1024 px', () => {
    const icns = read('build/icon.icns');
    expect(icns.toString('latin1', 0, 4)).toBe('icns');
    expect(icns.readUInt32BE(4)).toBe(icns.length);
    const found: [string, number][] = [];
    for (let at = 8; at < icns.length;) {
      const type = icns.toString('latin1', at, at + 4);
      const length = icns.readUInt32BE(at + 4);
      const [w, h] = pngSize(icns.subarray(at + 8, at + length));
      expect(w).toBe(h);
      found.push([type, w]);
      at += length;
    }
    expect(found).toEqual(ICNS_TYPES.map(([t, s]) => [t, s]));
  });

  it('Windows: the ICO holds 16-256 px, 32-bit images whose pixels are the SVG rendering', () => {
    const ico = read('build/icon.ico');
    expect([ico.readUInt16LE(0), ico.readUInt16LE(2), ico.readUInt16LE(4)]).toEqual([0, 1, ICO_SIZES.length]);
    ICO_SIZES.forEach((size, i) => {
      const e = 6 + 16 * i;
      expect(ico.readUInt8(e), `width of entry ${String(i)}`).toBe(size === 256 ? 0 : size);
      expect(ico.readUInt16LE(e + 6)).toBe(32);
      const image = ico.subarray(ico.readUInt32LE(e + 12), ico.readUInt32LE(e + 12) + ico.readUInt32LE(e + 8));
      if (size === 256) {
        expect(pngSize(image)).toEqual([256, 256]);
        return;
      }
      // BITMAPINFOHEADER: 40 bytes, width, doubled height (image + mask), 32 bpp; rows bottom-up, BGRA.
      expect([image.readUInt32LE(0), image.readInt32LE(4), image.readInt32LE(8), image.readUInt16LE(14)]).toEqual([
        40,
        size,
        size * 2,
        32,
      ]);
      const fresh = render(svg, size).rgba;
      let worst = 0;
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          const d = 40 + ((size - 1 - y) * size + x) * 4;
          const s = (y * size + x) * 4;
          const bgra = [image[d + 2]!, image[d + 1]!, image[d]!, image[d + 3]!];
          for (let c = 0; c < 4; c++) worst = Math.max(worst, Math.abs(bgra[c]! - fresh[s + c]!));
        }
      }
      expect(worst, `${String(size)} px differs from the SVG rendering`).toBeLessThanOrEqual(3);
      // A corner is transparent (and masked), the shield is opaque white.
      const maskStride = Math.ceil(size / 32) * 4;
      const maskRowTop = 40 + size * size * 4 + (size - 1) * maskStride;
      expect(image[40 + (size - 1) * size * 4 + 3]).toBe(0);
      expect(image[maskRowTop]! & 0x80).toBe(0x80);
      const sx = Math.floor(size / 2);
      const sy = Math.floor((size * 300) / 1024);
      const d = 40 + ((size - 1 - sy) * size + sx) * 4;
      expect([...image.subarray(d, d + 4)]).toEqual([255, 255, 255, 255]);
    });
  });
});
