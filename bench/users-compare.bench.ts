/**
 * Issue 14's comparison, in one run: the Users screen at 100,000 users in
 * the design before it (the whole directory in the page: commit BEFORE, run
 * by its own bench from a git worktree of that commit with this checkout's
 * node_modules linked in, in a process of its own) and in this one (this
 * checkout's users-ui bench at 100,000 users), one after the other. Each
 * figure of the old bench is paired with this design's, on the same terms:
 * first paint (the app's start-up, median), the same 72 keys (six queries
 * typed, then deleted), sorts (median and worst), the renderer's heap. The
 * target of "now" is the old design's figure: no slower. Needs the
 * repository's history (a clone has it). `--quick`: 20,000 users each.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { metric, type Bench, type BenchReport, type Metric } from './harness.ts';
import usersUi from './users-ui.bench.ts';

/** The last commit of the design before issue 14 (the whole directory in the page). */
const BEFORE = '2041af2';
const ROOT = resolve(import.meta.dirname, '..');

/** Pairs: what is compared, the old bench's metric name, this bench's (a prefix; the size follows); timed or not. */
const PAIRS: [string, string, string, boolean][] = [
  [
    'first paint (app start-up), median',
    'table first paint, app start-up (median)',
    'Users screen first paint, median of 3',
    true,
  ],
  [
    'keystroke to painted rows p95, 72 keys',
    'keystroke in search -> painted rows, p95 of 72',
    'keystroke to painted rows p95, 72 keys typed then deleted',
    true,
  ],
  [
    'keystroke to painted rows p50, 72 keys',
    'keystroke -> painted rows, p50',
    'keystroke to painted rows p50, the same 72 keys',
    true,
  ],
  ['sort click to painted, median', 'sort click -> painted, median of', 'sort by a column, median of', true],
  ['sort click to painted, worst', 'sort click -> painted, max', 'sort by a column, worst of', true],
  // Memory, not speed: reported side by side.
  [
    'renderer JS heap after GC, largest',
    'renderer JS heap after GC (largest sample)',
    'renderer JS heap, largest live',
    false,
  ],
];

function loadavg(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return 'n/a';
  }
}

const bench: Bench = async ({ quick, log }) => {
  const wt = mkdtempSync(join(tmpdir(), 'iampass-bench-before-14-'));
  const notes: string[] = [];
  let before: BenchReport;
  let now: BenchReport;
  try {
    execFileSync('git', ['worktree', 'add', '--detach', '--force', wt, BEFORE], { cwd: ROOT, stdio: 'pipe' });
    symlinkSync(join(ROOT, 'node_modules'), join(wt, 'node_modules'), 'dir');
    notes.push(`load average before: ${loadavg()}`);
    log(`the design before issue 14 (${BEFORE}), its own bench, in ${wt}`);
    const run = spawnSync(process.execPath, ['bench/run.ts', ...(quick ? ['--quick'] : []), 'users-ui'], {
      cwd: wt,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 20 * 60_000,
    });
    for (const line of run.stderr.trim().split('\n').slice(-12)) log(`  before: ${line.trim()}`);
    // Its run exits non-zero when one of its own targets is missed; the figures are still written.
    const report = JSON.parse(readFileSync(join(wt, 'bench-results', 'report.json'), 'utf8')) as {
      reports: BenchReport[];
    };
    before = report.reports.find((r) => r.id === 'users-ui')!;
    notes.push(`load average between the two: ${loadavg()}`);
    log('this design, users-ui at the same size');
    const size = process.env['IAMPASS_BENCH_USERS'];
    process.env['IAMPASS_BENCH_USERS'] = quick ? '20000' : '100000';
    try {
      now = await usersUi({ quick: false, log: (line) => log(`  now: ${line}`) });
    } finally {
      if (size === undefined) delete process.env['IAMPASS_BENCH_USERS'];
      else process.env['IAMPASS_BENCH_USERS'] = size;
    }
    notes.push(`load average after: ${loadavg()}`);
  } finally {
    spawnSync('git', ['worktree', 'remove', '--force', wt], { cwd: ROOT, stdio: 'ignore' });
    rmSync(wt, { recursive: true, force: true });
  }
  const find = (r: BenchReport, name: string): Metric => {
    const m = r.metrics.find((x) => x.name.startsWith(name));
    if (!m) throw new Error(`no figure "${name}" in the ${r.id} report`);
    return m;
  };
  const metrics: Metric[] = [];
  for (const [label, old, cur, timed] of PAIRS) {
    const a = find(before, old);
    const b = find(now, cur);
    metrics.push(metric(`${label}: before issue 14`, a.value, a.unit));
    metrics.push(
      timed
        ? metric(`${label}: now (no slower)`, b.value, b.unit, { op: '<=', value: a.value })
        : metric(`${label}: now`, b.value, b.unit),
    );
  }
  return {
    id: 'users-compare',
    title: `Users screen at ${quick ? '20,000' : '100,000'} users: the design before issue 14 against this one, same run`,
    metrics,
    notes,
  };
};

export default bench;
