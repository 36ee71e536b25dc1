/** src/main/index.ts wires the real `electron` module (mocked here) into start(). */
import { describe, expect, it, vi } from 'vitest';
import { REQUEST_CHANNELS } from '../../../src/shared/ipc/contract.ts';
import { createFakeElectron } from './fake-electron.ts';

const fake = createFakeElectron();
vi.mock('electron', () => fake.electron);

describe('src/main/index.ts', () => {
  it('takes the lock, registers every channel and opens the built renderer with the CommonJS preload', async () => {
    await import('../../../src/main/index.ts');
    expect(fake.calls.lock).toBe(1);
    expect([...fake.handlers.keys()].sort()).toEqual([...REQUEST_CHANNELS].sort());
    await fake.ready();
    await new Promise((r) => setTimeout(r, 0));
    const win = fake.windows[0]!;
    const prefs = (win.options as { webPreferences: { preload: string; sandbox: boolean } }).webPreferences;
    expect(prefs.preload).toMatch(/[/\\]preload[/\\]index\.cjs$/);
    expect(prefs.sandbox).toBe(true);
    expect(win.loaded).toMatch(/^file:.*[/\\]renderer[/\\]index\.html$/);
  });
});
