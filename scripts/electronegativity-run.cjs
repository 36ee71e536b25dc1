// Runs @doyensec/electronegativity 1.10 through its own runner API instead of
// its CLI: with --output the CLI drops the list of files it failed to parse or
// walk, so a bundle it cannot read would pass as "no findings". This keeps the
// list and writes it beside the CSV report.
//
//   node --require ./scripts/electronegativity-offline.cjs scripts/electronegativity-run.cjs INPUT REPORT.csv ERRORS.json ELECTRON_VERSION
'use strict';
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');

const [input, output, errorsFile, electronVersion] = process.argv.slice(2);
if (!input || !output || !errorsFile || !electronVersion) {
  console.error('usage: electronegativity-run.cjs INPUT REPORT.csv ERRORS.json ELECTRON_VERSION');
  process.exit(2);
}
const run = require(join(__dirname, '../node_modules/@doyensec/electronegativity/dist/runner.js'));

run(
  {
    input,
    output,
    isSarif: false,
    customScan: [],
    excludeFromScan: [],
    isRelative: true,
    isVerbose: false,
    electronUpgrade: undefined,
    electronVersionOverride: electronVersion,
    parserPlugins: [],
  },
  false,
).then(
  (result) => {
    writeFileSync(errorsFile, JSON.stringify(result.errors ?? null));
  },
  (error) => {
    console.error(error instanceof Error ? error.stack : String(error));
    process.exit(1);
  },
);
