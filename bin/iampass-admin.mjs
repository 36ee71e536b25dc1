#!/usr/bin/env node
// iampass-admin launcher: runs the CLI (src/cli/main.ts) from source under
// Node 24 (type stripping, node:sqlite), provisioning Node 24 like every npm
// script when the Node running this file is older. Plain ESM for old Nodes.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureNode24, node24Env } from '../scripts/node24.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = ensureNode24();
const node = join(bin, process.platform === 'win32' ? 'node.exe' : 'node');
const child = spawn(node, ['--disable-warning=ExperimentalWarning', join(root, 'src', 'cli', 'main.ts'), ...process.argv.slice(2)], { stdio: 'inherit', env: node24Env(bin) });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? 128 + (signal ? (constants.signals[signal] ?? 1) : 1)));
child.on('error', (error) => {
  process.stderr.write(`iampass-admin: cannot start Node 24: ${error.message}\n`);
  process.exit(1);
});
