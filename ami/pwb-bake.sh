#!/bin/bash
# ParallelCluster build-image component: installs the pwb-agent package and runs `pwb-agent bake`,
# which converges the image phase of every component for every role (Workbench, R, Python, Quarto,
# Apptainer, the SPANK plugin, CUDA when the site asks), so a node only configures at boot.
# Without URLs: `pwb-agent ami render --out DIR` writes a copy with them set (docs/ami.md).
PWB_AGENT_PACKAGE_URL="${PWB_AGENT_PACKAGE_URL:-}"
PWB_SITE_URL="${PWB_SITE_URL:-}"

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
