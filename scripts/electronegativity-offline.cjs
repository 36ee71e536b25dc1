// Preloaded (node --require) into @doyensec/electronegativity 1.10: it fetches
// updated translations with `got` at start-up, and offline on Node 24 got's
// retry path crashes the process. Replace `got` with a stub that fails at
// once, so the tool takes its own fallback (the bundled en-US strings).
'use strict';
const Module = require('node:module');
const load = Module._load;
Module._load = function (request, parent, isMain) {
  if (request === 'got') {
    const offline = () => Promise.reject(new Error('electronegativity: network disabled (offline run)'));
    offline.default = offline;
    return offline;
  }
  return load.call(this, request, parent, isMain);
};
