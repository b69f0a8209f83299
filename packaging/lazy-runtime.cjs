// Compiles a lazily bundled package (see lazy-packages.mjs) on first use, as Node would a CommonJS
// file. Its own requires are Node built-ins only (everything else is bundled into its text), which
// is also all a single executable's require() allows.
const vm = require("node:vm");
const { wrap } = require("node:module");
const { brotliDecompressSync } = require("node:zlib");

exports.evaluate = function evaluate(name, packed) {
  const code = brotliDecompressSync(Buffer.from(packed, "base64")).toString("utf8");
  const module = { exports: {} };
  const fn = vm.runInThisContext(wrap(code), { filename: `pwb-agent:lazy/${name}` });
  fn.call(module.exports, module.exports, require, module, `lazy/${name}`, "lazy");
  return module.exports;
};
