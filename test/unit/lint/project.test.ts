/**
 * The project's promises about itself (issue 2): the README's commands are
 * the ones CI runs, `npm start` is electron-vite dev, the Node requirement is
 * written where tools read it, and `npm test` runs every step in order.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../../..');
const read = (path: string) => readFileSync(resolve(root, path), 'utf8');
const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string>; engines: { node: string } };
const readme = read('README.md');
const ci = read('.ci/run');
/** Every command line inside the README's ```sh blocks. */
const readmeCommands = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) => m[1]!.split('\n').map((l) => l.replace(/#.*$/, '').trim()).filter(Boolean));
/** The commands .ci/run executes (not comments, not shell plumbing). */
const ciCommands = ci.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));

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
    for (const p of ['libsecret-1-dev', 'gnome-keyring', 'dbus', 'chromium']) expect(ci).toMatch(new RegExp(`packages=\\([^)]*\\b${p}\\b`));
  });

  it('npm start is electron-vite dev, npm test is scripts/test.mjs, npm run sandbox is the standalone entry; all through the provisioned Node', () => {
    expect(pkg.scripts['start']).toBe('node scripts/node24.mjs electron-vite dev');
    expect(pkg.scripts['test']).toBe('node scripts/node24.mjs node scripts/test.mjs');
    expect(pkg.scripts['sandbox']).toBe('node scripts/node24.mjs node src/sandbox/main.ts');
    expect(readmeCommands.some((l) => l.startsWith('npm run sandbox -- '))).toBe(true);
  });

  it('requires Node >= 22.13 and targets 24', () => {
    expect(pkg.engines.node).toBe('>=22.13.0');
    expect(read('.nvmrc').trim()).toBe('24');
  });

  it('npm test runs typecheck, lint, build, Electronegativity, unit and E2E tests, in that order', () => {
    const script = read('scripts/test.mjs');
    const order = ["name: 'typecheck'", "name: 'lint'", "name: 'build'", "name: 'Electronegativity'", "name: 'unit tests'", "name: 'E2E tests'"].map((s) => script.indexOf(s));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });
});
