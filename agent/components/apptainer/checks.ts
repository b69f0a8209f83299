import { check, fail, ok, skipped, warn, type CheckContext, type CheckOutcome, type SectionedChecks } from "../../doctor/checks.js";
import { firstLine, SIMULATED } from "../../doctor/system.js";
import type { CommandRunner } from "../../engine/runner.js";
import type { Facts } from "../../facts/types.js";
import type { Root } from "../../nodefs/root.js";
import type { SiteConfig } from "../../site/types.js";
import { defaultImage } from "../images/default-image.js";

/** `apptainer --version`, against the site's pinned version when it pins one. */
export async function checkApptainerVersion(root: Root, runner: CommandRunner, site: SiteConfig): Promise<CheckOutcome> {
  if (!root.live) return skipped(SIMULATED);
  const res = await runner.run(["apptainer", "--version"], { timeoutMs: 8_000 });
  if (res.code === 127) return fail("apptainer is not on PATH", "run `pwb-agent apply` (the apptainer component installs it)");
  if (res.code !== 0) return fail(`apptainer --version exited ${res.code}: ${firstLine(res.stderr)}`, "reinstall Apptainer: `pwb-agent apply`");
  const seen = firstLine(res.stdout);
  const pinned = site.apptainer?.version.replace(/-.*$/, "");
  if (pinned && !seen.includes(pinned)) return warn(`${seen}; the site pins ${site.apptainer!.version}`, "run `pwb-agent apply` to install the pinned version");
  return ok(seen);
}

/** `apptainer exec <default image> true`: the image is there and the runtime can start it. */
export async function checkApptainerExec(root: Root, runner: CommandRunner, site: SiteConfig): Promise<CheckOutcome> {
  const image = defaultImage(site);
  if (image === null) return skipped("no default image (spank.defaultImage or images:)");
  const st = await root.stat(image).catch(() => null);
  if (!st?.isFile()) return fail(`${image} is missing`, "run `pwb-agent apply` on the head node (it pulls or builds the site's images)");
  if (!root.live) return skipped(`${image} present; running it: ${SIMULATED}`);
  const res = await runner.run(["apptainer", "exec", image, "true"], { timeoutMs: 60_000 });
  if (res.code !== 0) return fail(`apptainer exec ${image} true exited ${res.code}: ${firstLine(res.stderr) || firstLine(res.stdout)}`, "check the image (apptainer inspect) and Apptainer's setup (apptainer.conf, user namespaces)");
  return ok(`apptainer exec ${image} true: exit 0`);
}

/** Compute nodes run the container jobs: where containers are on, the runtime answers and starts the default image. */
export function apptainerChecks(facts: Facts, site: SiteConfig, ctx: CheckContext): SectionedChecks {
  if (facts.role !== "compute" || (site.apptainer === null && !site.containers.enabled)) return {};
  return {
    jobs: [
      check("apptainer.version", "apptainer", () => checkApptainerVersion(ctx.root, ctx.runner, site)),
      check("apptainer.exec", "apptainer exec", () => checkApptainerExec(ctx.root, ctx.runner, site), 70_000),
    ],
  };
}
