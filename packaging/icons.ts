/**
 * The application icons, generated from one source, build/icon.svg:
 *   build/icons/NxN.png Linux (AppImage, deb: hicolor sizes)
 *   build/icon.icns     macOS (PNG entries, 16-1024 px incl. @2x)
 *   build/icon.ico      Windows (32-bit BMP entries up to 128 px, PNG at 256 px)
 *   build/icons.json    the SVG's and every output's SHA-256 (checked by test/unit/packaging/icons.test.ts)
 *
 * Rendering is @resvg/resvg-js (no system fonts or tools involved: the SVG has
 * no text); the ICNS and ICO containers are written here, they only wrap the
 * rendered images. The outputs are committed: `npm run dist` needs no
 * generation step, and the test fails when the SVG changed without them.
 *
 *   npm run icons
 */
import { Resvg } from '@resvg/resvg-js';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const BUILD_DIR = resolve(import.meta.dirname, '../build');
export const SVG_SOURCE = join(BUILD_DIR, 'icon.svg');
export const MANIFEST = join(BUILD_DIR, 'icons.json');

export const LINUX_SIZES = [16, 24, 32, 48, 64, 128, 256, 512, 1024] as const;
export const ICO_SIZES = [16, 24, 32, 48, 64, 128, 256] as const;
/** ICNS element types and their pixel sizes (Apple's iconutil set, PNG payloads). */
export const ICNS_TYPES = [
  ['icp4', 16],
  ['ic11', 32],
  ['icp5', 32],
  ['ic12', 64],
  ['ic07', 128],
  ['ic13', 256],
  ['ic08', 256],
  ['ic14', 512],
  ['ic09', 512],
  ['ic10', 1024],
] as const;

export interface Raster {
  size: number;
  png: Buffer;
  /** Straight (not premultiplied) RGBA, top row first. */
  rgba: Buffer;
}

export function render(svg: string | Buffer, size: number): Raster {
  const image = new Resvg(svg, { fitTo: { mode: 'width', value: size }, background: 'rgba(0,0,0,0)' }).render();
  if (image.width !== size || image.height !== size)
    throw new Error(`icon: rendered ${String(image.width)}x${String(image.height)}, expected ${String(size)}`);
  // resvg's pixels are premultiplied; BMP icon entries want straight alpha.
  const rgba = Buffer.from(image.pixels);
  for (let i = 0; i < rgba.length; i += 4) {
    const a = rgba[i + 3]!;
    if (a === 0 || a === 255) continue;
    for (let c = 0; c < 3; c++) rgba[i + c] = Math.min(255, Math.round((rgba[i + c]! * 255) / a));
  }
  return { size, png: Buffer.from(image.asPng()), rgba };
}

/** Apple Icon Image: 'icns', total length, then (type, length incl. 8-byte header, PNG) per element. */
export function icns(entries: readonly { type: string; png: Buffer }[]): Buffer {
  const parts = entries.map(({ type, png }) => {
    if (!/^[\x20-\x7e]{4}$/.test(type)) throw new Error(`icns: bad element type ${type}`);
    const header = Buffer.alloc(8);
    header.write(type, 0, 'latin1');
    header.writeUInt32BE(png.length + 8, 4);
    return Buffer.concat([header, png]);
  });
  const header = Buffer.alloc(8);
  header.write('icns', 0, 'latin1');
  header.writeUInt32BE(8 + parts.reduce((n, p) => n + p.length, 0), 4);
  return Buffer.concat([header, ...parts]);
}

