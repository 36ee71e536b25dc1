/**
 * Before `npm run dist` builds anything: can electron-builder get Electron's
 * binaries for this OS's targets? Either every zip is already in
 * @electron/get's cache, or one bounded HEAD request (a few seconds) reaches
 * the download location. Otherwise `npm run dist` stops at once with a
 * message instead of failing deep inside electron-builder.
 */
import { readdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const DEFAULT_MIRROR = 'https://github.com/electron/electron/releases/download/';
export const PROBE_TIMEOUT_MS = 5000;

export type Env = Readonly<Record<string, string | undefined>>;

/** The Electron zips electron-builder downloads: one per architecture (a universal app needs x64 and arm64). */
export function electronArtifacts(version: string, platform: NodeJS.Platform, archs: readonly string[]): string[] {
  const expanded = [...new Set(archs.flatMap((a) => (a === 'universal' ? ['x64', 'arm64'] : [a])))];
  return expanded.map((arch) => `electron-v${version}-${platform}-${arch}.zip`);
}

/** Where @electron/get keeps downloads: `electron_config_cache`, else its per-OS default (as env-paths computes it). */
export function cacheRoots(env: Env, platform: NodeJS.Platform = process.platform, home: string = homedir()): string[] {
  const roots: string[] = [];
  if (env['electron_config_cache']) roots.push(env['electron_config_cache']);
  if (platform === 'darwin') roots.push(join(home, 'Library', 'Caches', 'electron'));
  else if (platform === 'win32')
    roots.push(join(env['LOCALAPPDATA'] ?? join(home, 'AppData', 'Local'), 'electron', 'Cache'));
  else roots.push(join(env['XDG_CACHE_HOME'] || join(home, '.cache'), 'electron'));
  return roots;
}

/** The artifacts not found in any cache root (@electron/get stores `<root>/<hash of the URL>/<file>`). */
export function missingFromCache(roots: readonly string[], artifacts: readonly string[]): string[] {
  const isFile = (p: string) => {
    try {
      return statSync(p).isFile() && statSync(p).size > 0;
    } catch {
      return false;
    }
  };
  const dirs = roots.flatMap((root) => {
    try {
      return [
        root,
        ...readdirSync(root, { withFileTypes: true })
          .filter((d) => d.isDirectory())
          .map((d) => join(root, d.name)),
      ];
    } catch {
      return [];
    }
  });
  return artifacts.filter((name) => !dirs.some((dir) => isFile(join(dir, name))));
}

export function downloadUrl(version: string, artifact: string, env: Env): string {
  let mirror = env['ELECTRON_MIRROR'] || DEFAULT_MIRROR;
  if (!mirror.endsWith('/')) mirror += '/';
  const dir = env['ELECTRON_CUSTOM_DIR']?.replace(/\{\{\s*version\s*\}\}/g, version) || `v${version}`;
  return `${mirror}${dir}/${artifact}`;
}

export type ProbeResult = { ok: true; via: 'cache' | 'network'; detail: string } | { ok: false; message: string };

export interface ProbeOptions {
  version: string;
  platform: NodeJS.Platform;
  archs: readonly string[];
  env: Env;
  fetch?: typeof fetch;
  timeoutMs?: number;
  home?: string;
}

export async function probeElectron(options: ProbeOptions): Promise<ProbeResult> {
  const { version, platform, archs, env } = options;
  const artifacts = electronArtifacts(version, platform, archs);
  const roots = cacheRoots(env, platform, options.home);
  const missing = missingFromCache(roots, artifacts);
  if (missing.length === 0) return { ok: true, via: 'cache', detail: `${artifacts.join(', ')} in ${roots.join(', ')}` };

  const url = downloadUrl(version, missing[0]!, env);
  const timeoutMs = options.timeoutMs ?? PROBE_TIMEOUT_MS;
  let problem: string;
  try {
    const response = await (options.fetch ?? fetch)(url, {
      method: 'HEAD',
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (response.status < 400)
      return { ok: true, via: 'network', detail: `${url} answered ${String(response.status)}` };
    problem = `it answered HTTP ${String(response.status)}`;
  } catch (error) {
    const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
    problem =
      e.name === 'TimeoutError' || e.name === 'AbortError'
        ? `no answer within ${String(timeoutMs / 1000)} s`
        : (e.cause?.code ?? e.cause?.message ?? e.message ?? String(error));
  }
  return {
    ok: false,
    message: [
      `npm run dist: Electron's binaries must be downloadable to build installers, and they are not.`,
      `  needed: ${missing.join(', ')} (Electron ${version} for ${platform})`,
      `  not in the cache: ${roots.join(', ')}`,
      `  not reachable: ${url} (${problem})`,
      `Run it where that address is reachable (electron-builder also downloads its packaging tools then), or set`,
      `ELECTRON_MIRROR to a reachable mirror, or put the zips in the cache (see docs/release.md).`,
      `IAMPASS_DIST_SKIP_PROBE=1 skips this check.`,
    ].join('\n'),
  };
}
