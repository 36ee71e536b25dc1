#!/usr/bin/env node
// Runs a command under Node 24, the Node that Electron 45 embeds.
//
// Usage: node scripts/node24.mjs <command> [args...]
//
// When the Node running this script is older than 24 (the build machines ship
// Node 20), Node 24 is provisioned from the npm registry: the platform package
// `node-<platform>-<arch>` that the `node` package itself installs, unpacked
// into `.cache/`. Nothing else is downloaded. The command then runs with that
// Node first on PATH, so `node`, `npm` and every `node_modules/.bin` tool use it.
//
// This file must keep working on old Node versions: plain ESM, no new APIs.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, mkdtempSync, readdirSync } from 'node:fs';
import { dirname, join, resolve, delimiter } from 'node:path';
import { fileURLToPath } from 'node:url';

export const NODE_VERSION = '24.21.0';
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function major(version) {
  return Number(version.replace(/^v/, '').split('.')[0]);
}

function platformPackage() {
  const platform = process.platform === 'win32' ? 'win' : process.platform;
  return `node-${platform}-${process.arch}`;
}

/** Returns the folder holding the `node` binary to use, provisioning it if needed. */
export function ensureNode24() {
  if (major(process.version) >= 24) return dirname(process.execPath);
  const pkg = platformPackage();
  const home = join(root, '.cache', `${pkg}-${NODE_VERSION}`);
  const bin = process.platform === 'win32' ? home : join(home, 'bin');
  const exe = join(bin, process.platform === 'win32' ? 'node.exe' : 'node');
  if (existsSync(exe)) return bin;

  process.stderr.write(
    `[node24] Node ${process.version} is older than 24; fetching ${pkg}@${NODE_VERSION} from the npm registry\n`,
  );
  mkdirSync(join(root, '.cache'), { recursive: true });
  const work = mkdtempSync(join(root, '.cache', 'node-dl-'));
  try {
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    execFileSync(npm, ['pack', `${pkg}@${NODE_VERSION}`, '--pack-destination', work, '--silent'], {
      stdio: ['ignore', 'ignore', 'inherit'],
      shell: process.platform === 'win32',
    });
    const tgz = readdirSync(work).find((f) => f.endsWith('.tgz'));
    if (!tgz) throw new Error(`npm pack produced no tarball for ${pkg}@${NODE_VERSION}`);
    execFileSync('tar', ['xzf', join(work, tgz), '-C', work], { stdio: 'inherit' });
    // Another process may have finished first; either copy is the same.
    if (!existsSync(exe)) renameSync(join(work, 'package'), home);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  if (!existsSync(exe)) throw new Error(`[node24] provisioning failed: ${exe} is missing`);
  return bin;
}

/** The environment a child needs to run under the provisioned Node. */
export function node24Env(bin, base = process.env) {
  const env = { ...base };
  const key = Object.keys(env).find((k) => k.toUpperCase() === 'PATH') ?? 'PATH';
  env[key] = [bin, join(root, 'node_modules', '.bin'), env[key] ?? ''].join(delimiter);
  // Native addons (keytar) rebuilt from here compile against these headers.
  if (major(process.version) < 24) env.npm_config_nodedir = process.platform === 'win32' ? bin : dirname(bin);
  return env;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [command, ...args] = process.argv.slice(2);
  if (!command) {
    process.stderr.write('usage: node scripts/node24.mjs <command> [args...]\n');
    process.exit(2);
  }
  const bin = ensureNode24();
  const child = spawn(command, args, {
    stdio: 'inherit',
    env: node24Env(bin),
    shell: process.platform === 'win32',
  });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => {
    if (signal) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
  child.on('error', (err) => {
    process.stderr.write(`[node24] cannot run ${command}: ${err.message}\n`);
    process.exit(127);
  });
}
