/**
 * Builds the app once (electron-vite build) unless scripts/test.mjs already
 * did (it sets IAMPASS_BUILT=1). Used as the E2E project's globalSetup and by
 * unit tests that inspect the built bundles.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');
export const RENDERER_DIR = resolve(ROOT, 'out/renderer');
export const PRELOAD_DIR = resolve(ROOT, 'out/preload');

export function ensureBuilt(): void {
  if (process.env['IAMPASS_BUILT'] === '1' && existsSync(resolve(RENDERER_DIR, 'index.html'))) return;
  const bin = resolve(ROOT, 'node_modules/.bin/electron-vite');
  const run = spawnSync(bin, ['build'], { cwd: ROOT, stdio: 'pipe', encoding: 'utf8', timeout: 120_000 });
  if (run.status !== 0)
    throw new Error(`electron-vite build failed (exit ${run.status ?? run.signal}):\n${run.stdout}\n${run.stderr}`);
  process.env['IAMPASS_BUILT'] = '1';
}

export default function setup(): void {
  ensureBuilt();
}
