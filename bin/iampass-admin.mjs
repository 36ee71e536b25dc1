#!/usr/bin/env node
// iampass-admin launcher: runs the CLI (src/cli/main.ts) from source under
// Node 24 (type stripping, node:sqlite). On Node 24+ it runs it in this
// process. Under an older Node it runs it with the Node 24 that every npm
// script provisions into .cache/ (scripts/node24.mjs, fetched once from the
// npm registry when missing); when that is impossible (offline, read-only
// folder) it says so and exits 1. Plain ESM, no new APIs: this file must
// run on old Nodes.
//
// Node's compile cache (stripped + compiled modules) is kept in the project's
// git-ignored .cache/, owned by whoever cloned it (never a shared temp
// folder): about 2.5x less CPU per command. NODE_DISABLE_COMPILE_CACHE=1
// turns it off.
import { spawn } from 'node:child_process';
import * as nodeModule from 'node:module';
import { constants } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ensureNode24, node24Env, NODE_VERSION } from '../scripts/node24.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const main = join(root, 'src', 'cli', 'main.ts');
const compileCache = join(root, '.cache', 'node-compile-cache');

if (Number(process.versions.node.split('.')[0]) >= 24) {
  nodeModule.enableCompileCache(compileCache);
  await import(pathToFileURL(main).href);
} else {
  launch();
}

function launch() {
  let bin;
  try {
    bin = ensureNode24();
  } catch (error) {
    const reason = String((error && error.message) || error).split('\n')[0];
    process.stderr.write(
      `iampass-admin: needs Node 24 (this is Node ${process.version}) and could not provision Node ${NODE_VERSION} into ${join(root, '.cache')}: ${reason}\n` +
        'Install Node 24 and run iampass-admin with it, or run "node scripts/node24.mjs node --version" once in the project folder while online.\n',
    );
    process.exit(1);
  }
  const node = join(bin, process.platform === 'win32' ? 'node.exe' : 'node');
  const child = spawn(node, ['--disable-warning=ExperimentalWarning', main, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...node24Env(bin), NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE || compileCache },
  });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? 128 + (signal ? (constants.signals[signal] ?? 1) : 1)));
  child.on('error', (error) => {
    process.stderr.write(`iampass-admin: cannot start Node 24 (${node}): ${error.message}\n`);
    process.exit(1);
  });
}
