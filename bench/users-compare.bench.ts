/**
 * Issue 14's comparison, in one run: the Users screen at 100,000 users in
 * the design before it (the whole directory in the page: commit BEFORE, run
 * by its own bench from a git worktree of that commit with this checkout's
 * node_modules linked in, in a process of its own) and in this one (this
 * checkout's users-ui bench at 100,000 users), one after the other. Each
 * figure of the old bench is paired with this design's, on the same terms:
 * first paint (the app's start-up, median), the same 72 keys (six queries
 * typed, then deleted), sorts (median and worst), the renderer's heap; each
 * the mean of its runs (a key's latency moves by up to a frame from run to
 * run). The target of "now" is the old design's figure: no slower. Needs the
 * repository's history (a clone has it). `--quick`: 20,000 users each.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { metric, type Bench, type BenchReport, type Metric } from './harness.ts';
import usersUi from './users-ui.bench.ts';

/** The last commit of the design before issue 14 (the whole directory in the page). */
const BEFORE = '2041af2';
const ROOT = resolve(import.meta.dirname, '..');
/** Runs of each design, alternating. */
const ROUNDS = 3;

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

/** The 1, 5 and 15 minute load averages (node:os, as the other benches read them). */
function load(): string {
  return loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
}

/** Runs the old design's own bench in the worktree; its users-ui report. */
function runBefore(wt: string, quick: boolean, log: (line: string) => void): BenchReport {
  const run = spawnSync(process.execPath, ['bench/run.ts', ...(quick ? ['--quick'] : []), 'users-ui'], {
    cwd: wt,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 20 * 60_000,
  });
  for (const line of run.stderr.trim().split('\n').slice(-8)) log(`  before: ${line.trim()}`);
  // Its run exits non-zero when one of its own targets is missed; the figures are still written.
  const report = JSON.parse(readFileSync(join(wt, 'bench-results', 'report.json'), 'utf8')) as {
    reports: BenchReport[];
  };
  return report.reports.find((r) => r.id === 'users-ui')!;
}

/** This design's users-ui bench at `users` users, in this process. */
async function runNow(users: number, log: (line: string) => void): Promise<BenchReport> {
  const size = process.env['IAMPASS_BENCH_USERS'];
  process.env['IAMPASS_BENCH_USERS'] = String(users);
  try {
    return await usersUi({ quick: false, log: (line) => log(`  now: ${line}`) });
  } finally {
    if (size === undefined) delete process.env['IAMPASS_BENCH_USERS'];
    else process.env['IAMPASS_BENCH_USERS'] = size;
  }
}

const bench: Bench = async ({ quick, log }) => {
  const wt = mkdtempSync(join(tmpdir(), 'iampass-bench-before-14-'));
  const notes: string[] = [];
  const before: BenchReport[] = [];
  const now: BenchReport[] = [];
  // Alternating rounds: a figure that moves by a frame between runs is compared on the mean of ROUNDS runs each.
  try {
    execFileSync('git', ['worktree', 'add', '--detach', '--force', wt, BEFORE], { cwd: ROOT, stdio: 'pipe' });
    symlinkSync(join(ROOT, 'node_modules'), join(wt, 'node_modules'), 'dir');
    for (let round = 1; round <= ROUNDS; round++) {
      notes.push(`round ${round}: load average ${load()} before the old design's run`);
      log(`round ${round}: the design before issue 14 (${BEFORE}), its own bench, in ${wt}`);
      before.push(runBefore(wt, quick, log));
      notes.push(`round ${round}: load average ${load()} before this design's run`);
      log(`round ${round}: this design, users-ui at the same size`);
      now.push(await runNow(quick ? 20_000 : 100_000, log));
    }
    notes.push(`load average at the end: ${load()}`);
  } finally {
    spawnSync('git', ['worktree', 'remove', '--force', wt], { cwd: ROOT, stdio: 'ignore' });
    rmSync(wt, { recursive: true, force: true });
  }
  const mean = (reports: BenchReport[], name: string): { value: number; unit: string; runs: number[] } => {
    const found = reports.map((r) => {
      const m = r.metrics.find((x) => x.name.startsWith(name));
      if (!m) throw new Error(`no figure "${name}" in the ${r.id} report`);
      return m;
    });
    const runs = found.map((m) => m.value);
    return { value: Math.round((runs.reduce((a, b) => a + b, 0) / runs.length) * 10) / 10, unit: found[0]!.unit, runs };
  };
  const metrics: Metric[] = [];
  for (const [label, old, cur, timed] of PAIRS) {
    const a = mean(before, old);
    const b = mean(now, cur);
    notes.push(`${label}: before ${a.runs.join(' / ')} ${a.unit}, now ${b.runs.join(' / ')} ${b.unit}`);
    metrics.push(metric(`${label}: before issue 14 (mean of ${ROUNDS})`, a.value, a.unit));
    metrics.push(
      timed
        ? metric(`${label}: now (mean of ${ROUNDS}, no slower)`, b.value, b.unit, { op: '<=', value: a.value })
        : metric(`${label}: now (mean of ${ROUNDS})`, b.value, b.unit),
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
