/**
 * The project's promises about itself: the README's commands are the ones
 * CI runs and they work, the Node requirement is written where tools read it
 * and is what gets provisioned, and `npm test` runs every step in order.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../../..');
const read = (path: string) => readFileSync(resolve(root, path), 'utf8');
const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string>; engines: { node: string } };
const readme = read('README.md');
const ci = read('.ci/run');
/** Every command line inside the README's ```sh blocks. */
const readmeCommands = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) =>
  m[1]!
    .split('\n')
    .map((l) => l.replace(/#.*$/, '').trim())
    .filter(Boolean),
);
/** The commands .ci/run executes (not comments, not shell plumbing). */
const ciCommands = ci
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));

describe('README and CI', () => {
  it('the README gives the two set-up commands and the test command', () => {
    expect(readmeCommands).toContain('npm install');
    expect(readmeCommands).toContain('npm start');
    expect(readmeCommands).toContain('npm test');
  });

  it('CI runs exactly the README test command inside the keyring session, after npm ci on the provisioned Node', () => {
    const testLine = ciCommands.find((l) => l.includes('npm test'));
    expect(testLine).toBe('scripts/keyring-session.sh npm test');
    expect(readmeCommands).toContain(testLine);
    const npmCi = ciCommands.findIndex((l) => l.startsWith('node scripts/node24.mjs npm ci'));
    expect(npmCi).toBeGreaterThanOrEqual(0);
    expect(npmCi).toBeLessThan(ciCommands.indexOf(testLine!));
    for (const p of ['libsecret-1-dev', 'gnome-keyring', 'dbus', 'chromium'])
      expect(ci).toMatch(new RegExp(`packages=\\([^)]*\\b${p}\\b`));
  });

  it("the README's scripts work: npm run sandbox and npm run cli answer --help through the provisioned Node", () => {
    for (const [script, expected] of [
      ['sandbox', /usage: npm run sandbox/],
      ['cli', /iampass-admin/],
    ] as const) {
      const r = spawnSync('npm', ['run', '-s', script, '--', '--help'], {
        cwd: root,
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(r.status, `${script}: ${r.stderr}`).toBe(0);
      expect(r.stdout).toMatch(expected);
    }
    // npm start needs Electron's binary: through the provisioned Node, scripts/start.mjs checks it
    // (test/unit/packaging/start.test.ts), then runs the electron-vite dev server.
    expect(pkg.scripts['start']).toBe('node scripts/node24.mjs node scripts/start.mjs');
    expect(read('scripts/start.mjs')).toMatch(/'electron-vite'\), \['dev'/);
  });

  it('.nvmrc names a Node that satisfies engines, and the provisioned Node is that major', () => {
    const min = /^>=(\d+)\.(\d+)\.(\d+)$/.exec(pkg.engines.node);
    expect(min).not.toBeNull();
    const nvmrc = Number(read('.nvmrc').trim());
    expect(nvmrc).toBeGreaterThanOrEqual(Number(min![1]));
    const v = spawnSync(process.execPath, [resolve(root, 'scripts/node24.mjs'), 'node', '--version'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(v.stdout.trim()).toMatch(new RegExp(`^v${nvmrc}\\.`));
  });

  it('npm test runs typecheck, lint, format, build, Electronegativity, unit and E2E tests, in that order', () => {
    const script = read('scripts/test.mjs');
    const order = [
      "name: 'typecheck'",
      "name: 'lint'",
      "name: 'build'",
      "name: 'Electronegativity'",
      "name: 'unit tests'",
      "name: 'E2E tests'",
    ].map((s) => script.indexOf(s));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });
});
