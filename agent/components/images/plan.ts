import type { Resource } from "../../engine/types.js";
import type { SessionImage } from "../../site/sections/images.js";
import { imagePaths, type ImageState } from "./gather.js";

/** The sidecar text: everything that decides the image's bytes. Same text, same image: nothing to do. */
export function sourceRecord(img: SessionImage, definitionSha256: string | null): string {
  if (img.kind === "pull") return `pull ${img.ref}\n`;
  const args = Object.entries(img.buildArgs).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `build-arg ${k}=${v}\n`).join("");
  return `build ${img.definition} sha256:${definitionSha256 ?? "unknown"}\n${args}`;
}

/**
 * Head node: each configured image in the directory the launcher profiles point at
 * (`singularity-image-directory`). Fetched or built into a hidden partial file, then renamed into
 * place (atomic: same directory), then its source recorded. A tag (not a digest) is pulled once.
 */
export function imageResources(dir: string, images: readonly SessionImage[], state: readonly ImageState[]): Resource[] {
  if (images.length === 0) return [];
  const resources: Resource[] = [{ kind: "command", label: `create ${dir}`, argv: ["mkdir", "-p", "-m", "0755", dir], creates: dir }];
  for (const img of images) {
    const s = state.find((x) => x.name === img.name);
    const p = imagePaths(dir, img.name);
    const record = sourceRecord(img, s?.definitionSha256 ?? null);
    if (!s || !s.present || s.recorded !== record) {
      const fetch =
        img.kind === "pull"
          ? ["apptainer", "pull", "--force", p.partial, img.ref]
          : ["apptainer", "build", "--force", ...Object.entries(img.buildArgs).sort(([a], [b]) => a.localeCompare(b)).flatMap(([k, v]) => ["--build-arg", `${k}=${v}`]), p.partial, img.definition];
      resources.push(
        { kind: "command", label: `image ${img.name}: ${img.kind}`, argv: fetch },
        { kind: "command", label: `image ${img.name}: publish`, argv: ["mv", "-f", p.partial, p.image] },
      );
    }
    resources.push({ kind: "file", path: p.sidecar, content: record, mode: 0o644, owner: "root", group: "root" });
  }
  return resources;
}
