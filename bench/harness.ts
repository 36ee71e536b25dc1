/**
 * The benchmark harness's contract. Each `bench/<name>.bench.ts` default-exports
 * a function returning a BenchReport; `npm run bench [-- name...]` runs them one
 * after another (never in parallel: they measure a 2-core machine) and writes
 * `bench-results/report.json` and `bench-results/report.md`.
 */
import os from 'node:os';

export interface Target {
  /** `<=`: the value must not exceed `value`; `>=`: it must reach it. */
  op: '<=' | '>=';
  value: number;
}

export interface Metric {
  name: string;
  value: number;
  unit: string;
  target?: Target;
}

export interface BenchReport {
  id: string;
  title: string;
  metrics: Metric[];
  /** Conditions of the run worth reading beside the figures. */
  notes?: string[];
}

export interface BenchContext {
  /** Smaller workloads, for a quick look (`npm run bench -- --quick`). */
  quick: boolean;
  log: (line: string) => void;
}

export type Bench = (ctx: BenchContext) => Promise<BenchReport>;

export function metric(name: string, value: number, unit: string, target?: Target): Metric {
  return target ? { name, value, unit, target } : { name, value, unit };
}

export function meets(m: Metric): boolean | null {
  if (!m.target) return null;
  return m.target.op === '<=' ? m.value <= m.target.value : m.value >= m.target.value;
}

export function machine(): Record<string, string | number> {
  const cpus = os.cpus();
  return {
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
  };
}

/** Percentile (0..100) of a list of numbers, nearest-rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}
