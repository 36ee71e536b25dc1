import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { openStore } from '../../../src/main/store/db.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'iampass-crash-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const BATCH = 500;
const KILL_AFTER_ACKS = 40;

it('SIGKILL in the middle of a 100,000-row import leaves every acknowledged batch and no half batch', async () => {
  const path = join(dir, 'admin.sqlite');
  const child = spawn(process.execPath, [join(import.meta.dirname, 'import-child.ts'), path, String(BATCH)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const acked: number[] = [];
  let done = false;
  const exit = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  let buffer = '';
  child.stdout.on('data', (d: Buffer) => {
    buffer += d.toString();
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      const m = /^ACK (\d+) (\d+)$/.exec(line);
      if (m) {
        acked.push(Number(m[2]));
        if (acked.length === KILL_AFTER_ACKS) child.kill('SIGKILL');
      }
      if (line === 'DONE') done = true;
    }
  });
  const signal = await exit;
  expect(stderr).toBe('');
  expect(done).toBe(false);
  expect(signal).toBe('SIGKILL');
  expect(acked.length).toBeGreaterThanOrEqual(KILL_AFTER_ACKS);
  const lastAcked = acked[acked.length - 1]!;
  expect(lastAcked).toBeLessThan(100_000);

  const store = openStore(path);
  try {
    expect(store.db.prepare('PRAGMA integrity_check').all()).toEqual([{ integrity_check: 'ok' }]);
    const count = (
      store.db.prepare("SELECT count(*) AS n FROM users WHERE profile_id = 'crash'").get() as { n: number }
    ).n;
    // Every acknowledged batch is there; at most the batch in flight at the
    // kill (committed but not yet acknowledged) is there too, and only whole.
    expect(count).toBeGreaterThanOrEqual(lastAcked);
    expect(count).toBeLessThanOrEqual(lastAcked + BATCH);
    expect(count % BATCH).toBe(0);
    // The rows are exactly the first `count` users, with no gaps.
    const range = store.db
      .prepare("SELECT min(user_id) AS lo, max(user_id) AS hi FROM users WHERE profile_id = 'crash'")
      .get() as { lo: string; hi: string };
    expect(range).toEqual({ lo: 'u000000', hi: `u${String(count - 1).padStart(6, '0')}` });
  } finally {
    store.close();
  }
});
