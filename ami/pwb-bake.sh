#!/bin/bash
# ParallelCluster build-image component: installs the pwb-agent package and runs `pwb-agent bake`,
# so Workbench, R, Python and Quarto are in the AMI and a node only configures at boot.
# Rendered into the build config by `pwb-agent ami render` (README "Building the AMI").
#
# Set these two lines before uploading this file (ParallelCluster passes script components no
# arguments): where the pwb-agent package and the site config are. s3:// or https:// URLs.
PWB_AGENT_PACKAGE_URL="${PWB_AGENT_PACKAGE_URL:-}"
PWB_SITE_URL="${PWB_SITE_URL:-}"

set -euo pipefail

die() { echo "pwb-bake: $*" >&2; exit 1; }
[[ -n "$PWB_AGENT_PACKAGE_URL" ]] || die "PWB_AGENT_PACKAGE_URL is not set (edit the top of this script)"
[[ -n "$PWB_SITE_URL" ]] || die "PWB_SITE_URL is not set (edit the top of this script)"

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

# No IMDS role detection matters here: bake is the same for every role.
pwb-agent --site /etc/pwb-agent/site.yaml bake
