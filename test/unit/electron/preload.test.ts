import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { CSP } from '../../../src/main/electron/security.ts';
import { BRIDGE_GLOBAL, type BridgeApi } from '../../../src/shared/ipc/contract.ts';
import { ensureBuilt, PRELOAD_DIR, RENDERER_DIR } from '../../e2e/build.ts';

const exposed = new Map<string, unknown>();
const invoked: [string, unknown][] = [];
const listeners = new Map<string, ((...a: unknown[]) => void)[]>();
vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, api: unknown) => void exposed.set(key, api) },
  ipcRenderer: {
    invoke: (channel: string, payload: unknown) => (
      invoked.push([channel, payload]),
      Promise.resolve({ ok: true, value: 'pong' })
    ),
    on: (channel: string, l: (...a: unknown[]) => void) =>
      void listeners.set(channel, [...(listeners.get(channel) ?? []), l]),
    removeListener: (channel: string, l: (...a: unknown[]) => void) =>
      void listeners.set(
        channel,
        (listeners.get(channel) ?? []).filter((x) => x !== l),
      ),
  },
}));

describe('preload source', () => {
  it('exposes { invoke, on } under window.iampass, forwarding contract channels only', async () => {
    await import('../../../src/preload/index.ts');
    const api = exposed.get(BRIDGE_GLOBAL) as BridgeApi;
    expect(Object.keys(api).sort()).toEqual(['invoke', 'on']);
    expect(await api.invoke('app.info', {})).toEqual({ ok: true, value: 'pong' });
    expect(invoked).toEqual([['app.info', {}]]);
    await expect(api.invoke('evil.channel' as 'app.info', {})).rejects.toThrow('Unknown channel');
    expect(invoked).toHaveLength(1);
    expect(() => api.on('evil.event' as 'app.ready', () => undefined)).toThrow('Unknown event');
  });

  it('on() delivers the payload without the IPC event object and unsubscribes', async () => {
    await import('../../../src/preload/index.ts');
    const api = exposed.get(BRIDGE_GLOBAL) as BridgeApi;
    const got: unknown[] = [];
    const off = api.on('app.ready', (p) => got.push(p));
    for (const l of listeners.get('app.ready') ?? []) l({ sender: 'ipc-event' }, { at: 1 });
    off();
    expect(listeners.get('app.ready')).toEqual([]);
    expect(got).toEqual([{ at: 1 }]);
  });
});

describe('built preload bundle (out/preload)', () => {
  beforeAll(() => ensureBuilt(), 120_000);

  it('is CommonJS and requires nothing but electron', () => {
    const files = readdirSync(PRELOAD_DIR, { recursive: true, encoding: 'utf8' }).filter((f) => /\.[cm]?js$/.test(f));
    expect(files).toContain('index.cjs');
    for (const file of files) {
      const code = readFileSync(join(PRELOAD_DIR, file), 'utf8');
      const required = [...code.matchAll(/\brequire\s*\(\s*(['"`])([^'"`]+)\1\s*\)/g)].map((m) => m[2]);
      expect(required, file).toEqual(['electron']);
      // No ES module syntax, no dynamic import, no other chunks: a sandboxed preload can load none of them.
      expect(code, file).not.toMatch(/^\s*import\s|^\s*export\s|\bimport\s*\(/m);
      expect(code, file).not.toMatch(/\brequire\s*\(\s*[^'"`\s]/);
    }
    expect(files).toEqual(['index.cjs']);
  });
});

describe('built renderer (out/renderer/index.html)', () => {
  beforeAll(() => ensureBuilt(), 120_000);

  it('carries the strict CSP as a meta tag and has no inline script, handler or style', () => {
    const html = readFileSync(join(RENDERER_DIR, 'index.html'), 'utf8');
    const metas = [...html.matchAll(/<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]*)"/gi)].map(
      (m) => m[1]!,
    );
    expect(metas).toHaveLength(1);
    const directives = (policy: string) =>
      policy
        .split(';')
        .map((d) => d.trim())
        .filter(Boolean)
        .sort();
    // A meta policy cannot carry frame-ancestors; every other directive is the one main sends as a header.
    expect(directives(metas[0]!)).toEqual(directives(CSP).filter((d) => !d.startsWith('frame-ancestors')));
    expect(metas[0]).not.toMatch(/unsafe-(eval|inline|hashes)|'nonce-|'sha(256|384|512)-|\*/);
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attrs, body] of scripts) {
      expect(attrs).toMatch(/\bsrc="\.\/assets\/[^"]+\.js"/);
      expect(body!.trim()).toBe('');
    }
    expect(html).not.toMatch(/<style\b|\sstyle=|\son[a-z]+=|javascript:/i);
  });
});