/** A 32-bit BGRA DIB as stored in an .ico: header with doubled height, bottom-up rows, then the 1-bit AND mask. */
function dib(raster: Raster): Buffer {
  const { size, rgba } = raster;
  const header = Buffer.alloc(40);
  header.writeUInt32LE(40, 0);
  header.writeInt32LE(size, 4);
  header.writeInt32LE(size * 2, 8);
  header.writeUInt16LE(1, 12);
  header.writeUInt16LE(32, 14);
  header.writeUInt32LE(0, 16);
  header.writeUInt32LE(size * size * 4, 20);
  const pixels = Buffer.alloc(size * size * 4);
  const maskStride = Math.ceil(size / 32) * 4;
  const mask = Buffer.alloc(maskStride * size);
  for (let y = 0; y < size; y++) {
    const row = size - 1 - y;
    for (let x = 0; x < size; x++) {
      const s = (y * size + x) * 4;
      const d = (row * size + x) * 4;
      pixels[d] = rgba[s + 2]!;
      pixels[d + 1] = rgba[s + 1]!;
      pixels[d + 2] = rgba[s]!;
      pixels[d + 3] = rgba[s + 3]!;
      if (rgba[s + 3] === 0) mask[row * maskStride + (x >> 3)]! |= 0x80 >> (x & 7);
    }
  }
  return Buffer.concat([header, pixels, mask]);
}

/** Windows icon: ICONDIR, one ICONDIRENTRY per image, then the images (DIB below 256 px, PNG at 256 px). */
export function ico(rasters: readonly Raster[]): Buffer {
  const images = rasters.map((r) => (r.size >= 256 ? r.png : dib(r)));
  const dir = Buffer.alloc(6 + 16 * rasters.length);
  dir.writeUInt16LE(0, 0);
  dir.writeUInt16LE(1, 2);
  dir.writeUInt16LE(rasters.length, 4);
  let offset = dir.length;
  rasters.forEach((r, i) => {
    const e = 6 + 16 * i;
    dir.writeUInt8(r.size >= 256 ? 0 : r.size, e);
    dir.writeUInt8(r.size >= 256 ? 0 : r.size, e + 1);
    dir.writeUInt8(0, e + 2);
    dir.writeUInt8(0, e + 3);
    dir.writeUInt16LE(1, e + 4);
    dir.writeUInt16LE(32, e + 6);
    dir.writeUInt32LE(images[i]!.length, e + 8);
    dir.writeUInt32LE(offset, e + 12);
    offset += images[i]!.length;
  });
  return Buffer.concat([dir, ...images]);
}

export const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

/** Every output file (relative to build/) and its bytes. */
export function generateIcons(svg: Buffer): Map<string, Buffer> {
  const sizes = new Set<number>([...LINUX_SIZES, ...ICO_SIZES, ...ICNS_TYPES.map(([, s]) => s)]);
  const rasters = new Map([...sizes].map((s) => [s, render(svg, s)]));
  const at = (s: number) => rasters.get(s)!;
  const files = new Map<string, Buffer>();
  for (const s of LINUX_SIZES) files.set(`icons/${String(s)}x${String(s)}.png`, at(s).png);
  files.set('icon.icns', icns(ICNS_TYPES.map(([type, s]) => ({ type, png: at(s).png }))));
  files.set('icon.ico', ico(ICO_SIZES.map(at)));
  return files;
}

export interface IconManifest {
  source: string;
  sha256: string;
  generator: string;
  files: Record<string, string>;
}

export function manifestFor(svg: Buffer, files: Map<string, Buffer>): IconManifest {
  const resvg = JSON.parse(
    readFileSync(join(import.meta.dirname, '../node_modules/@resvg/resvg-js/package.json'), 'utf8'),
  ) as {
    version: string;
  };
  return {
    source: 'build/icon.svg',
    sha256: sha256(svg),
    generator: `packaging/icons.ts with @resvg/resvg-js ${resvg.version}`,
    files: Object.fromEntries([...files].map(([name, data]) => [`build/${name}`, sha256(data)])),
  };
}

if (import.meta.main) {
  const svg = readFileSync(SVG_SOURCE);
  const files = generateIcons(svg);
  mkdirSync(join(BUILD_DIR, 'icons'), { recursive: true });
  for (const [name, data] of files) writeFileSync(join(BUILD_DIR, name), data);
  writeFileSync(MANIFEST, `${JSON.stringify(manifestFor(svg, files), null, 2)}\n`);
  console.log(`icons: ${String(files.size)} files from build/icon.svg -> build/ (manifest build/icons.json)`);
}
