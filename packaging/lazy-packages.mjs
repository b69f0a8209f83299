// Heavy packages that only some commands need (the AWS SDK clients, the PostgreSQL client) go into
// the one-file bundle as compressed *source text*, compiled on the first `await import()` of them. V8 must
// compile every function body it sees in the bundle's code, but a string literal costs it nothing,
// so `detect`, `plan` and `apply` no longer pay for ~1 MB of SDK they never call.
import { builtinModules } from "node:module";
import path from "node:path";
import { brotliCompressSync, constants as zlib } from "node:zlib";
import * as esbuild from "esbuild";

/** Packages loaded this way, exactly as the agent's code names them in `await import(…)`. */
export const LAZY_PACKAGES = [
  "@aws-sdk/client-elastic-load-balancing-v2",
  "@aws-sdk/client-ec2",
  "@aws-sdk/client-ssm",
  "@aws-sdk/client-s3",
  "@aws-sdk/client-route-53",
  "pg/lib/client.js",
];

/** esbuild plugin: a dynamic import of a lazy package becomes a module that evaluates its bundled text. */
export function lazyPackagesPlugin({ root, target, mainFields }) {
  return {
    name: "lazy-packages",
    setup(build) {
      build.onResolve({ filter: /.*/ }, (args) => {
        if (args.kind !== "dynamic-import" || !LAZY_PACKAGES.includes(args.path)) return undefined;
        return { path: args.path, namespace: "lazy-package" };
      });
      build.onLoad({ filter: /.*/, namespace: "lazy-package" }, async (args) => {
        const inner = await esbuild.build({
          stdin: { contents: `module.exports = require(${JSON.stringify(args.path)});`, resolveDir: root, loader: "js" },
          bundle: true, platform: "node", format: "cjs", target, minify: true, mainFields,
          legalComments: "none", write: false, logLevel: "warning",
        });
        // Compressed: the text is read and scanned at every start, so keep it small (1.1 MB of EC2 client → ~150 KB).
        const text = requireBuiltinImports(inner.outputFiles[0].text);
        const packed = brotliCompressSync(Buffer.from(text), { params: { [zlib.BROTLI_PARAM_QUALITY]: 9 } }).toString("base64");
        return {
          contents: `module.exports = require("./lazy-runtime.cjs").evaluate(${JSON.stringify(args.path)}, ${JSON.stringify(packed)});`,
          resolveDir: path.join(root, "packaging"),
          loader: "js",
        };
      });
    },
  };
}

const BUILTINS = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);

/**
 * The SDK loads a few built-ins with `import("node:http")`. Code compiled by vm has no module
 * loader for import() (only an experimental flag gives it one), so those become require()s, with
 * the namespace shape import() would give.
 */
function requireBuiltinImports(code) {
  return code.replace(/\bimport\((["'])([\w:/]+)\1\)/g, (whole, _q, id) =>
    BUILTINS.has(id) ? `Promise.resolve().then(() => { const m = require(${JSON.stringify(id)}); return { ...m, default: m }; })` : whole,
  );
}
