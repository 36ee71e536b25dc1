/**
 * `npm run dist` stops at once, with a message, when Electron's binaries can
 * be neither found in the cache nor downloaded; the probe itself with an
 * injected fetch and cache folder; and the real script against a loopback
 * port nobody listens on.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  cacheRoots,
  DEFAULT_MIRROR,
  downloadUrl,
  electronArtifacts,
  probeElectron,
  type ProbeOptions,
} from '../../../packaging/electron-probe.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const work = mkdtempSync(join(tmpdir(), 'iampass-probe-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const refused = Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
function options(over: Partial<ProbeOptions> = {}): ProbeOptions {
  return {
    version: '45.4.1',
    platform: 'linux',
    archs: ['x64'],
    env: { XDG_CACHE_HOME: join(work, 'empty-cache') },
    home: work,
    fetch: () => Promise.reject(refused),
    ...over,
  };
}

describe('the Electron download probe', () => {
  it('names one zip per architecture; universal means x64 and arm64', () => {
    expect(electronArtifacts('45.4.1', 'linux', ['x64'])).toEqual(['electron-v45.4.1-linux-x64.zip']);
    expect(electronArtifacts('45.4.1', 'darwin', ['universal'])).toEqual([
      'electron-v45.4.1-darwin-x64.zip',
      'electron-v45.4.1-darwin-arm64.zip',
    ]);
  });

  it('looks where @electron/get caches, and honours its overrides', () => {
    expect(cacheRoots({}, 'linux', '/h')).toEqual([join('/h', '.cache', 'electron')]);
    expect(cacheRoots({ XDG_CACHE_HOME: '/x' }, 'linux', '/h')).toEqual([join('/x', 'electron')]);
    expect(cacheRoots({}, 'darwin', '/h')).toEqual([join('/h', 'Library', 'Caches', 'electron')]);
    expect(cacheRoots({ LOCALAPPDATA: 'C:\\L' }, 'win32', '/h')).toEqual([join('C:\\L', 'electron', 'Cache')]);
    expect(cacheRoots({ electron_config_cache: '/c' }, 'linux', '/h')[0]).toBe('/c');
    expect(downloadUrl('45.4.1', 'e.zip', {})).toBe(`${DEFAULT_MIRROR}v45.4.1/e.zip`);
    expect(
      downloadUrl('45.4.1', 'e.zip', { ELECTRON_MIRROR: 'https://m.example/e', ELECTRON_CUSTOM_DIR: '{{ version }}' }),
    ).toBe('https://m.example/e/45.4.1/e.zip');
  });

  it('passes without any request when every zip is cached', async () => {
    const cache = join(work, 'cache');
    for (const arch of ['x64', 'arm64']) {
      mkdirSync(join(cache, 'electron', 'abc123'), { recursive: true });
      writeFileSync(join(cache, 'electron', 'abc123', `electron-v45.4.1-darwin-${arch}.zip`), 'zip');
    }
    let requests = 0;
    const result = await probeElectron(
      options({
        platform: 'darwin',
        archs: ['universal'],
        env: { electron_config_cache: join(cache, 'electron') },
        fetch: () => (requests++, Promise.reject(refused)),
      }),
    );
    expect(result).toMatchObject({ ok: true, via: 'cache' });
    expect(requests).toBe(0);
  });

  it('passes when the download location answers (a redirect to the file counts)', async () => {
    const seen: { url: string; init: RequestInit | undefined }[] = [];
    const result = await probeElectron(
      options({
        fetch: (url, init) => (
          seen.push({ url: url instanceof Request ? url.url : url.toString(), init }),
          Promise.resolve(new Response(null, { status: 302 }))
        ),
      }),
    );
    expect(result).toMatchObject({ ok: true, via: 'network' });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.url).toBe(`${DEFAULT_MIRROR}v45.4.1/electron-v45.4.1-linux-x64.zip`);
    expect(seen[0]!.init).toMatchObject({ method: 'HEAD', redirect: 'manual' });
    expect(seen[0]!.init?.signal).toBeInstanceOf(AbortSignal);
  });

  it('fails with a message saying Electron must be downloadable when offline', async () => {
    const result = await probeElectron(options());
    expect(result.ok).toBe(false);
    const message = (result as { message: string }).message;
    expect(message).toMatch(/Electron's binaries must be downloadable/);
    expect(message).toContain('electron-v45.4.1-linux-x64.zip');
    expect(message).toContain('ECONNREFUSED');
    expect(message).toContain('IAMPASS_DIST_SKIP_PROBE=1');
    expect(message).toContain('ELECTRON_MIRROR');
  });

  it('fails on an HTTP error, and within the time limit when nothing answers', async () => {
    const notFound = await probeElectron(
      options({ fetch: () => Promise.resolve(new Response(null, { status: 404 })) }),
    );
    expect((notFound as { message: string }).message).toContain('HTTP 404');
    const hang: typeof fetch = (_url, init) =>
      new Promise((_resolve, reject) =>
        init?.signal?.addEventListener('abort', () => reject(init.signal!.reason as Error)),
      );
    const t0 = Date.now();
    const silent = await probeElectron(options({ fetch: hang, timeoutMs: 300 }));
    expect(Date.now() - t0).toBeLessThan(3000);
    expect((silent as { message: string }).message).toContain('no answer within 0.3 s');
  });
});

describe('npm run dist offline', () => {
  it('exits 1 at once with the message, before building anything', async () => {
    const server = createServer();
    const port = await new Promise<number>((r) =>
      server.listen(0, '127.0.0.1', () => r((server.address() as { port: number }).port)),
    );
    await new Promise((r) => server.close(r));
    const t0 = Date.now();
    const run = spawnSync(process.execPath, [join(ROOT, 'packaging/dist.ts')], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
      env: {
        PATH: process.env['PATH'],
        HOME: work,
        XDG_CACHE_HOME: join(work, 'no-cache'),
        ELECTRON_MIRROR: `http://127.0.0.1:${String(port)}/`,
      },
    });
    expect(run.status, run.stderr).toBe(1);
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(run.stderr).toMatch(/Electron's binaries must be downloadable/);
    expect(run.stderr).toContain(`http://127.0.0.1:${String(port)}/v`);
    expect(run.stdout).not.toMatch(/vite|electron-builder/);
  });
});
