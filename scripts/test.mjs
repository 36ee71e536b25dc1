#!/usr/bin/env node
// `npm test`: every check CI runs, in order, stopping at the first failure.
//   typecheck -> lint -> format -> build -> Electronegativity (on the build) -> unit tests -> E2E tests
// The build comes before Electronegativity and the tests because both inspect
// it (the built preload bundle, the built renderer in Chromium); the tests are
// told not to build again (IAMPASS_BUILT=1).
// Ends with one summary line, `tests: N passed, N failed`, counted from the
// test runner's JSON reports.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';

const results = 'test-results';
mkdirSync(results, { recursive: true });

/** @type {{ name: string, cmd: string[], report?: string }[]} */
const steps = [
  { name: 'typecheck', cmd: ['tsc', '-p', 'tsconfig.json'] },
  { name: 'typecheck (renderer)', cmd: ['tsc', '-p', 'tsconfig.web.json'] },
  { name: 'lint', cmd: ['eslint', '.', '--max-warnings', '0'] },
  { name: 'format', cmd: ['prettier', '--check', '.'] },
  { name: 'build', cmd: ['electron-vite', 'build'] },
  { name: 'Electronegativity', cmd: [process.execPath, 'scripts/electronegativity.mjs'] },
  {
    name: 'unit tests',
    cmd: [
      'vitest',
      'run',
      '--project',
      'unit',
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${results}/unit.json`,
    ],
    report: `${results}/unit.json`,
  },
  {
    name: 'E2E tests',
    cmd: [
      'vitest',
      'run',
      '--project',
      'e2e',
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${results}/e2e.json`,
    ],
    report: `${results}/e2e.json`,
  },
];
const env = { ...process.env, IAMPASS_BUILT: '1' };

let passed = 0;
let failed = 0;
for (const step of steps) {
  if (step.report) rmSync(step.report, { force: true });
  const t0 = Date.now();
  console.log(`\n=== ${step.name}: ${step.cmd.join(' ')}`);
  const run = spawnSync(step.cmd[0], step.cmd.slice(1), { stdio: 'inherit', shell: process.platform === 'win32', env });
  if (step.report && existsSync(step.report)) {
    const r = JSON.parse(readFileSync(step.report, 'utf8'));
    passed += r.numPassedTests ?? 0;
    // A file that fails to load counts as a failure even though it ran no test.
    const brokenFiles = (r.testResults ?? []).filter((f) => f.status === 'failed' && f.assertionResults.length === 0);
    failed += (r.numFailedTests ?? 0) + brokenFiles.length;
  }
  const seconds = ((Date.now() - t0) / 1000).toFixed(1);
  if (run.status !== 0) {
    console.log(`\n=== ${step.name} FAILED after ${seconds} s (exit ${run.status ?? run.signal})`);
    console.log(`tests: ${passed} passed, ${Math.max(failed, 1)} failed`);
    process.exit(1);
  }
  console.log(`=== ${step.name} ok in ${seconds} s`);
}
console.log(`\ntests: ${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
