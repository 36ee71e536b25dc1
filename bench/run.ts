/**
 * `npm run bench [-- [--quick] [name...]]`: runs every bench/*.bench.ts (or the
 * named ones) in turn and writes a JSON and a Markdown report with the figures,
 * their targets and the machine they ran on.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { machine, meets, type Bench, type BenchReport } from './harness.ts';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const wanted = args.filter((a) => !a.startsWith('--'));
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.startsWith(w)))
  .sort();

if (files.length === 0) {
  console.error(`no benchmark matches ${wanted.join(', ') || '(none present)'}`);
  process.exit(2);
}

const reports: BenchReport[] = [];
let failures = 0;
for (const file of files) {
  console.error(`▶ ${file}`);
  const started = performance.now();
  const mod = (await import(pathToFileURL(join(here, file)).href)) as { default: Bench };
  const report = await mod.default({ quick, log: (line) => console.error(`  ${line}`) });
  reports.push(report);
  console.error(`  done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  failures += report.metrics.filter((m) => meets(m) === false).length;
}

const outDir = join(here, '..', 'bench-results');
mkdirSync(outDir, { recursive: true });
const result = { date: new Date().toISOString(), quick, machine: machine(), reports };
writeFileSync(join(outDir, 'report.json'), JSON.stringify(result, null, 2) + '\n');

const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toPrecision(4));
const lines = [
  `# Benchmark report`,
  ``,
  `${result.date}${quick ? ' (quick)' : ''} · ` +
    Object.entries(result.machine)
      .map(([k, v]) => `${k}: ${v}`)
      .join(' · '),
  ``,
];
for (const r of reports) {
  lines.push(`## ${r.title}`, ``, `| metric | value | target | met |`, `|---|---:|---:|:-:|`);
  for (const m of r.metrics) {
    const ok = meets(m);
    const target = m.target ? `${m.target.op} ${fmt(m.target.value)} ${m.unit}` : '';
    lines.push(`| ${m.name} | ${fmt(m.value)} ${m.unit} | ${target} | ${ok === null ? '' : ok ? 'yes' : '**no**'} |`);
  }
  for (const note of r.notes ?? []) lines.push(``, `- ${note}`);
  lines.push(``);
}
writeFileSync(join(outDir, 'report.md'), lines.join('\n'));
console.log(lines.join('\n'));
console.error(`report: ${join('bench-results', 'report.json')} and report.md`);
process.exit(failures > 0 ? 1 : 0);
