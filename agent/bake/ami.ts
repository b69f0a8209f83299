import { stringify } from "yaml";
import { BadInputError } from "../errors.js";
import type { SiteConfig } from "../site/types.js";

export interface AmiRenderOptions {
  site: SiteConfig;
  parentImage: string;
  instanceType: string;
  /** s3:// or https:// URL of ami/pwb-bake.sh as uploaded; default <mirror.url>/ami/pwb-bake.sh. */
  componentUrl?: string;
  /** Let ParallelCluster update the OS packages before the component runs (its default: off). */
  updateOsPackages: boolean;
}

/** The tags an image carries: the versions baked in, so an image says what it holds without booting it. */
function imageTags(site: AmiRenderOptions["site"]): Array<{ Key: string; Value: string }> {
  const rt = site.runtimes;
  return [
    { Key: "pwb:workbench-version", Value: site.workbench.version },
    ...(["r", "python", "quarto"] as const).filter((k) => rt[k].versions.length > 0).map((k) => ({ Key: `pwb:${k}-versions`, Value: rt[k].versions.join(" ") })),
    ...(site.apptainer ? [{ Key: "pwb:apptainer-version", Value: site.apptainer.version }] : []),
    ...(site.cuda?.toolkit ? [{ Key: "pwb:cuda-toolkit", Value: site.cuda.toolkit }] : []),
  ];
}

/**
 * The `pcluster build-image` config for a Workbench AMI: the parent image, the build instance,
 * one script component (ami/pwb-bake.sh: installs the pwb-agent package, runs `pwb-agent bake`).
 * Tags carry the versions baked in, so an image says what it holds without booting it.
 */
export function renderBuildImageConfig(o: AmiRenderOptions): string {
  if (!/^ami-[0-9a-f]{8,17}$/.test(o.parentImage)) throw new BadInputError(`--parent-image ${o.parentImage}: expected an AMI id like ami-0123456789abcdef0`);
  if (!/^[a-z][a-z0-9-]*\.[a-z0-9]+$/.test(o.instanceType)) throw new BadInputError(`--instance-type ${o.instanceType}: expected an EC2 instance type like c6i.xlarge`);
  const componentUrl = o.componentUrl ?? (o.site.mirror ? `${o.site.mirror.url.replace(/\/+$/, "")}/ami/pwb-bake.sh` : null);
  if (!componentUrl) throw new BadInputError("--component-url is needed when the site has no mirror.url (where ami/pwb-bake.sh was uploaded)");
  if (!/^(s3|https):\/\/\S+$/.test(componentUrl)) throw new BadInputError(`--component-url ${componentUrl}: expected an s3:// or https:// URL`);
  const tags = imageTags(o.site);
  const config = {
    Build: {
      InstanceType: o.instanceType,
      ParentImage: o.parentImage,
      Components: [{ Type: "script", Value: componentUrl }],
      UpdateOsPackages: { Enabled: o.updateOsPackages },
    },
    Image: { Tags: tags },
  };
  return `# pcluster build-image config rendered by pwb-agent ami render; upload the rendered pwb-bake.sh to ${componentUrl} first.\n${stringify(config)}`;
}
