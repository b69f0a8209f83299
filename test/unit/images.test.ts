import { promises as fs } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { gatherImages } from "../../agent/components/images/gather.js";
import { imageResources, sourceRecord } from "../../agent/components/images/plan.js";
import { Root } from "../../agent/nodefs/root.js";
import { plan } from "../../agent/engine/plan.js";
import type { Resource } from "../../agent/engine/types.js";
import { RuntimeFailure } from "../../agent/errors.js";
import { imagesSection, type SessionImage } from "../../agent/site/sections/images.js";
import { context, converge, tempDir } from "../helpers/engine.js";

const DIR = "/opt/rstudio/container";
const PINNED = "docker://rstudio/r-session-complete@sha256:4f1c0d2b8d7e6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1f";

function images(list: unknown[]): SessionImage[] {
  return imagesSection.parse(list);
}

const commands = (rs: Resource[]) => rs.flatMap((r) => (r.kind === "command" ? [r.argv.join(" ")] : []));

async function headRoot(): Promise<{ dir: string; root: Root }> {
  const dir = await tempDir("pwb-images-");
  await fs.mkdir(path.join(dir, DIR.slice(1)), { recursive: true });
  return { dir, root: new Root(dir) };
}

describe("images component (session images on the head node)", () => {
  it("pulls a missing image into a hidden partial file, renames it into place, then records its source", async () => {
    const { root } = await headRoot();
    const list = images([{ name: "r-session", pull: PINNED }]);
    const rs = imageResources(DIR, list, await gatherImages(root, DIR, list));
    expect(commands(rs)).toEqual([
      `mkdir -p -m 0755 ${DIR}`,
      `apptainer pull --force ${DIR}/.r-session.sif.partial ${PINNED}`,
      `mv -f ${DIR}/.r-session.sif.partial ${DIR}/r-session.sif`,
    ]);
    expect(rs.at(-1)).toMatchObject({ kind: "file", path: `${DIR}/.r-session.sif.source`, content: `pull ${PINNED}\n` });
  });

  it("skips an image already there from the same source; a new digest pulls again", async () => {
    const { dir, root } = await headRoot();
    const list = images([{ name: "r-session", pull: PINNED }]);
    // As after a successful apply: the image and its sidecar.
    await fs.writeFile(path.join(dir, DIR.slice(1), "r-session.sif"), "SIF");
    await fs.writeFile(path.join(dir, DIR.slice(1), ".r-session.sif.source"), `pull ${PINNED}\n`);
    const same = imageResources(DIR, list, await gatherImages(root, DIR, list));
    expect(commands(same)).toEqual([`mkdir -p -m 0755 ${DIR}`]);
    expect(await plan(same, context(dir))).toEqual([]);

    const moved = images([{ name: "r-session", pull: PINNED.replace("4f1c", "9e9e") }]);
    expect(commands(imageResources(DIR, moved, await gatherImages(root, DIR, moved)))).toHaveLength(3);

    // An image deleted by hand comes back, even with a matching sidecar.
    await fs.rm(path.join(dir, DIR.slice(1), "r-session.sif"));
    expect(commands(imageResources(DIR, list, await gatherImages(root, DIR, list)))).toHaveLength(3);
  });

  it("builds from a definition file with sorted build args; an edited definition rebuilds", async () => {
    const { dir, root } = await headRoot();
    const def = "/opt/rstudio/images/r-session.def";
    await fs.mkdir(path.join(dir, "opt/rstudio/images"), { recursive: true });
    await fs.writeFile(path.join(dir, def.slice(1)), "Bootstrap: docker\nFrom: rockylinux:9\n");
    const list = images([{ name: "custom", definition: def, buildArgs: { R_VERSION: "4.4.2", PYTHON_VERSION: "3.12.7" } }]);
    const first = await gatherImages(root, DIR, list);
    const rs = imageResources(DIR, list, first);
    expect(commands(rs)[1]).toBe(`apptainer build --force --build-arg PYTHON_VERSION=3.12.7 --build-arg R_VERSION=4.4.2 ${DIR}/.custom.sif.partial ${def}`);
    const record = sourceRecord(list[0]!, first[0]!.definitionSha256);
    expect(record).toMatch(/^build \/opt\/rstudio\/images\/r-session\.def sha256:[0-9a-f]{64}\nbuild-arg PYTHON_VERSION=3\.12\.7\nbuild-arg R_VERSION=4\.4\.2\n$/);

    await fs.writeFile(path.join(dir, DIR.slice(1), "custom.sif"), "SIF");
    await fs.writeFile(path.join(dir, DIR.slice(1), ".custom.sif.source"), record);
    expect(commands(imageResources(DIR, list, await gatherImages(root, DIR, list)))).toHaveLength(1);
    await fs.appendFile(path.join(dir, def.slice(1)), "%post\n  dnf -y install R\n");
    expect(commands(imageResources(DIR, list, await gatherImages(root, DIR, list)))).toHaveLength(3);
  });

  it("a missing definition file is a runtime failure naming it; no images configured declares nothing", async () => {
    const { root } = await headRoot();
    await expect(gatherImages(root, DIR, images([{ name: "x", definition: "/nope/x.def" }]))).rejects.toThrow(RuntimeFailure);
    expect(imageResources(DIR, [], [])).toEqual([]);
  });

  it("on a simulated head node: commands are planned (not run), the sidecar is written", async () => {
    const { dir, root } = await headRoot();
    const list = images([{ name: "r-session", pull: PINNED }]);
    const { report } = await converge(dir, imageResources(DIR, list, await gatherImages(root, DIR, list)));
    expect(report.deferred.map((a) => a[0])).toEqual(["apptainer", "mv"]);
    expect(await fs.readFile(path.join(dir, DIR.slice(1), ".r-session.sif.source"), "utf8")).toBe(`pull ${PINNED}\n`);
  });

  it("site section: unique names, known reference schemes, one of pull or definition", () => {
    expect(imagesSection.safeParse([{ name: "a", pull: PINNED }, { name: "a", pull: PINNED }]).success).toBe(false);
    expect(imagesSection.safeParse([{ name: "a", pull: "rstudio/r-session" }]).success).toBe(false);
    expect(imagesSection.safeParse([{ name: "../a", pull: PINNED }]).success).toBe(false);
    expect(imagesSection.safeParse([{ name: "a", definition: "relative.def" }]).success).toBe(false);
    expect(imagesSection.safeParse([{ name: "a", pull: PINNED, definition: "/x.def" }]).success).toBe(false);
    expect(images([{ name: "a", pull: "oras://ghcr.io/x/y:1" }])).toEqual([{ name: "a", kind: "pull", ref: "oras://ghcr.io/x/y:1" }]);
  });
});
