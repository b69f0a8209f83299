import { BadInputError } from "../errors.js";

export const COMPONENT_NAME = "pwb-bake.sh";

/** An s3:// or https:// URL that is safe inside double quotes in a shell script. */
export function componentUrl(flag: string, url: string, suffix?: RegExp): string {
  if (!/^(s3|https):\/\/[^\s"'`$\\]+$/.test(url)) throw new BadInputError(`${flag} ${url}: expected an s3:// or https:// URL (no spaces, quotes, '$' or '\\')`);
  if (suffix && !suffix.test(url)) throw new BadInputError(`${flag} ${url}: expected the pwb-agent .rpm or .deb package`);
  return url;
}

export interface ComponentUrls {
  packageUrl: string;
  siteUrl: string;
}

/**
 * The ParallelCluster build-image script component: installs the pwb-agent package and runs `pwb-agent
 * bake` with the site. ParallelCluster passes a script component no arguments, so `ami render --out`
 * writes the two URLs into it; without them (ami/pwb-bake.sh in the source tree) it reads them from its
 * environment. Either way nobody edits it by hand.
 */
export function renderBakeComponent(urls: ComponentUrls | null): string {
  const value = (name: string, url: string | undefined) => (url ? `${name}="${url}"` : `${name}="\${${name}:-}"`);
  return `#!/bin/bash
# ParallelCluster build-image component: installs the pwb-agent package and runs \`pwb-agent bake\`,
# which converges the image phase of every component for every role (Workbench, R, Python, Quarto,
# Apptainer, the SPANK plugin, CUDA when the site asks), so a node only configures at boot.
# ${urls ? "Rendered by `pwb-agent ami render --out DIR`: upload it where the build config's component points." : "Without URLs: `pwb-agent ami render --out DIR` writes a copy with them set (docs/ami.md)."}
${value("PWB_AGENT_PACKAGE_URL", urls?.packageUrl)}
${value("PWB_SITE_URL", urls?.siteUrl)}

set -euo pipefail

die() { echo "pwb-bake: $*" >&2; exit 1; }
[[ -n "$PWB_AGENT_PACKAGE_URL" ]] || die "PWB_AGENT_PACKAGE_URL is not set (render this component with pwb-agent ami render --out DIR)"
[[ -n "$PWB_SITE_URL" ]] || die "PWB_SITE_URL is not set (render this component with pwb-agent ami render --out DIR)"

fetch() { # fetch URL DEST
  case "$1" in
    s3://*) aws s3 cp --only-show-errors "$1" "$2" ;;
    https://*) curl --fail --silent --show-error --location --retry 5 -o "$2" "$1" ;;
    *) die "unsupported URL: $1 (expected s3:// or https://)" ;;
  esac
}

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

pkg="$work/$(basename "$PWB_AGENT_PACKAGE_URL")"
fetch "$PWB_AGENT_PACKAGE_URL" "$pkg"
case "$pkg" in
  *.rpm) dnf install -y "$pkg" ;;
  *.deb) DEBIAN_FRONTEND=noninteractive apt-get install -y "$pkg" ;;
  *) die "expected a .rpm or .deb package: $pkg" ;;
esac

install -d -m 0755 /etc/pwb-agent
fetch "$PWB_SITE_URL" "$work/site.yaml"
install -m 0644 "$work/site.yaml" /etc/pwb-agent/site.yaml

# The image is the same for every role: bake needs no role facts (an image build has none).
pwb-agent --site /etc/pwb-agent/site.yaml bake
`;
}
