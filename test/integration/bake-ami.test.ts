import { spawnSync } from "node:child_process";
import { promises as fs } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { parse } from "yaml";
import { renderBakeComponent } from "../../agent/bake/component.js";
import { main } from "../../agent/program.js";
import { writeSimulatedNode } from "../../agent/simulation/node.js";
import { tempDir } from "../helpers/engine.js";
import { MINIMAL } from "../helpers/workbench.js";

/* `pwb-agent ami render` (the pcluster build-image config) and the component script it names. */
describe("the AMI build", () => {
  const stdout: string[] = [];
  const stderr: string[] = [];
  afterEach(() => {
    vi.restoreAllMocks();
    stdout.length = 0;
    stderr.length = 0;
  });

  async function render(siteExtra: string, args: string[]): Promise<number> {
    const root = await tempDir("pwb-ami-");
    await writeSimulatedNode(root, { role: "head", os: "rocky9" });
    const site = path.join(root, "site.yaml");
    await fs.writeFile(site, MINIMAL + siteExtra);
    vi.spyOn(process.stdout, "write").mockImplementation((c: string | Uint8Array) => (stdout.push(String(c)), true));
    vi.spyOn(process.stderr, "write").mockImplementation((c: string | Uint8Array) => (stderr.push(String(c)), true));
    const code = await main(["node", "pwb-agent", "--root", root, "--no-imds", "--quiet", "--site", site, "ami", "render", ...args]);
    vi.restoreAllMocks();
    return code;
  }

  it("renders Build.ParentImage, InstanceType, the script component from the S3 mirror and UpdateOsPackages, tagged with the baked versions", async () => {
    const code = await render("mirror:\n  url: s3://pwb-artifacts/mirror/\nruntimes:\n  r: { versions: [4.4.1, 4.3.3], default: 4.4.1 }\n", [
      "--parent-image", "ami-0123456789abcdef0", "--instance-type", "c6i.xlarge",
    ]);
    expect(code, stderr.join("")).toBe(0);
    const config = parse(stdout.join(""));
    expect(config.Build).toEqual({
      InstanceType: "c6i.xlarge",
      ParentImage: "ami-0123456789abcdef0",
      Components: [{ Type: "script", Value: "s3://pwb-artifacts/mirror/ami/pwb-bake.sh" }],
      UpdateOsPackages: { Enabled: true },
    });
    expect(config.Image.Tags).toEqual([
      { Key: "pwb:workbench-version", Value: "2024.12.1+563.pro5" },
      { Key: "pwb:r-versions", Value: "4.4.1 4.3.3" },
    ]);
  });

  it("takes --component-url and --no-update-os-packages; without a mirror the URL is required (exit 2)", async () => {
    expect(await render("", ["--parent-image", "ami-0123456789abcdef0", "--instance-type", "m6i.large", "--component-url", "https://example.com/pwb-bake.sh", "--no-update-os-packages"])).toBe(0);
    expect(parse(stdout.join("")).Build).toMatchObject({ Components: [{ Type: "script", Value: "https://example.com/pwb-bake.sh" }], UpdateOsPackages: { Enabled: false } });
    stdout.length = 0;
    expect(await render("", ["--parent-image", "ami-0123456789abcdef0", "--instance-type", "m6i.large"])).toBe(2);
    expect(stderr.join("")).toContain("--component-url is needed");
    expect(await render("", ["--parent-image", "not-an-ami", "--instance-type", "m6i.large", "--component-url", "s3://b/k.sh"])).toBe(2);
    expect(await render("", ["--instance-type", "m6i.large"])).toBe(2);
  });

  it("--out writes build-image.yaml and the component with the package and site URLs in it: nothing to edit by hand", async () => {
    const out = await tempDir("pwb-ami-out-");
    const code = await render("mirror:\n  url: s3://pwb-artifacts/mirror/\n", [
      "--parent-image", "ami-0123456789abcdef0", "--instance-type", "c6i.xlarge", "--out", out,
      "--package-url", "s3://pwb-artifacts/mirror/pwb-agent/pwb-agent-1.0.0-1.x86_64.rpm", "--site-url", "s3://pwb-artifacts/site/site.yaml",
    ]);
    expect(code, stderr.join("")).toBe(0);
    expect(parse(await fs.readFile(path.join(out, "build-image.yaml"), "utf8")).Build.Components).toEqual([{ Type: "script", Value: "s3://pwb-artifacts/mirror/ami/pwb-bake.sh" }]);
    const component = path.join(out, "pwb-bake.sh");
    const script = await fs.readFile(component, "utf8");
    expect(script).toContain('\nPWB_AGENT_PACKAGE_URL="s3://pwb-artifacts/mirror/pwb-agent/pwb-agent-1.0.0-1.x86_64.rpm"\nPWB_SITE_URL="s3://pwb-artifacts/site/site.yaml"\n');
    expect((await fs.stat(component)).mode & 0o777).toBe(0o755);
    const sc = spawnSync("shellcheck", [component], { encoding: "utf8" });
    expect(sc.status, sc.stdout).toBe(0);
    // Run with stand-ins for aws, dnf and pwb-agent: it fetches both URLs, installs the package, bakes with the site.
    const bin = await tempDir("pwb-ami-bin-");
    const calls = path.join(bin, "calls");
    for (const cmd of ["aws", "dnf", "pwb-agent", "install"]) {
      await fs.writeFile(path.join(bin, cmd), `#!/bin/sh\necho "${cmd} $*" >> ${calls}\n${cmd === "aws" ? 'touch "$5"\n' : ""}`, { mode: 0o755 });
    }
    const run = spawnSync("bash", [component], { encoding: "utf8", env: { PATH: `${bin}:/usr/bin:/bin` } });
    expect(run.status, run.stderr).toBe(0);
    const lines = (await fs.readFile(calls, "utf8")).trim().split("\n");
    expect(lines[0]).toMatch(/^aws s3 cp --only-show-errors s3:\/\/pwb-artifacts\/mirror\/pwb-agent\/pwb-agent-1\.0\.0-1\.x86_64\.rpm \S+\/pwb-agent-1\.0\.0-1\.x86_64\.rpm$/);
    expect(lines[1]).toMatch(/^dnf install -y \S+\.rpm$/);
    expect(lines.at(-1)).toBe("pwb-agent --site /etc/pwb-agent/site.yaml bake");
    // The source tree's copy is the same script with the URLs left to the environment.
    expect(await fs.readFile("ami/pwb-bake.sh", "utf8")).toBe(renderBakeComponent(null));

    // Missing or unsafe URLs: bad input, and nothing written.
    const empty = await tempDir("pwb-ami-out-");
    expect(await render("mirror:\n  url: s3://pwb-artifacts/mirror/\n", ["--parent-image", "ami-0123456789abcdef0", "--instance-type", "c6i.xlarge", "--out", empty, "--site-url", "s3://b/site.yaml"])).toBe(2);
    expect(stderr.join("")).toContain("--out needs --package-url");
    expect(await render("mirror:\n  url: s3://pwb-artifacts/mirror/\n", ["--parent-image", "ami-0123456789abcdef0", "--instance-type", "c6i.xlarge", "--out", empty, "--package-url", "s3://b/pwb-agent.rpm", "--site-url", "https://x/$(id).yaml"])).toBe(2);
    expect(await fs.readdir(empty)).toEqual([]);
  });

  it("ami/pwb-bake.sh passes bash -n and shellcheck, and refuses to run unconfigured", () => {
    const n = spawnSync("bash", ["-n", "ami/pwb-bake.sh"], { encoding: "utf8" });
    expect(n.status, n.stderr).toBe(0);
    const sc = spawnSync("shellcheck", ["ami/pwb-bake.sh"], { encoding: "utf8" });
    if (sc.error) throw new Error("shellcheck missing: apt-get install shellcheck");
    expect(sc.status, sc.stdout).toBe(0);
    const run = spawnSync("bash", ["ami/pwb-bake.sh"], { encoding: "utf8", env: { PATH: process.env.PATH ?? "" } });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("PWB_AGENT_PACKAGE_URL is not set");
  });
});
