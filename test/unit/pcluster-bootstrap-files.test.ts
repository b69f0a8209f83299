// ParallelCluster 3.16 moved its bootstrap files from /tmp to /opt/parallelcluster/tmp (dna.json and
// extra.json as delivered, bootstrap.sh, the wait-condition handle). The agent must depend on neither
// place: it reads the merged /etc/chef/dna.json and /etc/parallelcluster/cfnconfig, which stayed put
// in every release 3.8 to 3.16. This holds the code to that.
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CFNCONFIG, DNA_JSON } from "../../agent/facts/role.js";

/** Where 3.8–3.15 and 3.16 put the files ParallelCluster only needs while a node boots. */
const BOOTSTRAP = [/\/tmp\/dna\.json/, /\/tmp\/extra\.json/, /\/tmp\/bootstrap\.sh/, /\/tmp\/wait_condition_handle/, /\/opt\/parallelcluster\/tmp\b/];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith(".ts") ? [path.join(dir, e.name)] : []));
}

/** String literals of a TypeScript file (comments may name the paths, to say they are not read). */
function literals(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");
  return [...code.matchAll(/"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`/g)].map((m) => m[0]);
}

describe("ParallelCluster's bootstrap files (moved in 3.16)", () => {
  it("the agent reads the fact files that did not move, and names no bootstrap file in its code", () => {
    expect(DNA_JSON).toBe("/etc/chef/dna.json");
    expect(CFNCONFIG).toBe("/etc/parallelcluster/cfnconfig");
    const hits = sources("agent").flatMap((file) =>
      literals(readFileSync(file, "utf8"))
        .filter((lit) => BOOTSTRAP.some((re) => re.test(lit)))
        .map((lit) => `${file}: ${lit}`),
    );
    expect(hits, "read /etc/chef/dna.json (merged, stable) instead of ParallelCluster's bootstrap copies").toEqual([]);
  });

  it("the check sees a literal naming either location (so it can fail)", () => {
    expect(literals('const a = "/opt/parallelcluster/tmp/dna.json"; // /tmp/dna.json').some((l) => BOOTSTRAP.some((re) => re.test(l)))).toBe(true);
    expect(literals("const a = `/tmp/dna.json`;").some((l) => BOOTSTRAP.some((re) => re.test(l)))).toBe(true);
    expect(literals("// /tmp/dna.json is never read\nconst a = 1;")).toEqual([]);
  });
});
