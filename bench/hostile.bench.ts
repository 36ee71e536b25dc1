import { cleanReason } from '../src/main/iampass/client.ts';
import { redact } from '../src/main/services/audit.ts';
import { previewCsv } from '../src/main/services/csv.ts';
import { checkUserInput } from '../src/main/services/user-input.ts';
import { decodeCsvBytes } from '../src/shared/csv-text.ts';
import { metric, percentile, type Bench } from './harness.ts';

/** Median wall time of `fn` over `rounds` runs, in ms. */
function median(rounds: number, fn: () => unknown): number {
  fn(); // warm-up
  const samples: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    fn();
    samples.push(performance.now() - t0);
  }
  return percentile(samples, 50);
}

/**
 * Hostile input (issue 11): the inputs that used to take seconds to minutes
 * (quadratic patterns over a whole text) now cost what their bounded window
 * or one linear pass costs.
 */
const bench: Bench = async ({ quick }) => {
  const rounds = quick ? 5 : 20;
  const tenMiB = 'a.'.repeat(5 * 1024 * 1024);
  const reason = 'a'.repeat(128 * 1024);
  const longId = 'i'.repeat(100_000);
  const csv200k = `user,name\n${'u'.repeat(200_000)},Long\nbob,Bob\n`;
  const csv10m = `user,name\n${'u'.repeat(10 * 1024 * 1024)},Long\nbob,Bob\n`;
  const bytes10m = new TextEncoder().encode(csv10m);
  await Promise.resolve();
  return {
    id: 'hostile',
    title: 'Hostile input: bounded cost of huge values',
    metrics: [
      metric(
        'redact() of a 10 MiB text',
        median(rounds, () => redact(tenMiB)),
        'ms',
        { op: '<=', value: 50 },
      ),
      metric(
        'cleanReason() of a 128 KiB server reason',
        median(rounds, () => cleanReason(reason, ['x'.repeat(48)])),
        'ms',
        { op: '<=', value: 50 },
      ),
      metric(
        'checkUserInput() of a 100,000-character ID',
        median(rounds, () => checkUserInput({ userId: longId })),
        'ms',
        { op: '<=', value: 5 },
      ),
      metric(
        'previewCsv() of a CSV with a 200 KB field',
        median(rounds, () => previewCsv(csv200k)),
        'ms',
        { op: '<=', value: 100 },
      ),
      metric(
        'previewCsv() of a CSV with a 10 MiB field',
        median(Math.max(3, rounds / 4), () => previewCsv(csv10m)),
        'ms',
        { op: '<=', value: 2000 },
      ),
      metric(
        'decodeCsvBytes() of 10 MiB of UTF-8',
        median(Math.max(3, rounds / 4), () => decodeCsvBytes(bytes10m)),
        'ms',
        { op: '<=', value: 500 },
      ),
    ],
    notes: [
      'Before the fix (same machine, from the issue): a 64 KiB audit target 3.5 s, a 128 KiB 401 reason 8.6 s, a 200 KB CSV field 33 s, a 10 MiB field over 300 s.',
      `median of ${rounds} runs (10 MiB CSV cases: ${Math.max(3, rounds / 4)}) after one warm-up`,
    ],
  };
};
export default bench;
